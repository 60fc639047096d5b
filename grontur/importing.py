"""Import a survey export: read, strip identifiers, map, clean — and account for every row.

:func:`import_survey` is the one entry point the rest of grontur uses. It returns the canonical
table plus everything a user needs to trust it: the problems found (``quality.csv``), the rows
set aside (``quarantine.csv``), the row account (input = kept + quarantined), the columns dropped
for privacy and why, and what mapped and what did not.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grontur.clean import (
    ISSUE_COLUMNS,
    RARE_VALUES,
    REDACTED,
    CleanResult,
    clean,
)
from grontur.errors import MissingColumnError, WeakMappingError
from grontur.io import RawExport, read_export
from grontur.limits import DEFAULT_LIMITS, Limits
from grontur.mapping import (
    MODE_BOTH,
    ColumnRule,
    MappedExport,
    Mapping,
    Suggestion,
    apply_mapping,
    completion_rules,
    detect_mapping,
    fold,
    load_mapping,
    mapping_with_suggestions,
    norm,
    row_exclusions,
    save_mapping,
    suggest_mapping,
    value_map,
)
from grontur.privacy import (
    PLACEHOLDERS,
    UNIQUENESS_COLUMNS,
    generalise_rare,
    identifier_kinds,
    pseudonymise,
    pseudonyms,
    rare_flags,
    reason_from_name,
    strip_identifiers,
    unique_rows,
)
from grontur.publish import DEFAULT_K
from grontur.schema import REQUIRED_ANY
from grontur.trips import check_repeated_ids, collapse_trips

__all__ = [
    "ImportResult",
    "detect_mapping",
    "import_survey",
    "load_mapping",
    "read_export",
    "save_mapping",
    "suggest_mapping",
]

log = logging.getLogger(__name__)

#: Suggestions at or above this confidence are applied automatically (and reported as such).
AUTO_ACCEPT = 0.6
#: Without a mapping, a column suggested as the main mode at or above this confidence is a
#: candidate: two or more candidates for one season make the automatic mapping ambiguous.
MODE_CANDIDATE = 0.4


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one import.

    Attributes
    ----------
    table
        Canonical, typed table (``grontur/schema.py``) plus ``source_row``.
    issues
        ``source_row, column, raw_value, problem, action`` — written as ``quality.csv``.
    quarantine
        ``source_row, reason`` of the rows left out.
    account
        ``input_rows, kept, quarantined``; always input_rows = kept + quarantined.
    dropped_columns
        ``{column, reason, found_by}`` for every column removed for privacy.
    mapping_report
        Dialect, mapped and unmapped columns (with reasons), suggestions, unknown answers.
    mapping
        The mapping used, including accepted suggestions (see :func:`save_mapping`).
    k
        The privacy threshold: :meth:`cleaned_table` generalises values of the quasi-identifying
        columns held by fewer than k kept respondents.
    """

    table: pd.DataFrame
    issues: pd.DataFrame
    quarantine: pd.DataFrame
    account: dict[str, int]
    dropped_columns: list[dict[str, str]]
    mapping_report: dict[str, Any]
    mapping: Mapping | None = None
    path: str = ""
    k: int = DEFAULT_K

    def cleaned_table(self) -> pd.DataFrame:
        """The table as written to ``cleaned.csv``: values held by fewer than k kept respondents
        generalised in every quasi-identifying column (``table`` keeps them for the analysis,
        which estimates distances from postcodes and publishes nothing below k)."""
        return publishable_table(self.table, self.k)

    def privacy(self) -> dict[str, Any]:
        """k, the cells generalised in ``cleaned.csv`` per column, and how many of its rows are unique
        on postcode, job group, shift work and age band (None when it has none of these columns)."""
        generalised = generalise_rare(self.table, self.k)
        return {
            "k": self.k,
            "generalised": generalised.counts(),
            "unique_rows": unique_rows(generalised.table),
            "unique_on": [column for column in UNIQUENESS_COLUMNS if column in self.table.columns],
        }

    def problem_counts(self) -> dict[str, int]:
        if not len(self.issues):
            return {}
        counts = self.issues["problem"].value_counts().sort_index()
        return {str(k): int(v) for k, v in counts.items()}

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON summary (the ``import`` part of results and the CLI's mapping report)."""
        return {
            "file": Path(self.path).name if self.path else None,
            "account": dict(self.account),
            "dropped_columns": [dict(item) for item in self.dropped_columns],
            "problems": self.problem_counts(),
            "privacy": self.privacy(),
            "mapping": self.mapping_report,
        }

    def summary(self, lang: str = "en") -> list[str]:
        """Lines for a person: rows kept and quarantined, columns mapped, unmapped and dropped."""
        from grontur.i18n import t

        report = self.mapping_report
        lines = [
            t("import.summary.file", lang, file=Path(self.path).name, dialect=report.get("title") or report["dialect"]),
            t("import.summary.rows", lang, **self.account),
            t("import.summary.columns", lang, mapped=len(report["mapped"]), unmapped=len(report["unmapped"]),
              dropped=len(self.dropped_columns)),
        ]
        for item in report["mapped"]:
            lines.append(t("import.summary.mapped_column", lang, column=item["column"], target=item["target"],
                           how=t(f"import.how.{item['how']}", lang)))
        for item in self.dropped_columns:
            lines.append(t("import.summary.dropped_column", lang, column=item["column"],
                           reason=t(f"import.reason.{item['reason']}", lang)))
        for item in report["unmapped"]:
            lines.append(t("import.summary.unmapped_column", lang, column=item["column"],
                           reason=t(f"import.unmapped.{item['reason']}", lang)))
        for column, values in report.get("unknown_values", {}).items():
            shown = ", ".join(f"«{value}» ({count})" for value, count in list(values.items())[:5])
            lines.append(t("import.summary.unknown_values", lang, column=column, values=shown))
        for note in report.get("notes", []):
            if note["note"] == "one_mode_for_both_seasons":
                lines.append(t("import.summary.one_mode", lang, column=note["column"]))
            elif note["note"] == "mode_from_grid":
                lines.append(t("import.summary.grid", lang, ties=note["ties"]))
            elif note["note"] == "trips":
                lines.append(t("import.summary.trips", lang, **{k: v for k, v in note.items() if k != "note"}))
            elif note["note"] == "weekday_grid":
                lines.append(t("import.summary.weekday_grid", lang, season=note["season"], days=note["days"],
                               ties=note["ties"], unknown=note["unknown"]))
        counts = self.problem_counts()
        if counts:
            lines.append(t("import.summary.problems", lang, n=int(sum(counts.values())),
                           kinds=", ".join(f"{k} {v}" for k, v in counts.items())))
        if self.account["quarantined"]:
            reasons = self.quarantine["reason"].value_counts()
            lines.append(t("import.summary.quarantine", lang,
                           reasons=", ".join(f"{k} {int(v)}" for k, v in reasons.items())))
        privacy = self.privacy()
        if privacy["generalised"]:
            lines.append(t("import.summary.generalised", lang, k=self.k,
                           columns=", ".join(f"{column} {n}" for column, n in privacy["generalised"].items())))
        if privacy["unique_rows"] is not None:
            lines.append(t("import.summary.unique_rows", lang, n=privacy["unique_rows"], kept=self.account["kept"],
                           columns=", ".join(t(f"import.column.{column}", lang) for column in privacy["unique_on"])))
        return lines


def _timestamp_column(raw: RawExport, mapping: Mapping) -> str | None:
    for header in raw.frame.columns:
        folded = fold(header)
        meta = next((r for p, r in mapping.meta_columns if re.search(p, folded, re.IGNORECASE)), None)
        if meta == "timestamp" or reason_from_name(header) == "timestamp":
            return header
    return None


def _submission_times(raw: RawExport, column: str | None) -> pd.Series | None:
    """The raw submission times (parsed later, only where answers repeat; never output)."""
    if column is None:
        return None
    return raw.frame[column]


def import_survey(
    path: str | Path,
    *,
    mapping: str | Path | Mapping | None = None,
    sheet: str | None = None,
    municipality: str | None = None,
    wave: str | None = None,
    salt: str | None = None,
    k: int = DEFAULT_K,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportResult:
    """Import a survey export into the canonical table, with a full account of what happened.

    Parameters
    ----------
    path
        The export (CSV, TSV, semicolon text or Excel), or a table already in canonical form.
    mapping
        A shipped mapping name or a mapping file; by default the dialect is detected and columns
        the dialect does not know are mapped from automatic suggestions.
    sheet
        Excel sheet with the responses (found automatically by default).
    municipality
        Municipality (name or number) for rows that carry none.
    wave
        Survey round for rows that carry none.
    salt
        Secret key for the pseudonymous respondent ids. Without one, the user's stored key for the
        municipality is used, made at random on first use (:func:`grontur.keys.user_key_for`).
    k
        Privacy threshold (the project's ``k``): in ``cleaned.csv`` (:meth:`ImportResult.cleaned_table`)
        values of workplace, postcode, job group and age band held by fewer than k kept respondents
        are generalised, and quality.csv counts them.
    limits
        Size limits of the export, checked before it is loaded (:mod:`grontur.limits`).

    Raises
    ------
    InputFileError, MappingError, ConfigError
        For unreadable files, bad mapping files, or exports with neither a mode nor a distance.
    """
    from grontur.threshold import check_k

    k = check_k(k, "k")
    path = Path(path)
    raw = read_export(path, sheet=sheet, limits=limits)
    chosen = load_mapping(mapping) if mapping is not None else detect_mapping(raw)

    # Which columns hold answers the mapping uses: those are checked cell by cell, never dropped.
    probe = apply_mapping(raw, chosen)
    claimed = {item["column"] for item in probe.columns}
    timestamp_column = _timestamp_column(raw, chosen)
    submitted = _submission_times(raw, timestamp_column) if timestamp_column not in claimed else None
    exempt = {c for c in (probe.id_column, probe.panel_column) if c is not None}
    stripped, dropped, blanked = strip_identifiers(raw, keep=claimed - exempt, exempt=exempt,
                                                   meta=chosen.meta_columns)
    dropped_names = {item.column for item in dropped}

    # Unknown columns: suggestions from question texts and values; confident ones are applied.
    suggestions: list[Suggestion] = []
    accepted: list[Suggestion] = []
    if chosen.name != "canonical":
        leftover = [item["column"] for item in probe.unmapped
                    if item["column"] not in dropped_names and item["reason"] == "no_match"]
        suggestions = suggest_mapping(stripped, columns=leftover)
        if mapping is None:
            taken = set(probe.frame.columns)
            for suggestion in sorted(suggestions, key=lambda s: -s.confidence):
                targets = {"mode_summer", "mode_winter"} if suggestion.target == MODE_BOTH else {suggestion.target}
                if suggestion.confidence >= AUTO_ACCEPT and not targets & taken:
                    accepted.append(suggestion)
                    taken |= targets
    extra = tuple(ColumnRule(target=s.target, headers=(s.column,)) for s in accepted)
    mapped = apply_mapping(stripped, chosen, extra_rules=extra,
                           skip=frozenset(dropped_names))
    if not any(column in mapped.frame.columns for column in REQUIRED_ANY):
        from grontur.i18n import t

        columns = ", ".join(str(c) for c in list(raw.frame.columns)[:12])
        raise MissingColumnError(t("import.error.no_mode_or_distance", "en", file=str(path), columns=columns))

    # The guard on automatic mappings: only where columns were mapped from guesses.
    guessed = mapping is None and chosen.name != "canonical" and bool(accepted)
    if guessed:
        _check_mode_found(path, stripped, chosen, mapped, suggestions, accepted, probe.unmapped)
    excluded = row_exclusions(raw, chosen, completion_rules(raw, chosen))
    reasons: pd.Series | None = None
    answers: pd.DataFrame | None = None
    if chosen.unit == "trip":
        # One row per person from the work trips; row rules and copies are judged per trip row.
        mapped = collapse_trips(raw, mapped, chosen)
    else:
        check_repeated_ids(raw, mapped, ignore=frozenset(c for c in (timestamp_column,) if c))
        reasons = pd.Series(excluded["reason"].to_numpy(), index=pd.Index(excluded["source_row"].to_numpy()),
                            dtype=object).reindex(raw.frame.index)
        # Identical answers: every answered column counts, mapped or not; ids, timestamps and the
        # tool's metadata (duration, progress, status) differ between copies and are left out.
        not_answers = {c for c in (probe.id_column, probe.panel_column, timestamp_column) if c is not None}
        not_answers |= {item.column for item in dropped if item.reason in ("timestamp", "meta")}
        answers = raw.frame[[c for c in raw.frame.columns if c not in not_answers]]

    if not salt:
        from grontur.keys import user_key_for

        salt = user_key_for(municipality).value
    respondent_id, id_source, id_keys = _respondent_ids(raw, mapped, salt=salt, path=path)
    result: CleanResult = clean(mapped, municipality=municipality, wave=wave,
                                respondent_id=respondent_id, respondent_keys=id_keys, submitted=submitted,
                                answers=answers, excluded=reasons)
    if id_source is not None:
        # where each pseudonym came from: only panel codes may link people across waves
        # the stubs ask for an Index (pandas takes any array-like) and reject a None operand
        positions = id_source.index.get_indexer(result.table["source_row"].to_numpy())  # type: ignore[arg-type]
        result.table[ID_SOURCE_COLUMN] = np.append(id_source.to_numpy(dtype=object), None)[positions]  # type: ignore[call-overload]

    if guessed and 2 * result.account["quarantined"] > result.account["input_rows"]:
        from grontur.i18n import t

        counted = result.quarantine["reason"].value_counts()
        raise _weak(t("import.error.weak_mapping_rows", "en", file=path.name, n=result.account["quarantined"],
                      of=result.account["input_rows"], reasons=", ".join(f"{k} {int(v)}" for k, v in counted.items()),
                      found=_found(mapped)), stripped, chosen, accepted, suggestions, probe.unmapped)

    issues = result.issues
    if len(excluded):
        # One line per row set aside by a row rule, naming the rule (never the row's own answer).
        filter_issues = pd.DataFrame({
            "source_row": excluded["source_row"].astype(int).to_numpy(), "column": "*",
            "raw_value": excluded["rule"].to_numpy(), "problem": excluded["reason"].to_numpy(),
            "action": "quarantined_by_row_rule",
        })
        issues = pd.concat([issues, filter_issues], ignore_index=True) if len(issues) else filter_issues
        issues = issues.sort_values(["source_row", "column"], kind="stable").reset_index(drop=True)
    if len(blanked):
        target_of = {item["column"]: item["target"] for item in mapped.columns}
        extra_issues = pd.DataFrame({
            "source_row": blanked["source_row"].astype(int).to_numpy(),
            "column": blanked["column"].map(lambda c: target_of.get(c, c)).to_numpy(),
            "raw_value": _placeholders(raw.frame, blanked), "problem": "identifier_in_answer", "action": "set_missing",
        })
        issues = pd.concat([issues, extra_issues], ignore_index=True) if len(issues) else extra_issues
        issues = issues.sort_values(["source_row", "column"], kind="stable").reset_index(drop=True)
    issues = with_generalisation_issues(issues[list(ISSUE_COLUMNS)], result.table, k)

    accepted_confidence = {s.column: round(s.confidence, 2) for s in accepted}
    accepted_columns = set(accepted_confidence)
    mapped_report: list[dict[str, Any]] = []
    for item in mapped.columns:
        entry: dict[str, Any] = dict(item)
        if item["column"] in accepted_columns:
            entry["how"] = "suggested"
            entry["confidence"] = accepted_confidence[item["column"]]
        mapped_report.append(entry)
    mapped_names = {item["column"] for item in mapped.columns}
    unmapped = [item for item in probe.unmapped
                if item["column"] not in dropped_names and item["column"] not in mapped_names]
    # Tool metadata (progress, status, language) is not personal: report it as not used.
    unmapped += [{"column": item.column, "reason": "tool_metadata"} for item in dropped if item.reason == "meta"]
    dropped = [item for item in dropped if item.reason != "meta"]
    report = {
        "dialect": chosen.name,
        "title": chosen.title,
        "mapping_file": chosen.source if chosen.source and mapping is not None else None,
        "header_rows": raw.header_rows,
        "sheet": raw.sheet,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "mapped": mapped_report,
        "unmapped": unmapped,
        "suggestions": [s.as_dict() for s in suggestions if s.column not in accepted_columns],
        "unknown_values": result.unknown_values,
        "notes": mapped.notes,
    }
    final_mapping = mapping_with_suggestions(chosen, accepted) if accepted else chosen
    log.info("imported %s: %s", path.name, result.account)
    return ImportResult(
        table=result.table, issues=issues, quarantine=result.quarantine, account=result.account,
        dropped_columns=[item.as_dict() for item in dropped], mapping_report=report,
        mapping=final_mapping, path=str(path), k=k,
    )


_MODE_TARGETS = (MODE_BOTH, "mode_summer", "mode_winter")


def _found(mapped: MappedExport) -> str:
    """What an automatic mapping found, for the refusal message: 'column' -> target, ..."""
    pairs = [f"'{item['column']}' -> {item['target']}" for item in mapped.columns if item["target"] != "respondent_id"]
    return "; ".join(pairs) or "-"


def _check_mode_found(path: Path, raw: RawExport, chosen: Mapping, mapped: MappedExport,
                      suggestions: list[Suggestion], accepted: list[Suggestion], unmapped: list[dict[str, str]]) -> None:
    """Refuse an automatic mapping that used guesses and has no travel-mode question it can trust.

    A mode is trusted when a rule of the dialect or a question of the standard questionnaire
    maps it, or when one suggestion per season names travel in its question text and its
    answers are mode labels. Several columns that each look like the main mode (a grid of days,
    say) or a mode guessed from its answers alone are not trusted.
    """
    from grontur.i18n import t

    accepted_columns = {s.column for s in accepted}
    modes = [item for item in mapped.columns
             if item["target"] in _MODE_TARGETS or item["target"].startswith(("mode_grid:", "weekday_grid:"))]
    if any(item["column"] not in accepted_columns for item in modes):
        return
    candidates = [s for s in suggestions if s.target in _MODE_TARGETS and s.confidence >= MODE_CANDIDATE]
    per_target: dict[str, int] = {}
    for suggestion in candidates:
        per_target[suggestion.target] = per_target.get(suggestion.target, 0) + 1
    if modes and all(n == 1 for n in per_target.values()) and not (MODE_BOTH in per_target and len(per_target) > 1):
        return
    if len(candidates) > 1:
        detail = t("import.error.weak_mapping_many_modes", "en", n=len(candidates),
                   columns="; ".join(f"'{s.column}'" for s in candidates))
    else:
        detail = t("import.error.weak_mapping_no_mode", "en")
    raise _weak(t("import.error.weak_mapping_mode", "en", file=path.name, detail=detail, found=_found(mapped)),
                raw, chosen, accepted, suggestions, unmapped)


def _weak(message: str, raw: RawExport, chosen: Mapping, accepted: list[Suggestion], suggestions: list[Suggestion],
          unmapped: list[dict[str, str]]) -> WeakMappingError:
    """The refusal, carrying a draft mapping: the confident suggestions as rules, a weekday grid
    when columns name weekdays, and every other guess as a note to move into ``columns``."""
    from dataclasses import replace

    from grontur.weekday import draft_grid

    trusted = [s for s in accepted if s.target not in _MODE_TARGETS]
    draft = mapping_with_suggestions(chosen, trusted, name=f"{chosen.name}-draft")
    mode_columns = [s.column for s in suggestions if s.target in _MODE_TARGETS]
    vmap = value_map(MODE_BOTH)
    grid = draft_grid(raw.frame, mode_columns or [item["column"] for item in unmapped if item["column"] in raw.frame],
                      lambda label: vmap.get(norm(label)))
    if grid is not None:
        draft = replace(draft, weekday_grids=(grid,))
    in_grid = {column for _day, column in grid.days} if grid is not None else set()
    notes = [s.as_dict() for s in suggestions if s not in trusted and s.column not in in_grid]
    return WeakMappingError(message, draft=draft, suggestions=notes,
                            unmapped=[item for item in unmapped if item["column"] not in in_grid
                                      and item["column"] in raw.frame.columns])


def publishable_table(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """``table`` as written to ``cleaned.csv``: values of the quasi-identifying columns
    (:data:`grontur.privacy.QUASI_IDENTIFIERS`) held by fewer than ``k`` of its rows are blanked."""
    return generalise_rare(table, k).table


def with_generalisation_issues(issues: pd.DataFrame, table: pd.DataFrame, k: int) -> pd.DataFrame:
    """``issues`` with one ``rare_value_generalised`` row per cell :func:`publishable_table` blanks.

    Rows of that problem already in ``issues`` (from an import at another k, or of a larger table)
    are replaced, so that quality.csv counts exactly what cleaned.csv generalised.
    """
    frames = []
    if len(issues):
        others = issues["problem"].to_numpy(dtype=object) != "rare_value_generalised"
        frames.append(issues if others.all() else issues[others])
    # One row per blanked cell, the columns in the order of QUASI_IDENTIFIERS.
    blanked = [(column, flags) for column, flags in rare_flags(table, k).items() if flags.any()]
    if blanked:
        source = table["source_row"].to_numpy()
        frames.append(pd.DataFrame({
            "source_row": np.concatenate([source[flags].astype(int) for _, flags in blanked]),
            "column": [column for column, flags in blanked for _ in range(int(flags.sum()))],
            "raw_value": RARE_VALUES, "problem": "rare_value_generalised", "action": "blanked_in_cleaned_csv",
        }))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return issues.iloc[0:0] if len(issues) else issues
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out = _by_row_and_column(out)
    return out if list(out.columns) == list(ISSUE_COLUMNS) else out[list(ISSUE_COLUMNS)]


def _by_row_and_column(issues: pd.DataFrame) -> pd.DataFrame:
    """``issues`` sorted by source row, then column name, rows of the same cell in the order given
    (``sort_values(kind="stable")``, without its overhead when the rows and names are plain)."""
    rows = issues["source_row"].to_numpy()
    names = issues["column"].to_numpy(dtype=object)
    if rows.dtype.kind not in "iu" or not all(isinstance(name, str) for name in names.tolist()):
        return issues.sort_values(["source_row", "column"], kind="stable", ignore_index=True)
    return issues.take(np.lexsort((names, rows))).reset_index(drop=True)


def _placeholders(frame: pd.DataFrame, blanked: pd.DataFrame) -> np.ndarray:
    """What quality.csv shows for each blanked identifier cell: the placeholder of its kind."""
    out = np.full(len(blanked), REDACTED, dtype=object)
    for column, rows in blanked.groupby("column")["source_row"]:
        kinds = identifier_kinds(frame[column].loc[rows.to_numpy()]).to_numpy()
        found = pd.notna(kinds)
        out[rows.index.to_numpy()[found]] = [PLACEHOLDERS[kind] for kind in kinds[found]]
    return out


_HASHED = re.compile(r"^[0-9a-f]{16}$")


def _panel_code(value: object) -> str:
    """Self-chosen panel codes match across waves whatever the case and surrounding spaces."""
    return str(value).strip().upper()


#: Column of the imported table saying where each ``respondent_id`` came from (one of
#: :data:`ID_SOURCES`). Only ``panel_code`` pseudonyms identify a person across waves; an export's
#: own id (a submission or row number) and the file row are unique within one file only.
ID_SOURCE_COLUMN = "respondent_id_source"
ID_SOURCES = ("panel_code", "export_id", "file_row")


def _respondent_ids(raw: RawExport, mapped: MappedExport, *, salt: str,
                    path: Path) -> tuple[pd.Series, pd.Series | None, np.ndarray | None]:
    """Pseudonymous ids: hashes of the panel code, else of the export's id, else of file and row.

    A self-chosen panel code links a person's answers across waves (same salt, same pseudonym);
    where it is blank the export's own id is used, and failing that the file name and row.
    Returns the ids, per row where each came from (:data:`ID_SOURCES`), and the 64-bit hash each
    pseudonym writes out (equal exactly where the ids are; None for a canonical table, whose ids
    may be kept as they are). A canonical table
    keeps the sources it carries in :data:`ID_SOURCE_COLUMN`; without that column they are
    unknown (``None``) and its ids are taken as the panel pseudonyms it declares them to be.
    """
    index = mapped.frame.index
    if mapped.canonical and mapped.id_column is not None:
        ids = raw.frame[mapped.id_column].reindex(index)
        # A canonical table keeps its pseudonyms; anything else in the id column is hashed.
        hashed_already = ids.astype("string").str.fullmatch(_HASHED.pattern).fillna(False).astype(bool)
        risky = ids.notna() & ~hashed_already
        given_source = None
        if ID_SOURCE_COLUMN in raw.frame.columns:
            given = raw.frame[ID_SOURCE_COLUMN].reindex(index).astype(object)
            given_source = given.where(given.isin(ID_SOURCES), None).where(ids.notna(), None)
        return ids.astype(object).where(~risky, pseudonymise(ids, salt)), given_source, None
    result = pd.Series(pd.NA, index=index, dtype=object)
    # Where each id came from, as a position in ID_SOURCES (-1: none yet); strings only at the end.
    source = np.full(len(index), -1, dtype=np.int8)
    missing = np.ones(len(index), dtype=bool)
    keys = np.zeros(len(index), dtype=np.uint64)
    if mapped.panel_column is not None:
        codes = raw.frame[mapped.panel_column].reindex(index)
        panel = pseudonyms(codes, salt, normalise=_panel_code)
        result = panel.ids.where(panel.filled, pd.NA)
        source[panel.filled] = ID_SOURCES.index("panel_code")
        keys[panel.filled] = panel.keys[panel.filled]
        missing = ~panel.filled
    if mapped.id_column is not None and missing.any():
        ids = raw.frame[mapped.id_column].reindex(index)
        export = pseudonyms(ids, salt, prefix="id:")
        result = export.ids if missing.all() else result.where(~missing, export.ids)
        taken = missing & export.filled
        source[taken] = ID_SOURCES.index("export_id")
        keys[taken] = export.keys[taken]
        missing &= ~export.filled
    if missing.any():
        rows = index[missing]
        by_row = pseudonyms(pd.Series([f"{path.name}:{row}" for row in rows], index=rows), salt)
        result = result.where(~missing, by_row.ids.reindex(index))
        source[missing] = ID_SOURCES.index("file_row")
        keys[missing] = by_row.keys
    labels = np.array([*ID_SOURCES, None], dtype=object)
    return result, pd.Series(labels[source], index=index, dtype=object), keys
