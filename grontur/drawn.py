"""An analysis's figures, drawn when first read.

Kept apart from :mod:`grontur.pipeline` and light (no pandas): the report's renderer
(:mod:`grontur.report.background`) receives these drawers pickled, and unpickling them loads only
this module and what the figure itself needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any


class DrawnLater(Mapping[str, Any]):
    """An analysis's figures, drawn when first read (by a report that shows them), then kept.

    A run that writes no report with figures (``--format none``, ``measures.xlsx`` alone,
    :func:`analyse_many` without formats) never reads them, so nothing is drawn. ``drawers``
    gives each figure's name and a picklable callable that draws it (``None``: nothing worth
    drawing, and no figure of that name), so an analysis can cross to another process undrawn.
    """

    def __init__(self, drawers: Mapping[str, Callable[[], Any]]) -> None:
        self._drawers = dict(drawers)
        self._figures: dict[str, Any] | None = None

    @property
    def drawn(self) -> dict[str, Any]:
        """The figures drawn so far (empty until the mapping is first read)."""
        return self._figures or {}

    def without(self, names: Iterable[str]) -> DrawnLater:
        """The figures but ``names`` (drawn elsewhere), undrawn."""
        left_out = set(names)
        return DrawnLater({name: draw for name, draw in self._drawers.items() if name not in left_out})

    def _all(self) -> dict[str, Any]:
        if self._figures is None:
            drawn = {name: draw() for name, draw in self._drawers.items()}
            self._figures = {name: figure for name, figure in drawn.items() if figure is not None}
        return self._figures

    def __getitem__(self, name: str) -> Any:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"DrawnLater({sorted(self._figures) if self._figures is not None else 'not drawn'})"


def draw_map(enriched: Any, geo_section: Mapping[str, Any], lang: str, value: str) -> Any:
    """The home-area map of ``value`` (``car_share`` or ``potential``) of the published geo
    section (it shows only what the gate publishes), or ``None`` when there is none to draw."""
    return enriched.draw_maps(geo_section, lang=lang, which=(value,)).get(value)


def draw_timeline(plan: Any, lang: str) -> Any:
    """The anchoring plan's timeline."""
    from grontur.report.charts import anchoring_timeline

    return anchoring_timeline(plan, lang=lang)
