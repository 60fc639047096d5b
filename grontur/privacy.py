"""Privacy at import: identifiers are dropped before anything else happens.

Names, e-mail addresses, phone numbers, IP addresses, street addresses, locations, exact
timestamps and free text are found by column name and by value patterns and dropped, each with a
reason the output reports. Columns that hold answers grontur uses are kept, but any cell in them
that looks like an identifier (an "other, please specify" answer holding an e-mail address) is
blanked. Respondent ids are replaced by salted hashes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from grontur._distinct import distinct
from grontur.io import RawExport
from grontur.mapping import fold
from grontur.publish import are_small

log = logging.getLogger(__name__)

REASONS = ("name", "email", "phone", "national_id", "birth_date", "ip_address", "address", "location", "timestamp",
           "free_text", "identifier", "meta")

_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    ("email", r"e-?mail|e-?post\b|epost|e-postadresse"),
    ("phone", r"phone|telefon|mobil(?:nummer)?\b|\btlf\b|mobile"),
    ("ip_address", r"^ip$|\bip[ -]?ad(d)?ress|ipaddress"),
    ("location", r"latitude|longitude|\blat\b|\blon\b|\blng\b|geolocation|gps"),
    ("name", (r"^(?:full |first |last |your |ditt |ditt fulle |fullt )?(?:name|navn|namn)$|^(?:fornavn|etternavn|førenamn|etternamn|fornamn)$"
             r"|recipient ?(first|last) ?name|^name of|^navn på deg|^kva heiter du|^hva heter du")),
    ("address", r"address|adresse|street|gateadresse|where do you live|kvar bur du|hvor bor du|bustadadresse|bostedsadresse"),
    ("timestamp", (r"timestamp|tidsmerke|tidsstempel|^(start|end|completion|submission|submitted|recorded|created|last modified)( ?(date|time|dato|tid))?$"
                  r"|^(startdato|sluttdato|innsendt|levert|dato|date|tidspunkt|time)$|^\$created$|fullføringstidspunkt|starttidspunkt")),
    ("free_text", (r"comment|kommentar|merknad|fritekst|free text|skriv her|write here|please write|fyll inn|please specify|spesifiser|other thoughts|additional thoughts"
                  r"|anything else|any other|noko anna|noe annet|tilbakemelding|feedback|suggestions?\b|forslag"
                  r"|specific changes|^other$|^anna$|^annet$|\(other\)|describe|beskriv|utdjup|utdyp|why\?|kvifor\?|hvorfor\?")),
)

# Quantifiers are bounded so that very long cells cannot make the patterns backtrack for long.
_EMAIL = r"[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,63}"
_PHONE = (r"(?<![\w.,])(?:\+|00)\d[\d ]{7,14}(?![\d.,])|(?<![\d.,])\d{3} ?\d{2} ?\d{3}(?![\d.,])"
          r"|(?<![\d.,])[2-9]\d{3} \d{4}(?![\d.,])"
          r"|(?<![\d.,])\d{2} \d{2} \d{2} \d{2}(?![\d.,])|\(\d{3}\) ?\d{3}-\d{4}|(?<![\d.,])\d{3}-\d{3}-\d{4}(?![\d.,])")
# A Norwegian national identity number (fødselsnummer, D-number): 11 digits, often split after the birth date.
_NATIONAL_ID = r"(?<![\d.,])\d{6} ?\d{5}(?![\d.,])"
# A date of birth: day, month and a year before 2020 (or two digits) in either order, with . / or -.
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_BIRTH_DATE = (rf"(?<![\d.,/-]){_DAY}[./-]{_MONTH}[./-](?:19\d\d|20[01]\d|\d\d)(?![\d.,/-])"
               rf"|(?<![\d.,/-])(?:19\d\d|20[01]\d)[./-]{_MONTH}[./-]{_DAY}(?![\d.,/-])")
# A personal name typed where a code or a number belongs: two or three capitalised words, letters only,
# the first not a preposition, article or the like ("From Dover", "Ved Sjøen" are places).
_NOT_FIRST_NAME = (r"(?:From|To|Near|By|In|At|On|Of|Off|About|Around|The|My|Our|Via|Over|Under|No|Not|Frå|Fra|Til|Ved"
                   r"|På|Mot|Om|Ca|Rundt|Ein|Eit|En|Et|Ett|Det|Den|Ingen|Ikkje|Ikke|Nær|Nord|Sør|Aust|Øst|Vest)(?= )")
_NAME = (rf"^(?!{_NOT_FIRST_NAME})" + r"[A-ZÆØÅÄÖÜ][a-zæøåäöüé'-]{1,30}(?: [A-ZÆØÅÄÖÜ][a-zæøåäöüé'-]{1,30}){1,2}$")
_IP = r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}\b"
_STREET = (r"\b\d+[a-z]?\s+(?!(?:km|kilomet\w*|miles?|mi|min\w*|m|mil|days?|dagar|dager|timar|timer|hours?)\b)(?:[A-ZÆØÅa-zæøå][\w.]{0,30}\s+){1,3}(?:st|street|rd|road|ave|avenue|dr|drive|ln|lane|blvd|way|ct|court|pl|place)\b\.?"
           r"|\b[\wæøå]{1,40}(?:vegen|veien|gata|gate|vei|veg|bakken|stien|plassen|tunet)\s+\d+[a-z]?\b")
_TIMESTAMP = (r"^\d{4}-\d{2}-\d{2}[ t]\d{1,2}:\d{2}|^\d{1,2}[./]\d{1,2}[./]\d{2,4}[ ,]+\d{1,2}:\d{2}"
              r"|^\d{1,2}:\d{2}(?::\d{2})?$")

VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(_EMAIL, re.IGNORECASE)),
    ("ip_address", re.compile(_IP, re.IGNORECASE)),
    ("phone", re.compile(_PHONE)),
    ("address", re.compile(_STREET, re.IGNORECASE)),
    ("timestamp", re.compile(_TIMESTAMP, re.IGNORECASE)),
    ("national_id", re.compile(_NATIONAL_ID)),
    ("birth_date", re.compile(_BIRTH_DATE)),
)
_NAME_PATTERN = re.compile(_NAME)

#: What quality.csv, the mapping report and the import summary show instead of an answer that
#: looks like an identifier (fixed codes, like the other markers of quality.csv).
PLACEHOLDERS: dict[str, str] = {
    "email": "<e-mail address removed>",
    "phone": "<phone number removed>",
    "national_id": "<national identity number removed>",
    "birth_date": "<date of birth removed>",
    "ip_address": "<IP address removed>",
    "address": "<address removed>",
    "name": "<name removed>",
}
#: Kinds searched for in answer cells, most specific first (a timestamp in an answer is no identifier).
_CELL_KINDS = ("email", "national_id", "birth_date", "ip_address", "phone", "address")


@dataclass(frozen=True)
class DroppedColumn:
    """A column removed at import, and why."""

    column: str
    reason: str
    found_by: str  # "name" or "values"

    def as_dict(self) -> dict[str, str]:
        return {"column": self.column, "reason": self.reason, "found_by": self.found_by}


def reason_from_name(header: str) -> str | None:
    """The identifier kind a column name announces, if any."""
    folded = fold(header)
    for reason, pattern in _NAME_PATTERNS:
        if re.search(pattern, folded, re.IGNORECASE):
            return reason
    return None


def identifier_kinds(values: pd.Series, *, names: bool = False) -> pd.Series:
    """Per cell, the kind of identifier it holds (a key of :data:`PLACEHOLDERS`), else None.

    E-mail addresses, national identity numbers, dates of birth, IP addresses, phone numbers and
    street addresses anywhere in the cell; with ``names`` also a cell that is nothing but a
    personal name (meant for answers where a code or a number belongs). Evaluated on distinct
    values only, so it costs little on large exports.
    """
    codes, found = distinct(values)
    if len(found) == 0:
        return pd.Series(None, index=values.index, dtype=object)
    return pd.Series(_kinds_of(found, names=names)[codes], index=values.index, dtype=object)


def _kinds_of(found: np.ndarray, *, names: bool) -> np.ndarray:
    """:func:`identifier_kinds` of each distinct value, and None for a missing cell at the end.

    Plain loops over the distinct values (pandas' string methods cost more per call than the
    search itself on a few thousand short answers)."""
    text = [value if isinstance(value, str) else str(value) for value in found.tolist()]
    kind: list[str | None] = [None] * len(text)
    # Cheap filters first: every pattern but the name needs an "@" or a digit.
    has_at = ["@" in value for value in text]
    has_digit = [_DIGIT.search(value) is not None for value in text]
    patterns = dict(VALUE_PATTERNS)
    for reason in _CELL_KINDS:
        search = patterns[reason].search
        for position, candidate in enumerate(has_at if reason == "email" else has_digit):
            if candidate and kind[position] is None and search(text[position]) is not None:
                kind[position] = reason
    if names:
        match = _NAME_PATTERN.match
        for position, digit in enumerate(has_digit):
            if not digit and kind[position] is None and match(text[position]) is not None:
                kind[position] = "name"
    return np.array([*kind, None], dtype=object)


_DIGIT = re.compile(r"\d")


def identifier_mask(values: pd.Series) -> pd.Series:
    """Cells that contain an e-mail address, identity number, date of birth, phone number, IP or street address."""
    codes, found = distinct(values)
    if len(found) == 0:
        return pd.Series(False, index=values.index)
    flags = np.not_equal(_kinds_of(found, names=False), None)  # type: ignore[call-overload]  # numpy's stub: no None operand
    return pd.Series(flags[codes], index=values.index)


def mask_identifiers(values: pd.Series, *, names: bool = False) -> pd.Series:
    """``values`` with every cell that looks like an identifier replaced by its placeholder.

    The one masking rule for whatever echoes an answer (quality.csv, the mapping report, the
    import summary); see :func:`identifier_kinds`.

    >>> mask_identifiers(pd.Series(["9123 4567", "12.03.1975", "3550", "Kari Nordmann"]), names=True).tolist()
    ['<phone number removed>', '<date of birth removed>', '3550', '<name removed>']
    """
    kinds = identifier_kinds(values, names=names)
    found = kinds.notna()
    if not found.any():
        return values
    return values.astype(object).where(~found, kinds.map(PLACEHOLDERS))


def reason_from_values(values: pd.Series) -> str | None:
    """The identifier kind a column's values show, if any (e-mail, phone, IP, address, timestamp, free text)."""
    present = values.dropna()
    if present.empty:
        return None
    uniques = pd.Series(present.unique(), dtype=object).astype(str)
    sample = uniques.iloc[:2000]
    for reason, pattern in VALUE_PATTERNS:
        share = float(sample.str.contains(pattern, regex=True).mean())
        # One e-mail address is enough; timestamps must be the column's normal content.
        threshold = 0.5 if reason == "timestamp" else 0.0
        if share > threshold:
            return reason
    if _looks_like_free_text(present, uniques):
        return "free_text"
    return None


