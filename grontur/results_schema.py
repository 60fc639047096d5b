"""The JSON Schemas of ``results.json`` and ``comparison.json``, shipped in ``grontur/schemas/``.

:func:`validate` checks a results dict (as :meth:`grontur.results.Results.to_json` gives it, or
as read back from ``results.json``) against the schema of its format; :func:`problems` lists
what does not fit. ``docs/results-schema.md`` is generated from the same files
(:mod:`grontur._docs`).

>>> load("results")["properties"]["schema"]["const"]
'grontur.results/2'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
#: Schema name -> file in :data:`SCHEMA_DIR`.
FILES = {"results": "results.schema.json", "comparison": "comparison.schema.json"}


class SchemaMismatch(ValueError):
    """A results or comparison dict that does not fit its shipped schema; ``problems`` lists why."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(f"{name} does not fit {FILES[name]}: {shown}")


@cache
def _load(name: str) -> str:
    if name not in FILES:
        msg = f"unknown schema {name!r}; the schemas are {', '.join(FILES)}"
        raise ValueError(msg)
    return (SCHEMA_DIR / FILES[name]).read_text(encoding="utf-8")


def load(name: str = "results") -> dict[str, Any]:
    """The JSON Schema ``name`` (``"results"`` or ``"comparison"``), a fresh copy."""
    schema: dict[str, Any] = json.loads(_load(name))
    return schema


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = [(load(other)["$id"], Resource.from_contents(load(other))) for other in FILES]
    schema = load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=Registry().with_resources(resources))


def problems(data: Mapping[str, Any], name: str = "results") -> list[str]:
    """Every place where ``data`` does not fit the schema ``name``: ``"path: message"``, in path order."""
    found = []
    for error in _validator(name).iter_errors(data):
        path = "/".join(str(part) for part in error.absolute_path) or "(top)"
        found.append(f"{path}: {error.message}")
    return sorted(found)


def validate(data: Mapping[str, Any], name: str = "results") -> None:
    """Raise :class:`SchemaMismatch` unless ``data`` fits the schema ``name``."""
    found = problems(data, name)
    if found:
        raise SchemaMismatch(name, found)
