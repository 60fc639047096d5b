"""Reference pages generated from the files grontur itself reads.

``docs/results-schema.md`` comes from the JSON Schemas shipped in ``grontur/schemas/``;
``docs/codes.md`` lists every canonical column with its kind and, for coded columns, every code
with its labels in nynorsk, bokmål and English, from the standard questionnaire
(``surveys/standard/questionnaire.yaml``) and :mod:`grontur.schema`.

Run ``python -m grontur._docs`` in a checkout to rewrite both; tests check that the committed
files equal :func:`results_schema_markdown` and :func:`codes_markdown`, so the pages never drift.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from grontur import bases
from grontur.resources import standard_questionnaire
from grontur.results import RESULTS_FORMAT
from grontur.results_schema import FILES, load
from grontur.schema import COLUMNS, MULTI_SEP

DOC_PATH = Path("docs") / "results-schema.md"
CODES_PATH = Path("docs") / "codes.md"

_INTRO = """\
One file per analysed municipality, written from the results model (`grontur.results.Results`).
Its format is `{version}`: the `schema` field names it, and it changes whenever a field is added,
removed or changes meaning. The JSON Schema (draft 2020-12) ships in the package as
`grontur/schemas/results.schema.json` (the comparison part as `grontur/schemas/comparison.schema.json`);
check a file with

```python
import json
from grontur.results_schema import validate
validate(json.load(open("results.json", encoding="utf-8")))  # raises SchemaMismatch, listing every problem
```

Plain JSON: shares are fractions between 0 and 1, tonnes are tonnes CO2e per year, distances are
one-way km, dates are ISO dates.

**`null` means hidden or unknown.** Every figure counted from respondents goes through one
publication gate. A figure is `null` when it describes fewer than `k` respondents (the project's
privacy threshold, `privacy.k`), or when showing it together with the other published figures
(totals, subtotals, shares, the same figure elsewhere) would give such a figure back. A figure
hidden in one place is hidden everywhere. `null` is also used for a value that cannot be computed
(no head count, no answers). Missing is never written as 0. Each section counts its hidden cells in
`suppressed_cells`; `privacy.suppressed_cells` adds them up.

**Bases.** Every share, rate or "x of n" is counted over a named base population, defined once in
`grontur.bases`. `bases` lists each base the run used with its size (`null` when hidden):

{bases}

This page is generated from the schema (`python -m grontur._docs`); the section pages in
`docs/schema/` explain the methods behind the figures.
"""


def _base_lines() -> str:
    """The named bases with their definitions, from :mod:`grontur.bases` (one definition)."""
    doc = bases.__doc__ or ""
    found = dict(re.findall(r"^- ``([a-z_<>]+)``: (.+?)$", doc, flags=re.MULTILINE))
    lines = []
    for pattern, text in found.items():
        names = [name for name in bases.NAMES if re.fullmatch(pattern.replace("<season>", "[a-z]+"), name)]
        shown = ", ".join(f"`{name}`" for name in names)
        lines.append(f"- {shown}: {text}")
    return "\n".join(lines)


def _type(node: dict[str, Any]) -> str:
    """A short type for a schema node: ``integer | null``, ``count``, ``one of ...``."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name.endswith(".schema.json"):
            return f"object (`{name}`)"
        return f"[{name}](#{name})"
    if "const" in node:
        return f'`"{node["const"]}"`'
    if "anyOf" in node:
        return " \\| ".join(_type(option) for option in node["anyOf"])
    kinds = node.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    text = " \\| ".join(kinds)
    if "enum" in node:
        text += ": " + ", ".join(f"`{value}`" for value in node["enum"])
    if node.get("type") == "array" or "array" in kinds:
        items = node.get("items")
        if isinstance(items, dict) and ("$ref" in items or "enum" in items or items.get("type") != "object"):
            text = f"list of {_type(items)}"
    return text


def _rows(node: dict[str, Any], prefix: str, required: bool = True) -> list[tuple[str, str, str]]:
    """(field, type, content) rows for ``node`` and everything written inline below it."""
    rows = []
    props = node.get("properties")
    if isinstance(props, dict):
        needed = set(node.get("required", ()))
        for key, child in props.items():
            path = f"{prefix}.{key}" if prefix else key
            rows.append((f"`{path}`" + ("" if key in needed else " (optional)"), _type(child),
                         child.get("description", "")))
            rows.extend(_rows(child, path))
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        key = "{" + _key_name(node) + "}"
        path = f"{prefix}.{key}" if prefix else key
        rows.append((f"`{path}`", _type(extra), extra.get("description", "")))
        rows.extend(_rows(extra, path))
    items = node.get("items")
    if isinstance(items, dict) and (items.get("properties") or items.get("additionalProperties")):
        rows.extend(_rows(items, f"{prefix}[]"))
    return rows


def _key_name(node: dict[str, Any]) -> str:
    names = node.get("propertyNames")
    if isinstance(names, dict) and "$ref" in names:
        return names["$ref"].rsplit("/", 1)[-1]
    return "key"


