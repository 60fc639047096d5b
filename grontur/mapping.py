"""From export columns to canonical columns: dialect mappings, detection and suggestions.

A mapping (one YAML file per export dialect in ``surveys/mappings/``) says which columns are meta
data (dropped, with a reason), which one is a respondent id, and which column fills which
canonical column, with the answer labels that give each code. The questions of the standard
questionnaire are matched by their question texts in nynorsk, bokmål and English, read from
``surveys/standard/questionnaire.yaml`` itself, so exports of the standard survey map with no
questions asked. Answers are coded later, in :mod:`grontur.clean`; this module only decides
which column means what and carries the label vocabulary along.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from grontur._distinct import distinct, spread
from grontur._numbers import cleaning_settings, parse_number
from grontur._yaml import parse as parse_yaml
from grontur._yaml import problem_text
from grontur.errors import ConfigError
from grontur.io import RawExport
from grontur.publish import are_common
from grontur.resources import data_path, standard_questionnaire
from grontur.schema import COLUMNS, DERIVED_COLUMNS, MODES, MULTI_SEP, REQUIRED_ANY
from grontur.weekday import OFF, WeekdayGrid, grid_modes, parse_grids

log = logging.getLogger(__name__)

#: Targets a rule may fill besides the canonical columns.
MODE_BOTH = "mode"            # one main-mode column for both seasons
MODE_GRID = "mode_grid"       # days per week by mode, one column per mode
TARGETS = (*COLUMNS, MODE_BOTH, MODE_GRID)
UNITS = ("km", "miles", "mil", "m", "minutes", "hours", "days", "percent_week")

#: Canonical column -> the vocabulary key in answers.yaml.
_VOCABULARY = {
    "mode_summer": "mode", "mode_winter": "mode", MODE_BOTH: "mode", "would_consider": "mode",
    "car_fuel": "car_fuel", "job_group": "job_group", "parking_at_work": "parking_at_work",
    "age_band": "age_band", "shift_work": "bool", "car_needed_for_work": "bool",
    "children_drop_off": "bool", "stage_of_change": "stage_of_change",
}


# ---------------------------------------------------------------------------------------------
# normalising text

def fold(text: object) -> str:
    """Case-fold and collapse whitespace: the form header patterns are written against."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


_NON_WORD = re.compile(r"[^\w]+")


_NEGATIVE = re.compile(r"[-\u2212]\s*(\d+(?:[.,]\d+)?)")


@lru_cache(maxsize=1 << 16)
def _norm_text(text: str) -> str:
    folded = fold(text).replace("_", " ")
    negative = _NEGATIVE.fullmatch(folded)
    if negative:
        # A negative code ("-1": no answer, "-2": not asked) keeps its sign: it is not code 1.
        return "-" + " ".join(_NON_WORD.sub(" ", negative.group(1)).split())
    return " ".join(_NON_WORD.sub(" ", folded).split())


def norm(text: object) -> str:
    """Normalise a label for matching: case, accents kept, punctuation and spacing ignored.

    >>> norm("Bil, åleine") == norm("bil  åleine.")
    True
    >>> norm("-1")
    '-1'
    """
    return _norm_text(text if isinstance(text, str) else str(text))


_NUMBERING = re.compile(r"^\s*(?:q\s*)?\d+(?:\.\d+)*\s*[\.\):\-]\s+", re.IGNORECASE)
_SUFFIXES = re.compile(r"\s*-\s*selected choice\s*$", re.IGNORECASE)


def header_stem(header: str) -> tuple[str, bool]:
    """Header without numbering ("3. ", "Q3: ") and Qualtrics suffixes; tells if it was cut short."""
    text = _SUFFIXES.sub("", _NUMBERING.sub("", str(header)))
    truncated = text.rstrip().endswith(("...", "…"))
    text = text.rstrip().rstrip(".…").rstrip()
    return norm(text), truncated


# ---------------------------------------------------------------------------------------------
# the mapping objects

@dataclass(frozen=True)
class ColumnRule:
    """How one export column (or a family of columns) fills a canonical column."""

    target: str
    headers: tuple[str, ...] = ()
    pattern: str | None = None
    unit: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    question_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target}
        if self.headers:
            out["header"] = list(self.headers) if len(self.headers) > 1 else self.headers[0]
        if self.pattern:
            out["pattern"] = self.pattern
        if self.unit:
            out["unit"] = self.unit
        if self.values:
            out["values"] = dict(self.values)
        if self.options:
            out["options"] = dict(self.options)
        return out


#: Operators of a row rule (``keep_rows`` / ``drop_rows``).
ROW_OPERATORS = ("==", "!=", "in", "not_in", "<", "<=", ">", ">=", "empty", "not_empty")
#: Quarantine reasons a row rule may give; ``excluded_by_filter`` is the default.
ROW_REASONS = ("unfinished", "spam", "preview", "excluded_by_filter")


