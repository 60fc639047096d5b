"""The release log: no two published runs of one survey may differ by fewer than k respondents.

Suppression keeps every published cell at k people or more, but it cannot protect against a
comparison of two releases. Publish the results for a survey, add one late response, publish
again: every count that went up by one is that person's answer. This module keeps, per
municipality and wave, a log of what each published run was made from, and refuses a run whose
respondents differ from an earlier release by 1 to k − 1 people.

What is logged per release: when it was published, the output folder, the number of respondents,
and one keyed fingerprint per respondent: HMAC-SHA256 under the secret pseudonym key
(:mod:`grontur.keys`) of the respondent's cleaned answers (:data:`FINGERPRINT_COLUMNS`). Ids,
row numbers and row order play no part, so a re-export with other submission ids or another
order changes nothing. Two people with identical answers have identical fingerprints, so the
fingerprints are compared as multisets: the difference between two runs is the number of
fingerprints added plus the number removed.

* difference 0 (a rerun in another language or format): allowed; nothing new is logged;
* difference 1 to k − 1: refused with :class:`grontur.errors.ReleaseError`, unless the run
  replaces the earlier release explicitly (``--replace-release``); the earlier entry is then
  marked as replaced and no longer blocks later runs;
* difference k or more, or no earlier release: allowed, and logged once the outputs are written.

The log lives beside the key: ``<project>/.grontur/releases/<number>-<wave>.json``, or in the
user's data folder for a run without a project. The shipped demo projects (synthetic answers in
grontur's own ``surveys/demo`` folder) keep no log: their folder belongs to the installation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grontur.errors import ConfigError, OutputError, ReleaseError
from grontur.keys import (
    PseudonymKey,
    ensure_private_folder,
    key_for,
    private_folder,
    save_key,
)
from grontur.publish import is_small
from grontur.schema import COLUMNS

LOG_SCHEMA = "grontur.releases/1"
RELEASES_FOLDER = "releases"

#: Columns left out of a fingerprint: ids and labels of the run, and the columns whose values are
#: blanked when fewer than k people share them (so one person's leaving changes other rows).
_NOT_ANSWERS = frozenset({"respondent_id", "municipality", "wave", "workplace", "home_postcode", "job_group",
                          "age_band"})
#: The cleaned answers a respondent's fingerprint is taken from, in a fixed order.
FINGERPRINT_COLUMNS: tuple[str, ...] = tuple(column for column in COLUMNS if column not in _NOT_ANSWERS)
_MISSING = "\x00"


# ---------------------------------------------------------------------------------------------
# Fingerprints

def fingerprints(table: pd.DataFrame, key: str) -> list[str]:
    """One keyed fingerprint (32 hex digits) per row of ``table``, from its cleaned answers only.

    >>> table = pd.DataFrame({"respondent_id": ["a", "b"], "mode_summer": ["bike", "bike"], "distance_km": [2.0, 2]})
    >>> first, second = fingerprints(table, "k")
    >>> first == second  # the same answers, whoever gave them
    True
    """
    parts = [_canonical(table[column]) if column in table.columns else np.full(len(table), _MISSING, dtype=object)
             for column in FINGERPRINT_COLUMNS]
    secret = hmac.new(key.encode(), b"grontur-release-fingerprint", hashlib.sha256).digest()
    lines = ["\x1f".join(values) for values in zip(*parts)] if parts else []
    return [hmac.new(secret, line.encode(), hashlib.sha256).hexdigest()[:32] for line in lines]


def _canonical(values: pd.Series) -> np.ndarray:
    """The text of each cell, the same for the same answer whatever the column's dtype."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    texts = np.empty(len(uniques) + 1, dtype=object)
    texts[-1] = _MISSING
    for i, value in enumerate(uniques):
        if isinstance(value, (bool, np.bool_)):
            texts[i] = "1" if value else "0"
        elif isinstance(value, (int, float, np.integer, np.floating)):
            texts[i] = format(round(float(value), 6) + 0.0, ".15g")
        else:
            texts[i] = str(value)
    return texts[codes]


def difference(first: Counter[str], second: Counter[str]) -> int:
    """How many respondents one run has that the other lacks, both ways (multisets of fingerprints)."""
    return sum((first - second).values()) + sum((second - first).values())


# ---------------------------------------------------------------------------------------------
# The log

@dataclass(frozen=True)
class Release:
    """One published run of one wave."""

    published: str
    output: str
    respondents: int
    fingerprints: tuple[str, ...]
    replaces: tuple[str, ...] = ()
    replaced_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"published": self.published, "output": self.output, "respondents": self.respondents,
                "replaces": list(self.replaces), "replaced_by": self.replaced_by,
                "fingerprints": sorted(self.fingerprints)}

    def when(self) -> str:
        """The publication time as people read it, e.g. ``2026-11-29 14:03``."""
        return self.published[:16].replace("T", " ")


@dataclass(frozen=True)
class Replacement:
    """An earlier release a run replaced, and how many respondents the two differ by."""

    wave: str | None
    release: Release
    difference: int


@dataclass
class Clearance:
    """A run cleared for publication. Call :meth:`record` once its outputs are written."""

    logs: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    replaced: list[Replacement] = field(default_factory=list)
    key: PseudonymKey | None = None

    def record(self) -> None:
        """Write the pseudonym key if this run made it, and the release log entries of this run
        (none for a rerun of answers already released)."""
        if self.key is not None:
            save_key(self.key)
        for path, log in self.logs:
            _write_log(path, log)