def _table(rows: list[tuple[str, str, str]], head: str = "field") -> list[str]:
    lines = [f"| {head} | type | content |", "|---|---|---|"]
    lines += [f"| {path} | {kind} | {text} |" for path, kind, text in rows]
    return lines


def _document(name: str, title: str, intro: str) -> list[str]:
    schema = load(name)
    lines = [title, "", intro.rstrip(), ""]
    needed = set(schema.get("required", ()))
    top = [(f"`{key}`" + ("" if key in needed else " (optional)"), _type(node), node.get("description", ""))
           for key, node in schema["properties"].items()]
    lines += ["## Top-level keys", "", *_table(top, "key"), ""]
    for key, node in schema["properties"].items():
        rows = _rows(node, "")
        if not rows:
            continue
        lines += [f"### `{key}`", "", node.get("description", ""), "", *_table(rows), ""]
    lines += ["## Types", "", "Shapes used in several places (`$defs` of the schema).", ""]
    for key, node in schema.get("$defs", {}).items():
        lines += [f"### {key}", "", f"{_type(node)}. {node.get('description', '')}".strip(), ""]
        rows = _rows(node, "")
        if rows:
            lines += [*_table(rows), ""]
    return lines


def results_schema_markdown() -> str:
    """The text of ``docs/results-schema.md``."""
    intro = _INTRO.format(version=RESULTS_FORMAT, bases=_base_lines())
    lines = _document("results", f"# `results.json`: format `{RESULTS_FORMAT}`", intro)
    comparison = load("comparison")
    version = comparison["properties"]["schema"]["const"]
    lines += _document("comparison", f"# `comparison.json` (and `results.json` `comparison`): format `{version}`",
                       f"Written when a follow-up wave is given; `docs/schema/comparison.md` explains the method. "
                       f"Schema: `grontur/schemas/{FILES['comparison']}`.")
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


_KINDS = {
    "str": "text", "code": "one code", "multi": f"codes joined by `{MULTI_SEP}`", "float": "number",
    "bool": "`true` / `false`",
}
_NOT_ASKED = {
    "respondent_id": "pseudonym of 16 hex characters made at import (never the export's own id)",
    "municipality": "municipality number (2024 numbers; names and older numbers are translated)",
    "wave": "survey round, e.g. `2025-03`",
}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def codes_markdown() -> str:
    """The text of ``docs/codes.md``."""
    questions: dict[str, dict[str, Any]] = {q["column"]: q for q in standard_questionnaire()["questions"]}
    lines = [
        "# Answer codes",
        "",
        "<!-- generated by `python -m grontur._docs` from surveys/standard/questionnaire.yaml; do not edit -->",
        "",
        "Every column of the canonical table (`cleaned.csv`) with its kind, and for coded columns every",
        "code with the answer labels of the standard questionnaire in nynorsk (nn), bokmål (nb) and",
        "English (en). A mapping file (`docs/mapping.md`) may map an answer only to a code listed here",
        "for its target column, or to `\"\"` for a missing answer (such as `-1`); anything else is refused",
        "with the valid codes. Yes/no columns take `true` and `false`. A mapping target `mode` fills",
        "`mode_summer` and `mode_winter` with the same codes.",
        "",
        "| column | kind | question |",
        "|---|---|---|",
    ]
    for column, (kind, _codes) in COLUMNS.items():
        question = questions.get(column)
        asked = _cell(question["text"]["en"]) if question else _NOT_ASKED.get(column, "")
        unit = question.get("unit") if question else None
        shown_kind = _KINDS[kind] + (f" ({unit})" if unit else "")
        lines.append(f"| `{column}` | {shown_kind} | {asked} |")
    for column, (kind, codes) in COLUMNS.items():
        if not codes:
            continue
        question = questions.get(column) or questions.get("mode_summer" if column == "mode_winter" else "")
        options = (question or {}).get("options") or {}
        lines += ["", f"## `{column}`", ""]
        if question:
            lines += [f"{_cell(question['text']['en'])} ({_KINDS[kind]})", ""]
        lines += ["| code | nn | nb | en |", "|---|---|---|---|"]
        for code in codes:
            labels = options.get(code) or {}
            lines.append(f"| `{code}` | " + " | ".join(_cell(labels.get(lang, "")) for lang in ("nn", "nb", "en")) + " |")
    banded = questions.get("travel_time_min", {}).get("options") or {}
    if banded:
        lines += ["", "## `travel_time_min` bands", "",
                  "The standard question asks in bands; each band is read as the number of minutes shown.", "",
                  "| minutes | nn | nb | en |", "|---|---|---|---|"]
        for value, labels in banded.items():
            lines.append(f"| {value} | " + " | ".join(_cell(labels[lang]) for lang in ("nn", "nb", "en")) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write ``docs/results-schema.md`` under the given checkout folder (default: the current one)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path.cwd()
    (root / DOC_PATH).write_text(results_schema_markdown(), encoding="utf-8")
    (root / CODES_PATH).write_text(codes_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
