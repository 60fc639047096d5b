"""Trip-level files: several rows per person, one per trip (travel diaries, national travel surveys).

With ``unit: trip`` in the mapping, the import keeps the work trips (the ``purpose`` column holds
one of ``work_values``; all trips when the mapping gives no purpose) and makes one row per person
(``person_id``):

- main mode: the mode of most of the person's work trips; a tie between modes goes to the tied
  mode of the earliest trip in the file, so no mode is favoured over another (counted in
  quality.csv as ``trip_tie``); trips whose mode is unknown do not count;
- distance: the longest work trip;
- every other column: the answer on the person's first work trip.

People with no work trip, and trips with no person id, are left out and counted in the import
summary. Without ``unit: trip`` an export whose respondent ids repeat on rows with different
answers is refused (:func:`check_repeated_ids`): it has several rows per person.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from grontur._distinct import distinct, strip_all
from grontur.errors import MappingError
from grontur.io import RawExport
from grontur.mapping import MappedExport, Mapping, fold, norm

#: An export is refused as "several rows per person" when at least this many ids ...
REPEATED_IDS_MIN = 5
#: ... and at least this share of its ids are on several rows with different answers.
REPEATED_IDS_SHARE = 0.1


def _find_column(raw: RawExport, wanted: str, what: str, mapping: Mapping) -> str:
    target = fold(wanted)
    column = next((h for h in raw.frame.columns if fold(h) == target), None)
    if column is None:
        column = next((h for h, extra in raw.extra_headers.items()
                       if h in raw.frame.columns and any(fold(e) == target for e in extra)), None)
    if column is None:
        from grontur.i18n import t

        raise MappingError(t("import.error.trip_column", "en", mapping=mapping.source or mapping.name, what=what,
                             column=wanted, file=raw.path.name))
    return column


def collapse_trips(raw: RawExport, mapped: MappedExport, mapping: Mapping) -> MappedExport:
    """One row per person from a trip file (see the module text); the rest of the import is unchanged."""
    assert mapping.person_id is not None  # checked when the mapping was read
    person_column = _find_column(raw, mapping.person_id, "person_id", mapping)
    frame = mapped.frame
    persons = _ids(raw.frame[person_column].reindex(frame.index))
    work = pd.Series(True, index=frame.index)
    if mapping.purpose is not None:
        purpose_column = _find_column(raw, mapping.purpose[0], "purpose.column", mapping)
        wanted = {norm(value) for value in mapping.purpose[1]}
        purposes = raw.frame[purpose_column].reindex(frame.index)
        work = purposes.map(lambda v: not pd.isna(v) and norm(v) in wanted).astype(bool)
    without_person = int((work & persons.isna()).sum())
    keep = work & persons.notna()
    trips = frame[keep.to_numpy()]
    who = persons[keep.to_numpy()].astype(object)

    first_rows = who.groupby(who, sort=False).head(1)
    people = pd.Index(first_rows.to_numpy())
    out = trips.loc[first_rows.index].copy()
    ties = pd.Index([])
    issues: list[tuple[pd.Index, str, pd.Series | None, str, str]] = []
    for column in ("mode_summer", "mode_winter"):
        if column not in trips.columns:
            continue
        vmap = mapped.value_maps.get(column, {})
        coded = trips[column].map(lambda v, vmap=vmap: None if pd.isna(v) else vmap.get(norm(v)))
        modes, tied = _most_trips(coded, who)
        out[column] = modes.reindex(people).to_numpy()
        # a person whose work trips all carry the export's missing-value code ("-1": "") has no
        # mode: missing, counted in quality.csv as missing_code (never an unknown answer)
        coded_missing = coded.eq("").groupby(who, sort=False).any().reindex(people).fillna(False)
        no_mode = first_rows.index[(coded_missing.to_numpy(dtype=bool)) & modes.reindex(people).isna().to_numpy()]
        if len(no_mode):
            raw_first = pd.Series(trips.loc[no_mode, column].to_numpy(), index=no_mode, dtype=object)
            issues.append((no_mode, column, raw_first, "missing_code", "set_missing"))
        if column == "mode_summer" or "mode_summer" not in trips.columns:
            ties = first_rows.index[tied.reindex(people).fillna(False).to_numpy(dtype=bool)]
    units = dict(mapped.units)
    if "distance_km" in trips.columns:
        from grontur.clean import parse_numbers

        km, _unusable = parse_numbers(trips["distance_km"], kind="distance", unit=units.pop("distance_km", None),
                                      value_map=mapped.value_maps.get("distance_km"))
        longest = km.groupby(who, sort=False).max()
        out["distance_km"] = [None if pd.isna(v) else f"{v:g}" for v in longest.reindex(people)]
    out.attrs.update(frame.attrs)
    if len(ties):
        column = "mode_summer" if "mode_summer" in out.columns else "mode_winter"
        issues.append((ties, column, None, "trip_tie", "earliest_trip_mode"))
    if issues:
        out.attrs["row_issues"] = [*frame.attrs.get("row_issues", ()), *issues]
    all_persons = persons.dropna().unique()
    note: dict[str, Any] = {
        "note": "trips", "person_column": person_column, "trips": len(frame), "work_trips": int(keep.sum()),
        "persons": len(people), "persons_without_work_trip": int(len(all_persons) - len(people)),
        "trips_without_person": without_person, "ties": len(ties),
    }
    return replace(mapped, frame=out, units=units, id_column=person_column, panel_column=None,
                   notes=[*mapped.notes, note])


def _ids(values: pd.Series) -> pd.Series:
    """Ids as text without surrounding spaces; blank ones missing."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _id_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_ids` as integer codes (-1: blank or missing) and the ids they stand for.

    Strips and compares the distinct values only; text columns as the reader gives them (strings
    and missing cells) take this way, anything else goes through :func:`_ids`.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = distinct(values)
    else:
        # The reader leaves a column of mostly distinct ids as text: factorised directly.
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    if len(uniques) and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        stripped = strip_all(uniques)
        blank = stripped == ""
        if not blank.any() and not (stripped != uniques).any():
            return codes, uniques
        # Stripping can make two values one (" 7" and "7"): the stripped values coded again.
        small, names = pd.factorize(np.array(np.where(blank, None, stripped), dtype=object), use_na_sentinel=True)
        return np.append(small, -1)[codes], np.asarray(names, dtype=object)
    small, names = pd.factorize(_ids(values).to_numpy(dtype=object), use_na_sentinel=True)
    return np.asarray(small), np.asarray(names, dtype=object)