def log_path(project: Any, wave: str | None) -> Path:
    """Where the release log of one municipality and wave is kept (see the module docstring)."""
    label = re.sub(r"[^0-9A-Za-z._-]+", "_", wave) if wave else "unlabelled"
    return private_folder(project.root, project.number) / RELEASES_FOLDER / f"{project.number}-{label}.json"


def keeps_log(project: Any) -> bool:
    """False for the shipped demo projects only (synthetic answers, a folder of the installation)."""
    if project.root is None:
        return True
    from grontur.resources import data_dir

    try:
        demo = (data_dir("surveys") / "demo").resolve()
    except FileNotFoundError:
        return True
    return not Path(project.root).resolve().is_relative_to(demo)


def check_release(project: Any, tables: Iterable[pd.DataFrame | None], out_dir: str | Path, *,
                  replace: bool = False, now: dt.datetime | None = None) -> Clearance:
    """Refuse a run whose respondents differ from an earlier release by 1 to k − 1 people.

    ``tables`` are the cleaned tables the run publishes (a baseline, and a follow-up when the
    outputs compare two waves); each is checked against the log of its wave (its ``wave`` column).
    With ``replace`` the conflicting earlier releases are marked as replaced instead.

    Raises
    ------
    ReleaseError
        Naming the earlier release, the difference and what to do.
    """
    clearance = Clearance()
    if not keeps_log(project):
        return clearance
    stamp = (now or dt.datetime.now()).astimezone().isoformat(timespec="seconds")
    output = str(Path(out_dir).expanduser().resolve())
    clearance.key = key_for(project)
    key = clearance.key.value
    logs: dict[Path, dict[str, Any]] = {}
    for table in tables:
        if table is None or not len(table):
            continue
        wave = _wave(table)
        path = log_path(project, wave)
        log = logs[path] if path in logs else _read_log(path, project.number, wave)
        entries = [_release(item, path) for item in log["releases"]]
        prints = fingerprints(table, key)
        counted = Counter(prints)
        live = [(i, entry, difference(counted, Counter(entry.fingerprints)))
                for i, entry in enumerate(entries) if entry.replaced_by is None]
        if any(diff == 0 for _, _, diff in live):
            continue  # these answers are out already: publishing them again tells nothing new
        close = sorted(((diff, i, entry) for i, entry, diff in live if is_small(diff, project.k)),
                       key=lambda c: (c[0], -c[1]))
        if close and not replace:
            diff, _, entry = close[0]
            raise ReleaseError(_refusal(project, path, wave, entry, diff))
        for diff, i, entry in close:
            log["releases"][i]["replaced_by"] = stamp
            clearance.replaced.append(Replacement(wave, entry, diff))
        new = Release(stamp, output, len(table), tuple(prints), replaces=tuple(entry.published for _, _, entry in close))
        log["releases"].append(new.as_dict())
        logs[path] = log
    clearance.logs = list(logs.items())
    return clearance


def _refusal(project: Any, path: Path, wave: str | None, entry: Release, diff: int) -> str:
    from grontur.i18n import t

    return t("releases.error.too_close", "en", where=path, name=project.name, wave=_wave_text(wave, "en"),
             published=entry.when(), output=entry.output, respondents=entry.respondents, difference=diff, k=project.k)


def replacement_notes(clearance: Clearance, lang: str) -> list[str]:
    """One warning per earlier release a run replaced, for the command line."""
    from grontur.i18n import t

    return [t("releases.replaced", lang, wave=_wave_text(item.wave, lang), published=item.release.when(),
              output=item.release.output, respondents=item.release.respondents, difference=item.difference)
            for item in clearance.replaced]


def _wave_text(wave: str | None, lang: str) -> str:
    from grontur.i18n import t

    return t("releases.wave", lang, wave=wave) if wave else ""


def _wave(table: pd.DataFrame) -> str | None:
    """The wave label of a table's rows (labels joined by '+' when they differ), or None."""
    if "wave" not in table.columns:
        return None
    labels = sorted({str(value) for value in table["wave"].dropna().unique()})
    return "+".join(labels) or None


def _read_log(path: Path, number: str, wave: str | None) -> dict[str, Any]:
    if not path.exists():
        return {"schema": LOG_SCHEMA, "municipality": number, "wave": wave, "releases": []}
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        msg = f"{path}: the release log cannot be read ({error}); restore it from a backup rather than deleting it."
        raise ConfigError(msg) from None
    if not isinstance(log, dict) or log.get("schema") != LOG_SCHEMA or not isinstance(log.get("releases"), list):
        msg = f"{path}: this is not a grontur release log ({LOG_SCHEMA}); restore it from a backup rather than deleting it."
        raise ConfigError(msg)
    return log


def _release(item: Any, path: Path) -> Release:
    try:
        return Release(published=str(item["published"]), output=str(item["output"]),
                       respondents=int(item["respondents"]), fingerprints=tuple(str(f) for f in item["fingerprints"]),
                       replaces=tuple(item.get("replaces") or ()), replaced_by=item.get("replaced_by"))
    except (KeyError, TypeError, ValueError):
        msg = f"{path}: an entry of the release log is damaged; restore the file from a backup rather than deleting it."
        raise ConfigError(msg) from None


def _write_log(path: Path, log: dict[str, Any]) -> None:
    """Write the log atomically, readable by its owner only."""
    ensure_private_folder(path.parent.parent)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(log, handle, indent=1)
            handle.write("\n")
        os.replace(temporary, path)
    except OSError as error:
        msg = f"{path}: cannot write the release log ({error.strerror or error}); check the folder's permissions."
        raise OutputError(msg) from None

