"""The statistics of grontur, in one place: intervals, tests and variances of shares and means.

Used by the description of one wave (:mod:`grontur.describe`), the comparison of two waves
(:mod:`grontur.compare`) and the pilot evaluation (:mod:`grontur.pilots`); no other module
computes an interval or a p-value. Everything here works on counts and numbers, not on survey
tables, and knows nothing of privacy: callers decide what may be published.

Intervals are two-sided at :data:`CONFIDENCE` (95 %) unless a ``confidence`` is given.

- Proportions: :func:`wilson_interval` (Wilson 1927), :func:`newcombe_difference` for two
  independent proportions and :func:`newcombe_paired_difference` for paired ones (Newcombe 1998,
  method 10 of each paper), :func:`two_proportion_p` (pooled z-test), :func:`mcnemar_p` (exact
  McNemar test), :func:`agresti_caffo_variance`.
- Tables: :func:`chi_square_test` (Pearson's test of independence, no continuity correction).
- Means: :func:`welch_difference` (Welch's unequal-variance t interval).
- Changes in shares: :func:`paired_change`, :func:`difference_in_differences` (analytic or
  parametric bootstrap), :func:`poststratified_change` (reweighted to a baseline mix), and
  :func:`paired_covariance_term`, what linked respondents take off a change's variance.
- Pooling estimates: :func:`dersimonian_laird` (random-effects meta-analysis) and
  :func:`normal_posterior` (a normal prior updated by a normal estimate, by precision), used by
  the pilot evidence of the ranking (:mod:`grontur.evidence`).
- Publication precision: :func:`round_share` and :func:`round_p`.

References: E. B. Wilson (1927), JASA 22:209-212. R. G. Newcombe (1998), Statistics in Medicine
17:857-872, 17:873-890 and 17:2635-2650. A. Agresti and B. Caffo (2000), The American
Statistician 54:280-288. A. Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed.
R. DerSimonian and N. Laird (1986), Controlled Clinical Trials 7:177-188.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# SciPy takes a while to import (scipy.stats about half a second, scipy.special about 0.1 s): the
# functions below that test something load it when called, so an analysis that computes
# intervals only never does.

#: Confidence level of every interval grontur publishes.
CONFIDENCE = 0.95

#: The standard normal quantile of 0.975, the multiplier of a 95 % two-sided interval, as
#: ``scipy.special.ndtri(0.975)`` gives it (the double nearest to 1.95996398454005423...).
_Z_95 = 1.959963984540054


def z_value(confidence: float = CONFIDENCE) -> float:
    """The standard normal quantile of a two-sided interval.

    >>> round(z_value(), 4)
    1.96
    >>> round(z_value(0.9), 4)
    1.6449
    """
    if confidence == 0.95:
        return _Z_95
    from scipy import special

    return float(special.ndtri(0.5 + confidence / 2))  # the normal quantile (scipy.stats.norm.ppf)


#: ``z_value(CONFIDENCE)``, the multiplier of a 95 % normal interval (1.959964...).
Z = z_value(CONFIDENCE)


# ---------------------------------------------------------------------------------------------
# Proportions

def wilson_intervals(x: Any, n: Any, *, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals for proportions ``x / n``, element by element (NaN where ``n <= 0``).

    The lower limit of ``0 / n`` is exactly 0 and the upper limit of ``n / n`` exactly 1; no limit
    leaves [0, 1].

    >>> low, high = wilson_intervals([81, 0], [263, 20])
    >>> [round(float(v), 4) for v in low], [round(float(v), 4) for v in high]
    ([0.2553, 0.0], [0.3662, 0.1611])
    """
    z = z_value(confidence)
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low = np.where(x <= 0, 0.0, np.maximum(0.0, centre - half))
        high = np.where(x >= n, 1.0, np.minimum(1.0, centre + half))
    valid = n > 0
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def wilson_interval(x: float, n: float, *, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for one proportion ``x / n`` (NaN, NaN when ``n <= 0``).

    ``x`` need not be a whole number (an effective count, e.g. a share times Kish's effective
    sample size).

    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    low, high = wilson_intervals(x, n, confidence=confidence)
    return float(low), float(high)


def newcombe_difference(
    x_before: Any, n_before: Any, x_after: Any, n_after: Any, *, confidence: float = CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``after - before`` of two independent proportions with Newcombe's hybrid score CI.

    Newcombe (1998), method 10: the interval combines the Wilson limits of both proportions.
    Arrays are worked element by element.

    >>> d, lo, hi = newcombe_difference(48, 80, 56, 70)
    >>> round(float(d), 4), round(float(lo), 4), round(float(hi), 4)
    (0.2, 0.0524, 0.3339)
    """
    xb, nb = np.asarray(x_before, dtype=float), np.asarray(n_before, dtype=float)
    xa, na = np.asarray(x_after, dtype=float), np.asarray(n_after, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pb, pa = xb / nb, xa / na
    lb, ub = wilson_intervals(xb, nb, confidence=confidence)
    la, ua = wilson_intervals(xa, na, confidence=confidence)
    diff = pa - pb
    low = diff - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = diff + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return diff, low, high


def two_proportion_p(x_before: Any, n_before: Any, x_after: Any, n_after: Any) -> np.ndarray:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when both shares are 0 or 1).

    >>> round(float(two_proportion_p(60, 100, 45, 100)), 4)
    0.0337
    """
    from scipy import stats as _scipy

    xb, nb = np.asarray(x_before, dtype=float), np.asarray(n_before, dtype=float)
    xa, na = np.asarray(x_after, dtype=float), np.asarray(n_after, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (xb + xa) / (nb + na)
        se = np.sqrt(pooled * (1 - pooled) * (1 / nb + 1 / na))
        z = (xa / na - xb / nb) / se
        p = 2 * _scipy.norm.sf(np.abs(z))
    degenerate = (se == 0) & (nb > 0) & (na > 0)
    return np.where(degenerate, 1.0, p)


def newcombe_paired_difference(
    both: int, before_only: int, after_only: int, neither: int, *, confidence: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Paired difference ``p_after - p_before`` with Newcombe's (1998) method 10 interval.

    ``both`` had the outcome in both waves, ``before_only`` only before, ``after_only`` only after.

    >>> d, lo, hi = newcombe_paired_difference(36, 2, 12, 0)
    >>> round(d, 4), round(lo, 4), round(hi, 4)
    (0.2, 0.0569, 0.3404)
    """
    a, b, c, d = (float(v) for v in (both, before_only, after_only, neither))
    n = a + b + c + d
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson_interval(a + b, n, confidence=confidence)
    l2, u2 = wilson_interval(a + c, n, confidence=confidence)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    if denom == 0:
        phi = 0.0
    else:
        num = a * d - b * c
        # continuity correction of the correlation as in Newcombe's method 10
        num = max(num - n / 2, 0.0) if num > 0 else num
        phi = num / np.sqrt(denom)
    # Newcombe's theta = p2 - p1 here is written for after - before
    theta = p2 - p1
    delta = np.sqrt(max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0))
    epsilon = np.sqrt(max((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2, 0.0))
    return theta, float(theta - delta), float(theta + epsilon)


def mcnemar_p(before_only: int, after_only: int) -> float:
    """Exact (binomial) McNemar p-value for the discordant pairs; 1.0 when there are none.

    >>> round(mcnemar_p(1, 7), 4)
    0.0703
    """
    from scipy import stats as _scipy

    m = int(before_only) + int(after_only)
    if m == 0:
        return 1.0
    return float(_scipy.binomtest(int(min(before_only, after_only)), m, 0.5).pvalue)


def agresti_caffo_variance(x: float, n: float) -> float:
    """Variance of a share with the Agresti-Caffo adjustment (one success and one failure added).

    It keeps an interval away from zero width when a share is 0 or 1.

    >>> agresti_caffo_variance(3, 8)
    0.024
    """
    p = (x + 1) / (n + 2)
    return p * (1 - p) / (n + 2)


def normal_p(estimate: float, se: float) -> float:
    """Two-sided p-value of ``estimate / se`` under the standard normal.

    With ``se == 0`` the estimate is certain: 1.0 when it is 0, else 0.0.

    >>> round(normal_p(1.96, 1.0), 3)
    0.05
    """
    from scipy import stats as _scipy

    if se > 0:
        return float(2 * _scipy.norm.sf(abs(estimate) / se))
    return 1.0 if estimate == 0 else 0.0


# ---------------------------------------------------------------------------------------------
# Tables

@dataclass(frozen=True)
class ChiSquare:
    """Pearson's chi-square test of independence of a two-way table."""

    statistic: float
    dof: int
    p_value: float
    #: Whether more than a fifth of the expected counts are below 5 (the approximation is doubtful).
    small_expected: bool


def chi_square_test(table: Any) -> ChiSquare:
    """Pearson's chi-square test of a two-way table of counts (no continuity correction).

    Agresti (2007), Table 2.5 (party identification by gender): X2 = 30.1 on 2 degrees of freedom.

    >>> result = chi_square_test([[762, 327, 468], [484, 239, 477]])
    >>> round(result.statistic, 1), result.dof
    (30.1, 2)
    """
    from scipy import stats as _scipy

    result = _scipy.chi2_contingency(np.asarray(table, dtype=float), correction=False)
    return ChiSquare(
        statistic=float(result.statistic),
        dof=int(result.dof),
        p_value=float(result.pvalue),
        small_expected=bool((result.expected_freq < 5).mean() > 0.2),
    )


# ---------------------------------------------------------------------------------------------
# Means

def welch_difference(
    before: np.ndarray, after: np.ndarray, *, confidence: float = CONFIDENCE,
) -> tuple[float, float, float, float]:
    """Difference of means ``after - before`` with Welch's interval and two-sided p-value.

    Returns ``(difference, low, high, p)``; NaN throughout when a sample has fewer than two values.

    >>> d, lo, hi, p = welch_difference([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    >>> round(d, 3), round(lo, 3), round(hi, 3)
    (3.0, 0.733, 5.267)
    """
    from scipy import stats as _scipy

    nb, na = len(before), len(after)
    if nb < 2 or na < 2:
        return float("nan"), float("nan"), float("nan"), float("nan")
    mb, ma = float(np.mean(before)), float(np.mean(after))
    vb, va = float(np.var(before, ddof=1)) / nb, float(np.var(after, ddof=1)) / na
    diff = ma - mb
    se = float(np.sqrt(vb + va))
    if se == 0:
        return diff, diff, diff, 1.0 if diff == 0 else 0.0
    dof = (vb + va) ** 2 / (vb**2 / (nb - 1) + va**2 / (na - 1))
    q = float(_scipy.t.ppf(0.5 + confidence / 2, dof))
    p = float(2 * _scipy.t.sf(abs(diff) / se, dof))
    return diff, diff - q * se, diff + q * se, p


# ---------------------------------------------------------------------------------------------
# Changes in shares: paired, difference in differences, reweighted

#: Floor of a variance with panel linking, as a share of the independent-samples variance.
MIN_VARIANCE_SHARE = 0.05


def paired_covariance_term(before: np.ndarray, after: np.ndarray, n_before: int, n_after: int) -> float:
    """``2 m cov / (n_after n_before)``: what ``m`` linked respondents take off a change's variance.

    ``before`` and ``after`` are the 0/1 outcomes of the same ``m`` people in the two waves (in the
    same order); ``n_before`` and ``n_after`` are the sizes of the whole groups whose shares
    changed. Answers of one person are correlated, so the change is estimated more precisely
    than two independent samples would allow. 0 with fewer than two linked people.

    >>> round(paired_covariance_term([1, 1, 0, 0], [1, 1, 0, 1], 10, 10), 4)
    0.0133
    """
    m = len(before)
    if m < 2 or n_before == 0 or n_after == 0:
        return 0.0
    cov = float(np.cov(np.asarray(before, dtype=float), np.asarray(after, dtype=float), ddof=1)[0, 1])
    return 2.0 * m * cov / (n_after * n_before)


def paired_change(counts: tuple[int, int, int, int], panel_term: float = 0.0, *,
                  min_variance_share: float = MIN_VARIANCE_SHARE) -> tuple[float, float, float, float]:
    """Change ``x_after / n_after - x_before / n_before`` of one group: ``(estimate, low, high, p)``.

    ``counts`` is ``(x_before, n_before, x_after, n_after)``. Without linked respondents
    (``panel_term == 0``) this is :func:`newcombe_difference` with :func:`two_proportion_p`;
    with them a Wald interval whose Agresti-Caffo variance is reduced by ``panel_term`` (see
    :func:`paired_covariance_term`), but never below ``min_variance_share`` of the independent
    variance.

    >>> [round(v, 4) for v in paired_change((48, 80, 56, 70))]
    [0.2, 0.0524, 0.3339, 0.008]
    """
    xb, nb, xa, na = counts
    if panel_term == 0.0:
        diff, low, high = newcombe_difference(xb, nb, xa, na)
        return float(diff), float(low), float(high), float(two_proportion_p(xb, nb, xa, na))
    est = xa / na - xb / nb
    independent = agresti_caffo_variance(xb, nb) + agresti_caffo_variance(xa, na)
    se = float(np.sqrt(max(independent - panel_term, min_variance_share * independent)))
    return est, est - Z * se, est + Z * se, normal_p(est, se)


def difference_in_differences(
    groups: Sequence[tuple[int, int, int, int]], *, ci_method: str = "analytic", n_boot: int = 4000,
    rng: np.random.Generator | None = None, panel_terms: Sequence[float] = (0.0, 0.0),
    min_variance_share: float = MIN_VARIANCE_SHARE,
) -> tuple[float, float, float, float]:
    """Difference of changes ``(a1 - b1) - (a2 - b2)`` of two groups: ``(estimate, low, high, p)``.

    Each group is given as ``(x_before, n_before, x_after, n_after)``. ``analytic``: a Wald
    interval whose variance is the sum of the four Agresti-Caffo variances, less each group's
    ``panel_terms`` (:func:`paired_covariance_term`) but never below ``min_variance_share`` of
    it. ``bootstrap``: percentile interval of ``n_boot`` parametric draws (independent binomials
    per group and wave, which ignores panel linking and so is conservative); the p-value then
    uses the draws' standard deviation.

    >>> est, low, high, p = difference_in_differences([(30, 100, 20, 100), (30, 100, 30, 100)])
    >>> round(est, 4), round(low, 4), round(high, 4)
    (-0.1, -0.2734, 0.0734)
    """
    (xb1, nb1, xa1, na1), (xb2, nb2, xa2, na2) = groups
    est = (xa1 / na1 - xb1 / nb1) - (xa2 / na2 - xb2 / nb2)
    if ci_method == "bootstrap":
        rng = rng if rng is not None else np.random.default_rng(0)
        draws = [rng.binomial(n, x / n, size=n_boot) / n for x, n in ((xb1, nb1), (xa1, na1), (xb2, nb2), (xa2, na2))]
        boot = (draws[1] - draws[0]) - (draws[3] - draws[2])
        alpha = (1 - CONFIDENCE) / 2
        low, high = np.quantile(boot, [alpha, 1 - alpha])
        se = float(np.std(boot, ddof=1))
    elif ci_method == "analytic":
        independent = sum(agresti_caffo_variance(x, n) for x, n in ((xb1, nb1), (xa1, na1), (xb2, nb2), (xa2, na2)))
        var = max(independent - sum(panel_terms), min_variance_share * independent)
        se = float(np.sqrt(var))
        low, high = est - Z * se, est + Z * se
    else:
        msg = f"ci_method {ci_method!r} is unknown; use analytic or bootstrap."
        raise ValueError(msg)
    return float(est), float(low), float(high), normal_p(est, se)


@dataclass(frozen=True)
class ReweightedChange:
    """A change whose follow-up share is post-stratified to the baseline's mix of strata."""

    before: float
    after: float
    after_reweighted: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float


def poststratified_change(x_before: Any, n_before: Any, x_after: Any, n_after: Any) -> ReweightedChange:
    """Change of a share with the follow-up reweighted to the baseline's strata sizes.

    Arguments are per-stratum counts (arrays of equal length, every ``n`` above 0). The follow-up
    share is ``sum(w_h p_h)`` with ``w_h`` the baseline's stratum shares; its variance is
    ``sum(w_h^2 p_h (1 - p_h) / n_h)``, the baseline's is binomial, and the two waves are taken as
    independent. ``after`` is the follow-up's unweighted share over the same strata.

    >>> r = poststratified_change([10, 30], [50, 50], [5, 40], [20, 80])
    >>> round(r.after, 4), round(r.after_reweighted, 4), round(r.diff, 4)
    (0.45, 0.375, -0.025)
    """
    xb_h, nb_h = np.asarray(x_before, dtype=float), np.asarray(n_before, dtype=float)
    xa_h, na_h = np.asarray(x_after, dtype=float), np.asarray(n_after, dtype=float)
    weights = nb_h / nb_h.sum()
    pa_h = xa_h / na_h
    before_rate = float(xb_h.sum() / nb_h.sum())
    after_raw = float(xa_h.sum() / na_h.sum())
    after_rw = float((weights * pa_h).sum())
    var_after = float((weights**2 * pa_h * (1 - pa_h) / na_h).sum())
    var_before = before_rate * (1 - before_rate) / nb_h.sum()
    se = float(np.sqrt(var_after + var_before))
    diff = after_rw - before_rate
    return ReweightedChange(before=before_rate, after=after_raw, after_reweighted=after_rw, diff=diff,
                            ci_low=diff - Z * se, ci_high=diff + Z * se, p_value=normal_p(diff, se))


# ---------------------------------------------------------------------------------------------
# Pooling estimates

@dataclass(frozen=True)
class RandomEffects:
    """Estimates pooled by a random-effects model (see :func:`dersimonian_laird`).

    ``weights`` are the random-effects weights ``1 / (v_i + tau2)`` in input order; their sum is
    the precision of ``estimate`` (``1 / se**2``). ``i2`` is a fraction (0..1), not a percentage.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    q: float
    df: int
    i2: float
    weights: tuple[float, ...]


def dersimonian_laird(estimates: Sequence[float], variances: Sequence[float], *,
                      confidence: float = CONFIDENCE) -> RandomEffects:
    """Pool estimates with known sampling variances by DerSimonian and Laird's random-effects model.

    With fixed-effect weights ``w_i = 1 / v_i`` and their mean ``m``, Cochran's
    ``Q = sum(w_i (y_i - m)^2)`` on ``k - 1`` degrees of freedom gives the between-estimate
    variance ``tau2 = max(0, (Q - (k - 1)) / (sum w_i - sum w_i^2 / sum w_i))`` (moment estimator,
    DerSimonian and Laird 1986); the pooled estimate is the mean weighted by
    ``1 / (v_i + tau2)`` and its variance ``1 / sum(1 / (v_i + tau2))``. ``I^2 = max(0, (Q - df) /
    Q)``. One estimate is returned as it is (``tau2 = 0``). Every variance must be above 0.

    >>> r = dersimonian_laird([0.1, 0.3], [0.01, 0.01])
    >>> round(r.estimate, 4), round(r.tau2, 4), round(r.se, 4)
    (0.2, 0.01, 0.1)
    >>> dersimonian_laird([0.1, 0.1], [0.01, 0.04]).tau2
    0.0
    """
    y = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.ndim != 1 or y.shape != v.shape or len(y) == 0:
        msg = "estimates and variances must be two non-empty lists of equal length."
        raise ValueError(msg)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        msg = "every estimate must be finite and every variance finite and above 0."
        raise ValueError(msg)
    w = 1.0 / v
    fixed = float((w * y).sum() / w.sum())
    q = float((w * (y - fixed) ** 2).sum())
    df = len(y) - 1
    c = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (q - df) / c) if df > 0 and c > 0 else 0.0
    w_star = 1.0 / (v + tau2)
    estimate = float((w_star * y).sum() / w_star.sum())
    se = float(np.sqrt(1.0 / w_star.sum()))
    z = z_value(confidence)
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return RandomEffects(estimate=estimate, se=se, ci_low=estimate - z * se, ci_high=estimate + z * se,
                         tau2=float(tau2), q=q, df=df, i2=float(i2), weights=tuple(float(x) for x in w_star))


def normal_posterior(prior_mean: float, prior_variance: float, estimate: float, variance: float) -> tuple[float, float]:
    """A normal prior updated by a normal estimate: the means weighted by their precisions.

    Returns ``(mean, variance)`` with ``1 / variance = 1 / prior_variance + 1 / variance`` (the
    conjugate normal-normal model with known variances). A variance of ``inf`` is no information.

    >>> normal_posterior(0.1, 0.01, 0.3, 0.03)
    (0.15, 0.0075)
    >>> normal_posterior(0.1, 0.01, 0.3, float("inf"))
    (0.1, 0.01)
    """
    if not (prior_variance > 0 and variance > 0):
        msg = "both variances must be above 0."
        raise ValueError(msg)
    prior_precision = 1.0 / prior_variance
    precision = 1.0 / variance
    total = prior_precision + precision
    mean = (prior_precision * prior_mean + precision * estimate) / total
    return float(mean), float(1.0 / total)


# ---------------------------------------------------------------------------------------------
# Publication precision

def round_share(value: Any) -> float | None:
    """A share, difference or statistic as published: 6 decimals, ``None`` when not finite.

    >>> round_share(1 / 3), round_share(float("nan"))
    (0.333333, None)
    """
    value = float(value)
    return None if not np.isfinite(value) else round(value, 6)


def round_p(value: Any) -> float | None:
    """A p-value as published: 4 significant digits, ``None`` when not finite.

    >>> round_p(0.000123456), round_p(0.5)
    (0.0001235, 0.5)
    """
    value = float(value)
    return None if not np.isfinite(value) else float(f"{value:.4g}")
