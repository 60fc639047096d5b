"""Reading YAML data files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grontur.errors import ConfigError, GronturError

try:  # libyaml's loader is several times faster than the pure-Python one; same results
    SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    SafeLoader = yaml.SafeLoader


def parse(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it."""
    return yaml.load(text, Loader=SafeLoader)


def read_yaml(path: Path, *, error: type[GronturError] = ConfigError, advice: str = "fix the syntax") -> Any:
    """Parse ``path``; a syntax error becomes ``error`` naming the file, the line and ``advice``."""
    try:
        return parse(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        msg = f"{path}{where}: not valid YAML ({getattr(problem, 'problem', problem)}); {advice}."
        raise error(msg) from problem
    except UnicodeDecodeError as problem:
        msg = f"{path}: not UTF-8 text ({problem.reason}); save it as UTF-8."
        raise error(msg) from problem
    except OSError as problem:
        msg = f"{path}: cannot be read ({problem.strerror or problem}); {advice}."
        raise error(msg) from problem
