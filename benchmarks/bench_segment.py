"""Time the segmentation stage at national scale: 500,000 respondents, as one table and as 357
municipalities (sizes drawn to resemble Norway's municipal workforce: many small, a few large).

Run: ``.venv/bin/python benchmarks/bench_segment.py [--n 500000] [--municipalities 357]
[--resamples 5] [--compare] [--export FILE]``. ``--compare`` also runs the method comparison
reported in docs/segmentation.md (planted segments: adjusted Rand index against the truth, per
method). ``--export`` times the stage per municipality of a benchmark export instead (a file that
``benchmarks/run.py`` generated, split into municipalities as it splits them): the smallest with at
least 50 respondents, the median and the largest, and all of them in a row.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from segment_fixtures import planted_table

from grontur import segment


def municipality_sizes(n: int, count: int, seed: int = 0) -> np.ndarray:
    """Log-normal sizes summing to ``n``; the largest near a tenth of the total (Oslo-like)."""
    rng = np.random.default_rng(seed)
    raw = np.sort(rng.lognormal(mean=0.0, sigma=1.3, size=count))[::-1]
    sizes = np.maximum(np.floor(raw / raw.sum() * n).astype(int), 20)
    sizes[0] += n - sizes.sum()
    return sizes


def bench(n: int, count: int, resamples: int) -> None:
    t0 = time.perf_counter()
    table, _ = planted_table(n, n_segments=6, seed=1)
    sizes = municipality_sizes(n, count)
    table["municipality"] = np.repeat([f"m{i:03d}" for i in range(count)], sizes)
    print(f"generated {n:,} respondents in {time.perf_counter() - t0:.1f} s; "
          f"municipalities: {count}, sizes {sizes.min()}-{sizes.max()} (median {int(np.median(sizes))}), "
          f"{int((sizes < segment.SMALL_THRESHOLD).sum())} below {segment.SMALL_THRESHOLD}")

    t0, c0 = time.perf_counter(), time.process_time()
    result = segment.segment_respondents(table, n_resamples=resamples)
    one, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"one table of {n:,}: {one:.2f} s wall, {cpu:.2f} s CPU -> {result.quality['n_segments']} segments, "
          f"silhouette {result.quality['silhouette']}, stability {result.quality['stability_ari']}")

    t0, c0 = time.perf_counter(), time.process_time()
    timings = []
    for _, part in table.groupby("municipality", sort=True):
        t1 = time.perf_counter()
        segment.segment_respondents(part, n_resamples=resamples)
        timings.append(time.perf_counter() - t1)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    timings_ms = np.asarray(timings) * 1000
    print(f"{count} municipalities: {total:.2f} s wall, {cpu:.2f} s CPU in all; per municipality median "
          f"{np.median(timings_ms):.1f} ms, max {timings_ms.max():.1f} ms")


def bench_export(path: Path, resamples: int, repeats: int = 10) -> None:
    """CPU milliseconds of ``segment_respondents`` per municipality of a benchmark export, called
    as the analysis calls it (with the run's publication gate, which decides later)."""
    from run import _parts

    from grontur.publish import Ledger
    from grontur.schema import seasons_in

    parts, rows = _parts(path)
    tables = sorted((part.table for _, part in parts), key=len)

    def once(table: pd.DataFrame) -> float:
        c0 = time.process_time()
        segment.segment_respondents(table, k=5, random_state=0, n_resamples=resamples,
                                    ledger=Ledger(len(table), 5), seasons_asked=seasons_in(table))
        return time.process_time() - c0

    small = next((table for table in tables if len(table) >= 50), tables[-1])
    for name, table in (("smallest of 50 or more", small), ("median", tables[len(tables) // 2]),
                        ("largest", tables[-1])):
        once(table)  # caches warm
        best = min(once(table) for _ in range(repeats))
        print(f"{name} municipality ({len(table):,} respondents): {best * 1000:.1f} ms CPU (best of {repeats})")
    total = sum(once(table) for table in tables)
    print(f"all {len(tables)} municipalities ({rows:,} respondents): {total:.2f} s CPU")


def compare(seeds: range = range(10, 15), n: int = 1200) -> None:
    """Adjusted Rand index against planted truth for the methods tried (docs/segmentation.md)."""
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    rows = []
    for n_segments in (4, 5, 6):
        for seed in seeds:
            table, truth = planted_table(n, n_segments=n_segments, seed=seed)
            blocks = segment.habit_features(table)
            model = segment.HabitSegmenter(n_resamples=0)
            model._learn_scaling(blocks)
            X = model._matrix(blocks)
            record = {"planted": n_segments, "seed": seed}
            # A: chosen method (PCA + k-means, k by simplified silhouette, 3..8)
            t0 = time.perf_counter()
            fitted = segment.HabitSegmenter(n_resamples=0).fit(table)
            record["pca_kmeans_k"] = fitted.n_segments_
            record["pca_kmeans_ari"] = adjusted_rand_score(truth, fitted.labels_)
            record["pca_kmeans_s"] = time.perf_counter() - t0
            # B: k-means on the full weighted one-hot space, k by exact silhouette
            t0 = time.perf_counter()
            best = max(
                ((silhouette_score(X, lab := KMeans(k, n_init=3, random_state=0).fit_predict(X)), k, lab)
                 for k in range(3, 9)), key=lambda item: item[0])
            record["full_kmeans_k"] = best[1]
            record["full_kmeans_ari"] = adjusted_rand_score(truth, best[2])
            record["full_kmeans_s"] = time.perf_counter() - t0
            # C: Gower distance + average-linkage agglomerative clustering, k by silhouette
            t0 = time.perf_counter()
            D = gower(table)
            best = max(
                ((silhouette_score(D, lab := AgglomerativeClustering(k, metric="precomputed", linkage="average")
                                   .fit_predict(D), metric="precomputed"), k, lab) for k in range(3, 9)),
                key=lambda item: item[0])
            record["gower_avg_k"] = best[1]
            record["gower_avg_ari"] = adjusted_rand_score(truth, best[2])
            record["gower_avg_s"] = time.perf_counter() - t0
            # D: Gower + agglomerative at the true k (upper bound of that method)
            lab = AgglomerativeClustering(n_segments, metric="precomputed", linkage="average").fit_predict(D)
            record["gower_avg_true_k_ari"] = adjusted_rand_score(truth, lab)
            rows.append(record)
    frame = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(frame.round(3).to_string(index=False))
    print(frame.drop(columns=["seed"]).groupby("planted").mean().round(3).to_string())
    print(frame.drop(columns=["seed", "planted"]).agg(["mean", "min"]).round(3).to_string())


def gower(table: pd.DataFrame) -> np.ndarray:
    """Gower distance (Gower 1971) over the raw habit and barrier answers, equal variable weights."""
    blocks = segment.habit_features(table)
    n = len(table)
    total = np.zeros((n, n))
    count = 0
    for name in ("log_distance", "days_on_site"):
        x = blocks[name][:, 0]
        x = np.where(np.isnan(x), np.nanmedian(x), x)
        span = np.ptp(x) or 1.0
        total += np.abs(x[:, None] - x[None, :]) / span
        count += 1
    for name in ("mode_summer", "mode_winter", "parking_at_work"):
        codes = blocks[name].argmax(axis=1) + (blocks[name].sum(axis=1) > 0)
        total += codes[:, None] != codes[None, :]
        count += 1
    for flag in segment.FLAGS:
        x = np.nan_to_num(blocks[flag][:, 0], nan=0.5)
        total += np.abs(x[:, None] - x[None, :])
        count += 1
    for name in ("barriers", "would_consider"):
        hot = blocks[name]
        inter = hot @ hot.T
        union = hot.sum(axis=1)[:, None] + hot.sum(axis=1)[None, :] - inter
        total += np.where(union > 0, 1.0 - inter / np.maximum(union, 1), 0.0)  # Jaccard
        count += 1
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--municipalities", type=int, default=357)
    parser.add_argument("--resamples", type=int, default=5)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--export", type=Path, help="a benchmark export to time per municipality instead")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.export is not None:
        bench_export(args.export, args.resamples)
        return
    bench(args.n, args.municipalities, args.resamples)
    if args.compare:
        compare()


if __name__ == "__main__":
    main()
