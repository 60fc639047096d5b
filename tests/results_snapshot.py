"""The published figures of two fixed runs, flattened, for the snapshot test (test_results_snapshot.py).

The runs: ``grontur demo`` (six municipalities, two waves each) and the 10,000-row benchmark
export (``benchmarks/generate.py``, seed 0, ten municipalities) analysed by
``pipeline.analyse_many`` on 2026-11-29. Every leaf of each municipality's ``results.json`` becomes
one figure, keyed by its path (``al/habits/seasons/summer/n``); floats are kept to 12 significant
digits, so a sum taken in another order still matches.

Every section is compared: the ranking, the plan, the anchoring plan and the switching
potential too. Only ``generated`` (the date of the run) is left out.

Write the snapshot again (only when a difference is understood and documented in the commit)::

    PYTHONPATH=. python tests/results_snapshot.py --write
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).resolve().parent / "data" / "results_snapshot.json.gz"
RUN_DATE = dt.date(2026, 11, 29)
BENCH_ROWS = 10_000

#: Top-level sections of results.json that are not compared (see the module docstring).
LEFT_OUT = frozenset({"generated"})


def _number(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    return value


def _walk(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for key, item in value.items():
            _walk(item, f"{path}/{key}", out)
    elif isinstance(value, list):
        if not value:
            out[path] = []
        for i, item in enumerate(value):
            _walk(item, f"{path}/{i}", out)
    else:
        out[path] = _number(value)


def _left_out(path: str) -> bool:
    """``path`` starts at the top of results.json: ``/section/...``."""
    return path.split("/")[1] in LEFT_OUT


def figures(name: str, results: dict[str, Any]) -> dict[str, Any]:
    """Path -> value for every compared leaf of one municipality's results.json."""
    flat: dict[str, Any] = {}
    _walk(results, "", flat)
    return {f"{name}{path}": value for path, value in flat.items() if not _left_out(path)}


def demo_figures(out: Path) -> dict[str, Any]:
    """The figures of ``grontur demo`` written to ``out`` (no report formats)."""
    from grontur.pipeline import run_demo

    run_demo(out, formats=())
    found: dict[str, Any] = {}
    for path in sorted(out.glob("*/results.json")):
        found.update(figures(f"demo/{path.parent.name}", json.loads(path.read_text(encoding="utf-8"))))
    return found


def bench_figures(folder: Path) -> dict[str, Any]:
    """The figures of the 10,000-row benchmark export, every municipality analysed in one process."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import ensure_export
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    from grontur.importing import import_survey
    from grontur.pipeline import analyse_many
    from grontur.results import to_jsonable

    imported = import_survey(ensure_export(BENCH_ROWS, folder))
    many = analyse_many(imported, jobs=1, run_date=RUN_DATE)
    found: dict[str, Any] = {}
    for number, results in sorted(many.results.items()):
        found.update(figures(f"bench/{number}", to_jsonable(results)))
    return found


def all_figures(folder: Path) -> dict[str, Any]:
    return {**demo_figures(folder / "demo"), **bench_figures(folder / "bench")}


def _tree(flat: dict[str, Any]) -> dict[str, Any]:
    """The flat paths nested again (a list's items under "0", "1", ...): the keys are stored once."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, last = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return tree


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict) and value:
            out.update(_flat(value, path))
        else:
            out[path] = value
    return out


def load_snapshot() -> dict[str, Any]:
    """Path -> value of the stored snapshot."""
    return _flat(json.loads(gzip.decompress(SNAPSHOT.read_bytes()).decode("utf-8")))


def write_snapshot(found: dict[str, Any]) -> None:
    """Stored nested and gzipped: about 830 kB of JSON text becomes about 180 kB."""
    tree = _tree(found)
    if _flat(tree) != found:
        msg = "a key holds a '/', so the figures cannot be nested and read back"
        raise ValueError(msg)
    text = json.dumps(tree, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    SNAPSHOT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def main() -> int:
    if sys.argv[1:] != ["--write"]:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        found = all_figures(Path(tmp))
    write_snapshot(found)
    print(f"{len(found)} figures written to {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
