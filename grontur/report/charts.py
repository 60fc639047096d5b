"""Report charts: one palette that reads in colour, in greyscale and for colour-blind readers.

Every chart is a plain function that returns a matplotlib :class:`~matplotlib.figure.Figure`
with labels in the report language (from the translation catalogue). :func:`render_png` turns a
figure into PNG bytes once and closes it, so a report run never accumulates open figures.
Rendering is deterministic: identical inputs give byte-identical files (no dates in metadata,
fixed SVG hash salt, Agg backend).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypedDict

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from grontur import _format as fmt
from grontur.i18n import Translator, check_language, t

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from grontur.anchoring import AnchoringPlan

#: Okabe & Ito (2008) colour-blind-safe palette, ordered so neighbours differ in lightness too.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue (dark)
    "#E69F00",  # orange (light)
    "#D55E00",  # vermillion (dark)
    "#56B4E9",  # sky blue (light)
    "#000000",  # black
    "#F0E442",  # yellow (very light)
    "#009E73",  # bluish green (medium)
    "#CC79A7",  # reddish purple (medium-light)
)
#: Hatching that keeps series apart when printed in greyscale.
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")


class BarStyle(TypedDict):
    """Keyword arguments that give a bar series its colour and hatching."""

    color: str
    hatch: str


#: Season styling: summer light orange without hatch, winter dark blue with hatch.
SEASON_STYLE: Mapping[str, BarStyle] = {
    "summer": {"color": PALETTE[1], "hatch": ""},
    "winter": {"color": PALETTE[0], "hatch": "//"},
}
_TEXT = "#222222"
_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "grontur",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",  # ships with matplotlib and has æ, ø and å
    "font.size": 9,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": _TEXT,
    "xtick.color": _TEXT,
    "ytick.color": _TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.color": "#ffffff",
    "hatch.linewidth": 0.8,
    "figure.dpi": 100,
}
DPI = 150


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def close_figure(fig: Figure) -> None:
    """Close ``fig`` if pyplot holds it (one made with ``plt.subplots``).

    grontur's charts and maps are plain :class:`Figure` objects that pyplot never holds, so a
    run that does not use pyplot does not import it (about 0.2 s) just to close them.
    """
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def _lay_out_once(fig: Figure, dpi: float) -> None:
    """Place the axes by the figure's layout engine now, then switch the engine off.

    ``savefig`` of a figure with a layout engine draws it twice: once (without output) to lay it
    out, then for real. Running the engine once at the output's resolution and saving without it
    gives the same picture from one draw.
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return
    original = fig.dpi
    fig.dpi = dpi
    try:
        engine.execute(fig)
    finally:
        fig.dpi = original
    # None (not "none", which keeps a placeholder engine that savefig would lay out again)
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


def render_png(fig: Figure, *, dpi: int = DPI) -> bytes:
    """Render ``fig`` to PNG bytes without dates or software tags, and close it."""
    buffer = io.BytesIO()
    try:
        plain_text(fig)
        with matplotlib.rc_context(_RC):
            _lay_out_once(fig, dpi)
            fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    finally:
        close_figure(fig)
    return buffer.getvalue()


def warm_up() -> None:
    """Load what the first chart a process draws would load: the report's font and its glyphs.

    matplotlib finds and opens a font, and builds its glyph cache, the first time a process draws
    text; a process that will draw later (the report's renderer, waiting for the results) does
    it ahead. The charts drawn afterwards are the same, byte for byte.
    """
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(1, 1))
        fig.add_subplot().set_title("Aa 0,5 % æøå ÆØÅ")
    render_png(fig)


def render_svg(fig: Figure) -> str:
    """Render ``fig`` to an SVG string without a date, and close it."""
    buffer = io.StringIO()
    try:
        plain_text(fig)
        with matplotlib.rc_context(_RC):
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, facecolor="white")
    finally:
        close_figure(fig)
    return buffer.getvalue()


