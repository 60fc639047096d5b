"""Coding and checking answers: from mapped export columns to the typed canonical table.

Every answer is coded through its distinct values (a 100,000-row export usually has a few hundred
distinct answers per column), so cleaning costs little more than reading. Nothing is dropped
silently: each answer that cannot be coded, each value out of range and each suspicious row is
written to the issues table with its row, column, raw value, problem and the action taken. A row
is quarantined only when it has neither a mode in any season nor a distance, or when it is a
duplicate submission.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from grontur._distinct import distinct, spread
from grontur._formulas import defuse_formulas
from grontur._numbers import cleaning_settings, parse_number
from grontur.mapping import MappedExport, answers_vocabulary, norm
from grontur.privacy import (
    PLACEHOLDERS,
    generalise_rare,
    identifier_kinds,
    mask_identifiers,
)
from grontur.publish import DEFAULT_K, are_common
from grontur.schema import COLUMNS, MULTI_SEP, REQUIRED_ANY

log = logging.getLogger(__name__)

ISSUE_COLUMNS = ("source_row", "column", "raw_value", "problem", "action")
QUARANTINE_COLUMNS = ("source_row", "reason", "copy_of")
#: Quarantine reasons of a row that repeats an earlier one (``copy_of`` names that row).
DUPLICATE_REASONS = ("duplicate_id", "duplicate_submission")
REDACTED = "<free text removed>"
RARE_VALUES = "<answers given by fewer than k respondents>"
RARE_TEXT = "<typed answer removed>"


@dataclass(frozen=True)
class CleanResult:
    """The canonical table and everything the cleaner found."""

    table: pd.DataFrame
    issues: pd.DataFrame
    quarantine: pd.DataFrame
    account: dict[str, int]
    unknown_values: dict[str, dict[str, int]]


# ---------------------------------------------------------------------------------------------
# numbers from text

_UNIT_FACTORS_KM = {"km": 1.0, "m": 0.001}
_UNIT_FACTORS_MIN = {"minutes": 1.0, "hours": 60.0}
#: A clock reading "h:mm" or "hh:mm:ss" (how an Excel time cell is read): a duration in a travel
#: time column, not a number anywhere else.
_CLOCK = re.compile(r"\d{1,2}:[0-5]\d(?::[0-5]\d)?")


def parse_numbers(raw: pd.Series, *, kind: str, unit: str | None = None,
                  value_map: dict[str, str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a column of answers into floats through its distinct values.

    Parameters
    ----------
    raw
        Answers as read.
    kind
        ``distance`` (result in km), ``time`` (minutes) or ``count`` (no unit conversion).
    unit
        Unit of bare numbers (e.g. ``miles`` from the mapping).
    value_map
        Normalised labels with a numeric code (answer bands of the questionnaire or a mapping).

    Returns
    -------
    (values, unusable) where ``unusable`` marks non-empty answers that gave no number.
    """
    config = cleaning_settings()
    factors = dict(_UNIT_FACTORS_KM)
    factors["miles"] = config["miles_to_km"]
    factors["mil"] = config["mil_to_km"]
    codes, uniques = distinct(raw)
    results: list[float] = []
    for value in uniques:
        number: float | None = None
        found: str | None = None
        if value_map:
            code = value_map.get(norm(value))
            if code is not None:
                try:
                    number = float(code)
                except ValueError:
                    number = None
        if number is None and kind == "time" and _CLOCK.fullmatch(str(value)):
            # An Excel duration cell ("0:25", h:mm) read as a time of day: hours and minutes.
            hours, minutes = str(value).split(":")[:2]
            number = int(hours) * 60 + int(minutes)
        if number is None:
            number, found = parse_number(str(value), open_upper=config["open_upper_factor"],
                                         open_lower=config["open_lower_factor"])
            if number is not None:
                effective = found or unit
                if kind == "distance":
                    number *= factors.get(effective or "km", 1.0)
                elif kind == "time":
                    number *= _UNIT_FACTORS_MIN.get(effective or "minutes", 1.0)
                elif kind == "count" and effective == "percent_week":
                    number = number / 100 * 5
        # Rounded: unit conversions leave binary noise (0.6 miles -> 0.9653999999999999 km).
        results.append(np.nan if number is None else round(float(number), 6))
    values = pd.Series(spread(results, codes, missing=np.nan, dtype=float), index=raw.index)
    unusable = pd.Series((codes >= 0) & np.isnan(values.to_numpy()), index=raw.index)
    return values, unusable