def _looks_like_free_text(present: pd.Series, uniques: pd.Series) -> bool:
    lengths = uniques.str.len()
    words = uniques.str.count(r"\s+") + 1
    distinct_share = len(uniques) / max(len(present), 1)
    return bool(len(uniques) >= 3 and distinct_share > 0.8 and lengths.median() > 25 and words.median() >= 5)


def strip_identifiers(raw: RawExport, *, keep: frozenset[str] | set[str] = frozenset(),
                      id_column: str | None = None, exempt: frozenset[str] | set[str] = frozenset(),
                      meta: tuple[tuple[str, str], ...] = ()) -> tuple[RawExport, list[DroppedColumn], pd.DataFrame]:
    """Drop identifier columns and blank identifier cells in the columns grontur keeps.

    Parameters
    ----------
    raw
        The export as read.
    keep
        Columns that hold answers the mapping uses; they are checked cell by cell instead.
    id_column, exempt
        The respondent id and panel code columns (kept here; :func:`pseudonymise` replaces them).
    meta
        Dialect meta columns as ``(pattern, reason)``; dropped with that reason.

    Returns
    -------
    (RawExport, list of DroppedColumn, DataFrame of blanked cells ``source_row, column``)
    """
    frame = raw.frame
    dropped: list[DroppedColumn] = []
    drop: list[str] = []
    blanked = []
    for header in frame.columns:
        if header == id_column or header in exempt:
            continue
        if header in keep:
            mask = identifier_mask(frame[header])
            if mask.any():
                blanked.append(pd.DataFrame({"source_row": frame.index[mask], "column": header}))
            continue
        folded = fold(header)
        reason = next((r for p, r in meta if re.search(p, folded, re.IGNORECASE)), None)
        found_by = "name"
        if reason is None:
            reason = reason_from_name(header)
        if reason is None:
            reason = reason_from_values(frame[header])
            found_by = "values"
        if reason is not None:
            drop.append(header)
            dropped.append(DroppedColumn(header, reason, found_by))
    cleaned = frame.drop(columns=drop)
    blank_frame = pd.concat(blanked, ignore_index=True) if blanked else pd.DataFrame(columns=["source_row", "column"])
    if len(blank_frame):
        cleaned = cleaned.copy()
        for column, rows in blank_frame.groupby("column")["source_row"]:
            cleaned.loc[rows.to_numpy(), column] = pd.NA
    if dropped:
        log.info("dropped %d identifier columns, blanked %d cells", len(dropped), len(blank_frame))
    return raw.with_frame(cleaned), dropped, blank_frame