@dataclass(frozen=True)
class RowRule:
    """One row filter: rows whose ``column`` satisfies ``operator values`` match the rule.

    ``drop_rows`` sets matching rows aside; ``keep_rows`` sets aside the rows that do not match.
    Either way the quarantine reason is ``reason``.
    """

    column: str
    operator: str
    values: tuple[str, ...] = ()
    reason: str = "excluded_by_filter"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "operator": self.operator}
        if self.values:
            out["values"] = list(self.values)
        out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Mapping:
    """One export dialect or one user's mapping file."""

    name: str
    title: str = ""
    signature: tuple[str, ...] = ()
    min_signature: int = 1
    id_columns: tuple[str, ...] = ()
    meta_columns: tuple[tuple[str, str], ...] = ()
    ignore_columns: tuple[str, ...] = ()
    multi_separators: tuple[str, ...] = (";", ",")
    standard_questions: bool = True
    option_numbers: bool = False
    columns: tuple[ColumnRule, ...] = ()
    source: str | None = None
    #: Weekday grids (:mod:`grontur.weekday`): one column per day holding that day's mode.
    weekday_grids: tuple[WeekdayGrid, ...] = ()
    #: ``respondent`` (one row per person) or ``trip`` (one row per trip, see :mod:`grontur.trips`).
    unit: str = "respondent"
    #: Trip files: the column naming the person each trip belongs to.
    person_id: str | None = None
    #: Trip files: (purpose column, the answers that mean a trip to or from work).
    purpose: tuple[str, tuple[str, ...]] | None = None

    keep_rows: tuple[RowRule, ...] = ()
    drop_rows: tuple[RowRule, ...] = ()
    #: The export tool's own completion rules (unfinished, spam, preview); None: those of the
    #: detected dialect apply.
    completion_rules: tuple[RowRule, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.weekday_grids:
            extra["weekday_grid"] = [grid.as_dict() for grid in self.weekday_grids]
        if self.unit != "respondent":
            extra["unit"] = self.unit
        if self.person_id is not None:
            extra["person_id"] = self.person_id
        if self.purpose is not None:
            extra["purpose"] = {"column": self.purpose[0], "work_values": list(self.purpose[1])}
        rows: dict[str, Any] = {}
        if self.keep_rows:
            rows["keep_rows"] = [rule.as_dict() for rule in self.keep_rows]
        if self.drop_rows:
            rows["drop_rows"] = [rule.as_dict() for rule in self.drop_rows]
        if self.completion_rules is not None:
            rows["completion_rules"] = [rule.as_dict() for rule in self.completion_rules]
        return {
            "name": self.name,
            "title": self.title,
            "signature": list(self.signature),
            "min_signature": self.min_signature,
            "id_columns": list(self.id_columns),
            "meta_columns": [{"pattern": p, "reason": r} for p, r in self.meta_columns],
            "ignore_columns": list(self.ignore_columns),
            "multi_separators": list(self.multi_separators),
            "standard_questions": self.standard_questions,
            "option_numbers": self.option_numbers,
            "columns": [rule.as_dict() for rule in self.columns],
            **extra,
        } | rows


def _mapping_error(path: object, detail: str) -> ConfigError:
    from grontur.i18n import t

    return ConfigError(t("import.error.mapping_file", "en", file=str(path), detail=detail))


def _as_tuple(value: str | Iterable[object] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def mapping_from_dict(data: dict[str, Any], *, source: str | None = None) -> Mapping:
    """Build and validate a :class:`Mapping` from its YAML form."""
    where = source or "<mapping>"
    if not isinstance(data, dict) or "name" not in data:
        raise _mapping_error(where, "it must be a YAML mapping with at least a 'name'")
    rules = []
    columns = data.get("columns") or []
    if not isinstance(columns, list):
        raise _mapping_error(where, "'columns' must be a list of column rules (one '- target: ...' each)")
    for position, item in enumerate(columns, start=1):
        if not isinstance(item, dict) or "target" not in item:
            raise _mapping_error(where, f"column rule {position} needs a 'target'")
        target = str(item["target"])
        if target not in TARGETS:
            raise _mapping_error(where, f"column rule {position} has the unknown target {target!r} "
                                        f"(use one of {', '.join(TARGETS)})")
        unit = item.get("unit")
        if unit is not None and (not isinstance(unit, str) or unit not in UNITS):
            raise _mapping_error(where, f"column rule {position} has the unknown unit {unit!r} (use one of {', '.join(UNITS)})")
        pattern = item.get("pattern")
        if pattern is not None:
            _check_pattern(where, f"column rule {position} 'pattern'", pattern)
        headers = _texts(where, f"column rule {position} 'header'", item.get("header"))
        if not headers and not pattern:
            raise _mapping_error(where, f"column rule {position} needs a 'header' or a 'pattern'")
        values = _labels(where, f"column rule {position} 'values'", item.get("values"))
        options = _labels(where, f"column rule {position} 'options'", item.get("options"))
        _check_codes(where, position, target, values)
        if target == MODE_GRID:
            _check_codes(where, position, MODE_BOTH, options)
        rules.append(ColumnRule(
            target=target, headers=headers, pattern=pattern, unit=unit,
            values=values, options=options,
        ))
    meta = []
    meta_columns = data.get("meta_columns") or []
    if not isinstance(meta_columns, list):
        raise _mapping_error(where, "'meta_columns' must be a list of {pattern, reason}")
    for position, item in enumerate(meta_columns, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
            raise _mapping_error(where, f"meta_columns entry {position} needs a 'pattern' (a regular expression)")
        _check_pattern(where, f"meta_columns entry {position} 'pattern'", item["pattern"])
        meta.append((item["pattern"], str(item.get("reason", "meta"))))
    row_rules = {key: _row_rules(where, key, data.get(key))
                 for key in ("keep_rows", "drop_rows", "completion_rules")}
    min_signature = data.get("min_signature", 1)
    if isinstance(min_signature, bool) or not isinstance(min_signature, int) or min_signature < 0:
        raise _mapping_error(where, f"'min_signature' is {min_signature!r}; give a whole number such as 2")
    patterns = {}
    for key in ("signature", "id_columns", "ignore_columns"):
        patterns[key] = _texts(where, f"'{key}'", data.get(key))
        for pattern in patterns[key]:
            _check_pattern(where, f"'{key}'", pattern)
    grids = parse_grids(data.get("weekday_grid"), lambda detail: _mapping_error(where, detail))
    unit, person_id, purpose = _trip_fields(where, data)
    return Mapping(
        weekday_grids=grids, unit=unit, person_id=person_id, purpose=purpose,
        name=str(data["name"]),
        title=str(data.get("title", data["name"])),
        signature=patterns["signature"],
        min_signature=min_signature,
        id_columns=patterns["id_columns"],
        meta_columns=tuple(meta),
        ignore_columns=patterns["ignore_columns"],
        multi_separators=_texts(where, "'multi_separators'", data.get("multi_separators")) or (";", ","),
        standard_questions=bool(data.get("standard_questions", True)),
        option_numbers=bool(data.get("option_numbers", False)),
        columns=tuple(rules),
        source=source,
        keep_rows=row_rules["keep_rows"],
        drop_rows=row_rules["drop_rows"],
        completion_rules=row_rules["completion_rules"] if "completion_rules" in data else None,
    )


UNITS_OF_ROWS = ("respondent", "trip")


def _trip_fields(where: object, data: dict[str, Any]) -> tuple[str, str | None, tuple[str, tuple[str, ...]] | None]:
    """``unit``, ``person_id`` and ``purpose`` of a mapping (see :mod:`grontur.trips`)."""
    unit = str(data.get("unit", "respondent"))
    if unit not in UNITS_OF_ROWS:
        raise _mapping_error(where, f"'unit' is {unit!r}; use respondent (one row per person) or trip (one row per trip)")
    person_id = data.get("person_id")
    if person_id is not None and (not isinstance(person_id, (str, int)) or isinstance(person_id, bool)):
        raise _mapping_error(where, f"'person_id' must name one column, not {person_id!r}")
    purpose = data.get("purpose")
    parsed = None
    if purpose is not None:
        if not isinstance(purpose, dict) or "column" not in purpose or "work_values" not in purpose:
            raise _mapping_error(where, "'purpose' needs 'column' (the trip purpose column) and 'work_values' "
                                        "(the answers that mean a trip to or from work)")
        values = _texts(where, "'purpose.work_values'", purpose["work_values"])
        if not values:
            raise _mapping_error(where, "'purpose.work_values' is empty; list the answers that mean a work trip")
        parsed = (str(purpose["column"]), values)
    if unit == "trip" and person_id is None:
        raise _mapping_error(where, "'unit: trip' needs 'person_id': the column naming the person of each trip")
    if unit != "trip" and (person_id is not None or parsed is not None):
        raise _mapping_error(where, "'person_id' and 'purpose' are for trip files; add 'unit: trip'")
    return unit, None if person_id is None else str(person_id), parsed


def _row_rules(where: object, key: str, value: object) -> tuple[RowRule, ...]:
    """``keep_rows`` / ``drop_rows`` / ``completion_rules``: a list of {column, operator, values, reason}."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _mapping_error(where, f"'{key}' must be a list of rules ({{column, operator, values}} each)")
    rules = []
    for position, item in enumerate(value, start=1):
        name = f"{key} rule {position}"
        if not isinstance(item, dict) or not isinstance(item.get("column"), (str, int)) or isinstance(item.get("column"), bool):
            raise _mapping_error(where, f"{name} needs a 'column' (the export's column header)")
        unknown = sorted(set(item) - {"column", "operator", "values", "value", "reason"})
        if unknown:
            raise _mapping_error(where, f"{name} has the unknown key {unknown[0]!r} (use column, operator, values, reason)")
        operator = str(item.get("operator", "in"))
        if operator not in ROW_OPERATORS:
            raise _mapping_error(where, f"{name} has the unknown operator {operator!r} (use one of {', '.join(ROW_OPERATORS)})")
        raw_values = item.get("values", item.get("value"))
        values = () if raw_values is None else _texts(where, f"{name} 'values'", _plain(raw_values))
        if operator in ("empty", "not_empty") and values:
            raise _mapping_error(where, f"{name}: the operator {operator!r} takes no values")
        if operator not in ("empty", "not_empty") and not values:
            raise _mapping_error(where, f"{name}: the operator {operator!r} needs 'values'")
        if operator in ("==", "!=", "<", "<=", ">", ">=") and len(values) != 1:
            raise _mapping_error(where, f"{name}: the operator {operator!r} takes one value; use 'in' or 'not_in' for several")
        if operator in ("<", "<=", ">", ">=") and _as_number(values[0]) is None:
            raise _mapping_error(where, f"{name}: the operator {operator!r} needs a number, not {values[0]!r}")
        reason = str(item.get("reason", "excluded_by_filter"))
        if reason not in ROW_REASONS:
            raise _mapping_error(where, f"{name} has the unknown reason {reason!r} (use one of {', '.join(ROW_REASONS)})")
        rules.append(RowRule(column=str(item["column"]), operator=operator, values=values, reason=reason))
    return tuple(rules)


def _plain(value: object) -> object:
    """YAML booleans in row rules are the texts an export holds ("True", "False")."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [str(v) if isinstance(v, bool) else v for v in value]
    return value


def _as_number(text: object) -> float | None:
    try:
        return float(str(text).strip().replace(",", "."))
    except ValueError:
        return None


def row_rule_column(raw: RawExport, rule: RowRule) -> str | None:
    """The export column a row rule names: its header, or one of its other header rows
    (a Qualtrics export's ``Status`` is headed "Response Type" in the row grontur reads)."""
    wanted = fold(rule.column)
    for header in raw.frame.columns:
        if fold(header) == wanted:
            return str(header)
    for header, others in raw.extra_headers.items():
        if any(fold(other) == wanted for other in others):
            return str(header)
    return None


def row_rule_matches(series: pd.Series, rule: RowRule) -> pd.Series:
    """Rows of ``series`` that satisfy the rule (an empty cell matches only ``empty``, ``!=`` and ``not_in``)."""
    codes, uniques = distinct(series)
    wanted_text = {fold(v) for v in rule.values}
    wanted_numbers = {n for n in (_as_number(v) for v in rule.values) if n is not None}

    def equal(value: object) -> bool:
        number = _as_number(value)
        return fold(value) in wanted_text or (number is not None and number in wanted_numbers)

    def test(value: object) -> bool:
        op = rule.operator
        if op in ("==", "in"):
            return equal(value)
        if op in ("!=", "not_in"):
            return not equal(value)
        if op == "not_empty":
            return True
        if op == "empty":
            return False
        number, limit = _as_number(value), _as_number(rule.values[0])
        if number is None or limit is None:
            return False
        return {"<": number < limit, "<=": number <= limit, ">": number > limit, ">=": number >= limit}[op]

    empty_result = rule.operator in ("empty", "!=", "not_in")
    return pd.Series(spread([test(value) for value in uniques], codes, missing=empty_result, dtype=bool),
                     index=series.index)


def completion_rules(raw: RawExport, mapping: Mapping) -> tuple[RowRule, ...]:
    """The export tool's completion rules: the mapping's own, else those of the detected dialect."""
    if mapping.completion_rules is not None:
        return mapping.completion_rules
    if mapping.name == "canonical":
        return ()
    detected = detect_mapping(raw)
    return detected.completion_rules or ()


def row_exclusions(raw: RawExport, mapping: Mapping, completion: tuple[RowRule, ...] = ()) -> pd.DataFrame:
    """Rows the row rules set aside: ``source_row, rule, reason`` (the first rule that applies;
    ``rule`` as written, e.g. "completion_rules: Status in Spam, 8").

    ``completion`` (the export tool's own rules: unfinished, spam, preview) applies where the
    export has the column; the mapping's ``drop_rows`` and ``keep_rows`` must name columns the
    export has (ConfigError otherwise).
    """
    frame = raw.frame
    reason = pd.Series(None, index=frame.index, dtype=object)
    column_of = pd.Series(None, index=frame.index, dtype=object)
    for kind, rules in (("completion_rules", completion), ("drop_rows", mapping.drop_rows),
                        ("keep_rows", mapping.keep_rows)):
        for position, rule in enumerate(rules, start=1):
            header = row_rule_column(raw, rule)
            if header is None:
                if kind == "completion_rules":
                    continue
                shown = ", ".join(str(c) for c in list(frame.columns)[:15])
                raise _mapping_error(mapping.source or "<mapping>",
                                     f"{kind} rule {position} names the column {rule.column!r}, which {raw.path.name} "
                                     f"does not have (columns: {shown})")
            matches = row_rule_matches(frame[header], rule)
            hit = (~matches if kind == "keep_rows" else matches) & reason.isna()
            reason = reason.mask(hit, rule.reason)
            described = " ".join(part for part in (rule.column, rule.operator, ", ".join(rule.values)) if part)
            column_of = column_of.mask(hit, f"{kind}: {described}")
    excluded = reason.notna()
    return pd.DataFrame({"source_row": np.asarray(frame.index[excluded.to_numpy()], dtype=int),
                         "rule": column_of[excluded].to_numpy(), "reason": reason[excluded].to_numpy()})


def _texts(where: object, field_name: str, value: object) -> tuple[str, ...]:
    """One text or a list of texts (numbers are read as text); anything else is an error."""
    if value is None:
        return ()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return tuple(str(v) for v in value)
    raise _mapping_error(where, f"{field_name} must be a text or a list of texts, not {value!r}")


def _labels(where: object, field_name: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _mapping_error(where, f"{field_name} must map answer labels to codes (label: code), not {value!r}")
    return {str(k): str(v) for k, v in value.items()}


def _check_pattern(where: object, field_name: str, pattern: object) -> None:
    if not isinstance(pattern, str):
        raise _mapping_error(where, f"{field_name} must be a regular expression written as text, not {pattern!r}")
    try:
        re.compile(pattern)
    except re.error as error:
        raise _mapping_error(where, f"{field_name} is a bad pattern ({error})") from None


def _check_codes(where: object, position: int, target: str, values: dict[str, str]) -> None:
    allowed = _allowed_codes(target)
    if allowed is None:
        return
    for label, code in values.items():
        for part in str(code).split(MULTI_SEP):
            if part and part not in allowed:
                raise _mapping_error(where, f"column rule {position} (target {target}) maps the answer {label!r} to the "
                                            f"unknown code {part!r}; valid {target} codes: "
                                            f"{', '.join(allowed)}, or \"\" for a missing answer")


def _allowed_codes(target: str) -> tuple[str, ...] | None:
    if target in (MODE_BOTH, MODE_GRID):
        return MODES
    kind, codes = COLUMNS.get(target, ("str", None))
    if kind == "bool":
        return ("true", "false")
    return codes


@cache
def _dialect_files() -> dict[str, Path]:
    folder = data_path("surveys", "mappings")
    return {path.stem: path for path in sorted(folder.glob("*.yaml")) if path.stem != "answers"}


def available_mappings() -> list[str]:
    """Names of the shipped mappings (dialects and examples)."""
    return list(_dialect_files())


DIALECTS = ("nettskjema", "microsoft_forms", "google_forms", "surveyxact", "questback", "qualtrics", "standard")


def load_mapping(name_or_path: str | Path | Mapping) -> Mapping:
    """Load a shipped mapping by name (e.g. ``"nettskjema"``) or a mapping file by path."""
    if isinstance(name_or_path, Mapping):
        return name_or_path
    text = str(name_or_path)
    files = _dialect_files()
    if text in files:
        return _load_file(files[text])
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            from grontur.errors import InputFileError
            from grontur.i18n import t
            raise InputFileError(t("import.error.missing", "en", file=str(path)))
        return _load_file(path)
    from grontur.i18n import t

    raise ConfigError(t("import.error.unknown_mapping", "en", name=text, names=", ".join(files)))


def _load_file(path: Path) -> Mapping:
    stat = path.stat()
    return _load_file_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_file_cached(path_text: str, _mtime: int, _size: int) -> Mapping:
    """Mappings are immutable, so a file is parsed once per version of it."""
    path = Path(path_text)
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise _mapping_error(path, problem_text(error)) from error
    except UnicodeDecodeError as error:
        raise _mapping_error(path, f"not UTF-8 text (byte {error.start}); save it as UTF-8") from error
    return mapping_from_dict(data, source=str(path))


_HEADER_UNITS = {
    "distance_km": ((r"\bkm\b|kilomet", "km"), (r"\bmiles?\b", "miles"), (r"\bmil\b", "mil"),
                    (r"\(m\)|\bmet(?:er|re)s?\b", "m")),
    "travel_time_min": ((r"\bmin", "minutes"), (r"\bhours?\b|\btim(?:ar|er)\b|\(t\)|\(h\)", "hours")),
}


def unit_from_header(target: str, header: str) -> str | None:
    """The unit a distance or time question names in its text ("How many miles ...?"), if any.

    Rules without a unit (the standard questionnaire's, or columns mapped from a suggestion) take
    it from the header, so bare numbers in miles are not read as kilometres. A header naming
    kilometres wins over any other unit it mentions ("Miles to km" holds kilometres). None means
    the canonical unit (km, minutes).

    >>> unit_from_header("distance_km", "How many miles is your commute (one-way)?")
    'miles'
    >>> unit_from_header("distance_km", "Miles to km") is None
    True
    """
    folded = fold(header)
    for pattern, unit in _HEADER_UNITS.get(target, ()):
        if re.search(pattern, folded, re.IGNORECASE):
            return None if unit in ("km", "minutes") else unit
    return None


def save_mapping(mapping: Mapping, path: str | Path, *, suggestions: list[dict[str, Any]] | None = None,
                 unmapped: list[dict[str, str]] | None = None) -> Path:
    """Write ``mapping`` as a YAML file a user can edit and reuse with ``--mapping``.

    ``suggestions`` (not applied) and ``unmapped`` columns are written as notes for the user:
    move an entry into ``columns`` to use it. The loader ignores the notes.
    """
    path = Path(path)
    header = (
        "# grontur mapping file: edit the targets, headers and answer values, then import with\n"
        "#   grontur import EXPORT --mapping THIS_FILE --out DIR\n"
        f"# Targets: {', '.join(TARGETS)}\n"
        f"# Units: {', '.join(UNITS)}\n"
        "# Answer values map to the codes of docs/codes.md (\"\" = missing, e.g. \"-1\": \"\"); rows are left\n"
        "# out with keep_rows / drop_rows: [{column, operator, values, reason}] (docs/mapping.md).\n"
    )
    data = mapping.as_dict()
    if suggestions:
        data["suggestions_not_applied"] = [
            {"header": item["column"], "target": item["target"], "confidence": item["confidence"]}
            for item in suggestions]
    if unmapped:
        data["unmapped_columns"] = [{"header": item["column"], "reason": item["reason"]} for item in unmapped]
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    try:
        path.write_text(header + body, encoding="utf-8")
    except OSError as error:
        from grontur.errors import OutputError

        msg = f"{path}: cannot write the mapping file ({error.strerror or error}); choose another path."
        raise OutputError(msg) from None
    return path


# ---------------------------------------------------------------------------------------------
# vocabulary: questionnaire labels and everyday answers

def questionnaire() -> dict[str, Any]:
    return standard_questionnaire()


@cache
def answers_vocabulary() -> dict[str, Any]:
    path = data_path("surveys", "mappings", "answers.yaml")
    return parse_yaml(path.read_text(encoding="utf-8"))


@cache
def standard_rules() -> tuple[ColumnRule, ...]:
    """One rule per question of the standard questionnaire, from the questionnaire file."""
    rules = []
    for question in questionnaire()["questions"]:
        texts = tuple(str(question["text"][lang]) for lang in ("nn", "nb", "en"))
        values: dict[str, str] = {}
        for code, labels in (question.get("options") or {}).items():
            for lang in ("nn", "nb", "en"):
                values.setdefault(str(labels[lang]), str(code))
        unit = question.get("unit")
        unit = "km" if unit == "km" else ("days" if unit == "days per week" else None)
        rules.append(ColumnRule(
            target=question["column"], headers=(*texts, question["id"], question["column"]),
            unit=unit, values=values, question_id=question["id"],
        ))
    return tuple(rules)


class ValueMap(dict):
    """Normalised label -> code, plus ``spans``: for labels that contain commas, how many
    comma-separated pieces they have, keyed by their first piece (used to split multi-select
    answers without trying every combination of pieces)."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: dict[str, int] = {}


def value_map(target: str, rule: ColumnRule | None = None, *, option_numbers: bool = False) -> ValueMap:
    """Normalised answer label -> code for ``target``: rule values, questionnaire, vocabulary, codes.

    With ``option_numbers`` the answers "1", "2", ... also mean the first, second, ... option of
    the standard question (the numeric exports of SurveyXact, Questback and Qualtrics).
    """
    out = ValueMap()
    column = "mode_summer" if target in (MODE_BOTH, MODE_GRID) else target
    allowed = _allowed_codes(column)

    def add(label: object, code: str) -> None:
        key = norm(label)
        if allowed is not None and any(part and part not in allowed for part in code.split(MULTI_SEP)):
            return  # a shared vocabulary ("mode") may hold codes this column does not have
        if key and key not in out:
            out[key] = code
            parts = [norm(part) for part in re.split(r"[,;]", str(label))]
            parts = [part for part in parts if part]
            if len(parts) > 1:
                out.spans[parts[0]] = max(out.spans.get(parts[0], 1), len(parts))

    if rule is not None:
        for label, code in rule.values.items():
            add(label, code)
    for std in standard_rules():
        if std.target == column:
            if option_numbers:
                for number, code in enumerate(dict.fromkeys(std.values.values()), start=1):
                    add(str(number), code)
            for label, code in std.values.items():
                add(label, code)
    vocabulary = answers_vocabulary()
    key = _VOCABULARY.get(target)
    if key:
        for code, labels in (vocabulary.get(key) or {}).items():
            for label in labels:
                add(label, str(code))
    for code in allowed or ():
        add(code, code)
    return out


# ---------------------------------------------------------------------------------------------
# detection and application

@dataclass(frozen=True)
class Suggestion:
    """A guess that an export column fills a canonical column."""

    column: str
    target: str
    confidence: float
    sample_values: tuple[str, ...]
    how: str

    @property
    def canonical(self) -> str:
        """The canonical column suggested (``mode`` means both seasons' main mode)."""
        return self.target

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "target": self.target, "confidence": round(self.confidence, 2),
                "sample_values": list(self.sample_values), "how": self.how}


@dataclass(frozen=True)
class MappedExport:
    """Export columns renamed to canonical columns, still holding the raw answers.

    Attributes
    ----------
    frame
        Canonical columns (raw strings; grid-derived modes already coded), index = source_row.
    value_maps
        Canonical column -> normalised label -> code.
    units
        Canonical column -> unit of the numbers in it.
    columns
        What mapped: list of ``{column, target, how}``.
    unmapped
        Columns that did not map: list of ``{column, reason}``.
    id_column
        The export column holding respondent ids, if any.
    """

    frame: pd.DataFrame
    value_maps: dict[str, dict[str, str]]
    units: dict[str, str]
    columns: list[dict[str, str]]
    unmapped: list[dict[str, str]]
    mapping: Mapping
    id_column: str | None = None
    panel_column: str | None = None
    canonical: bool = False
    notes: list[dict[str, Any]] = field(default_factory=list)
    separators: tuple[str, ...] = (";", ",")


def _matches_any(patterns: tuple[str, ...], header: str) -> bool:
    folded = fold(header)
    return any(re.search(p, folded, re.IGNORECASE) for p in patterns)


#: Columns a canonical table may hold besides :data:`grontur.schema.COLUMNS` (what grontur adds).
_CANONICAL_EXTRA = frozenset({*DERIVED_COLUMNS, "respondent_id_source"})


def is_canonical(raw: RawExport) -> bool:
    """True when the export is a canonical table (e.g. a cleaned.csv): every column is a canonical
    column (or one grontur adds) and it has a mode or a distance. An export that only shares
    some names with it ("respondent_id", "mode_summer" beside questions of its own) is mapped
    like any other export, so that none of its questions is ignored."""
    names = {str(name) for name in raw.frame.columns}
    return bool(names & set(REQUIRED_ANY)) and names <= set(COLUMNS) | _CANONICAL_EXTRA


def detect_mapping(raw: RawExport) -> Mapping:
    """Pick the dialect whose meta columns the export has; fall back to the standard one."""
    if is_canonical(raw):
        return Mapping(name="canonical", title="grontur canonical table", standard_questions=False,
                       id_columns=("^respondent_id$",))
    headers = list(raw.frame.columns) + [h for ids in raw.extra_headers.values() for h in ids]
    best, best_hits = None, 0
    for name in DIALECTS:
        mapping = load_mapping(name)
        hits = sum(1 for pattern in mapping.signature if any(_matches_any((pattern,), h) for h in headers))
        if hits >= mapping.min_signature and hits > best_hits:
            best, best_hits = mapping, hits
    chosen = best or load_mapping("standard")
    log.info("export dialect: %s", chosen.name)
    return chosen


def _match_rule(header: str, rules: tuple[ColumnRule, ...]) -> tuple[ColumnRule | None, str, str | None]:
    """Find the rule for one header: (rule, how, option) where option is set for option columns."""
    folded = fold(header)
    stem, _truncated = header_stem(header)
    for rule in rules:
        if any(fold(h) == folded or norm(h) == stem for h in rule.headers):
            return rule, "header", None
        if rule.pattern and re.search(rule.pattern, str(header), re.IGNORECASE):
            match = re.search(rule.pattern, str(header), re.IGNORECASE)
            option = match.groupdict().get("option") if match else None
            return rule, "pattern", option
    return None, "", None


@cache  # the import matches each header twice (probe and mapping); rules are cached too
def _match_standard(header: str) -> tuple[ColumnRule | None, str, str | None]:
    stem, truncated = header_stem(header)
    if not stem:
        return None, "", None
    best: tuple[float, ColumnRule | None, str, str | None] = (0.0, None, "", None)
    # The first rule and text that match exactly (in their order) win; only when none does are
    # the texts compared for similarity, so an exact match costs no similarity ratios.
    for rule in standard_rules():
        for text in rule.headers:
            target = norm(text)
            if not target:
                continue
            if stem == target:
                return rule, "question_text", None
            if truncated and len(stem) >= 15 and target.startswith(stem):
                return rule, "question_text_truncated", None
            # One column per option: "Question [Option]", "Question - Option", "Question: Option".
            if rule.values and stem.startswith(target + " "):
                rest = stem[len(target) + 1:]
                for label, code in rule.values.items():
                    if norm(label) == rest:
                        return rule, "option_column", code
    for rule in standard_rules():
        for text in rule.headers:
            target = norm(text)
            if not target:
                continue
            if len(stem) > 20:
                matcher = difflib.SequenceMatcher(None, stem, target)
                if matcher.real_quick_ratio() < 0.9 or matcher.quick_ratio() < 0.9:
                    continue
                ratio = matcher.ratio()
                if ratio > best[0]:
                    best = (ratio, rule, "question_text_similar", None)
    if best[0] >= 0.9:
        return best[1], best[2], best[3]
    return None, "", None


def _truthy(series: pd.Series) -> pd.Series:
    not_selected = {norm(v) for v in answers_vocabulary().get("not_selected", [])}
    series = series.astype(object)
    uniques = series.dropna().unique()
    lookup = {value: norm(value) not in not_selected for value in uniques}
    return series.map(lookup).fillna(False).astype(bool)


def apply_mapping(raw: RawExport, mapping: Mapping, *, extra_rules: tuple[ColumnRule, ...] = (),
                  skip: frozenset[str] = frozenset()) -> MappedExport:
    """Rename export columns to canonical ones following ``mapping`` (no values are coded yet).

    Parameters
    ----------
    raw
        The export as read (identifier columns already removed).
    mapping
        The dialect or user mapping.
    extra_rules
        Rules from automatic suggestions, applied after the mapping's own rules.
    skip
        Columns already dealt with elsewhere (dropped identifiers, the id column).
    """
    frame = raw.frame
    out: dict[str, pd.Series] = {}
    rules_used: dict[str, ColumnRule] = {}
    units: dict[str, str] = {}
    report: list[dict[str, str]] = []
    unmapped: list[dict[str, str]] = []
    option_parts: dict[str, list[tuple[str, pd.Series]]] = {}
    grid_parts: dict[str, list[tuple[str, pd.Series]]] = {}
    id_column = None
    panel_column = None
    panel_patterns = _as_tuple(answers_vocabulary().get("panel_code_headers"))
    canonical = mapping.name == "canonical"
    grid_columns = _weekday_columns(raw, mapping)

    for header in frame.columns:
        if header in skip:
            continue
        if header in grid_columns:
            grid_index, day = grid_columns[header]
            report.append({"column": header, "target": f"weekday_grid:{mapping.weekday_grids[grid_index].season}:{day}",
                           "how": "weekday_grid"})
            continue
        if mapping.id_columns and _matches_any(mapping.id_columns, header) and id_column is None:
            id_column = header
            report.append({"column": header, "target": "respondent_id", "how": "id_column"})
            continue
        if not canonical and panel_column is None and _matches_any(panel_patterns, header):
            panel_column = header
            report.append({"column": header, "target": "respondent_id", "how": "panel_code"})
            continue
        if mapping.ignore_columns and _matches_any(mapping.ignore_columns, header):
            unmapped.append({"column": header, "reason": "ignored_by_mapping"})
            continue
        if canonical:
            if header in COLUMNS:
                out[header] = frame[header]
                report.append({"column": header, "target": header, "how": "canonical"})
            else:
                unmapped.append({"column": header, "reason": "not_canonical"})
            continue
        rule, how, option = _match_rule(header, mapping.columns + extra_rules)
        if rule is None and mapping.standard_questions:
            rule, how, option = _match_standard(header)
        if rule is None and header in COLUMNS:
            rule, how = ColumnRule(target=header), "canonical"
        if rule is None:
            unmapped.append({"column": header, "reason": "no_match"})
            continue
        target = rule.target
        if target == MODE_GRID:
            label = option or header
            code = value_map(MODE_GRID, ColumnRule(target=MODE_GRID, values=rule.options)).get(norm(label))
            if code is None:
                unmapped.append({"column": header, "reason": "unknown_grid_option"})
                continue
            grid_parts.setdefault("grid", []).append((code, frame[header]))
            report.append({"column": header, "target": f"mode_grid:{code}", "how": how})
            continue
        if how == "option_column":
            option_parts.setdefault(target, []).append((option or "", frame[header]))
            report.append({"column": header, "target": f"{target}:{option}", "how": how})
            continue
        targets = ("mode_summer", "mode_winter") if target == MODE_BOTH else (target,)
        if any(t in out for t in targets):
            unmapped.append({"column": header, "reason": "duplicate_target"})
            continue
        for t in targets:
            out[t] = frame[header]
            rules_used[t] = rule
            unit = rule.unit or unit_from_header(t, header)
            if unit:
                units[t] = unit
        report.append({"column": header, "target": target, "how": how})

    notes: list[dict[str, Any]] = [{"note": "one_mode_for_both_seasons", "column": item["column"]}
                                   for item in report if item["target"] == MODE_BOTH]
    for target, parts in option_parts.items():
        if target in out:
            continue
        codes = pd.Series("", index=frame.index, dtype=object)
        for code, series in parts:
            chosen = _truthy(series)
            codes = codes.where(~chosen, codes + np.where(codes == "", "", MULTI_SEP) + code)
        any_answer = pd.concat([s.notna() for _, s in parts], axis=1).any(axis=1)
        out[target] = codes.where(any_answer & (codes != ""), pd.NA)
    if grid_parts:
        grid = _grid_mode(grid_parts["grid"], frame.index)
        for column in ("mode_summer", "mode_winter"):
            if column not in out:
                out[column] = grid["mode"]
        if "days_on_site" not in out:
            out["days_on_site"] = grid["days"]
        notes.append({"note": "mode_from_grid", "ties": int(grid["tie"].sum())})
        first_grid = next(item["column"] for item in report if item["target"].startswith("mode_grid:"))
        notes.append({"note": "one_mode_for_both_seasons", "column": first_grid.split(" [")[0]})
        mapped_frame_tie = grid["tie"]
    else:
        mapped_frame_tie = None

    row_issues: list[tuple[pd.Index, str, pd.Series | None, str, str]] = []
    if grid_columns:
        row_issues = _apply_weekday_grids(frame, mapping, grid_columns, out, notes)
    mapped = pd.DataFrame(out, index=frame.index)
    if mapped_frame_tie is not None:
        mapped.attrs["grid_tie"] = mapped_frame_tie
    if row_issues:
        mapped.attrs["row_issues"] = row_issues
    maps: dict[str, dict[str, str]] = {column: value_map(column, rules_used.get(column), option_numbers=mapping.option_numbers)
            for column in mapped.columns}
    return MappedExport(
        frame=mapped, value_maps=maps, units=units, columns=report, unmapped=unmapped,
        mapping=mapping, id_column=id_column, panel_column=panel_column, canonical=canonical, notes=notes,
        separators=mapping.multi_separators,
    )


def _weekday_columns(raw: RawExport, mapping: Mapping) -> dict[str, tuple[int, str]]:
    """Export column -> (grid number, weekday) for the mapping's weekday grids.

    A day's column is found by its header or by another header row of the export (a Qualtrics
    question id such as ``Q5_1``); a day whose column is missing is a mapping error.
    """
    if not mapping.weekday_grids:
        return {}
    found: dict[str, tuple[int, str]] = {}
    for number, grid in enumerate(mapping.weekday_grids):
        for day, wanted in grid.days:
            target = fold(wanted)
            column = next((h for h in raw.frame.columns if fold(h) == target), None)
            if column is None:
                column = next((h for h, extra in raw.extra_headers.items() if h in raw.frame.columns
                               and any(fold(e) == target for e in extra)), None)
            if column is None:
                raise _mapping_error(mapping.source or mapping.name,
                                     f"weekday_grid {number + 1} names the column {wanted!r} for {day}, "
                                     f"which {raw.path.name} does not have")
            found[column] = (number, day)
    return found


def _lookup(vmap: dict[str, str]) -> Callable[[object], str | None]:
    """The code of an answer label in ``vmap`` (normalised as :func:`norm` does), or None."""
    def code_of(label: object) -> str | None:
        return vmap.get(norm(label))
    return code_of


def _apply_weekday_grids(frame: pd.DataFrame, mapping: Mapping, columns: dict[str, tuple[int, str]],
                         out: dict[str, pd.Series], notes: list[dict[str, Any]]) -> list[tuple[pd.Index, str, pd.Series | None, str, str]]:
    """Fill the modes, days on site and remote days from the weekday grids (:mod:`grontur.weekday`)."""
    issues: list[tuple[pd.Index, str, pd.Series | None, str, str]] = []
    for number, grid in enumerate(mapping.weekday_grids):
        by_day = {day: header for header, (n, day) in columns.items() if n == number}
        answers = pd.DataFrame({by_day[day]: frame[by_day[day]] for day, _ in grid.days}, index=frame.index)
        vmap = value_map(MODE_BOTH, ColumnRule(target=MODE_BOTH, headers=("weekday_grid",), values=grid.values))
        # "off" (a day not worked) is no mode code, so the mode vocabulary leaves it out: the
        # grid's own labels for it are read here, before any everyday label of the vocabulary.
        vmap.update({norm(label): OFF for label, code in grid.values.items() if code == OFF})
        result, unknown = grid_modes(answers, _lookup(vmap))
        seasons = ("mode_summer", "mode_winter") if grid.season == "both" else (f"mode_{grid.season}",)
        for column in seasons:
            out.setdefault(column, result["mode"])
        # the first grid listed gives the days of the week (one working week is asked once)
        if number == 0:
            out.setdefault("days_on_site", result["days_on_site"].map(lambda v: None if pd.isna(v) else f"{v:g}"))
            out.setdefault("remote_days", result["remote_days"].map(lambda v: None if pd.isna(v) else f"{v:g}"))
        ties = result.index[result["tie"].to_numpy()]
        if len(ties):
            issues.append((ties, seasons[0], None, "grid_tie", "earliest_day_mode"))
        for column_name, group in unknown.groupby("column", sort=False):
            rows = pd.Index(group["source_row"].to_numpy())
            issues.append((rows, seasons[0], frame[str(column_name)], "unknown_answer", "day_not_counted"))
        notes.append({"note": "weekday_grid", "season": grid.season, "days": len(grid.days),
                      "ties": len(ties), "unknown": len(unknown)})
        if grid.season == "both":
            notes.append({"note": "one_mode_for_both_seasons", "column": "weekday_grid"})
    return issues


#: Tie rule for a days-per-week grid: on equal days the mode earlier in this order wins. Car
#: driving comes first so that a tie never understates car commuting.
GRID_TIE_ORDER = ("car_alone", "car_shared", "car_passenger", "taxi", "motorcycle", "train", "bus",
                  "boat", "ebike", "bike", "walk", "other", "remote")


def _grid_mode(parts: list[tuple[str, pd.Series]], index: pd.Index) -> pd.DataFrame:
    """Main mode = the mode used on most days; ties go to the first in :data:`GRID_TIE_ORDER`."""
    days: dict[str, pd.Series] = {}
    for code, series in parts:
        numbers = pd.to_numeric(series.astype("string").str.replace(",", ".", regex=False), errors="coerce")
        days[code] = days[code].add(numbers, fill_value=0) if code in days else numbers
    table = pd.DataFrame(days, index=index)
    ordered = [c for c in GRID_TIE_ORDER if c in table.columns]
    table = table[ordered]
    values = table.fillna(0).to_numpy(dtype=float)
    top = values.max(axis=1)
    has_any = top > 0
    winner = np.array(ordered, dtype=object)[values.argmax(axis=1)]
    ties = ((values == top[:, None]) & (top[:, None] > 0)).sum(axis=1) > 1
    on_site = table.drop(columns=[c for c in ("remote",) if c in table.columns]).fillna(0).sum(axis=1)
    all_missing = table.isna().all(axis=1).to_numpy()
    mode = pd.Series(np.where(has_any, winner, None), index=index, dtype=object)
    days_out = on_site.clip(upper=7).astype(object).where(~all_missing, None)
    return pd.DataFrame({"mode": mode, "days": days_out.map(lambda v: None if v is None else f"{v:g}"),
                         "tie": ties & has_any}, index=index)


# ---------------------------------------------------------------------------------------------
# suggestions for unknown exports

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "distance_km": ("km", "kilometer", "kilometre", "miles", "mile", "distance", "avstand", "far", "langt", "lang"),
    "travel_time_min": ("minutes", "minutt", "minutter", "time", "tid", "long does", "lang tid", "travel time", "reisetid"),
    MODE_BOTH: ("transport", "travel", "commute", "reiser", "reise", "mode", "reisemåte", "means", "main form",
                "vanlegvis", "vanligvis", "get to work", "til jobb", "til jobben", "komme deg", "kjem du deg", "kommer du deg"),
    "days_on_site": ("days", "dagar", "dager", "per week", "i veka", "i uken", "on campus", "on site", "percentage"),
    "home_postcode": ("postcode", "postnummer", "post code", "zip", "postnr"),
    "municipality": ("kommune", "kommunenummer", "municipality"),
    "workplace": ("workplace", "arbeidsstad", "arbeidssted", "campus", "site", "building", "eining", "enhet"),
    "job_group": ("job", "yrke", "yrkesgruppe", "stilling", "staff category", "sektor", "department"),
    "age_band": ("age", "alder", "gammal", "gammel", "how old"),
    "car_fuel": ("fuel", "drivstoff", "petrol", "electric"),
    "parking_at_work": ("parking", "parkering"),
    "barriers": ("barrier", "hindrer", "hindrar", "hold you back", "keeps you", "why not", "kvifor", "hvorfor"),
    "would_consider": ("consider", "try", "prøve", "would you", "kunne du"),
    "would_help": ("encourage", "easier", "lettare", "lettere", "help", "would make"),
    "stage_of_change": ("closest to where you are", "stemmer best for deg", "stage of change", "ready to change"),
    "shift_work": ("shift", "shifts", "skift", "skiftarbeid", "turnus", "night", "natt"),
    "children_drop_off": ("children", "born", "barn", "school run", "barnehage"),
    "car_needed_for_work": ("car during", "bil i arbeidstida", "bil i arbeidstiden", "work trips", "tenestereiser", "tjenestereiser"),
}


_SEASONS = (("mode_summer", r"\b(?:summer|sommar\w*|sommer\w*)"), ("mode_winter", r"\b(?:winter|vinter\w*)"))


def _season_of(stem: str) -> str | None:
    """``mode_summer`` or ``mode_winter`` when a mode question names one season only."""
    found = [target for target, pattern in _SEASONS if re.search(pattern, stem, re.IGNORECASE)]
    return found[0] if len(found) == 1 else None


def _numeric_share(values: pd.Series) -> float:
    """Share of distinct answers the cleaner reads as a number ("2,5", "ca. 12 km", "41-50 minutes")."""
    if values.empty:
        return 0.0
    config = cleaning_settings()
    readable = [parse_number(str(value), open_upper=config["open_upper_factor"],
                             open_lower=config["open_lower_factor"])[0] is not None for value in values]
    return float(np.mean(readable))


def suggest_mapping(raw: RawExport, *, columns: list[str] | None = None) -> list[Suggestion]:
    """Guess the canonical column of export columns from question texts and value patterns.

    Confidence combines header similarity to the standard question texts (nn, nb, en), keywords
    and the share of distinct answers that are known labels (or numbers, for numeric columns).
    """
    frame = raw.frame
    suggestions: list[Suggestion] = []
    for header in columns if columns is not None else list(frame.columns):
        values = frame[header].dropna().astype(object)
        uniques = pd.Series(np.asarray(values.unique(), dtype=object)[:500], dtype=object)
        # Only answers given by at least k people may be shown as examples.
        counts = values.value_counts()
        sample = tuple(str(v) for v in counts[are_common(counts)].index[:5])
        rule, how, _ = _match_standard(header)
        if rule is not None:
            suggestions.append(Suggestion(header, rule.target, 0.95, sample, how))
            continue
        stem, _ = header_stem(header)
        best_target, best_score, best_how = None, 0.0, ""
        numeric = _numeric_share(uniques)
        for target, keywords in _KEYWORDS.items():
            hits = sum(1 for k in keywords if re.search(rf"\b{re.escape(k)}\b", stem))
            header_score = min(1.0, 0.45 * hits)
            kind = "code" if target == MODE_BOTH else COLUMNS[target][0]
            if kind in ("code", "multi", "bool"):
                vmap = value_map(target)
                if kind == "multi":
                    hits_per_value = [any(norm(p) in vmap for p in re.split(r"[;,]", str(v))) for v in uniques]
                else:
                    hits_per_value = [norm(v) in vmap for v in uniques]
                value_score = float(np.mean(hits_per_value)) if len(uniques) else 0.0
            elif kind == "float":
                value_score = numeric
            elif target == "home_postcode":
                # "3550.0": a postcode column that a spreadsheet stored as numbers
                value_score = (float(uniques.astype(str).str.fullmatch(r"\d{3,4}(?:\.0+)?").mean())
                               if len(uniques) else 0.0)
            elif target == "municipality":
                # Municipality numbers (any era) or names: distinguishes "Kommune" from a number column.
                from grontur.municipalities import translate_numbers

                known = translate_numbers(uniques.astype(str)).notna() if len(uniques) else pd.Series(dtype=bool)
                value_score = float(known.mean()) if len(uniques) else 0.0
            else:
                value_score = 0.0
            if header_score:
                score = 0.6 * header_score + 0.4 * value_score
            elif len(uniques) >= 2 and (kind == "code" or kind == "multi" and uniques.astype(str).str.contains("[;,]").any()):
                # Answers that are nearly all known labels of one code list are strong evidence.
                score = 0.65 * value_score
            else:
                score = 0.3 * value_score
            if score > best_score:
                best_target, best_score = target, score
                best_how = "keywords_and_values" if header_score else "values"
        if best_target == MODE_BOTH:
            best_target = _season_of(stem) or MODE_BOTH
        # A single shared "km" word with number answers is enough for a distance.
        if best_target is not None and best_score >= 0.2:
            suggestions.append(Suggestion(header, best_target, round(best_score, 2), sample, best_how))
    return suggestions


def mapping_with_suggestions(mapping: Mapping, suggestions: list[Suggestion], *, name: str | None = None) -> Mapping:
    """A copy of ``mapping`` with one explicit rule per suggestion (for saving and editing)."""
    rules = list(mapping.columns)
    taken = {rule.target for rule in rules}
    for suggestion in suggestions:
        if suggestion.target in taken:
            continue
        taken.add(suggestion.target)
        rules.append(ColumnRule(target=suggestion.target, headers=(suggestion.column,)))
    return replace(mapping, name=name or mapping.name, columns=tuple(rules), source=None)
