"""Tests for grontur.stats against published worked examples and hand computation.

Every expected value is typed here with its source: a table of a published paper or textbook,
or arithmetic written out in the test. None is computed by grontur.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from grontur import stats


def close(expected: float, digits: int = 4):
    """Published values are given to ``digits`` decimals: agree to half a unit of the last one."""
    return pytest.approx(expected, abs=0.5 * 10.0**-digits + 1e-12)


# --------------------------------------------------------------------------- Wilson

# Newcombe RG (1998). Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Statistics in Medicine 17:857-872, Table I, method 3 (score, no continuity
# correction).
NEWCOMBE_1998_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_1998_TABLE_I)
def test_wilson_interval_matches_newcombe_1998_table_i(x, n, low, high) -> None:
    lo, hi = stats.wilson_interval(x, n)
    assert (lo, hi) == (close(low), close(high))


def test_wilson_intervals_work_element_by_element() -> None:
    lows, highs = stats.wilson_intervals([x for x, *_ in NEWCOMBE_1998_TABLE_I], [n for _, n, *_ in NEWCOMBE_1998_TABLE_I])
    assert list(lows) == [close(row[2]) for row in NEWCOMBE_1998_TABLE_I]
    assert list(highs) == [close(row[3]) for row in NEWCOMBE_1998_TABLE_I]


def test_wilson_limits_are_exact_at_zero_and_all_and_missing_without_people() -> None:
    assert stats.wilson_interval(0, 20)[0] == 0.0
    assert stats.wilson_interval(20, 20)[1] == 1.0
    assert all(math.isnan(v) for v in stats.wilson_interval(0, 0))
    lows, highs = stats.wilson_intervals([0, 3], [0, 10])
    assert math.isnan(lows[0]) and math.isnan(highs[0])
    # 3/10: the textbook formula with z = 1.96 gives 0.1078 to 0.6032
    assert (lows[1], highs[1]) == (close(0.1078), close(0.6032))


# --------------------------------------------------------------------------- Newcombe, independent

# Newcombe RG (1998). Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Statistics in Medicine 17:873-890, Table II, method 10 (hybrid
# score). Rows are (m/M, n/N, lower, upper) for the difference m/M - n/N.
NEWCOMBE_1998_TABLE_II = [
    ((56, 70), (48, 80), 0.0524, 0.3339),
    ((9, 10), (3, 10), 0.1705, 0.8090),
    ((5, 56), (0, 29), -0.0381, 0.1926),
    ((0, 10), (0, 20), -0.1611, 0.2775),
    ((0, 10), (0, 10), -0.2775, 0.2775),
    ((10, 10), (0, 20), 0.6791, 1.0000),
    ((10, 10), (0, 10), 0.6075, 1.0000),
]


@pytest.mark.parametrize(("first", "second", "low", "high"), NEWCOMBE_1998_TABLE_II)
def test_newcombe_difference_matches_newcombe_1998_table_ii(first, second, low, high) -> None:
    # grontur's difference is after - before: the paper's first proportion is "after"
    diff, lo, hi = stats.newcombe_difference(second[0], second[1], first[0], first[1])
    assert float(diff) == pytest.approx(first[0] / first[1] - second[0] / second[1])
    assert (float(lo), float(hi)) == (close(low), close(high))


# --------------------------------------------------------------------------- Newcombe, paired

def test_newcombe_paired_difference_matches_newcombe_1998_paired_example() -> None:
    # Newcombe RG (1998). Improved confidence intervals for the difference between binomial
    # proportions based on paired data. Statistics in Medicine 17:2635-2650, Table II, example (a)
    # e = 36, f = 12, g = 2, h = 0, method 10: difference 0.2, interval 0.0569 to 0.3404.
    # Here f (yes first, no second) is "after only", g is "before only".
    diff, lo, hi = stats.newcombe_paired_difference(36, 2, 12, 0)
    assert diff == pytest.approx(0.2)
    assert (lo, hi) == (close(0.0569), close(0.3404))


def test_paired_interval_is_narrower_than_independent_when_answers_correlate() -> None:
    diff, lo, hi = stats.newcombe_paired_difference(60, 5, 15, 20)
    _, ilo, ihi = stats.newcombe_difference(65, 100, 75, 100)
    assert lo < diff < hi
    assert hi - lo < float(ihi - ilo)


# --------------------------------------------------------------------------- tests

def test_mcnemar_exact_matches_fagerland_2013() -> None:
    # Fagerland MW, Lydersen S, Laake P (2013). The McNemar test for binary matched-pairs data.
    # BMC Medical Research Methodology 13:91, Table 1 (airway hyper-responsiveness before and
    # after stem cell transplantation): discordant pairs 1 and 7, exact conditional p = 0.070.
    assert stats.mcnemar_p(1, 7) == close(0.070, 3)
    assert stats.mcnemar_p(7, 1) == close(0.070, 3)


def test_mcnemar_exact_matches_binomial_by_hand() -> None:
    # 2 stopped, 10 started: p = 2 * P(X <= 2), X ~ Bin(12, 1/2) = 2 * (1 + 12 + 66) / 4096
    assert stats.mcnemar_p(10, 2) == pytest.approx(2 * 79 / 4096)
    assert stats.mcnemar_p(0, 0) == 1.0


def test_chi_square_matches_agresti_party_identification() -> None:
    # Agresti A (2007). An Introduction to Categorical Data Analysis, 2nd ed., Table 2.5 and
    # section 2.4.4: party identification by gender, X2 = 30.1 on df = 2, P < 0.001.
    result = stats.chi_square_test([[762, 327, 468], [484, 239, 477]])
    assert result.statistic == close(30.1, 1)
    assert result.dof == 2
    assert result.p_value < 0.001
    assert result.small_expected is False


def test_chi_square_flags_small_expected_counts() -> None:
    # expected counts of [[1, 2], [3, 4]]: row totals 3 and 7, column totals 4 and 6, n = 10:
    # 1.2, 1.8, 2.8, 4.2, all below 5
    assert stats.chi_square_test([[1, 2], [3, 4]]).small_expected is True


def test_two_proportion_p_matches_hand_computed_z_test() -> None:
    # 60/100 vs 45/100: pooled 0.525, se = sqrt(0.525 * 0.475 * 0.02) = 0.070623,
    # z = 0.15 / 0.070623 = 2.1240, two-sided p = 0.0337 (standard normal table)
    assert float(stats.two_proportion_p(60, 100, 45, 100)) == close(0.0337)


def test_two_proportion_p_is_one_when_nothing_varies() -> None:
    assert float(stats.two_proportion_p(0, 50, 0, 40)) == 1.0


def test_normal_p_matches_the_normal_table() -> None:
    assert stats.normal_p(1.96, 1.0) == close(0.0500)
    assert stats.normal_p(-2.576, 1.0) == close(0.0100)
    assert stats.normal_p(0.0, 0.0) == 1.0
    assert stats.normal_p(0.1, 0.0) == 0.0


# --------------------------------------------------------------------------- means

def test_welch_difference_matches_hand_computation_with_t_table() -> None:
    # [1, 2, 3] vs [4, 5, 6]: difference 3, variances 1 and 1, se = sqrt(1/3 + 1/3) = 0.81650,
    # Welch df = (2/3)^2 / ((1/3)^2 / 2 * 2) = 4, t(0.975, 4) = 2.776 (Student's t table):
    # 3 -/+ 2.776 * 0.81650 = 0.7334 to 5.2666; t = 3.674 lies between t(0.975, 4) and
    # t(0.99, 4) = 3.747, so 0.02 < p < 0.05.
    diff, low, high, p = stats.welch_difference(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))
    assert diff == pytest.approx(3.0)
    assert (low, high) == (close(0.7334, 3), close(5.2666, 3))
    assert 0.02 < p < 0.05


def test_welch_difference_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    before, after = rng.normal(2.0, 1.0, 50), rng.normal(1.5, 1.5, 70)
    diff, low, high, p = stats.welch_difference(before, after)
    assert diff == pytest.approx(after.mean() - before.mean())
    assert p == pytest.approx(scipy_stats.ttest_ind(after, before, equal_var=False).pvalue)
    assert low < diff < high


def test_welch_difference_needs_two_values_per_wave() -> None:
    assert all(math.isnan(v) for v in stats.welch_difference(np.array([1.0]), np.array([1.0, 2.0])))


# --------------------------------------------------------------------------- changes in shares

def test_agresti_caffo_variance_adds_one_success_and_one_failure() -> None:
    # Agresti A, Caffo B (2000), The American Statistician 54:280-288: 3 of 8 becomes 4 of 10,
    # variance 0.4 * 0.6 / 10 = 0.024; 0 of 8 becomes 1 of 10, 0.1 * 0.9 / 10 = 0.009 (not 0)
    assert stats.agresti_caffo_variance(3, 8) == pytest.approx(0.024)
    assert stats.agresti_caffo_variance(0, 8) == pytest.approx(0.009)


def test_difference_in_differences_matches_hand_computation() -> None:
    # (20/100 - 30/100) - (30/100 - 30/100) = -0.1. Agresti-Caffo variances: 31/102 * 71/102 / 102
    # = 0.0020741 (three times) and 21/102 * 81/102 / 102 = 0.0016029; sum 0.0078252,
    # se = 0.088460, 1.96 * se = 0.17338: -0.2734 to 0.0734; z = 1.1305, p = 0.2583.
    est, low, high, p = stats.difference_in_differences([(30, 100, 20, 100), (30, 100, 30, 100)])
    assert est == pytest.approx(-0.1)
    assert (low, high, p) == (close(-0.2734), close(0.0734), close(0.2583))


def test_difference_in_differences_panel_terms_narrow_the_interval_down_to_the_floor() -> None:
    groups = [(30, 100, 20, 100), (30, 100, 30, 100)]
    _, low, high, _ = stats.difference_in_differences(groups, panel_terms=(0.002, 0.002))
    # variance 0.0078252 - 0.004 = 0.0038252, se = 0.061848, 1.96 * se = 0.12122
    assert (low, high) == (close(-0.2212), close(0.0212))
    _, low, high, _ = stats.difference_in_differences(groups, panel_terms=(1.0, 1.0))
    # floored at 5 % of 0.0078252 = 0.00039126, se = 0.019780, 1.96 * se = 0.038769
    assert (low, high) == (close(-0.1388), close(-0.0612))


def test_difference_in_differences_bootstrap_is_reproducible_and_near_the_analytic_interval() -> None:
    groups = [(30, 100, 20, 100), (30, 100, 30, 100)]
    first = stats.difference_in_differences(groups, ci_method="bootstrap", rng=np.random.default_rng(1))
    again = stats.difference_in_differences(groups, ci_method="bootstrap", rng=np.random.default_rng(1))
    assert first == again
    # independent binomial draws: se = sqrt(4 p(1-p)/n-ish) = 0.0866 by hand (p = 0.2, 0.3),
    # so the percentile interval lies near -0.1 -/+ 0.17
    assert first[1] == pytest.approx(-0.27, abs=0.02)
    assert first[2] == pytest.approx(0.07, abs=0.02)
    with pytest.raises(ValueError, match="ci_method"):
        stats.difference_in_differences(groups, ci_method="jackknife")


def test_paired_change_without_panel_is_newcombe_and_with_panel_is_wald() -> None:
    # Newcombe (1998), Table II, example (a): 56/70 - 48/80, 0.0524 to 0.3339
    est, low, high, _ = stats.paired_change((48, 80, 56, 70))
    assert (est, low, high) == (pytest.approx(0.2), close(0.0524), close(0.3339))
    # with a panel term of 0.002: Agresti-Caffo variances 49/82 * 33/82 / 82 = 0.0029329 and
    # 57/72 * 15/72 / 72 = 0.0022907, sum 0.0052236 - 0.002 = 0.0032236, se = 0.056777,
    # 1.96 * se = 0.11128: 0.0887 to 0.3113
    est, low, high, _ = stats.paired_change((48, 80, 56, 70), 0.002)
    assert (est, low, high) == (pytest.approx(0.2), close(0.0887), close(0.3113))


def test_paired_covariance_term_by_hand() -> None:
    # before 1, 1, 0, 0 and after 1, 1, 0, 1: means 0.5 and 0.75, sample covariance
    # (0.125 + 0.125 + 0.375 - 0.125) / 3 = 0.16667; 2 * 4 * 0.16667 / (10 * 10) = 0.013333
    assert stats.paired_covariance_term([1, 1, 0, 0], [1, 1, 0, 1], 10, 10) == close(0.013333, 6)
    assert stats.paired_covariance_term([1], [1], 10, 10) == 0.0


def test_poststratified_change_by_hand() -> None:
    # strata of 50 and 50 before (10 and 30 with the outcome), 20 and 80 after (5 and 40):
    # before 40/100 = 0.4, after 45/100 = 0.45, reweighted 0.5 * 0.25 + 0.5 * 0.5 = 0.375.
    # variance after 0.25 * 0.25 * 0.75 / 20 + 0.25 * 0.5 * 0.5 / 80 = 0.003125, before
    # 0.4 * 0.6 / 100 = 0.0024; se = sqrt(0.005525) = 0.074330, 1.96 * se = 0.14569:
    # -0.1707 to 0.1207; z = 0.025 / 0.074330 = 0.3363, p = 0.7366.
    change = stats.poststratified_change([10, 30], [50, 50], [5, 40], [20, 80])
    assert (change.before, change.after, change.after_reweighted) == pytest.approx((0.4, 0.45, 0.375))
    assert change.diff == pytest.approx(-0.025)
    assert (change.ci_low, change.ci_high, change.p_value) == (close(-0.1707), close(0.1207), close(0.7366))


# --------------------------------------------------------------------------- pooling

# BCG vaccine trials (Colditz GA et al. 1994, JAMA 271:698-702): tuberculosis cases and
# non-cases among vaccinated (tpos, tneg) and unvaccinated (cpos, cneg) in 13 trials.
COLDITZ_1994_BCG = [
    (4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def test_dersimonian_laird_matches_the_bcg_meta_analysis() -> None:
    # Log risk ratios and their variances (1/a - 1/(a+b) + 1/c - 1/(c+d)), pooled with the DL
    # estimator. Published results: Viechtbauer W (2010), Conducting meta-analyses in R with the
    # metafor package, J Stat Softw 36(3), the random-effects model of dat.bcg with method="DL",
    # checked in metafor's test suite against Stata's metan (tests/testthat/
    # test_misc_metan_vs_rma.uni_with_dat.bcg.r): estimate -0.7141 (95 % CI -1.0644 to
    # -0.3638), tau^2 0.3088, I^2 92.1173 %, Q 152.2330 on 12 degrees of freedom.
    yi = [math.log((a / (a + b)) / (c / (c + d))) for a, b, c, d in COLDITZ_1994_BCG]
    vi = [1 / a - 1 / (a + b) + 1 / c - 1 / (c + d) for a, b, c, d in COLDITZ_1994_BCG]
    pooled = stats.dersimonian_laird(yi, vi)
    assert pooled.estimate == close(-0.7141)
    assert (pooled.ci_low, pooled.ci_high) == (close(-1.0644), close(-0.3638))
    assert pooled.tau2 == close(0.3088)
    assert pooled.i2 * 100 == close(92.1173)
    assert (pooled.q, pooled.df) == (close(152.2330), 12)
    assert sum(pooled.weights) == pytest.approx(1 / pooled.se**2)


def test_dersimonian_laird_by_hand_and_edge_cases() -> None:
    # Estimates 0.1 and 0.4 with variances 0.01 and 0.04: w = 100 and 25, fixed mean
    # (10 + 10) / 125 = 0.16, Q = 100 * 0.06^2 + 25 * 0.24^2 = 0.36 + 1.44 = 1.8 on 1 df,
    # C = 125 - (10000 + 625) / 125 = 40, tau2 = 0.8 / 40 = 0.02; weights 1/0.03 and 1/0.06,
    # pooled (0.1 / 0.03 + 0.4 / 0.06) / (1/0.03 + 1/0.06) = 10 / 50 = 0.2, se sqrt(1/50).
    pooled = stats.dersimonian_laird([0.1, 0.4], [0.01, 0.04])
    assert pooled.tau2 == pytest.approx(0.02)
    assert pooled.estimate == pytest.approx(0.2)
    assert pooled.se == pytest.approx(math.sqrt(1 / 50))
    assert pooled.i2 == pytest.approx(0.8 / 1.8)
    single = stats.dersimonian_laird([0.3], [0.02])
    assert (single.estimate, single.tau2, single.df, single.se) == (0.3, 0.0, 0, pytest.approx(math.sqrt(0.02)))
    with pytest.raises(ValueError, match="above 0"):
        stats.dersimonian_laird([0.1, 0.2], [0.01, 0.0])
    with pytest.raises(ValueError, match="equal length"):
        stats.dersimonian_laird([0.1, 0.2], [0.01])


def test_normal_posterior_by_hand() -> None:
    # prior 0.065 with variance 0.0004 (precision 2500), estimate -0.05 with variance 0.01
    # (precision 100): mean (162.5 - 5) / 2600 = 0.060577, variance 1 / 2600.
    mean, variance = stats.normal_posterior(0.065, 0.0004, -0.05, 0.01)
    assert mean == pytest.approx(157.5 / 2600)
    assert variance == pytest.approx(1 / 2600)


# --------------------------------------------------------------------------- precision

def test_published_precision() -> None:
    assert stats.round_share(2 / 3) == 0.666667
    assert stats.round_share(float("inf")) is None
    assert stats.round_p(0.0123456) == 0.01235
    assert stats.round_p(float("nan")) is None
    assert stats.Z == close(1.959964, 6)


@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.8, 0.99, 0.5])
def test_the_normal_quantile_is_scipys_to_the_last_bit(confidence: float) -> None:
    # 0.95 is kept as a number (no SciPy to load for it): it must be the very double SciPy gives
    assert stats.z_value(confidence) == float(scipy_stats.norm.ppf(0.5 + confidence / 2))


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(stats)
    assert result.attempted > 10
    assert result.failed == 0
