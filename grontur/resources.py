"""Where the shipped knowledge lives: ``surveys/``, ``measures/`` and ``notebooks/``.

In a checkout (or an editable install) they sit at the repository top level; in a wheel they are
packaged as ``grontur/_data/<name>``. Both are found through this one function.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_NAMES = ("surveys", "measures", "notebooks")
_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder of shipped data called ``name``.

    >>> data_dir("measures").name
    'measures'
    """
    if name not in _NAMES:
        msg = f"The data folder {name!r} does not exist. Available folders are {', '.join(_NAMES)}."
        raise ValueError(msg)
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    msg = f"grontur's {name}/ folder is missing from the installation ({packaged}); reinstall grontur."
    raise FileNotFoundError(msg)


def data_path(name: str, *parts: str) -> Path:
    """Return a path inside a shipped data folder, e.g. ``data_path("measures", "weights.yaml")``."""
    return data_dir(name).joinpath(*parts)


@cache
def standard_questionnaire() -> dict:
    """The parsed ``surveys/standard/questionnaire.yaml`` (read once per process; do not modify)."""
    from grontur._yaml import parse as parse_yaml

    return parse_yaml(data_path("surveys", "standard", "questionnaire.yaml").read_text(encoding="utf-8"))
