"""The PNG of one of the report's own charts, drawn when asked for: matplotlib is loaded only by
a report that draws."""

from __future__ import annotations

from typing import Any


def chart_png(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """The PNG of the chart the function ``name`` of :mod:`grontur.report.charts` draws."""
    from grontur.report import charts

    return charts.render_png(getattr(charts, name)(*args, **kwargs))