def plain_text(fig: Figure) -> Figure:
    """Draw every text of ``fig`` as it is written: no label is read as a TeX formula.

    Labels carry names from surveys and project files (a workplace called ``$\\frac{$ Hjem``);
    matplotlib would hand text between two ``$`` to its formula parser, which fails on it or
    shows something else. No chart of grontur uses formulas, so the parser is off for all text.
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_parse_math(False)
    return fig


def _bar_style(i: int) -> BarStyle:
    return {"color": PALETTE[i % len(PALETTE)], "hatch": HATCHES[i % len(HATCHES)]}


def mode_share_chart(mode_share: Mapping[str, Mapping[str, float | None]], *, lang: str, legend: bool = True) -> Figure:
    """Grouped horizontal bars: share of each mode, summer and winter.

    Modes with a share of zero in both seasons are left out; suppressed shares (``None``) are
    drawn as a gap with the suppression mark.
    """
    tr = Translator(lang)
    seasons = [s for s in ("summer", "winter") if s in mode_share]
    modes = [m for m in _ordered_modes(mode_share) if any(_shown(mode_share[s], m) for s in seasons)]
    fig, ax = _new_figure(6.4, 0.42 * max(len(modes), 3) + 1.0)
    height = 0.8 / max(len(seasons), 1)
    for j, season in enumerate(seasons):
        values = [mode_share[season].get(m) for m in modes]
        ys = [i + (j - (len(seasons) - 1) / 2) * height for i in range(len(modes))]
        bars = ax.barh(ys, [100 * (v or 0) for v in values], height=height, edgecolor="white",
                       linewidth=0.5, label=tr(f"report.season.{season}"), **SEASON_STYLE[season])
        for bar, value in zip(bars, values, strict=True):
            label = fmt.percent(value, lang)
            ax.annotate(label, (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=7.5, color=_TEXT)
    ax.set_yticks(range(len(modes)), [tr.code("mode", m) for m in modes])
    ax.set_ylim(max(len(modes), 3) - 0.5, -0.5)
    ax.set_xlabel(tr("report.chart.share_percent"))
    ax.set_xlim(0, 100)
    if legend:  # a one-season survey has no season to name
        ax.legend(frameon=False, loc="lower right")
    return fig


def _shown(shares: Mapping[str, float | None], mode: str) -> bool:
    """A mode is drawn when it has respondents or its share was suppressed."""
    return mode in shares and ((share := shares[mode]) is None or share > 0)


def _ordered_modes(mode_share: Mapping[str, Mapping[str, float | None]]) -> list[str]:
    from grontur.schema import MODES

    present = {m for season in mode_share.values() for m in season}
    return [m for m in MODES if m in present]


def bar_chart(values: Mapping[str, float | None], *, lang: str, xlabel_key: str,
              percent: bool = False, digits: int = 0, colour_index: int = 0) -> Figure:
    """Horizontal bars for already-labelled values (labels are report-language text).

    ``values`` keeps its order; ``None`` marks a suppressed value.
    """
    tr = Translator(lang)
    labels = list(values)
    numbers = [values[k] for k in labels]
    fig, ax = _new_figure(6.4, 0.34 * max(len(labels), 3) + 0.9)
    scale = 100.0 if percent else 1.0
    # one series: colour alone is enough (no hatching to keep long lists readable)
    bars = ax.barh(range(len(labels)), [scale * (v or 0) for v in numbers], height=0.7,
                   edgecolor="white", linewidth=0.5, color=PALETTE[colour_index % len(PALETTE)])
    for bar, value in zip(bars, numbers, strict=True):
        text = fmt.percent(value, lang, digits=digits) if percent else fmt.number(value, lang, digits=digits)
        ax.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=7.5, color=_TEXT)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(max(len(labels), 3) - 0.5, -0.5)  # top-down; a short list keeps slim bars
    ax.set_xlabel(tr(xlabel_key))
    top = max([scale * v for v in numbers if v is not None] or [1.0])
    ax.set_xlim(0, top * 1.15 if top > 0 else 1.0)
    return fig


def scenario_chart(rows: Sequence[tuple[str, float | None, float | None, float | None]], *,
                   lang: str) -> Figure:
    """Vertical bars of tonnes CO2e per year with low–high whiskers.

    ``rows`` holds ``(label, value, low, high)`` in display order.
    """
    tr = Translator(lang)
    fig, ax = _new_figure(6.4, 3.2)
    xs = range(len(rows))
    for i, (_label, value, low, high) in enumerate(rows):
        ax.bar(i, value or 0, width=0.6, edgecolor="white", linewidth=0.5, **_bar_style(i))
        if value is not None and low is not None and high is not None:
            # A cut can be negative (electric-car drivers moving to the bus), which turns the band's
            # ends around; the whisker spans whatever the three values cover.
            low, high = min(low, high, value), max(low, high, value)
            ax.errorbar(i, value, yerr=[[value - low], [high - value]], color=_TEXT, capsize=4, linewidth=1)
        ax.annotate(fmt.number(value, lang, digits=1), (i, high if high is not None else (value or 0)),
                    xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8, color=_TEXT)
    ax.set_xticks(list(xs), [r[0] for r in rows])
    ax.set_ylabel(tr("report.chart.tonnes_per_year"))
    return fig


def timeline_chart(steps: Sequence[tuple[str, date, date]], *, lang: str) -> Figure:
    """A Gantt-style timeline: one bar per anchoring step, ``(label, start, end)``."""
    import matplotlib.dates as mdates

    tr = Translator(lang)
    fig, ax = _new_figure(7.0, 0.36 * max(len(steps), 3) + 1.0)
    for i, (_label, start, end) in enumerate(steps):
        ax.barh(i, max((end - start).days, 1), left=mdates.date2num(start), height=0.6,
                edgecolor="white", linewidth=0.5, **_bar_style(i % 3))
    ax.set_yticks(range(len(steps)), [s[0] for s in steps])
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_locator(_month_locator([d for _, start, end in steps for d in (start, end)], (1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m.%Y"))
    ax.set_xlabel(tr("report.chart.date"))
    return fig


def _month_locator(dates: Sequence[date], months: Sequence[int] | None = None) -> Any:
    """Ticks on the first day of each month (of ``months`` only, when given) from well before the
    earliest of ``dates`` to well after the latest (a quarter and a tenth of the span, more than
    the view's margins): the ticks matplotlib's ``MonthLocator`` puts in the view of a chart of
    those dates, without its recurrence rules, which it works out again at every layout and draw
    (a tenth of the time of a timeline)."""
    from matplotlib.dates import date2num
    from matplotlib.ticker import FixedLocator

    if not dates:
        from matplotlib.dates import MonthLocator

        return MonthLocator(bymonth=months) if months else MonthLocator()
    first, last = min(dates), max(dates)
    start, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    pad = 3 + (end - start) // 10
    start, end = start - pad, end + pad
    ticks = [date2num(date(n // 12, n % 12 + 1, 1)) for n in range(start, end + 1)
             if months is None or n % 12 + 1 in months]
    return FixedLocator(ticks)


# --- anchoring timeline ------------------------------------------------------------------------

#: Grey fill and hatch per phase, so the chart reads in greyscale print.
_PHASES = {
    "decide": ("#4d4d4d", ""),
    "consult": ("#8c8c8c", "//"),
    "fund": ("#bdbdbd", "xx"),
    "implement": ("#d9d9d9", ".."),
    "evaluate": ("#f0f0f0", "\\\\"),
}
_STEP_PHASE = {
    "mandate": "decide", "leader_group": "decide", "decision": "decide", "climate_plan": "decide",
    "unions": "consult", "amu": "consult", "partssammensett_utval": "consult", "county_dialogue": "consult",
    "budget": "fund", "klimasats": "fund",
    "property": "implement", "procurement": "implement", "communication": "implement",
    "pilot": "evaluate", "repeat_survey": "evaluate",
}


def anchoring_timeline(plan: AnchoringPlan, *, lang: str | None = None) -> Any:
    """A Gantt-style timeline of the plan (a matplotlib Figure, readable in greyscale)."""
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    lang = check_language(lang or plan.lang)
    steps = list(plan.steps)
    height = max(3.0, 0.45 * len(steps) + 1.6)
    fig = Figure(figsize=(10, height), layout="constrained")
    ax = fig.add_subplot()
    for row, step in enumerate(steps):
        color, hatch = _PHASES[_STEP_PHASE.get(step.step, "implement")]
        left = date2num(step.start)
        width = max(date2num(step.end) - left + 1, 3)
        ax.barh(row, width, left=left, height=0.6, color=color, hatch=hatch, edgecolor="black", linewidth=0.6)
    for index, (name, day) in enumerate(sorted(plan.milestones, key=lambda item: item[1])):
        x = date2num(day)
        ax.axvline(x, color="black", linestyle="--", linewidth=0.8)
        label = f"{t(f'anchoring.milestone.{name}', lang)} {day.isoformat()}"
        ax.annotate(label, (x, -0.95 + 0.45 * (index % 2)), xytext=(3, 0), textcoords="offset points",
                    fontsize=7, ha="left", va="center", annotation_clip=False,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})
    ax.set_yticks(range(len(steps)), [step.title[lang] for step in steps], fontsize=8)
    ax.set_ylim(len(steps) - 0.5, -1.3)
    dates = [d for step in steps for d in (step.start, step.end)] + [day for _, day in plan.milestones]
    ax.xaxis.set_major_locator(_month_locator(dates, (1, 4, 7, 10)))
    ax.xaxis.set_minor_locator(_month_locator(dates))
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", which="major", color="#999999", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.set_title(t("anchoring.chart.title", lang), fontsize=11)
    ax.set_xlabel(t("anchoring.chart.xlabel", lang), fontsize=9)
    used = list(dict.fromkeys(_STEP_PHASE.get(s.step, "implement") for s in steps))
    handles = [Patch(facecolor=_PHASES[p][0], hatch=_PHASES[p][1], edgecolor="black", label=t(f"anchoring.phase.{p}", lang))
               for p in _PHASES if p in used]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=len(handles),
              fontsize=7, frameon=False)
    return fig


def before_after_chart(rows: Sequence[tuple[str, float, float, float, float]], *, lang: str) -> Figure:
    """Before and after of shares, with the range the change probably lies in.

    ``rows`` holds ``(label, before, after, change_low, change_high)`` as fractions. Each row
    shows the first survey as an open grey dot, the second as a filled blue dot, and a line over
    ``before + change_low`` to ``before + change_high``: where the second figure would lie with
    the uncertainty of the change (95 %); a line that crosses the grey dot is no clear change.
    """
    tr = Translator(lang)
    fig, ax = _new_figure(6.4, 0.5 + 0.45 * max(len(rows), 1))
    ys = list(range(len(rows)))[::-1]
    for y, (_label, before, after, low, high) in zip(ys, rows, strict=True):
        ax.plot([100 * (before + low), 100 * (before + high)], [y, y], color=PALETTE[3], linewidth=5,
                solid_capstyle="butt", zorder=1)
        ax.plot([100 * before], [y], "o", markerfacecolor="white", markeredgecolor="#555555", markersize=8, zorder=2)
        ax.plot([100 * after], [y], "o", color=PALETTE[0], markersize=7, zorder=3)
    ax.set_yticks(ys, [r[0] for r in rows])
    ax.set_xlabel(tr("compare.chart.share_percent"))
    ax.set_xlim(0, 100)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    handles = [
        ax.plot([], [], "o", markerfacecolor="white", markeredgecolor="#555555", markersize=8)[0],
        ax.plot([], [], "o", color=PALETTE[0], markersize=7)[0],
        ax.plot([], [], color=PALETTE[3], linewidth=5)[0],
    ]
    ax.legend(handles, [tr("compare.chart.before"), tr("compare.chart.after"), tr("compare.chart.range")],
              loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(rows) > 2 else -0.6), ncol=3, frameon=False, fontsize=8)
    return fig