#: Columns of cleaned.csv that together could single a person out (quasi-identifiers): a value held
#: by fewer than k kept respondents is generalised (blanked) there.
QUASI_IDENTIFIERS = ("workplace", "home_postcode", "job_group", "age_band")
#: The combination on which the import counts rows that are unique (a k-anonymity figure).
UNIQUENESS_COLUMNS = ("home_postcode", "job_group", "shift_work", "age_band")


@dataclass(frozen=True)
class Generalised:
    """A table with rare values generalised, and which rows were generalised in which column."""

    table: pd.DataFrame
    rows: dict[str, pd.Index]

    def counts(self) -> dict[str, int]:
        """Cells generalised per column (columns with none left out)."""
        return {column: len(rows) for column, rows in self.rows.items() if len(rows)}


def generalise_rare(table: pd.DataFrame, k: int, columns: tuple[str, ...] = QUASI_IDENTIFIERS) -> Generalised:
    """Blank every value of ``columns`` that fewer than ``k`` rows of ``table`` hold.

    The one rule for rare values of quasi-identifying columns: counted on the rows given (the kept
    rows of an import, after quarantine), never on rows set aside. Missing stays missing.

    >>> frame = pd.DataFrame({"workplace": ["A"] * 5 + ["B"], "job_group": ["school"] * 6})
    >>> done = generalise_rare(frame, 5)
    >>> done.table["workplace"].tolist()[-2:], done.counts()
    (['A', nan], {'workplace': 1})
    """
    out = table
    rows = rare_rows(table, k, columns)
    for column, found in rows.items():
        if len(found):
            if out is table:
                # a new frame whose columns are shared until replaced (copy on write): only the
                # blanked columns are new, the others are neither copied nor stacked into blocks
                out = table.copy(deep=False)
            blanked = table[column].astype(object).copy()
            blanked[found] = np.nan
            out[column] = blanked
    return Generalised(out, rows)


