"""Memory of ``grontur analyse`` at the row limit, and the refusal of a file far beyond it.

The default row limit (:class:`grontur.limits.Limits`) is meant to keep one ``grontur analyse``
within 4 GB of memory. This script measures it: a synthetic export of the standard questionnaire
with as many respondents as the limit allows, all in one municipality (the heaviest case: one
analysis over every row), analysed without reports; and a file of 5,000,000 rows, which must be
refused before it is read, with the row count and the limit. Each run is a fresh process; peak
memory is its maximum resident set (``ru_maxrss``).

Run: ``python benchmarks/limits.py`` (about 2 minutes on 2 cores; ``--rows N`` for another size);
the table is printed and written to ``benchmarks/results/limits.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grontur.limits import DEFAULT_LIMITS

BUDGET_MB = 4096
MUNICIPALITY = "3324"


def _measure(argv: list[str], workdir: Path) -> tuple[int, float, float, str]:
    """Run ``python -m grontur argv`` in a fresh process (through a helper, so that the peak
    resident set read is this run's alone); returns exit status, seconds, peak MB, stderr."""
    helper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run([sys.executable, '-m', 'grontur', *sys.argv[1:]], capture_output=True, text=True)\n"
        "print(done.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
        "print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else '')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRONTUR_DATA_DIR": str(workdir / "data"), "GRONTUR_SALT": "bench"}
    done = subprocess.run([sys.executable, "-c", helper, *argv], capture_output=True, text=True, env=env, cwd=workdir,
                          check=True)
    first, _, last = done.stdout.partition("\n")
    code, seconds, peak = first.split()
    return int(code), float(seconds), float(peak), last.strip()


def _five_million(path: Path, rows: int = 5_000_000) -> None:
    line = b"Bus,3\n"
    with path.open("wb") as handle:
        handle.write(b'How do you usually travel to work in the summer half of the year?,'
                     b'"How far is it from your home to your workplace, one way (km)?"\n')
        block = line * 100_000
        for _ in range(rows // 100_000):
            handle.write(block)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_LIMITS.rows, help="respondents (default: the row limit)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "grontur-bench-limits")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "limits.md",
                        help="markdown file for the table")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    survey = args.workdir / f"one-municipality-{args.rows}.csv"
    if not survey.is_file():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(args.rows), "--municipalities", "1",
                        "--out", str(survey)], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    number = _municipality_of(survey)
    huge = args.workdir / "five-million-rows.csv"
    if not huge.is_file():
        _five_million(huge)
    lines = [
        (f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores; "
         f"load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())}."),
        "",
        "| run | rows | exit | seconds | peak MB | within 4 GB |",
        "|---|---:|---:|---:|---:|---|",
    ]
    code, seconds, peak, err = _measure(["analyse", str(survey), "--kommune", number, "--out", str(args.workdir / "out"),
                                         "--format", "none", "--run-date", "2025-06-02"], args.workdir)
    lines.append(f"| `analyse`, one municipality, no reports | {args.rows:,} | {code} | {seconds:.1f} | {peak:,.0f} | "
                 f"{'yes' if peak <= BUDGET_MB else 'no'} |")
    code5, seconds5, peak5, err5 = _measure(["analyse", str(huge), "--kommune", MUNICIPALITY, "--out",
                                             str(args.workdir / "out5"), "--format", "none"], args.workdir)
    lines.append(f"| `analyse` of a file beyond the limit | 5,000,000 | {code5} | {seconds5:.1f} | {peak5:,.0f} | "
                 f"{'yes' if peak5 <= BUDGET_MB else 'no'} |")
    lines += ["", f"The refusal: `{err5.replace(str(args.workdir) + '/', '')}`"]
    if code:
        lines += ["", f"The analysis failed: `{err}`"]
    print("\n".join(lines))
    args.out.write_text("# Memory at the row limit (benchmarks/limits.py)\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return 0 if code == 0 and peak <= BUDGET_MB and code5 == 2 else 1


def _municipality_of(path: Path) -> str:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return next(reader)[header.index("municipality")]


if __name__ == "__main__":
    raise SystemExit(main())