# ---------------------------------------------------------------------------------------------
# codes from labels

def declared_missing(raw: pd.Series, value_map: dict[str, str]) -> pd.Series:
    """Rows whose answer the mapping codes as missing (``"-1": ""``: the tool's "no answer")."""
    if "" not in value_map.values():
        return pd.Series(False, index=raw.index)
    codes, uniques = distinct(raw)
    return pd.Series(spread([value_map.get(norm(value)) == "" for value in uniques], codes, missing=False, dtype=bool),
                     index=raw.index)


_INTEGER = re.compile(r"-?\d+")


def code_single(raw: pd.Series, value_map: dict[str, str]) -> tuple[pd.Series, pd.Series, dict[str, str]]:
    """Code a single-choice column; returns (codes, unknown mask, fuzzy matches used).

    Numeric codes match exactly or not at all: "-1" is never read as "1", nor "12" as "2".
    """
    keys = list(value_map)
    codes_, uniques = distinct(raw)
    results: list[str | None] = []
    fuzzy: dict[str, str] = {}
    for value in uniques:
        key = norm(value)
        code = value_map.get(key)
        if code == "":
            code = None
        elif code is None and key and not _INTEGER.fullmatch(key):
            close = difflib.get_close_matches(key, keys, n=1, cutoff=0.88)
            if close:
                code = value_map[close[0]]
                fuzzy[str(value)] = code
        results.append(code)
    # Rows get the position of their code among the codes found (-1 = none): no string work per row.
    labels = sorted({code for code in results if code is not None})
    where = {code: i for i, code in enumerate(labels)}
    per_value = np.array([where.get(code, -1) if code is not None else -1 for code in results] + [-1], dtype=np.int64)
    row_codes = per_value[codes_]
    codes = pd.Series(pd.Categorical.from_codes(row_codes, categories=pd.Index(labels, dtype=object)), index=raw.index)
    unknown = pd.Series((codes_ >= 0) & (row_codes < 0), index=raw.index)
    return codes, unknown, fuzzy


_MAX_SPAN = 4  # a label may contain up to three commas itself

# The same few option labels recur in thousands of distinct multi-select combinations: normalise
# each piece of text once.
_norm_piece = lru_cache(maxsize=65536)(norm)


def _split_segments(text: str, value_map: dict[str, str]) -> tuple[list[str], list[str]]:
    """Match known labels on separator boundaries; returns codes and unmatched pieces.

    The answer is cut at every "," and ";"; neighbouring pieces are joined again when together
    they form a known label ("Dusj, garderobe og skap"), longest first. A label never matches
    inside a piece, so a word like "anna" inside typed text does not count as an answer.
    """
    pieces = [piece for piece in map(_norm_piece, text.replace(";", ",").replace("\n", ",").split(",")) if piece]
    codes: list[str] = []
    leftovers: list[str] = []
    position = 0
    spans = getattr(value_map, "spans", None)
    if spans is not None and spans.keys().isdisjoint(pieces):
        # Fast path: no piece can start a label with commas, so each piece stands alone.
        found = [value_map.get(piece) for piece in pieces]
        codes = list(dict.fromkeys(part for code in found if code is not None for part in code.split(MULTI_SEP) if part))
        return codes, [piece for piece, code in zip(pieces, found) if code is None]
    while position < len(pieces):
        # Normalised labels never contain separators, so joined normalised pieces compare directly.
        longest = spans.get(pieces[position], 1) if spans is not None else _MAX_SPAN
        for span in range(min(longest, len(pieces) - position), 0, -1):
            code = value_map.get(" ".join(pieces[position:position + span]))
            if code is not None:
                break
        else:
            leftovers.append(pieces[position])
            position += 1
            continue
        for part in code.split(MULTI_SEP):
            if part and part not in codes:
                codes.append(part)
        position += span
    return codes, [piece for piece in leftovers if piece]