def rare_rows(table: pd.DataFrame, k: int, columns: tuple[str, ...] = QUASI_IDENTIFIERS) -> dict[str, pd.Index]:
    """The rows :func:`generalise_rare` blanks in each of ``columns`` (without copying the table)."""
    return {column: table.index[flags] for column, flags in rare_flags(table, k, columns).items()}


def rare_flags(table: pd.DataFrame, k: int, columns: tuple[str, ...] = QUASI_IDENTIFIERS) -> dict[str, np.ndarray]:
    """:func:`rare_rows` as one flag per row of ``table`` for each of ``columns`` it has."""
    flags: dict[str, np.ndarray] = {}
    for column in columns:
        if column not in table.columns:
            continue
        codes, uniques = distinct(table[column])
        counts = np.append(np.bincount(codes[codes >= 0], minlength=len(uniques)), k)
        flags[column] = np.asarray(are_small(counts[codes], k), dtype=bool)
    return flags


def unique_rows(table: pd.DataFrame, columns: tuple[str, ...] = UNIQUENESS_COLUMNS) -> int | None:
    """How many rows no other row shares on ``columns`` (a blank counts as a value); None without them.

    >>> unique_rows(pd.DataFrame({"home_postcode": ["3550", "3550", "3560"], "age_band": ["u30", "u30", None]}))
    1
    """
    present = [column for column in columns if column in table.columns]
    if not present:
        return None
    codes = pd.DataFrame({column: distinct(table[column])[0] for column in present}, index=table.index)
    return int((~codes.duplicated(keep=False)).sum())


