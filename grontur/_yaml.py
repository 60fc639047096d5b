"""Reading YAML data files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grontur.errors import ConfigError, GronturError


def read_yaml(path: Path, *, error: type[GronturError] = ConfigError, advice: str = "fix the syntax") -> Any:
    """Parse ``path``; a syntax error becomes ``error`` naming the file, the line and ``advice``."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
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