class _PieceCoder:
    """Splits multi-select answers of one column, looking up each distinct piece of text once.

    Thousands of distinct combinations are made of the same few option labels. An answer none
    of whose pieces can start a label with commas is coded piece by piece from the cache; the
    others go through :func:`_split_segments`, which joins neighbouring pieces.
    """

    def __init__(self, value_map: dict[str, str]) -> None:
        self.value_map = value_map
        self.spans: dict[str, int] | None = getattr(value_map, "spans", None)
        self.pieces: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        self.span_starts: set[str] = set()  # raw pieces whose label continues after a comma

    def _piece(self, text: str) -> tuple[str, tuple[str, ...] | None]:
        key = _norm_piece(text)
        code = self.value_map.get(key) if key else None
        if self.spans is not None and key in self.spans:
            self.span_starts.add(text)
        # the codes of a label without empty parts (a label coded "" gives none, and is no leftover)
        parts = tuple(part for part in code.split(MULTI_SEP) if part) if code is not None else None
        found = self.pieces[text] = (key, parts)
        return found

    def split(self, text: str) -> tuple[list[str], list[str]]:
        """Codes and unmatched (normalised) pieces, as :func:`_split_segments` returns them."""
        if self.spans is None:
            return _split_segments(text, self.value_map)
        raw = text.replace(";", ",").replace("\n", ",").split(",")
        pieces = self.pieces
        found = [pieces.get(piece) or self._piece(piece) for piece in raw]
        if self.span_starts and not self.span_starts.isdisjoint(raw):
            return _split_segments(text, self.value_map)
        codes: list[str] = []
        leftovers: list[str] = []
        for key, parts in found:
            if parts is None:
                if key:
                    leftovers.append(key)
                continue
            for part in parts:  # a handful of codes: a list keeps their order and finds repeats
                if part not in codes:
                    codes.append(part)
        return codes, leftovers


_OTHER_TEXT = re.compile(r"\b(?:other|anna|annet|andre)\s*(?:\((?:[^()]|\([^()]*\))*\)?|:[^;]*)", re.IGNORECASE)


def _generic_transit(raw: pd.Series) -> pd.Series:
    """Rows whose answer is an unspecified "public transport" (coded as bus, by assumption)."""
    generic = {norm(label) for label in answers_vocabulary().get("generic_transit", [])}
    codes, uniques = distinct(raw)
    return pd.Series(spread([norm(value) in generic for value in uniques], codes, missing=False, dtype=bool),
                     index=raw.index)


