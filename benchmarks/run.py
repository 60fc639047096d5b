"""Measure grontur at 1,000 to 500,000 respondents: stage by stage and end to end.

Each measurement runs in a fresh Python process, so one stage's memory peak cannot hide
another's. Inside that process the clock starts after the modules are imported and the inputs
are loaded, and stops when the stage returns. Peak memory is the resident set size of the
measuring process and its worker processes together, sampled every 50 ms from ``/proc``, both as
the resident set (RSS, which counts a page shared by the parent and its forked workers once in
each) and as the proportional set size (PSS from ``/proc/<pid>/smaps_rollup``, which shares such a
page out among them, so the sum over the processes is the memory the run really takes);
``ru_maxrss`` of the process and of its children is reported as well.

Stages (all municipalities of the file, one after the other in one process, unless noted):

``read_csv``      a bare ``pandas.read_csv`` of the file (the yardstick for read-and-clean)
``read_clean``    ``grontur.importing.import_survey``: read, strip identifiers, map, clean
``enrich``        context, ``describe``, ``emissions``, ``potential`` per municipality
``segment``       ``segment.segment_respondents`` per municipality
``rank``          ``rank.rank_measures`` and ``anchoring.build_plan`` per municipality
``analyse``       ``pipeline.analyse_imported`` per municipality, one process (all analysis stages;
                  no figure: they are drawn only when a report that shows them is written); the
                  CPU seconds of each municipality, fitted by least squares to
                  ``fixed + per_row * rows``, give the fixed cost of a municipality
``end_to_end``    import plus ``pipeline.analyse_many`` with ``--jobs`` processes, no rendering
``end_to_end_geo`` the same with a project per municipality that has a town-hall workplace and the
                  postcode list and municipality boundaries as geodata, so distances are estimated
                  from postcodes and home areas are mapped (needs ``--postcodes``; by default the
                  Erik Bolstad list in ``../shared/data/geo`` when it is there)
``render_one``    the largest municipality analysed and written as HTML, DOCX and XLSX
``minimal``       ``benchmarks/minimal.py``: the same core aggregates in plain pandas and one k-means
                  per municipality, the yardstick of the whole analysis (end_to_end's ratio to it)
``analyse_cli``   the whole ``grontur analyse`` command (start-up included) writing HTML, DOCX and
                  XLSX, on the files of one municipality (1,000 respondents), grontur's modules
                  byte-compiled first as an installed package has them

Usage::

    python benchmarks/run.py                       # all sizes: 1,000 10,000 100,000 500,000
    python benchmarks/run.py --sizes 1000 10000    # a quick run
    python benchmarks/run.py --stages read_csv read_clean --sizes 500000

The table is printed and written to ``benchmarks/results/latest.md``. Generated surveys are
kept in ``--workdir`` (default: a ``grontur-bench`` folder in the temporary directory).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
SIZES = (1_000, 10_000, 100_000, 500_000)
STAGES = ("read_csv", "minimal", "read_clean", "enrich", "segment", "rank", "analyse", "end_to_end",
          "end_to_end_geo", "render_one", "analyse_cli")
SHARED_GEO = ROOT.parent / "shared" / "data" / "geo"
POSTCODES = SHARED_GEO / "postnummer_erikbolstad_2023.csv"
BOUNDARIES = SHARED_GEO / "kommuner2024_S_robhop.geojson"
RESULTS = HERE / "results" / "latest.md"
MB = 1024 * 1024

# Budgets (docs/performance.md, issue 21): seconds, megabytes (PSS) and ratios.
BUDGET_CLI_1K = 1.5
BUDGET_ANALYSE_1K = 1.0
BUDGET_NATIONAL = 15.0
BUDGET_NATIONAL_MB = 1536
BUDGET_READ_RATIO = 2.5
BUDGET_MINIMAL_RATIO = 4.0
BUDGET_FIXED_MS = 15.0


# ---------------------------------------------------------------------------------------------
# memory: the process tree's resident set, sampled

def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux ``/proc``; 0 elsewhere)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def _tree_pss(pid: int) -> int:
    """Proportional set size in bytes of ``pid`` and all its descendants (``smaps_rollup``; 0 elsewhere).

    A page shared by n processes counts 1/n in each, so forked workers that share the parent's
    pages are not counted again, as they are in the RSS sum.
    """
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:")) * 1024
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError, StopIteration):
            continue
    return total


class PeakSampler:
    """Samples the tree RSS and PSS of this process in a background thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(pid))
            self.peak_pss = max(self.peak_pss, _tree_pss(pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(os.getpid()))
        self.peak_pss = max(self.peak_pss, _tree_pss(os.getpid()))


# ---------------------------------------------------------------------------------------------
# the measuring process (``run.py --worker STAGE``)

def _imported(path: Path) -> Any:
    """The imported survey, cached next to the file as a pickle (made by the read_clean stage)."""
    import pickle

    cache = path.with_suffix(".imported.pkl")
    if cache.exists() and cache.stat().st_mtime >= path.stat().st_mtime:
        with cache.open("rb") as handle:
            return pickle.load(handle)
    from grontur.importing import import_survey

    imported = import_survey(path)
    with cache.open("wb") as handle:
        pickle.dump(imported, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return imported


def _parts(path: Path) -> tuple[list[tuple[Any, Any]], int]:
    """(project, part) per municipality, and the number of rows analysed."""
    from grontur.config import project_for
    from grontur.pipeline import _split_by_municipality

    imported = _imported(path)
    parts, _ = _split_by_municipality(imported)
    run_date = dt.date(2026, 11, 29)
    out = [(project_for(number).with_overrides(run_date=run_date), part) for number, part in parts.items()]
    return out, len(imported.table)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Clock:
    """Wall and CPU seconds (this process and its reaped workers) since creation."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), _cpu()

    def read(self) -> dict[str, float]:
        return {"seconds": time.perf_counter() - self.wall, "cpu_seconds": _cpu() - self.cpu}


def _stage(stage: str, path: Path, jobs: int, scratch: Path, geodata: tuple[Path | None, Path | None] = (None, None)
           ) -> dict[str, Any]:
    """Set up (untimed), then time one stage. Returns seconds and facts about the work done."""
    import pandas as pd

    from grontur import (
        anchoring,
        describe,
        emissions,
        pipeline,
        potential,
        rank,
        segment,
    )
    from grontur import catalogue as catalogue_mod
    from grontur import evidence as evidence_mod
    from grontur.publish import Ledger

    info: dict[str, Any] = {}
    if stage == "minimal":
        import minimal

        clock = Clock()
        done = minimal.analyse(path)
        return {**clock.read(), "rows": done["rows"], "municipalities": done["municipalities"]}
    if stage == "analyse_cli":
        import shutil

        numbers = pd.read_csv(path, usecols=["municipality"], dtype=str)["municipality"].dropna().unique()
        if len(numbers) != 1:
            msg = f"analyse_cli needs a file of one municipality, not {len(numbers)}"
            raise SystemExit(msg)
        out = scratch / "analyse_cli"
        shutil.rmtree(out, ignore_errors=True)
        # as installed: pip byte-compiles a package's modules, so a run reads them compiled; a
        # checkout run with PYTHONDONTWRITEBYTECODE would compile every module on every run
        import compileall

        import grontur

        compileall.compile_dir(Path(grontur.__file__).parent, quiet=1)
        command = [sys.executable, "-m", "grontur", "analyse", str(path), "--kommune", str(numbers[0]), "--out",
                   str(out), "--run-date", "2026-11-29", "--format", "html", "--format", "docx", "--format", "xlsx"]
        clock = Clock()
        subprocess.run(command, check=True, capture_output=True)
        return {**clock.read(), "rows": int(pd.read_csv(path, usecols=["municipality"]).shape[0]), "municipalities": 1}
    if stage == "read_csv":
        clock = Clock()
        frame = pd.read_csv(path)
        timed = clock.read()
        return {**timed, "rows": len(frame)}
    if stage == "read_clean":
        from grontur.importing import import_survey

        clock = Clock()
        imported = import_survey(path)
        timed = clock.read()
        import pickle

        with path.with_suffix(".imported.pkl").open("wb") as handle:
            pickle.dump(imported, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return {**timed, "rows": imported.account["input_rows"], "kept": imported.account["kept"]}
    if stage in ("end_to_end", "end_to_end_geo"):
        from grontur.importing import import_survey

        clock = Clock()
        imported = import_survey(path)
        imported_at = clock.read()["seconds"]
        projects = None
        if stage == "end_to_end_geo":
            from generate import national_projects

            postcodes, boundaries = geodata
            if postcodes is None:
                msg = "no postcode list: give --postcodes"
                raise SystemExit(msg)
            numbers = sorted(str(n) for n in imported.table["municipality"].dropna().unique())
            projects = national_projects(numbers, postcodes=postcodes, boundaries=boundaries,
                                         run_date=dt.date(2026, 11, 29))
        many = pipeline.analyse_many(imported, projects=projects, jobs=jobs, run_date=dt.date(2026, 11, 29))
        timed = clock.read()
        slowest = max(many.seconds.items(), key=lambda item: item[1]) if many.seconds else ("", 0.0)
        return {**timed, "import_seconds": round(imported_at, 2), "rows": imported.account["input_rows"],
                "municipalities": len(many.results),
                "failed": len(many.failed), "slowest": f"{slowest[0]} {slowest[1]:.2f} s"}

    parts, rows = _parts(path)
    info.update(rows=rows, municipalities=len(parts))
    catalogue = catalogue_mod.load_catalogue()
    records = list(evidence_mod.load_evidence())
    if stage == "render_one":
        project, part = max(parts, key=lambda item: len(item[1].table))
        import matplotlib

        matplotlib.use("Agg")
        clock = Clock()
        analysis = pipeline.analyse_imported(part, project=project, catalogue=catalogue, evidence=records)
        analysed = clock.read()
        pipeline.write_analysis(analysis, scratch / "render_one", lang=project.language, formats=("html", "docx", "xlsx"))
        return {**clock.read(), "rows": len(part.table), "municipalities": 1,
                "analysis_seconds": round(analysed["seconds"], 3), "analysis_cpu_seconds": round(analysed["cpu_seconds"], 3)}
    if stage == "analyse":
        clock = Clock()
        each: list[tuple[int, float]] = []
        gate: list[tuple[int, float]] = []
        with _gate_clock() as in_gate:
            for project, part in parts:
                started, gated = time.process_time(), in_gate[0]
                pipeline.analyse_imported(part, project=project, catalogue=catalogue, evidence=records,
                                          draw_figures=False)
                each.append((len(part.table), time.process_time() - started))
                gate.append((len(part.table), in_gate[0] - gated))
        timed = clock.read()
        rest = [(rows, seconds - gated) for (rows, seconds), (_, gated) in zip(each, gate)]
        return {**timed, **info, **fixed_cost(each), **fixed_cost(gate, prefix="gate_"),
                **fixed_cost(rest, prefix="rest_")}

    prepared = []
    for project, part in parts:
        table = part.table.copy()
        context = pipeline.build_context(project, table)
        prepared.append((project, table, context))
    # The stages register their counts with a ledger of their municipality that is never decided,
    # as in the analysis, where one gate decides for all of them (timed in the analyse stage): a
    # stage given no ledger would run a gate of its own over its own counts.
    if stage == "enrich":
        clock = Clock()
        for project, table, context in prepared:
            ledger = Ledger(len(table), project.k)
            describe.describe(table, k=project.k, employees=project.employees, ledger=ledger)
            emission = emissions.compute_emissions(table, k=project.k, employees=project.employees)
            emission.section(ledger)
            potential.compute_potential(table, emissions=emission, k=project.k,
                                        transit_service=context["transit_service"]).section(ledger)
        return {**clock.read(), **info}
    if stage == "segment":
        clock = Clock()
        for project, table, _ in prepared:
            segment.segment_respondents(table, k=project.k, random_state=0, ledger=Ledger(len(table), project.k))
        return {**clock.read(), **info}
    if stage == "rank":
        inputs = []
        for project, table, context in prepared:
            emission = emissions.compute_emissions(table, k=project.k, employees=project.employees)
            switching = potential.compute_potential(table, emissions=emission, k=project.k,
                                                    transit_service=context["transit_service"])
            ledger = Ledger(len(table), project.k)
            segmented = segment.segment_respondents(table, k=project.k, random_state=0, ledger=ledger)
            table["segment"] = segmented.labels.reindex(table.index)
            inputs.append((project, table, context, emission, switching, segmented, ledger))
        clock = Clock()
        for project, table, context, emission, switching, segmented, ledger in inputs:
            ranking = rank.rank_measures(table, catalogue=catalogue, segments=segmented, emissions=emission,
                                         potential=switching, context=context,
                                         weights=dict(project.weights) or None, evidence=records,
                                         k=project.k, lang=project.language, ledger=ledger)
            anchoring.build_plan(ranking, catalogue=catalogue, start=dt.date(2027, 1, 4), lang=project.language)
        return {**clock.read(), **info}
    msg = f"unknown stage {stage!r}"
    raise SystemExit(msg)


def fixed_cost(each: list[tuple[int, float]], *, prefix: str = "") -> dict[str, float]:
    """The least-squares line ``CPU seconds = fixed + per_row * rows`` through the municipalities
    of one run: the fixed cost of a municipality, the cost of each 1,000 respondents and the CPU
    seconds of all (keys after ``prefix``: ``gate_`` for the publication gate's part, ``rest_``
    for the rest)."""
    if len({rows for rows, _ in each}) < 2:
        return {}
    import numpy as np

    rows = np.array([r for r, _ in each], dtype=float)
    seconds = np.array([s for _, s in each], dtype=float)
    slope, intercept = np.polyfit(rows, seconds, 1)
    return {f"{prefix}fixed_ms": round(float(intercept) * 1000, 1),
            f"{prefix}ms_per_1000_rows": round(float(slope) * 1e6, 1),
            f"{prefix}smallest_ms": round(float(seconds[rows.argmin()]) * 1000, 1),
            f"{prefix}total_cpu_seconds": round(float(seconds.sum()), 2)}


@contextlib.contextmanager
def _gate_clock() -> Iterator[list[float]]:
    """CPU seconds spent in the publication gate (``Ledger.decide``) while the block runs: the
    list's one number grows with each decision. The analysis is timed as it runs; only the gate's
    share of it is read off."""
    from grontur import publish

    spent = [0.0]
    decide = publish.Ledger.decide

    def timed(ledger: publish.Ledger) -> publish.Publication:
        started = time.process_time()
        try:
            return decide(ledger)
        finally:
            spent[0] += time.process_time() - started

    publish.Ledger.decide = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        publish.Ledger.decide = decide  # type: ignore[method-assign]


def worker(stage: str, path: Path, jobs: int, scratch: Path, geodata: tuple[Path | None, Path | None]) -> None:
    """Entry of the measuring process: one JSON line on stdout."""
    import logging

    logging.disable(logging.CRITICAL)
    import_started = time.perf_counter()
    import pandas  # noqa: F401  (module import cost is not part of any stage)

    import grontur.pipeline  # noqa: F401

    startup = time.perf_counter() - import_started
    if stage == "analyse_cli":
        # timed without the sampler: reading the memory maps of the command's five processes every
        # 50 ms takes about 0.2 CPU s, some 70 ms of its wall time on two cores; the memory is
        # taken from a second run of the same command
        measured = _stage(stage, path, jobs, scratch, geodata)
        with PeakSampler() as sampler:
            _stage(stage, path, jobs, scratch, geodata)
    else:
        with PeakSampler() as sampler:
            measured = _stage(stage, path, jobs, scratch, geodata)
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    measured.update(
        peak_mb=round(sampler.peak / MB, 1),
        peak_pss_mb=round(sampler.peak_pss / MB, 1),
        maxrss_self_mb=round(self_usage.ru_maxrss / 1024, 1),
        maxrss_children_mb=round(children.ru_maxrss / 1024, 1),
        startup_seconds=round(startup, 2),
    )
    print(json.dumps(measured))


# ---------------------------------------------------------------------------------------------
# the driver

def measure(stage: str, path: Path, *, jobs: int, scratch: Path, timeout: float,
            geodata: tuple[Path | None, Path | None] = (None, None)) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", stage, "--path", str(path),
               "--jobs", str(jobs), "--workdir", str(scratch)]
    for option, value in zip(("--postcodes", "--boundaries"), geodata):
        if value is not None:
            command += [option, str(value)]
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "MPLBACKEND": "Agg",
           # pseudonym keys and release logs of the measured runs stay in the scratch folder
           "GRONTUR_DATA_DIR": str(Path(scratch) / "grontur-data")}
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last[:160]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    return result


def machine() -> dict[str, str]:
    import numpy
    import pandas

    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "grontur"],
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    with open("/proc/meminfo") if Path("/proc/meminfo").exists() else open(os.devnull) as handle:
        mem = next((line.split()[1] for line in handle if line.startswith("MemTotal")), "0")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "memory": f"{int(mem) / 1024 / 1024:.0f} GB",
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "commit": commit + (" (grontur/ has uncommitted changes)" if dirty else ""),
        "load": " ".join(f"{x:.1f}" for x in load),
    }


def _fmt_mb(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _fmt_seconds(value: float | None) -> str:
    return "" if value is None else (f"{value:.2f}" if value < 100 else f"{value:.0f}")


def table_markdown(rows: list[dict[str, Any]], info: dict[str, str], jobs: int) -> str:
    lines = [
        "# grontur benchmark: latest measured table",
        "",
        (f"Measured {info['date']} on {info['cores']} cores ({info['cpu']}, {info['memory']} RAM), "
         f"Python {info['python']}, pandas {info['pandas']}, NumPy {info['numpy']}; commit {info['commit']}; "
         f"load average at start {info['load']}. End to end uses {jobs} worker processes."),
        "",
        ("Seconds are wall time inside a fresh process after module imports (analyse_cli: the whole command, "
         "start-up included); peak RSS MB adds up the resident sets of the process and its workers, which counts "
         "pages the forked workers share with the parent again in each; peak PSS MB shares such pages out, so it is "
         "the memory the run really takes. Stages run over every municipality of the file, one after another "
         "in one process (end_to_end: import plus `analyse_many` over both cores); minimal is "
         "`benchmarks/minimal.py`, the yardstick of the whole analysis."),
        "",
        "| respondents | municipalities | stage | seconds | CPU s | peak RSS MB | peak PSS MB | note |",
        "|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        result = row["result"]
        if "error" in result:
            lines.append(f"| {row['size']:,} | | {row['stage']} | | | | | failed: {result['error']} |")
            continue
        notes = []
        if row["stage"] == "read_clean" and row.get("ratio") is not None:
            notes.append(f"{row['ratio']:.1f}x read_csv")
        if row["stage"] == "render_one":
            notes.append(f"{result['rows']:,} rows; analysis {result['analysis_seconds']:.2f} s "
                         f"(CPU {result['analysis_cpu_seconds']:.2f} s)")
        if row["stage"] in ("end_to_end", "end_to_end_geo"):
            if row.get("ratio_minimal") is not None:
                notes.append(f"{row['ratio_minimal']:.1f}x minimal")
            notes.append(f"import {result['import_seconds']:.1f} s; slowest municipality {result.get('slowest', '')}")
            if result.get("failed"):
                notes.append(f"{result['failed']} failed")
        if row["stage"] == "analyse" and result.get("municipalities"):
            notes.append(f"{result['seconds'] / result['municipalities'] * 1000:.0f} ms per municipality")
            if result.get("fixed_ms") is not None:
                notes.append(f"CPU per municipality {result['fixed_ms']:.0f} ms + {result['ms_per_1000_rows']:.0f} ms "
                             f"per 1,000 respondents (least squares); smallest {result['smallest_ms']:.0f} ms")
            if result.get("gate_fixed_ms") is not None:
                notes.append(f"of it the publication gate {result['gate_fixed_ms']:.0f} ms + "
                             f"{result['gate_ms_per_1000_rows']:.0f} ms ({result['gate_total_cpu_seconds']:.1f} CPU s), "
                             f"the rest {result['rest_fixed_ms']:.0f} ms + {result['rest_ms_per_1000_rows']:.0f} ms "
                             f"({result['rest_total_cpu_seconds']:.1f} CPU s)")
        lines.append(f"| {row['size']:,} | {result.get('municipalities', '')} | {row['stage']} | "
                     f"{_fmt_seconds(result['seconds'])} | {_fmt_seconds(result['cpu_seconds'])} | "
                     f"{result['peak_mb']:.0f} | {_fmt_mb(result.get('peak_pss_mb'))} | {'; '.join(notes)} |")
    lines += growth_markdown(rows)
    lines += ["", "## Budget", "", "| budget | measured | verdict |", "|---|---:|---|"]
    for name, measured, limit in budget_checks(rows):
        verdict = "n/a" if measured is None else ("within" if measured <= limit else "OVER")
        shown = "" if measured is None else f"{measured:.2f}"
        lines.append(f"| {name} | {shown} | {verdict} |")
    lines.append("")
    return "\n".join(lines)


def growth_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """End-to-end time by size relative to the smallest, and the stage that costs most CPU."""
    sizes = sorted({row["size"] for row in rows})
    e2e = [(size, _result(rows, size, "end_to_end")) for size in sizes]
    e2e = [(size, result) for size, result in e2e if result]
    lines: list[str] = []
    if e2e:
        base_size, base = e2e[0]
        lines += ["", "## Growth", "",
                  f"End to end relative to {base_size:,} respondents (linear growth would equal the size ratio).", "",
                  "| respondents | size ratio | seconds | time ratio | CPU s | CPU ratio | CPU ms per 1,000 respondents |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        for size, result in e2e:
            lines.append(f"| {size:,} | {size / base_size:.0f} | {_fmt_seconds(result['seconds'])} | "
                         f"{result['seconds'] / base['seconds']:.1f} | {_fmt_seconds(result['cpu_seconds'])} | "
                         f"{result['cpu_seconds'] / max(base['cpu_seconds'], 1e-9):.1f} | "
                         f"{result['cpu_seconds'] / size * 1e6:.0f} |")
    largest = sizes[-1] if sizes else None
    found = {stage: _result(rows, largest, stage) for stage in ("read_clean", "enrich", "segment", "rank")}
    stages = {stage: result["cpu_seconds"] for stage, result in found.items() if result}
    analysed = _result(rows, largest, "analyse")
    if analysed is not None and "gate_total_cpu_seconds" in analysed:  # (the stages above register, the gate decides)
        stages["publication gate"] = analysed["gate_total_cpu_seconds"]
    if stages:
        total = sum(stages.values())
        top = max(stages, key=lambda stage: stages[stage])
        shares = ", ".join(f"{stage} {cpu / total:.0%}" for stage, cpu in stages.items())
        lines += ["", f"Dominant stage at {largest:,} respondents: **{top}** (share of CPU: {shares})."]
    return lines


def _result(rows: list[dict[str, Any]], size: int, stage: str) -> dict[str, Any] | None:
    for row in rows:
        if row["size"] == size and row["stage"] == stage and "error" not in row["result"]:
            return row["result"]
    return None


def _pss(result: dict[str, Any] | None) -> float | None:
    """Peak PSS of a result (RSS for a result measured before PSS was sampled)."""
    if result is None:
        return None
    return result.get("peak_pss_mb", result["peak_mb"])


def budget_checks(rows: list[dict[str, Any]]) -> list[tuple[str, float | None, float]]:
    render = _result(rows, 1_000, "render_one")
    cli = _result(rows, 1_000, "analyse_cli")
    e2e = _result(rows, 500_000, "end_to_end")
    e2e_geo = _result(rows, 500_000, "end_to_end_geo")
    ratios = [(row["size"], row["ratio"]) for row in rows if row["stage"] == "read_clean" and row.get("ratio") is not None]
    largest = max(ratios) if ratios else None
    minimal = [(row["size"], row["ratio_minimal"]) for row in rows
               if row["stage"] == "end_to_end" and row.get("ratio_minimal") is not None]
    largest_minimal = max(minimal) if minimal else None
    fixed = [(row["size"], row["result"]["fixed_ms"]) for row in rows
             if row["stage"] == "analyse" and "fixed_ms" in row["result"]]
    largest_fixed = max(fixed) if fixed else None
    return [
        (f"1,000: grontur analyse with HTML, DOCX, XLSX (whole command) < {BUDGET_CLI_1K:g} s",
         cli["seconds"] if cli else None, BUDGET_CLI_1K),
        (f"1,000 analysis alone < {BUDGET_ANALYSE_1K:g} s", render["analysis_seconds"] if render else None,
         BUDGET_ANALYSE_1K),
        (f"500,000 over 357 municipalities, read to ranked < {BUDGET_NATIONAL:g} s",
         e2e["seconds"] if e2e else None, BUDGET_NATIONAL),
        (f"500,000 peak memory (PSS) < {BUDGET_NATIONAL_MB} MB", _pss(e2e), BUDGET_NATIONAL_MB),
        (f"the same with postcode geodata and maps computed < {BUDGET_NATIONAL:g} s",
         e2e_geo["seconds"] if e2e_geo else None, BUDGET_NATIONAL),
        (f"the same, peak memory (PSS) < {BUDGET_NATIONAL_MB} MB", _pss(e2e_geo), BUDGET_NATIONAL_MB),
        (f"whole analysis / minimal script <= {BUDGET_MINIMAL_RATIO:g}"
         + (f" (largest file, {largest_minimal[0]:,} rows)" if largest_minimal else ""),
         largest_minimal[1] if largest_minimal else None, BUDGET_MINIMAL_RATIO),
        (f"fixed CPU cost of a municipality (ms, least squares over municipality sizes) < {BUDGET_FIXED_MS:g}"
         + (f" ({largest_fixed[0]:,} rows)" if largest_fixed else ""), largest_fixed[1] if largest_fixed else None,
         BUDGET_FIXED_MS),
        (f"read-and-clean / read_csv <= {BUDGET_READ_RATIO:g}"
         + (f" (largest file, {largest[0]:,} rows)" if largest else ""), largest[1] if largest else None,
         BUDGET_READ_RATIO),
    ]


def summary_markdown(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    """The project README's table: wall seconds of each stage by size, then the budget."""
    sizes = sorted({row["size"] for row in rows})
    lines = [(f"Measured {info['date']} on {info['cores']} cores, commit {info['commit']}; wall seconds "
              "(peak PSS MB and the ratio to the minimal script for the end-to-end runs):"), "",
             "| stage | " + " | ".join(f"{size:,}" for size in sizes) + " |",
             "|---|" + "---:|" * len(sizes)]
    for stage in STAGES:
        cells = []
        for size in sizes:
            result = _result(rows, size, stage)
            cell = "" if result is None else _fmt_seconds(result["seconds"])
            if result is not None and stage.startswith("end_to_end"):
                cell += f" ({_pss(result):,.0f} MB)"
            row = next((row for row in rows if row["size"] == size and row["stage"] == stage), {})
            if row.get("ratio") is not None:
                cell += f" ({row['ratio']:.1f}x read_csv)"
            if row.get("ratio_minimal") is not None:
                cell += f" ({row['ratio_minimal']:.1f}x minimal)"
            cells.append(cell)
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines += ["", "| budget | measured | verdict |", "|---|---:|---|"]
    for name, measured, limit in budget_checks(rows):
        verdict = "n/a" if measured is None else ("within" if measured <= limit else "OVER")
        lines.append(f"| {name} | {'' if measured is None else f'{measured:.2f}'} | {verdict} |")
    lines += split_markdown(rows)
    return "\n".join(lines)


def split_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The fixed cost of a municipality split between the publication gate and the rest of the
    analysis (the largest file's ``analyse`` run): what the rest would cost with a gate that cost
    nothing."""
    split = [row for row in rows if row["stage"] == "analyse" and "gate_fixed_ms" in row["result"]]
    if not split:
        return []
    row = max(split, key=lambda row: row["size"])
    result = row["result"]
    return ["", (f"Of the fixed CPU cost of a municipality ({row['size']:,} rows: {result['fixed_ms']:.0f} ms), "
                 f"the publication gate takes {result['gate_fixed_ms']:.0f} ms and the rest of the analysis "
                 f"{result['rest_fixed_ms']:.0f} ms; over all {result['municipalities']} municipalities the gate "
                 f"took {result['gate_total_cpu_seconds']:.1f} CPU s and the rest {result['rest_total_cpu_seconds']:.1f} CPU s.")]


def _replace_between(readme: Path, marker: str, body: str) -> None:
    """Put ``body`` between ``<!-- marker:start -->`` and ``<!-- marker:end -->`` in ``readme``."""
    text = readme.read_text(encoding="utf-8")
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    readme.write_text(f"{head}{start}\n{body.strip()}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")


def _update_readme(table: str, rows: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """After a full run: the whole table in benchmarks/README.md, the summary in the project README."""
    body = table.split("\n", 2)[2].replace("\n## ", "\n### ")  # drop the page title, nest the headings
    _replace_between(HERE / "README.md", "latest", body)
    _replace_between(ROOT / "README.md", "bench", summary_markdown(rows, info))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="grontur benchmarks (see benchmarks/README.md)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "grontur-bench")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement")
    parser.add_argument("--out", type=Path, default=RESULTS, help="markdown file for the table")
    parser.add_argument("--postcodes", type=Path, default=POSTCODES if POSTCODES.is_file() else None,
                        help="postcode list for real home postcodes and the end_to_end_geo stage "
                             "(default: ../shared/data/geo/postnummer_erikbolstad_2023.csv when present)")
    parser.add_argument("--boundaries", type=Path, default=BOUNDARIES if BOUNDARIES.is_file() else None,
                        help="municipality boundaries for the home-area maps of end_to_end_geo")
    parser.add_argument("--worker", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.path, args.jobs, args.workdir, (args.postcodes, args.boundaries))
        return 0

    sys.path.insert(0, str(HERE))
    from generate import default_municipality_count, ensure_export

    args.workdir.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(f"grontur benchmark: {info['cores']} cores, Python {info['python']}, pandas {info['pandas']}, "
          f"load {info['load']}", flush=True)
    rows: list[dict[str, Any]] = []
    # read_clean must run before the stages that reuse its imported table.
    order = [s for s in STAGES if s in args.stages]
    for size in args.sizes:
        started = time.perf_counter()
        path = ensure_export(size, args.workdir, postcodes=args.postcodes)
        print(f"\n{size:,} respondents: {path} ({path.stat().st_size / MB:.0f} MB, "
              f"ready in {time.perf_counter() - started:.1f} s)", flush=True)
        for stage in order:
            if stage == "analyse_cli" and default_municipality_count(size) != 1:
                continue  # the command analyses one municipality: measured on the 1,000-row file
            if stage == "end_to_end_geo" and args.postcodes is None:
                print(f"  {stage:<14} skipped: no postcode list (--postcodes)", flush=True)
                continue
            result = measure(stage, path, jobs=args.jobs, scratch=args.workdir, timeout=args.timeout,
                             geodata=(args.postcodes, args.boundaries))
            row = {"size": size, "stage": stage, "result": result}
            bare = _result(rows, size, "read_csv")
            if stage == "read_clean" and bare and "error" not in result:
                row["ratio"] = result["seconds"] / bare["seconds"]
            minimal = _result(rows, size, "minimal")
            if stage == "end_to_end" and minimal and "error" not in result:
                row["ratio_minimal"] = result["seconds"] / minimal["seconds"]
            rows.append(row)
            if "error" in result:
                print(f"  {stage:<14} failed: {result['error']}", flush=True)
            else:
                extra = f"  ({row['ratio']:.1f}x read_csv)" if "ratio" in row else ""
                extra += f"  ({row['ratio_minimal']:.1f}x minimal)" if "ratio_minimal" in row else ""
                print(f"  {stage:<14} {result['seconds']:8.2f} s  CPU {result['cpu_seconds']:8.2f} s  "
                      f"{result['peak_mb']:7.0f} MB RSS {result.get('peak_pss_mb', 0):7.0f} MB PSS{extra}", flush=True)
    text = table_markdown(rows, info, args.jobs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    (args.out.with_suffix(".json")).write_text(json.dumps({"machine": info, "rows": rows}, indent=1), encoding="utf-8")
    if args.out.resolve() == RESULTS.resolve() and set(args.sizes) == set(SIZES) and set(args.stages) == set(STAGES):
        _update_readme(text, rows, info)
    print("\n" + text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
