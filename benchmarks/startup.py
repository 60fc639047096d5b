"""Start-up time of the command line: ``grontur --help`` and every command's ``--help``.

Each command is run ``--runs`` times in a fresh interpreter after ``--warmup`` untimed runs (as
hyperfine does), and the mean, minimum and maximum wall seconds are printed; the budget is
0.15 s each. ``--importtime`` adds the slowest imports of each (``python -X importtime``,
cumulative microseconds), to see what a slow one loads.

Run: ``python benchmarks/startup.py`` (``--runs 20`` for steadier numbers on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 0.15


def commands() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from grontur.cli import COMMANDS

    return ["", *COMMANDS]


def _argv(command: str | None, *, importtime: bool = False) -> list[str]:
    if command is None:  # the yardstick: an interpreter that does nothing
        return [sys.executable, "-c", "pass"]
    return [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "grontur",
            *([command] if command else []), "--help"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def time_command(command: str | None, runs: int, warmup: int) -> dict[str, Any]:
    """Wall seconds of ``grontur COMMAND --help`` over ``runs`` fresh processes."""
    env = _env()
    for _ in range(warmup):
        subprocess.run(_argv(command), env=env, capture_output=True, check=True)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(_argv(command), env=env, capture_output=True, check=True)
        seconds.append(time.perf_counter() - started)
    name = "python -c pass" if command is None else f"grontur {command} --help".replace("  ", " ")
    return {"command": name, "mean": statistics.mean(seconds),
            "min": min(seconds), "max": max(seconds), "runs": runs}


def slowest_imports(command: str, top: int = 8) -> list[tuple[str, int]]:
    """The ``top`` imports with the largest cumulative time (microseconds)."""
    done = subprocess.run(_argv(command, importtime=True), env=_env(), capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        if not name.startswith(" "):  # top-level entries only, not what they import
            rows.append((name, int(cumulative)))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--importtime", action="store_true", help="show the slowest imports of each command")
    parser.add_argument("--json", type=Path, help="also write the measurements to this file")
    args = parser.parse_args(argv)
    bare = time_command(None, args.runs, args.warmup)
    print(f"A bare interpreter (python -c pass) takes {bare['mean']:.3f} s (min {bare['min']:.3f} s).\n")
    results = []
    print(f"| command | mean s | min s | max s | within {BUDGET} s |")
    print("|---|---:|---:|---:|---|")
    for command in commands():
        row = time_command(command, args.runs, args.warmup)
        results.append(row)
        print(f"| `{row['command']}` | {row['mean']:.3f} | {row['min']:.3f} | {row['max']:.3f} | "
              f"{'yes' if row['mean'] < BUDGET else 'NO'} |", flush=True)
        if args.importtime:
            for name, micros in slowest_imports(command):
                print(f"|   {name} | {micros / 1e6:.3f} | | | |")
    if args.json:
        args.json.write_text(json.dumps({"bare": bare, "commands": results}, indent=1), encoding="utf-8")
    return 0 if all(row["mean"] < BUDGET for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
