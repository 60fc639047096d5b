"""The home areas of a published geo section (``results["geo"]``): which the gate shows, and
whether a map of them is worth drawing.

Kept apart from :mod:`grontur.geo` (which re-exports both) and light, no pandas: the report reads
them, also in the process that draws it (:mod:`grontur.report.background`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def shown_areas(published: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The home areas of a published geo section whose count the gate shows."""
    return [a for a in published.get("areas") or [] if isinstance(a, Mapping) and a.get("n") is not None]


def map_worth_drawing(published: Mapping[str, Any]) -> bool:
    """A home-area map shows something only with two or more areas; one area is a single dot."""
    return len(shown_areas(published)) >= 2