def code_multi(raw: pd.Series, value_map: dict[str, str]) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Code a multi-select column whose answers are joined by "," or ";" (labels may contain commas).

    Splitting works on the known option list, not on the separators: the longest known label at
    each position wins. Returns (codes joined by ";", partly-unknown mask, leftover text).
    """
    other_key = next((key for key in ("other", "anna", "annet") if key in value_map), None)
    positions, uniques = distinct(raw)
    split = _PieceCoder(value_map).split
    code_results: list[str | None] = []
    left_results: list[str | None] = []
    for value in uniques:
        # "Other (please specify)" answers hold free text: keep only the fact that "other" was chosen.
        text = str(value)
        n_other = 0
        if "(" in text or ":" in text:
            text, n_other = _OTHER_TEXT.subn(", other, ", text)
        codes, leftovers = split(text)
        if n_other and other_key is None:
            leftovers = [part for part in leftovers if part != "other"] + ["other (free text)"]
        code_results.append(MULTI_SEP.join(codes) if codes else None)
        left_results.append("; ".join(leftovers) if leftovers else None)
    coded = _categorical(code_results, positions, raw.index)
    leftover = _categorical(left_results, positions, raw.index)
    return coded, leftover.notna(), leftover


def _categorical(per_value: list[str | None], positions: np.ndarray, index: pd.Index) -> pd.Series:
    """A categorical column from one result per distinct value (None = missing)."""
    small, categories = pd.factorize(np.array(per_value + [None], dtype=object), use_na_sentinel=True)
    return pd.Series(pd.Categorical.from_codes(small[positions], categories=pd.Index(categories, dtype=object)),
                     index=index)


def code_bool(raw: pd.Series, value_map: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    codes, unknown, _ = code_single(raw, value_map)
    categories = list(codes.cat.categories)
    truth = np.array([c == "true" for c in categories] + [False])
    row_codes = codes.cat.codes.to_numpy()
    out = pd.array(truth[row_codes], dtype="boolean")
    out[row_codes < 0] = pd.NA
    return pd.Series(out, index=raw.index), unknown


# ---------------------------------------------------------------------------------------------
# the cleaner

def _issues(index: pd.Index, column: str, raw: pd.Series | str | None, problem: str, action: str) -> pd.DataFrame:
    if len(index) == 0:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    raw_values: np.ndarray | list[str | None]
    if isinstance(raw, pd.Series):
        # a municipality is a name; elsewhere a name where a code or number belongs is a person's
        raw_values = _safe_raw(raw.loc[index], common=_common_values(raw), names=column != "municipality").to_numpy()
    else:
        raw_values = [raw] * len(index)
    return pd.DataFrame({
        "source_row": np.asarray(index, dtype=int), "column": column, "raw_value": raw_values,
        "problem": problem, "action": action,
    })


def _common_values(raw: pd.Series) -> set[object]:
    """Answers given by at least k respondents in the column (never personal on their own)."""
    codes, uniques = distinct(raw)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return set(uniques[are_common(counts)])


_NUMBER_TOKEN = re.compile(r"[\d.,/½<>+\-–~()?%e]+")
_UNIT_WORDS = frozenset({
    "km", "kilometer", "kilometre", "kilometers", "mil", "mile", "miles", "mi", "m", "meter", "min", "mins",
    "minutt", "minutter", "minutes", "minute", "t", "h", "time", "timar", "timer", "hour", "hours",
    "dag", "dagar", "dager", "day", "days", "ca", "ca.", "approx", "approx.", "cirka", "about", "omtrent",
})


def _number_like(value: object) -> bool:
    """Answers made only of numbers, units and qualifiers ("2,9", "ca. 12 km", "?")."""
    tokens = str(value).casefold().split()
    return bool(tokens) and all(
        token in _UNIT_WORDS or (_NUMBER_TOKEN.fullmatch(token) is not None and not token.isalpha())
        for token in tokens)


def _safe_raw(raw: pd.Series, *, common: set[object] | None = None, names: bool = True) -> pd.Series:
    """Raw values fit for quality.csv.

    An answer is copied only when it cannot be personal: given by at least k respondents, or
    made only of numbers and units. Anything else (typed text, long text) is replaced by a
    marker; an answer that looks like an identifier (phone or identity number, date of birth,
    e-mail, name; :func:`grontur.privacy.mask_identifiers`) by the placeholder of its kind, however
    many gave it and however number-like it is. Text a spreadsheet would run as a formula gets an
    apostrophe.
    """
    text = raw.astype(object)
    long_text = text.astype("string").str.len().fillna(0) > 60
    kinds = identifier_kinds(text, names=names)
    identifying = kinds.notna()
    codes, uniques = distinct(text)
    safe_value = np.array([(common is not None and value in common) or _number_like(value) for value in uniques]
                          + [True])
    rare_text = ~safe_value[codes]
    out = text.where(~rare_text, RARE_TEXT).where(~long_text, REDACTED)
    return defuse_formulas(out.where(~identifying, kinds.map(PLACEHOLDERS)))


def clean(mapped: MappedExport, *, municipality: str | None = None, wave: str | None = None,
          respondent_id: pd.Series | None = None, submitted: pd.Series | None = None,
          answers: pd.DataFrame | None = None, excluded: pd.Series | None = None,
          respondent_keys: np.ndarray | None = None) -> CleanResult:
    """Code, convert and check the mapped answers; build the canonical table.

    Parameters
    ----------
    mapped
        The output of :func:`grontur.mapping.apply_mapping`.
    municipality
        Municipality number or name for rows whose export has none (translated to 2024 numbers).
    wave
        Survey round, e.g. ``"2025-03"``, for rows without one.
    respondent_id
        Pseudonymous ids aligned with the rows (generated by the importer).
    respondent_keys
        A number per id of ``respondent_id`` (in its order), equal exactly where the ids are, every
        id filled (the importer's hashes behind the pseudonyms): repeated ids are found on these
        numbers instead of hashing the ids as text again.
    submitted
        Submission times as read or parsed (never output), used to find double submissions.
    answers
        Every answered column of the export, mapped or not (ids, timestamps and tool metadata
        left out): a row is a copy of another only when it is identical in all of them. By
        default the mapped columns.
    excluded
        Quarantine reason per row set aside by a row rule (``unfinished``, ``spam``, ...; None
        for the others): these rows are neither checked for content nor taken as originals.
    """
    config = cleaning_settings()
    frame = mapped.frame
    index = frame.index
    out: dict[str, pd.Series] = {}
    issues: list[pd.DataFrame] = []
    unknown_values: dict[str, dict[str, int]] = {}

    for column in frame.columns:
        kind, _codes = COLUMNS[column]
        raw = frame[column]
        vmap = mapped.value_maps.get(column, {})
        declared = declared_missing(raw, vmap)
        if declared.any():
            # "-1": "" in the mapping: the tool's code for "no answer" is missing, never a code.
            issues.append(_issues(index[declared.to_numpy()], column, raw, "missing_code", "set_missing"))
            raw = raw.astype(object).where(~declared, None)
        if kind == "code":
            codes, unknown, fuzzy = code_single(raw, vmap)
            out[column] = codes
            if unknown.any():
                rows = index[unknown.to_numpy()]
                issues.append(_issues(rows, column, raw, "unknown_answer", "set_missing"))
                unknown_values[column] = _publishable_counts(raw[unknown].value_counts())
            if column in ("mode_summer", "mode_winter"):
                generic = _generic_transit(raw)
                if generic.any():
                    rows = index[generic.to_numpy()]
                    issues.append(_issues(rows, column, raw, "generic_transit_coded_bus", "coded_bus"))
            if fuzzy:
                matched = raw.isin(list(fuzzy))
                rows = index[matched.to_numpy()]
                issues.append(_issues(rows, column, raw, "approximate_answer_match", "coded_closest_label"))
        elif kind == "multi":
            codes, partial, leftover = code_multi(raw, vmap)
            out[column] = codes
            if partial.any():
                rows = index[partial.to_numpy()]
                action = np.where(codes.loc[rows].notna(), "kept_known_options", "set_missing")
                frame_issue = _issues(rows, column, leftover, "unknown_option", "")
                frame_issue["action"] = action
                issues.append(frame_issue)
                unknown_values[column] = _publishable_counts(leftover[partial].value_counts())
        elif kind == "bool":
            values, unknown = code_bool(raw, vmap)
            out[column] = values
            if unknown.any():
                rows = index[unknown.to_numpy()]
                issues.append(_issues(rows, column, raw, "unknown_answer", "set_missing"))
                unknown_values[column] = _publishable_counts(raw[unknown].value_counts())
        elif kind == "float":
            number_kind = {"distance_km": "distance", "travel_time_min": "time"}.get(column, "count")
            values, unusable = parse_numbers(raw, kind=number_kind, unit=mapped.units.get(column), value_map=vmap)
            if unusable.any():
                rows = index[unusable.to_numpy()]
                issues.append(_issues(rows, column, raw, "unreadable_number", "set_missing"))
            out[column] = values
        else:
            # Workplaces and postcodes stay categorical (their later checks work per distinct value).
            if column in ("respondent_id", "wave"):
                out[column] = raw.astype(object)
            elif column == "municipality":
                out[column] = raw  # translated through its distinct values below (_municipality)
            else:
                out[column] = defuse_formulas(raw)

    table = pd.DataFrame(out, index=index)
    table, range_issues = _check_ranges(table, frame, config)
    issues.extend(range_issues)
    if "home_postcode" in table.columns:
        table["home_postcode"], bad = _postcodes(table["home_postcode"])
        if bad.any():
            rows = index[bad.to_numpy()]
            issues.append(_issues(rows, "home_postcode", frame["home_postcode"], "invalid_postcode", "set_missing"))
    table, muni_issues = _municipality(table, frame, municipality)
    issues.extend(muni_issues)
    if wave is not None:
        table["wave"] = table["wave"].fillna(str(wave)) if "wave" in table.columns else str(wave)
    id_keys = None
    if respondent_id is not None:
        table["respondent_id"] = respondent_id.reindex(index).astype(object)
        if respondent_keys is not None and respondent_id.index.equals(index):
            id_keys = respondent_keys
    if "grid_tie" in frame.attrs:
        tie = frame.attrs["grid_tie"]
        rows = index[tie.reindex(index).fillna(False).to_numpy(dtype=bool)]
        issues.append(_issues(rows, "mode_summer", table["mode_summer"], "grid_tie", "tie_rule_applied"))

    # Problems found while mapping (weekday grids: unknown day answers, ties), one row each.
    for rows, column, raw_values, problem, action in frame.attrs.get("row_issues", ()):
        issues.append(_issues(pd.Index(rows).intersection(index), column, raw_values, problem, action))

    # Quarantine: nothing usable, or a duplicate submission.
    usable_columns = [c for c in REQUIRED_ANY if c in table.columns]
    usable = table[usable_columns].notna().any(axis=1) if usable_columns else pd.Series(False, index=index)
    filtered = (excluded.reindex(index) if excluded is not None
                else pd.Series(None, index=index, dtype=object))
    eligible = filtered.isna()
    duplicate_reason, copy_of, duplicate_issues = _duplicates(
        table, frame if answers is None else answers.reindex(index), submitted, config, eligible, id_keys)
    issues.extend(duplicate_issues)
    # the numpy and pandas stubs reject a None operand and dtype=object (valid: an object array)
    reason = pd.Series(np.where(~usable.to_numpy(), "no_mode_or_distance", None), index=index, dtype=object)  # type: ignore[call-overload, arg-type]
    reason = filtered.where(filtered.notna(), reason.where(reason.notna(), duplicate_reason))
    quarantined = reason.notna()
    copies = copy_of.where(reason.isin(DUPLICATE_REASONS))
    quarantine = pd.DataFrame({"source_row": np.asarray(index[quarantined.to_numpy()], dtype=int),
                               "reason": reason[quarantined].to_numpy(),
                               "copy_of": pd.array(copies[quarantined].to_numpy(), dtype="Int64")})
    kept = _order(table, np.flatnonzero(~quarantined.to_numpy()))
    # Workplaces are typed names: one named by fewer than k kept respondents may be a person's.
    rare = generalise_rare(kept, DEFAULT_K, columns=("workplace",))
    kept = rare.table
    if len(rare.rows.get("workplace", ())):
        rows = pd.Index(kept.loc[rare.rows["workplace"], "source_row"].to_numpy())
        issues.append(_issues(rows, "workplace", RARE_TEXT, "rare_workplace", "set_missing"))
    issue_frame = (pd.concat([f for f in issues if len(f)], ignore_index=True)
                   if any(len(f) for f in issues) else pd.DataFrame(columns=list(ISSUE_COLUMNS)))
    if len(issue_frame):
        issue_frame = issue_frame.sort_values(["source_row", "column"], kind="stable").reset_index(drop=True)
        issue_frame["source_row"] = issue_frame["source_row"].astype(int)
    account = {"input_rows": len(table), "kept": len(kept), "quarantined": int(quarantined.sum())}
    log.info("cleaned %d rows: %d kept, %d quarantined, %d issues", account["input_rows"], account["kept"],
             account["quarantined"], len(issue_frame))
    return CleanResult(kept, issue_frame, quarantine, account, unknown_values)


def _publishable_counts(counts: pd.Series) -> dict[str, int]:
    """Unknown answers for the mapping report: those given by fewer than k people are pooled."""
    counts = counts[counts > 0]
    shown = counts[are_common(counts)].head(20)
    out = {_safe_label(k): int(v) for k, v in shown.items()}
    rest = int(counts.sum() - shown.sum())
    if rest:
        out[RARE_VALUES] = rest
    return out


def _safe_label(value: object) -> str:
    text = str(value)
    return REDACTED if len(text) > 60 else str(mask_identifiers(pd.Series([text], dtype=object), names=True).iloc[0])


def _order(table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The given rows in canonical column order, text columns as plain strings (NaN for missing),
    and ``source_row`` last."""
    index = pd.RangeIndex(len(rows))
    columns: dict[str, pd.Series] = {}
    # copy=False throughout: every column is a new array already; pandas would copy it again and
    # then stack the columns of one dtype into a block, a third copy.
    for column in (c for c in COLUMNS if c in table.columns):
        series = table[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = np.append(series.cat.categories.to_numpy(dtype=object), np.nan)
            # dtype=object: pandas would otherwise inspect every cell to infer a string dtype.
            columns[column] = pd.Series(categories[series.cat.codes.to_numpy()[rows]], index=index, dtype=object,
                                        copy=False)
        else:
            columns[column] = pd.Series(series.array.take(rows), index=index, dtype=series.dtype, copy=False)
    columns["source_row"] = pd.Series(np.asarray(table.index, dtype=int)[rows], index=index, copy=False)
    return pd.DataFrame(columns, index=index, copy=False)


def _check_ranges(table: pd.DataFrame, raw: pd.DataFrame, config: dict[str, float]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    issues = []
    index = table.index
    if "distance_km" in table.columns:
        distance = table["distance_km"]
        too_far = distance > config["max_distance_km"]
        not_positive = distance <= 0
        issues.append(_issues(index[too_far.to_numpy()], "distance_km", raw["distance_km"], "distance_over_300km", "set_missing"))
        issues.append(_issues(index[not_positive.to_numpy()], "distance_km", raw["distance_km"], "distance_not_positive", "set_missing"))
        table["distance_km"] = distance.mask(too_far | not_positive)
        distance = table["distance_km"]
        for mode, limit_key, problem in (("walk", "walk_flag_km", "walk_distance_implausible"),
                                         ("bike", "bike_flag_km", "bike_distance_implausible")):
            uses = pd.Series(False, index=index)
            for season in ("mode_summer", "mode_winter"):
                if season in table.columns:
                    uses |= table[season].eq(mode).fillna(False).astype(bool)
            flagged = uses & (distance > config[limit_key])
            issues.append(_issues(index[flagged.to_numpy()], "distance_km", raw["distance_km"], problem, "kept_flagged"))
    if "travel_time_min" in table.columns:
        time = table["travel_time_min"]
        bad = (time > config["max_travel_time_min"]) | (time <= 0)
        issues.append(_issues(index[bad.to_numpy()], "travel_time_min", raw["travel_time_min"], "time_out_of_range", "set_missing"))
        table["travel_time_min"] = time.mask(bad)
    for column in ("days_on_site", "remote_days"):
        if column in table.columns:
            days = table[column]
            bad = (days < 0) | (days > 7)
            issues.append(_issues(index[bad.to_numpy()], column, raw[column], "days_out_of_range", "set_missing"))
            table[column] = days.mask(bad)
    return table, issues


def _postcodes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Postcodes as 4-digit strings: leading zeros restored ("301" -> "0301")."""
    codes, uniques = distinct(values)
    per_value = []
    for value in uniques:
        text = re.sub(r"\s+", "", str(value))
        text = text[:-2] if re.fullmatch(r"\d+\.0", text) else text
        text = re.sub(r"^(?:no-?|n-)", "", text, flags=re.IGNORECASE)
        per_value.append(text.zfill(4) if re.fullmatch(r"\d{1,4}", text) and text != "0" * len(text) else None)
    # Categorical (two spellings may give one postcode): laid out as text with the other columns.
    invalid = np.array([value is None for value in per_value] + [False])
    return _categorical(per_value, codes, values.index), pd.Series(invalid[codes], index=values.index)


def _municipality(table: pd.DataFrame, raw: pd.DataFrame, municipality: str | None) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    from grontur.municipalities import lookup, translate_numbers

    issues = []
    default = lookup(municipality).number if municipality is not None else None
    if "municipality" in table.columns:
        codes, uniques = distinct(table["municipality"])
        per_value = translate_numbers(pd.Series(uniques, dtype=object)).astype(object).to_numpy()
        known = np.array([isinstance(v, str) for v in per_value] + [False])
        same = np.array([isinstance(v, str) and v == str(u).strip().removesuffix(".0").zfill(4)
                         for v, u in zip(per_value, uniques)] + [False])
        bad = pd.Series((codes >= 0) & ~known[codes], index=table.index)
        changed = pd.Series(known[codes] & ~same[codes], index=table.index)
        issues.append(_issues(table.index[bad.to_numpy()], "municipality", raw["municipality"],
                              "unknown_municipality", "set_project_municipality" if default else "set_missing"))
        issues.append(_issues(table.index[changed.to_numpy()], "municipality", raw["municipality"],
                              "municipality_number_translated", "translated_to_2024"))
        # Per distinct value: the 2024 number, else the project's municipality, else missing (NaN).
        fallback = np.nan if default is None else default
        final = np.array([value if ok else fallback for value, ok in zip(per_value, known[:-1])] + [fallback],
                         dtype=object)
        table["municipality"] = pd.Series(final[codes], index=table.index, dtype=object, copy=False)
    elif default is not None:
        table["municipality"] = default
    return table, issues


_DUPLICATE_EXCLUDE = ("respondent_id", "source_row")


def _parse_times(values: pd.Series, needed: np.ndarray) -> pd.Series:
    """Submission times as datetimes, parsed only for rows that need them (ISO first, then any format)."""
    subset = values[needed]
    if not pd.api.types.is_datetime64_any_dtype(subset):
        text = subset.astype(object)
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if parsed.isna().mean() > 0.5:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        subset = parsed
    return subset.reindex(values.index)


def _duplicates(table: pd.DataFrame, answers: pd.DataFrame, submitted: pd.Series | None,
                config: dict[str, float], eligible: pd.Series,
                id_keys: np.ndarray | None = None) -> tuple[pd.Series, pd.Series, list[pd.DataFrame]]:
    """Later copies of the same respondent id, or of the same answers submitted within minutes.

    Two rows hold the same answers only when they agree in every column of ``answers`` (mapped
    or not) and hold at least ``min_answers`` answers (``surveys/cleaning.yaml``): rows that
    differ in any question are two people. Returns the reason per row, the earlier row each copy
    repeats (``copy_of``) and the issues, whose ``raw_value`` names that row ("row 3"). ``id_keys``
    (see :func:`clean`) stand for the ids when given.
    """
    index = table.index
    reason = pd.Series(None, index=index, dtype=object)
    copy_of = pd.Series(np.nan, index=index, dtype=float)
    issues = []
    positions = pd.Series(np.asarray(index, dtype=float), index=index)
    if "respondent_id" in table.columns:
        # Each id hashed once: codes in order of first appearance, -1 for rows without one or not eligible.
        ids = table["respondent_id"].to_numpy(dtype=object) if id_keys is None else id_keys
        id_codes, _ = pd.factorize(ids, use_na_sentinel=True)
        id_codes[~eligible.to_numpy(dtype=bool)] = -1
        first_row = _first_rows(np.where(id_codes >= 0, id_codes, len(index)))
        same_id = pd.Series((id_codes >= 0) & (first_row != np.arange(len(index))), index=index)
        first_of = pd.Series(positions.to_numpy()[first_row], index=index)
        reason = reason.mask(same_id, "duplicate_id")
        copy_of = copy_of.mask(same_id, first_of)
        issues.append(_pair_issues(index[same_id.to_numpy()], "respondent_id", first_of, "duplicate_id",
                                   "quarantined_later_copy"))
    answer_columns = [c for c in answers.columns if c not in _DUPLICATE_EXCLUDE and c not in ("municipality", "wave")]
    if not answer_columns:
        return reason, copy_of, issues
    # One 64-bit hash per row of the raw answers, from the distinct-value codes of each column.
    codes = pd.DataFrame({c: distinct(answers[c])[0] for c in answer_columns}, index=answers.index)
    informative = ((codes >= 0).sum(axis=1) >= int(config["min_answers"])) & eligible
    # Rows that cannot be copies get keys of their own (their position), so they match nothing.
    hashed = pd.util.hash_pandas_object(codes, index=False).to_numpy()
    groups, _ = pd.factorize(hashed)
    # Rows that cannot be copies get a group of their own.
    groups = np.where(informative.to_numpy(), groups, len(groups) + np.arange(len(groups)))
    key = pd.Series(groups, index=index)
    first_row = _first_rows(groups)
    identical = informative & (first_row != np.arange(len(index)))
    original = pd.Series(positions.to_numpy()[first_row], index=index)
    if submitted is not None and identical.any():
        times = _parse_times(submitted.reindex(index), (informative & key.duplicated(keep=False)).to_numpy())
        ordered = pd.DataFrame({"key": key.to_numpy(), "time": times.to_numpy(), "row": positions.to_numpy()},
                               index=index)
        grouped = ordered.groupby("key", sort=False)
        previous = grouped["time"].shift(1)
        previous_row = grouped["row"].shift(1)
        gap = (ordered["time"] - previous).dt.total_seconds() / 60
        quick = identical & gap.notna() & (gap.abs() <= config["window_minutes"])
        quick &= reason.isna()
        reason = reason.mask(quick, "duplicate_submission")
        copy_of = copy_of.mask(quick, previous_row)
        issues.append(_pair_issues(index[quick.to_numpy()], "*", previous_row, "duplicate_submission",
                                   "quarantined_later_copy"))
        identical &= ~quick
    # Identical answers without close submission times may well be two people: flag only.
    flagged = identical & reason.isna()
    issues.append(_pair_issues(index[flagged.to_numpy()], "*", original, "identical_answers", "kept_flagged"))
    return reason, copy_of, issues


def _first_rows(groups: np.ndarray) -> np.ndarray:
    """For each row, the number of the first row of its group (non-negative integer codes)."""
    if not len(groups):
        return np.empty(0, dtype=np.intp)
    first = np.full(int(groups.max()) + 1, len(groups), dtype=np.intp)
    np.minimum.at(first, groups, np.arange(len(groups), dtype=np.intp))
    return first[groups]


def _pair_issues(rows: pd.Index, column: str, earlier: pd.Series, problem: str, action: str) -> pd.DataFrame:
    """Issues of repeated rows; ``raw_value`` names the earlier row each repeats ("row 3")."""
    frame = _issues(rows, column, None, problem, action)
    if len(frame):
        frame["raw_value"] = [f"row {int(value)}" for value in earlier.loc[rows].to_numpy()]
    return frame
