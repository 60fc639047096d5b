"""The column-mapping conversation for an export grontur does not know (``grontur import --interactive``).

Step 1: every column that did not map, or that mapped only by a guess, is shown with a few sample
values and the suggested canonical column; the user accepts, changes or skips it. Step 2: answer
values that match no code are shown the same way and mapped to a code or skipped. The result is a
mapping file (``grontur.mapping.save_mapping``) that imports the next wave with no questions.

All the mapping logic is the library's (:mod:`grontur.mapping`, :mod:`grontur.importing`); this
module only asks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from grontur.commands._prompts import NOTHING, SKIP, Asker
from grontur.i18n import t
from grontur.importing import AUTO_ACCEPT, ImportResult, import_survey
from grontur.mapping import MODE_BOTH, ColumnRule, Mapping, save_mapping
from grontur.schema import COLUMNS

#: Canonical columns a user can map an export column to (plus one column for both seasons' mode).
TARGETS = (MODE_BOTH, *[c for c in COLUMNS if c not in ("respondent_id", "wave")])


def target_label(target: str, lang: str) -> str:
    """A canonical column in plain words of ``lang`` ("Avstand heim–jobb (km)"), never its code."""
    text = t("wizard.target.mode_both" if target == MODE_BOTH else f"import.column.{target}", lang)
    return text[:1].upper() + text[1:]


def code_label(target: str, code: str, lang: str) -> str:
    """An answer code in plain words of ``lang`` (the standard questionnaire's label)."""
    return t(f"code.{'mode' if target in (MODE_BOTH, 'mode_summer', 'mode_winter') else target}.{code}", lang)


def confidence_label(confidence: float | None, lang: str) -> str:
    """How sure a suggestion is, in words: sure (the standard question), likely (applied on its
    own by the import) or uncertain (below :data:`grontur.importing.AUTO_ACCEPT`)."""
    if confidence is None or confidence < AUTO_ACCEPT:
        return t("wizard.confidence.low", lang)
    return t("wizard.confidence.high" if confidence >= 0.9 else "wizard.confidence.medium", lang)


def plain_value(value: object) -> str:
    """An answer as the user typed it: a whole number a spreadsheet stored as 3550.0 shows as 3550."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def _rules_without(mapping: Mapping, column: str) -> list[ColumnRule]:
    return [rule for rule in mapping.columns if column not in rule.headers]


def _with_rule(mapping: Mapping, column: str, target: str | None) -> Mapping:
    rules = _rules_without(mapping, column)
    if target is not None:
        rules.append(ColumnRule(target=target, headers=(column,)))
    ignore = tuple(mapping.ignore_columns) + ((column,) if target is None else ())
    return dataclasses.replace(mapping, columns=tuple(rules), ignore_columns=ignore)


def _with_values(mapping: Mapping, column: str, target: str, values: dict[str, str]) -> Mapping:
    rules = []
    found = False
    for rule in mapping.columns:
        if column in rule.headers:
            rule = dataclasses.replace(rule, values={**rule.values, **values})
            found = True
        rules.append(rule)
    if not found:
        rules.append(ColumnRule(target=target, headers=(column,), values=dict(values)))
    return dataclasses.replace(mapping, columns=tuple(rules))


def _samples(path: Path, sheet: str | None, columns: list[str], n: int = 4) -> dict[str, list[str]]:
    """A few distinct answers per column, read from the export for the user's own screen only.

    Only columns the privacy filter kept are asked about, so no identifying column is shown.
    """
    from grontur.io import read_export

    frame = read_export(path, sheet=sheet).frame
    out = {}
    for column in columns:
        if column in frame.columns:
            values = frame[column].dropna().map(plain_value)
            out[column] = [v[:40] for v in values[values != ""].unique()[:n]]
    return out


def ask_columns(asker: Asker, result: ImportResult, *, samples: dict[str, list[str]] | None = None) -> Mapping:
    """Step 1: accept, change or skip each unmapped or guessed column."""
    lang = asker.lang
    report = result.mapping_report
    mapping = result.mapping
    assert mapping is not None, "an import records the mapping it used"
    suggestions = {s["column"]: s for s in report.get("suggestions", [])}
    guessed = {item["column"]: item for item in report.get("mapped", []) if item.get("how") == "suggested"}
    samples = samples or {}
    open_columns = [item["column"] for item in report.get("unmapped", []) if item.get("reason") == "no_match"]
    for column in [*guessed, *open_columns]:
        suggestion = guessed.get(column) or suggestions.get(column) or {}
        suggested = suggestion.get("target")
        shown = ", ".join(str(v) for v in samples.get(column, [])[:4]) or t("wizard.no_samples", lang)
        message = t("wizard.column", lang, column=column, samples=shown)
        choices: list[tuple[str, Any]] = []
        default: Any = NOTHING
        if suggested:
            confidence = suggestion.get("confidence")
            choices.append((t("wizard.accept", lang, target=target_label(suggested, lang),
                              confidence=confidence_label(confidence, lang)), suggested))
            if confidence is not None and confidence >= AUTO_ACCEPT:
                default = suggested  # a low-confidence suggestion is never the default
        choices.append((t("wizard.change", lang), "__change__"))
        answer = asker.select(message, choices, skippable=True, default=default)
        if answer == "__change__":
            answer = asker.select(t("wizard.choose_target", lang, column=column),
                                  [(target_label(x, lang), x) for x in TARGETS], skippable=True, default=NOTHING)
        mapping = _with_rule(mapping, column, None if answer == SKIP else answer)
    return mapping


def unknown_values(path: Path, result: ImportResult, mapping: Mapping, *, sheet: str | None = None,
                   limit: int = 40) -> dict[str, tuple[str, str, list[str]]]:
    """Answers in mapped code columns that match no code: target -> (column, kind, values).

    Read from the export itself (the import's own report lumps rare answers together for
    privacy); shown only on the project lead's screen.
    """
    import re

    from grontur.io import read_export
    from grontur.mapping import norm, value_map

    frame = read_export(path, sheet=sheet).frame
    rules = {header: rule for rule in mapping.columns for header in rule.headers}
    out: dict[str, tuple[str, str, list[str]]] = {}
    for item in result.mapping_report.get("mapped", []):
        column, target = item["column"], item["target"]
        kind, codes = ("code", COLUMNS["mode_summer"][1]) if target == MODE_BOTH else COLUMNS.get(target, ("", None))
        if kind not in ("code", "multi") or codes is None or column not in frame.columns:
            continue
        known = value_map(target, rules.get(column))
        values = frame[column].dropna().astype(str).str.strip()
        if kind == "multi":
            separators = "|".join(re.escape(sep) for sep in mapping.multi_separators) or ";"
            values = values.str.split(separators, regex=True).explode().str.strip()
        distinct = [v for v in values[values != ""].unique() if norm(v) not in known and v not in codes]
        if distinct:
            out[target] = (column, kind, distinct[:limit])
    return out


def ask_values(asker: Asker, unknown: dict[str, tuple[str, str, list[str]]], mapping: Mapping) -> Mapping:
    """Step 2: map each answer value that matched no code, or leave it unmapped."""
    lang = asker.lang
    for target, (column, _kind, values) in unknown.items():
        codes = COLUMNS["mode_summer"][1] if target == MODE_BOTH else COLUMNS[target][1]
        assert codes is not None, "unknown_values lists code columns only"
        chosen: dict[str, str] = {}
        for value in values:
            answer = asker.select(t("wizard.value", lang, value=plain_value(value), column=column),
                                  [(code_label(target, code, lang), code) for code in codes], skippable=True,
                                  default=NOTHING)
            if answer != SKIP:
                chosen[str(value)] = str(answer)
        if chosen:
            mapping = _with_values(mapping, column, target, chosen)
    return mapping


def run_wizard(path: Path, *, asker: Asker, save_to: Path, sheet: str | None = None,
               mapping: str | Path | None = None, municipality: str | None = None) -> tuple[Mapping, ImportResult]:
    """Ask about columns, then values; save the mapping; return it with the import it gives."""
    first = import_survey(path, mapping=mapping, sheet=sheet, municipality=municipality)
    report = first.mapping_report
    asked = [item["column"] for item in report.get("mapped", []) if item.get("how") == "suggested"]
    asked += [item["column"] for item in report.get("unmapped", []) if item.get("reason") == "no_match"]
    chosen = ask_columns(asker, first, samples=_samples(Path(path), sheet, asked))
    chosen = dataclasses.replace(chosen, name=Path(save_to).stem, standard_questions=chosen.standard_questions)
    second = import_survey(path, mapping=chosen, sheet=sheet, municipality=municipality)
    chosen = ask_values(asker, unknown_values(Path(path), second, chosen, sheet=sheet), chosen)
    save_mapping(chosen, save_to)
    final = import_survey(path, mapping=save_to, sheet=sheet, municipality=municipality)
    return chosen, final
