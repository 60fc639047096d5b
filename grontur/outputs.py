"""Atomic output folders: a run that fails part-way leaves the previous outputs intact.

Everything a run writes goes to a staging folder beside the target first; only when every file is
complete are the files moved into place, each with an atomic rename. A failure before that point
removes the staging folder and leaves the target untouched, so nobody ever opens half a report.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield a staging folder; on success move its files into ``target`` (created if needed)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield staging
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.rglob("*")):
            if path.is_dir():
                continue
            destination = target / path.relative_to(staging)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_json(data: Any, path: Path) -> Path:
    """Write JSON deterministically (sorted keys are not used: section order is meaningful)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV that opens cleanly in Excel (UTF-8 with BOM) and is byte-stable across runs."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path