_HEX = np.array([f"{i:02x}" for i in range(256)], dtype="<U2")


def _hash_key(salt: str) -> str:
    """A 16-character key for SipHash, derived from the salt with SHA-256 (about 105 bits)."""
    digest = hashlib.sha256(f"grontur-pseudonym\x1f{salt}".encode()).digest()
    return "".join(chr(33 + byte % 94) for byte in digest[:16])


def pseudonymise(values: pd.Series, salt: str, *, prefix: str = "",
                 normalise: Callable[[object], str] = str) -> pd.Series:
    """Replace ids by keyed hashes (16 hex characters); NA stays NA.

    The hash is SipHash-2-4 (a keyed pseudo-random function, computed by pandas for the whole
    column at once) under a key derived from ``salt``. The same id and salt always give the same
    pseudonym, so repeat surveys can be paired; without a secret salt anyone who knows an id can
    recompute its pseudonym (the empty salt is no secret). Each distinct id is hashed once, as ``prefix + normalise(id)``: the prefix keeps kinds of id
    apart, ``normalise`` can make spellings of one code agree.

    >>> pseudonymise(pd.Series(["a", None]), "s").isna().tolist()
    [False, True]
    >>> a, b = pseudonymise(pd.Series([" ab", "AB"]), "s", normalise=lambda v: v.strip().upper())
    >>> a == b
    True
    """
    return pseudonyms(values, salt, prefix=prefix, normalise=normalise).ids


class Pseudonyms(NamedTuple):
    """What :func:`pseudonyms` gives per cell."""

    #: the pseudonyms (None where the cell was missing), as :func:`pseudonymise` returns them
    ids: pd.Series
    #: the cells that were filled, and so have a pseudonym
    filled: np.ndarray
    #: the 64-bit hash each pseudonym writes out in hexadecimal (0 where missing): two pseudonyms
    #: are equal exactly where their keys are
    keys: np.ndarray


def pseudonyms(values: pd.Series, salt: str, *, prefix: str = "",
               normalise: Callable[[object], str] = str) -> Pseudonyms:
    """:func:`pseudonymise`, with which cells were filled and the hash of each pseudonym as a number."""
    codes, uniques = _hash_units(values)
    hexes = np.full(len(uniques) + 1, None, dtype=object)
    keys = np.zeros(len(uniques) + 1, dtype=np.uint64)
    if len(uniques):
        if normalise is str and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
            text = prefix + uniques if prefix else uniques  # one C loop instead of a Python one
        else:
            text = np.array([prefix + normalise(value) for value in uniques], dtype=object)
        hashed = pd.util.hash_array(text, hash_key=_hash_key(salt), categorize=False)
        as_bytes = hashed.astype(">u8").view(np.uint8).reshape(-1, 8)
        hexes[:-1] = _HEX[as_bytes].view("<U16").ravel()
        keys[:-1] = hashed
    return Pseudonyms(pd.Series(hexes[codes], index=values.index, dtype=object), codes >= 0, keys[codes])


def _hash_units(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """What to hash: the distinct ids and their codes, or every filled cell when most differ."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return distinct(values)
    # The reader keeps a column of repeated answers categorical: a column of text holds ids that
    # mostly differ, whose distinct values would cost a pass over the column and save nothing.
    cells = values.to_numpy(dtype=object)
    filled = pd.notna(cells)
    codes = np.full(len(cells), -1, dtype=np.intp)
    codes[filled] = np.arange(int(filled.sum()))
    return codes, cells[filled]

