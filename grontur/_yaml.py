"""Reading YAML data files: through libyaml, refusing duplicate keys, with errors that name the
file, line and column and say what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grontur.errors import ConfigError, GronturError

try:  # libyaml's loader is several times faster than the pure-Python one; same results
    _SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _SafeLoader = yaml.SafeLoader


class StrictLoader(_SafeLoader):
    """A safe loader that refuses a key given twice (plain YAML silently keeps the last one)."""


def _construct_unique_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"the key {key!r} is given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def parse(text: str) -> Any:
    """``yaml.safe_load`` through libyaml, refusing duplicate keys."""
    return yaml.load(text, Loader=StrictLoader)


def read_yaml(path: Path, *, error: type[GronturError] = ConfigError, advice: str = "fix the syntax") -> Any:
    """Parse ``path``; any problem becomes ``error`` naming the file (and line) and ``advice``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as problem:
        msg = f"{path}: not UTF-8 text (byte {problem.start}); save it as UTF-8."
        raise error(msg) from None
    except OSError as problem:
        msg = f"{path}: cannot be read ({problem.strerror or problem}); {advice}."
        raise error(msg) from None
    try:
        return parse(text)
    except yaml.YAMLError as problem:
        raise error(f"{path}: {describe_problem(problem, advice)}") from None


def describe_problem(problem: yaml.YAMLError, advice: str = "fix the syntax") -> str:
    """Where a YAML file is wrong and what to do: ``line 3, column 5: ...; advice.``"""
    text = problem_text(problem)
    if "given twice" in text:
        return f"{text}; keep only one of them."
    return f"{text}; {advice}."


def problem_text(problem: yaml.YAMLError) -> str:
    """Where a YAML file is wrong and how, without advice: ``line 3, column 5: not valid YAML (...)``."""
    mark = getattr(problem, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    detail = getattr(problem, "problem", None) or str(problem).splitlines()[0]
    if "given twice" in detail:
        return f"{where}{detail}"
    context = getattr(problem, "context", None)
    if context:
        detail = f"{context}, {detail}"
    return f"{where}not valid YAML ({detail})"
