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

from grontur._formulas import defuse_csv_frame
from grontur.errors import OutputError


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """Yield a staging folder; on success move its files into ``target`` (created if needed).

    Each file is moved with an atomic rename. The files it replaces are kept (hard-linked, or
    copied where links are not possible) until every file is in place; if a move fails, the files
    already moved are taken back and the previous ones restored, so ``target`` holds either all
    of the new files or the previous outputs, never a mix.
    """
    target = Path(target)
    try:
        if target.exists() and not target.is_dir():
            raise NotADirectoryError(20, "a file of that name is in the way", str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    except OSError as error:
        raise unwritable(target, error) from None
    try:
        yield staging
        try:
            _move_into_place(staging, target)
        except OSError as error:
            raise unwritable(target, error) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def unwritable(path: Path, error: OSError) -> OutputError:
    """The error for an output folder or file that cannot be written, naming it and what to do."""
    reason = error.strerror or str(error)
    return OutputError(f"{path}: cannot write the output there ({reason}); give another folder with --out "
                       "or check its permissions.")


def _move_into_place(staging: Path, target: Path) -> None:
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    created = not target.exists()
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.previous-", dir=target.parent))
    moved: list[tuple[Path, Path | None]] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            relative = path.relative_to(staging)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            saved = None
            if destination.is_file():
                saved = backup / relative
                saved.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(destination, saved)
                except OSError:
                    shutil.copy2(destination, saved)
            moved.append((destination, saved))
            os.replace(path, destination)
    except BaseException:
        for destination, saved in reversed(moved):
            if saved is not None:
                os.replace(saved, destination)
            elif destination.exists():
                destination.unlink()
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)


def write_json(data: Any, path: Path) -> Path:
    """Write JSON deterministically (sorted keys are not used: section order is meaningful)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV that opens cleanly in Excel (UTF-8 with BOM) and is byte-stable across runs.

    Every text cell a spreadsheet would run as a formula is defused, also where the formula follows
    a ``;`` (:func:`grontur._formulas.defuse_cell`).
    """
    defuse_csv_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path