def _most_trips(coded: pd.Series, who: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per person: the mode of most trips (ties: the earliest trip's) and whether there was a tie."""
    modes: dict[Any, str | None] = {}
    tied: dict[Any, bool] = {}
    for person, codes in coded.groupby(who, sort=False):
        counts: dict[str, int] = {}
        for code in codes:
            # None: an answer grontur does not know; "": the export's missing-value code
            if isinstance(code, str) and code:
                counts[code] = counts.get(code, 0) + 1
        if not counts:
            modes[person], tied[person] = None, False
            continue
        top = max(counts.values())
        best = [code for code, count in counts.items() if count == top]
        modes[person], tied[person] = best[0], len(best) > 1
    return pd.Series(modes, dtype=object), pd.Series(tied, dtype=bool)


def check_repeated_ids(raw: RawExport, mapped: MappedExport, *, ignore: frozenset[str] = frozenset()) -> None:
    """Refuse an export with several rows per person (ids repeated on rows with different answers).

    A few repeats are double submissions and are quarantined later as ``duplicate_id``; when at
    least :data:`REPEATED_IDS_MIN` ids and :data:`REPEATED_IDS_SHARE` of them repeat with other
    answers, the file is a trip or a long-format file, and its rows would be set aside wrongly.
    ``ignore`` names columns left out of the comparison (timestamps).
    """
    column = mapped.panel_column or mapped.id_column
    if column is None or column not in raw.frame.columns:
        return
    codes, names = _id_codes(raw.frame[column])
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    repeated = (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)
    if not repeated.any():
        return
    others = [c for c in raw.frame.columns if c != column and c not in ignore]
    rows = raw.frame.loc[repeated, others].astype("string").fillna("")
    rows.insert(0, "__id", names[codes[repeated]])
    distinct = rows.drop_duplicates()
    per_id = distinct.groupby("__id").size()
    differing = int((per_id > 1).sum())
    n_ids = int(np.count_nonzero(counts))
    if differing >= REPEATED_IDS_MIN and differing >= REPEATED_IDS_SHARE * n_ids:
        from grontur.i18n import t

        raise MappingError(t("import.error.repeated_ids", "en", file=raw.path.name, column=column,
                             n=differing, of=n_ids, rows=int(np.count_nonzero(repeated))))
