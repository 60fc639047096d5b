"""Build the report's document model from ``results``: the content, in the report language.

Each section has its own small function. A section whose results are absent (an optional stage
that did not run) becomes one sentence from the catalogue saying so; a section whose results are
present but malformed raises :class:`~grontur.errors.ReportError`-like errors from
:func:`_need`, naming the key, so a real error is never hidden.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from grontur import _format as fmt
from grontur.i18n import Translator, has
from grontur.report import plan as plan_report
from grontur.report._drawing import chart_png
from grontur.report._sentence import say, shown_key_figures
from grontur.report._text import (
    ResultsShapeError,
    effect_is_assumption,
    localized,
    measure_name,
    privacy_k,
)
from grontur.report._text import date_text as _date_text
from grontur.report.comparison import comparison_appendix_blocks, comparison_blocks
from grontur.report.model import (
    Block,
    BulletList,
    Card,
    Cards,
    Cell,
    Document,
    Figure,
    Heading,
    KeyFigure,
    Paragraph,
    Section,
    Table,
)
from grontur.report.reasons import phrase
from grontur.schema import CAR_DRIVER_MODES, MODES
from grontur.threshold import DEFAULT_K

log = logging.getLogger(__name__)

SEASONS = ("summer", "winter")
#: Ranked measures shown with their reasons in the measures section; all are in the appendix
#: table and in measures.xlsx.
MAIN_MEASURES = 10
#: Figures made by other stages that the report knows where to place: name -> section id.
EXTERNAL_FIGURES = {
    "home_area_map": "habits",
    "home_areas": "habits",
    "potential_map": "emissions",
    "anchoring_timeline": "anchoring",
    "timeline": "anchoring",
}


def _need(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        msg = f"results.json: the section {where!r} lacks the key {key!r}; re-run the analysis with this grontur version."
        raise ResultsShapeError(msg)
    return mapping[key]


class Labeller:
    """Translate codes to labels; unknown codes are logged and shown as they are."""

    def __init__(self, lang: str) -> None:
        self.tr = Translator(lang)
        self.lang = lang
        self.unknown: set[str] = set()

    #: Other catalogues that may already label a code of this kind (searched after report.*).
    FALLBACKS: ClassVar[dict[str, tuple[str, ...]]] = {
        "problem": ("geo.problem", "import.problem", "clean.problem"),
        "actor": ("anchoring.owner", "anchoring.body"),
        "owner": ("anchoring.owner", "report.actor", "anchoring.body"),
    }

    def __call__(self, kind: str, code: str) -> str:
        if kind in {"mode", "barriers", "would_help", "would_consider", "car_fuel", "job_group", "parking_at_work", "age_band"}:
            candidates = [f"code.{kind}.{code}"]
        else:
            candidates = [f"report.{kind}.{code}"] + [f"{prefix}.{code}" for prefix in self.FALLBACKS.get(kind, ())]
        for key in candidates:
            if has(key):
                return self.tr(key)
        key = candidates[0]
        if key not in self.unknown:
            log.warning("no label for %s %r in the translation catalogue", kind, code)
            self.unknown.add(key)
        return str(code)


def build_document(results: Mapping[str, Any], *, lang: str,
                   figures: Mapping[str, bytes] | None = None, charts: bool = True,
                   chart: Callable[[str, tuple[Any, ...], dict[str, Any]], bytes] | None = None) -> Document:
    """Return the report for ``results`` in ``lang`` (``nn``, ``nb`` or ``en``).

    ``figures`` maps a name to PNG bytes of a figure made by another stage (for example
    ``home_area_map`` or ``anchoring_timeline``); known names are placed in their section,
    others in the appendix. With ``charts=False`` the report's own charts are not drawn (their
    blocks hold no picture), for a writer that shows none (``measures.xlsx``). ``chart``, when
    given, gives the PNG of each of the report's own charts in place of drawing it here: called
    with the name of the function of :mod:`grontur.report.charts` that draws it and that
    function's arguments.
    """
    tr = Translator(lang)
    label = Labeller(lang)
    # read by name where placed (a figure still being drawn elsewhere is waited for only then)
    external: Mapping[str, bytes] = figures if figures is not None else {}
    municipality = _need(results, "municipality", "(top level)")
    name = str(_need(municipality, "name", "municipality"))
    ctx = _Ctx(results, tr, label, lang, external, charts=charts, chart=chart)
    builders: list[Callable[[_Ctx], Section | None]] = [
        _summary, _habits, _barriers, _segments, _emissions, _measures, _anchoring, _comparison,
        _method, _appendix,
    ]
    sections = tuple(s for s in (b(ctx) for b in builders) if s is not None)
    generated = results.get("generated")
    meta = (
        tr("report.meta.municipality", name=name, number=municipality.get("number", "")),
        tr("report.meta.generated", date=_date_text(generated, lang)) if generated else "",
    )
    return Document(
        lang=lang,
        title=tr("report.title", name=name),
        subtitle=tr("report.subtitle"),
        meta=tuple(m for m in meta if m),
        sections=sections,
        footer=tr("report.footer", name=name),
    )


def make_context(results: Mapping[str, Any], lang: str) -> _Ctx:
    """The helpers the writers share: translator, code labels and re-localised names."""
    return _Ctx(results, Translator(lang), Labeller(lang), lang, {})


class _Ctx:
    def __init__(self, results: Mapping[str, Any], tr: Translator, label: Labeller, lang: str,
                 external: Mapping[str, bytes], *, charts: bool = True,
                 chart: Callable[[str, tuple[Any, ...], dict[str, Any]], bytes] | None = None) -> None:
        self.results = results
        self.tr = tr
        self.label = label
        self.lang = lang
        self.external = external
        #: Whether the report's own charts are drawn (not for a writer that shows none).
        self.charts = charts
        self._chart = chart
        self.placed: set[str] = set()
        #: Tables the main text shows as a chart: they go to the appendix, under their section's
        #: title, so the main text stays short (a decision-ready body, the figures after it).
        self.deferred: list[tuple[str, Block]] = []
        #: The language the ranking and plan texts in ``results`` were written in.
        self.results_lang = str((results.get("municipality") or {}).get("language") or lang)

    def measure_name(self, measure: Mapping[str, Any]) -> str:
        return measure_name(measure, self.lang, results_lang=self.results_lang)

    def chart(self, name: str, *args: Any, **kwargs: Any) -> bytes:
        """The PNG of the chart :mod:`grontur.report.charts` draws with ``name`` from these
        arguments; empty (nothing drawn, matplotlib not loaded) when the report draws no charts."""
        if not self.charts:
            return b""
        if self._chart is not None:
            return self._chart(name, args, kwargs)
        return chart_png(name, args, kwargs)

    def defer(self, section_title: str, block: Block) -> None:
        """Put a table behind a chart into the appendix."""
        self.deferred.append((section_title, block))

    def external_for(self, section: str) -> list[Block]:
        """Figures from other stages that belong in ``section``.

        They carry text in the language the analysis ran in; in a report in another language
        they are left out (the report draws its own version where it has one).
        """
        blocks: list[Block] = []
        for fig_name in sorted(self.external):
            if EXTERNAL_FIGURES.get(fig_name) == section and fig_name not in self.placed:
                png = self.external.get(fig_name)
                if png is None:  # drawn elsewhere, and no figure after all
                    continue
                self.placed.add(fig_name)
                if self.results_lang != self.lang:
                    continue
                caption = self.tr(f"report.figure.{fig_name}") if has(f"report.figure.{fig_name}") else self.tr("report.figure.other")
                blocks.append(Figure(f"fig-{fig_name}", caption, png, caption))
        return blocks


def _missing(ctx: _Ctx) -> Paragraph:
    return Paragraph(ctx.tr("report.section_missing"), kind="missing")


# --- shared readers -------------------------------------------------------------------------

def _value(entry: Any, *keys: str) -> Any:
    """A number that may be given bare or inside a mapping (``{"rate": ..}``, ``{"central": ..}``)."""
    if isinstance(entry, Mapping):
        for key in keys or ("central", "rate", "share", "count", "tonnes", "value"):
            if key in entry:
                return entry[key]
        return None
    return entry


def _path_of(entry: Any, base: str, *keys: str) -> str:
    """The ``results.json`` path of the number :func:`_value` reads from ``entry``."""
    if isinstance(entry, Mapping):
        for key in keys or ("central", "rate", "share", "count", "tonnes", "value"):
            if key in entry:
                return f"{base}.{key}"
    return base


def car_driver_share(results_or_shares: Mapping[str, Any], season: str | None = None) -> float | None:
    """Share of respondents who drive (alone or with others) in ``season``.

    Read from ``habits.seasons.<season>.car_driver.share`` when the habits section has it; else
    summed from a mode-share mapping (``None`` when a part of the sum is suppressed).
    """
    if season is not None:
        seasons = ((results_or_shares.get("habits") or {}).get("seasons") or {})
        entry = (seasons.get(season) or {}).get("car_driver")
        if isinstance(entry, Mapping) and "share" in entry:
            return entry["share"]
        shares = (results_or_shares.get("mode_share") or {}).get(season)
        if shares is None:
            return None
        return car_driver_share(shares)
    parts = [results_or_shares.get(m) for m in CAR_DRIVER_MODES if m in results_or_shares]
    known = [p for p in parts if p is not None]
    if len(known) < len(parts):
        return None
    return float(sum(known)) if known else None


def _car_driver_key(results: Mapping[str, Any], season: str) -> str | None:
    seasons = ((results.get("habits") or {}).get("seasons") or {})
    entry = (seasons.get(season) or {}).get("car_driver")
    return f"habits.seasons.{season}.car_driver.share" if isinstance(entry, Mapping) and "share" in entry else None


def emissions_per_employee(em: Mapping[str, Any]) -> float | None:
    """Tonnes CO2e per employee (central), from ``emissions.per_employee``."""
    for key in ("per_employee", "tonnes_per_employee"):
        if key in em and em[key] is not None:
            value = _value(em[key], "central", "tonnes", "value")
            return None if value is None else float(value)
    return None


def drive_alone(results: Mapping[str, Any], season: str) -> tuple[float | None, str | None]:
    dar = (results.get("habits") or {}).get("drive_alone_rate")
    if not isinstance(dar, Mapping) or season not in dar:
        return None, None
    entry = dar[season]
    return _value(entry, "rate", "share"), _path_of(entry, f"habits.drive_alone_rate.{season}", "rate", "share")


def _counted_list(value: Any) -> list[tuple[str, Any, Any]]:
    """``(code, count, share)`` from a list of ``{code, count, share}`` or a ``{code: n}`` mapping."""
    if isinstance(value, Mapping):
        return [(str(c), _value(v, "count", "n"), _value(v, "share") if isinstance(v, Mapping) else None) for c, v in value.items()]
    return [(str(item.get("code")), item.get("count", item.get("n")), item.get("share")) for item in value or []]


def _group_for(value: Any) -> Any:
    """The car-driver list of a habits item (``{"car_drivers": [...], "overall": [...]}``) or the item itself."""
    if isinstance(value, Mapping) and ("car_drivers" in value or "overall" in value):
        return value.get("car_drivers") if value.get("car_drivers") is not None else value.get("overall")
    return value


def _group_key(value: Any) -> str:
    if isinstance(value, Mapping) and ("car_drivers" in value or "overall" in value):
        return ".car_drivers" if value.get("car_drivers") is not None else ".overall"
    return ""


# --- summary --------------------------------------------------------------------------------

def _key_figures(ctx: _Ctx) -> list[Block]:
    r, tr, lang = ctx.results, ctx.tr, ctx.lang
    items: list[KeyFigure] = []
    resp = r.get("respondents") or {}
    if "kept" in resp:
        items.append(KeyFigure(tr("report.kf.respondents"), fmt.integer(resp["kept"], lang), "respondents.kept"))
    if resp.get("response_rate") is not None:
        items.append(KeyFigure(tr("report.kf.response_rate"), fmt.percent(resp["response_rate"], lang), "respondents.response_rate"))
    one = one_season(ctx)
    for season in [one] if one else SEASONS:
        if season in (r.get("mode_share") or {}):
            items.append(KeyFigure(tr(f"report.kf.car_driver_share_{'one' if one else season}"),
                                   fmt.percent(car_driver_share(r, season), lang), _car_driver_key(r, season)))
    rate, key = drive_alone(r, one or "winter")
    if key is not None:
        items.append(KeyFigure(tr(f"report.kf.drive_alone_{'one' if one else 'winter'}"), fmt.percent(rate, lang), key))
    em = r.get("emissions") or {}
    if em.get("tonnes_co2e_per_year") is not None and em.get("n_estimated") != 0:
        items.append(KeyFigure(tr("report.kf.emissions"), fmt.number(em["tonnes_co2e_per_year"], lang, digits=1), "emissions.tonnes_co2e_per_year"))
        everyone = em.get("all_employees")
        if isinstance(everyone, Mapping) and everyone.get("central") is not None:
            items.append(KeyFigure(tr("report.kf.emissions_all"), fmt.number(everyone["central"], lang, digits=1),
                                   "emissions.all_employees.central"))
    per_emp = emissions_per_employee(em)
    if per_emp is not None:
        items.append(KeyFigure(tr("report.kf.emissions_per_employee"), fmt.number(per_emp, lang, digits=2),
                               _path_of(em.get("per_employee"), "emissions.per_employee", "central", "tonnes", "value")))
    scen = scenarios(r.get("potential") or {})
    # tonnes cut need the tonnes emitted: with none estimated, a cut of "0.0" would be a finding
    if "ambitious" in scen and scen["ambitious"]["tonnes"] is not None and em.get("n_estimated") != 0:
        items.append(KeyFigure(tr("report.kf.potential_ambitious"), fmt.number(scen["ambitious"]["tonnes"], lang, digits=1),
                               scen["ambitious"]["tonnes_path"]))
    return shown_key_figures(items, tr, k=_k(ctx))


def _summary(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    blocks: list[Block] = [Paragraph(tr("report.summary.lead"), kind="lead"), *_key_figures(ctx)]
    if (ctx.results.get("emissions") or {}).get("not_available_reason") == "no_distance":
        blocks.append(Paragraph(tr("report.summary.no_distance")))
    measures = ctx.results.get("measures")
    decided = plan_report.summary_blocks(ctx) if (ctx.results.get("plan") or {}).get("items") else []
    if decided:
        blocks.extend(decided)
    elif measures:
        blocks.append(Heading(tr("report.summary.first_measures")))
        items = []
        for m in sorted(measures, key=lambda m: m.get("rank", 0))[:5]:
            eff = m.get("effect") or {}
            items.append(tr("report.summary.measure_item", name=ctx.measure_name(m),
                            effect=fmt.number_range(eff.get("low"), eff.get("high"), lang, as_percent=True)))
        blocks.append(BulletList(tuple(items), ordered=True))
    else:
        blocks.append(Heading(tr("report.summary.first_measures")))
        blocks.append(_missing(ctx))
    blocks.append(Heading(tr("report.summary.next")))
    plan = anchoring_steps(ctx.results.get("anchoring_plan"), ctx)
    if plan:
        blocks.append(Paragraph(tr("report.summary.next_text", steps="; ".join(
            f"{s['title']} ({_date_text(s['start'].isoformat(), lang)})" for s in plan[:3]))))
    else:
        blocks.append(Paragraph(tr("report.summary.next_default")))
    return Section("summary", tr("report.section.summary"), tuple(blocks))


# --- habits ---------------------------------------------------------------------------------

def mode_share_table(ctx: _Ctx) -> Table | None:
    shares = ctx.results.get("mode_share")
    if not shares:
        return None
    one = one_season(ctx)
    seasons = [s for s in ([one] if one else SEASONS) if s in shares]
    habit_seasons = (ctx.results.get("habits") or {}).get("seasons") or {}
    counted = [s for s in seasons if isinstance((habit_seasons.get(s) or {}).get("modes"), Mapping)]
    modes = [m for m in MODES if any(m in shares[s] for s in seasons)]
    rows = []
    for m in modes:
        values = [shares[s].get(m) for s in seasons if m in shares[s]]
        if values and all(v == 0 for v in values):
            continue
        row = [Cell(ctx.label("mode", m))]
        for s in seasons:
            value = shares[s].get(m)
            row.append(Cell(fmt.percent(value, ctx.lang), f"mode_share.{s}.{m}" if m in shares[s] else None, value))
        for s in counted:
            entry = habit_seasons[s]["modes"].get(m)
            value = _value(entry, "count") if entry is not None else None
            row.append(Cell(fmt.integer(value, ctx.lang), f"habits.seasons.{s}.modes.{m}.count" if isinstance(entry, Mapping) else None, value))
        rows.append(tuple(row))
    total = [Cell(ctx.tr("report.habits.car_driver_row"))]
    for s in seasons:
        value = car_driver_share(ctx.results, s)
        total.append(Cell(fmt.percent(value, ctx.lang), _car_driver_key(ctx.results, s), value))
    for s in counted:
        entry = habit_seasons[s].get("car_driver") or {}
        value = entry.get("count")
        total.append(Cell(fmt.integer(value, ctx.lang), f"habits.seasons.{s}.car_driver.count" if "count" in entry else None, value))
    rows.append(tuple(total))
    header = [ctx.tr("report.col.mode")] + [ctx.tr(f"report.col.share_{'one' if one else s}") for s in seasons]
    header += [ctx.tr(f"report.col.count_{'one' if one else s}") for s in counted]
    formats = (None,) + ("0%",) * len(seasons) + ("0",) * len(counted)
    return Table("mode-share", ctx.tr("report.table.mode_share"), tuple(header), tuple(rows),
                 (False,) + (True,) * (len(header) - 1), ctx.tr("report.note.suppressed", k=_k(ctx)), formats)


def _k(ctx: _Ctx) -> int:
    return privacy_k(ctx.results)


def _habits(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    blocks: list[Block] = []
    table = mode_share_table(ctx)
    one = one_season(ctx)
    title = tr("report.section.habits_one") if one else tr("report.section.habits")
    if table is None:
        return Section("habits", title, (_missing(ctx),))
    if one:
        # one season asked: no season labels, no seasonal comparison (the lead says so)
        blocks.append(Paragraph(say(tr, "report.habits.lead_one", k=_k(ctx), share=fmt.percent(car_driver_share(r, one), lang))))
        png = ctx.chart("mode_share_chart", {one: r["mode_share"][one]}, lang=lang, legend=False)
        caption = tr("report.figure.mode_share_one")
    else:
        blocks.append(Paragraph(say(tr, "report.habits.lead", k=_k(ctx), summer=fmt.percent(car_driver_share(r, "summer"), lang),
                                   winter=fmt.percent(car_driver_share(r, "winter"), lang))))
        png = ctx.chart("mode_share_chart", r["mode_share"], lang=lang)
        caption = tr("report.figure.mode_share")
    blocks.append(Figure("fig-mode-share", caption, png, caption))
    blocks.append(table)
    habits = r.get("habits") or {}
    facts: list[KeyFigure] = []
    for s in [one] if one else SEASONS:
        rate, key = drive_alone(r, s)
        if key is not None:
            facts.append(KeyFigure(tr(f"report.habits.drive_alone_{'one' if one else s}"), fmt.percent(rate, lang), key))
    cars = habits.get("cars_per_100", habits.get("cars_per_100_employees"))
    if isinstance(cars, Mapping):
        name = "cars_per_100" if "cars_per_100" in habits else "cars_per_100_employees"
        for s in [one] if one else SEASONS:
            if s in cars:
                facts.append(KeyFigure(tr(f"report.habits.cars_per_100_{'one' if one else s}"), fmt.number(cars[s], lang, digits=1),
                                       f"habits.{name}.{s}"))
    dist = habits.get("distance_km")
    if isinstance(dist, Mapping) and dist.get("median") is not None:
        facts.append(KeyFigure(tr("report.habits.median_distance"), fmt.number(dist["median"], lang, digits=1), "habits.distance_km.median"))
    shift = (r.get("context") or {}).get("shift_share")
    if shift is not None:
        facts.append(KeyFigure(tr("report.habits.shift_share"), fmt.percent(shift, lang), "context.shift_share"))
    remote = habits.get("remote_work")
    if isinstance(remote, Mapping) and remote.get("share_any_remote") is not None:
        facts.append(KeyFigure(tr("report.habits.remote_share"), fmt.percent(remote["share_any_remote"], lang), "habits.remote_work.share_any_remote"))
    if facts:
        blocks.extend(shown_key_figures(facts, tr, k=_k(ctx)))
    shift_block = _seasonal_shift(ctx, habits.get("seasonal_shift"))
    if shift_block:
        blocks.extend(shift_block)
    if isinstance(dist, Mapping) and dist.get("n") == 0:
        # nobody gave a distance: a table of zeros would say nobody lives at any distance
        blocks.append(Paragraph(tr("report.habits.no_distance")))
    elif isinstance(dist, Mapping) and isinstance(dist.get("bands"), Mapping):
        rows = []
        for band, entry in dist["bands"].items():
            count = _value(entry, "count")
            share = _value(entry, "share") if isinstance(entry, Mapping) else None
            rows.append((Cell(ctx.label("band", band)),
                         Cell(fmt.integer(count, lang), f"habits.distance_km.bands.{band}.count" if isinstance(entry, Mapping) else f"habits.distance_km.bands.{band}", count),
                         Cell(fmt.percent(share, lang), f"habits.distance_km.bands.{band}.share" if isinstance(entry, Mapping) and "share" in entry else None, share)))
        blocks.append(Table("distance-bands", tr("report.table.distance_bands"),
                            (tr("report.col.distance"), tr("report.col.respondents"), tr("report.col.share")), tuple(rows),
                            (False, True, True), tr("report.note.suppressed", k=_k(ctx)), (None, "0", "0%")))
    blocks.extend(ctx.external_for("habits"))
    blocks.extend(_no_map_sentence(ctx))
    for column in ("job_group", "workplace"):
        table = _breakdown_table(ctx, column)
        if table is not None:
            ctx.defer(title, table)  # by group: for those who plan per unit, in the appendix
    return Section("habits", title, tuple(blocks))


def _no_map_sentence(ctx: _Ctx) -> list[Block]:
    """Where the home areas give no map worth drawing (one area or none), a sentence says so."""
    from grontur.areas import map_worth_drawing, shown_areas

    geo = ctx.results.get("geo")
    if not isinstance(geo, Mapping) or "areas" not in geo or map_worth_drawing(geo):
        return []
    areas = shown_areas(geo)
    if not areas:
        return [Paragraph(ctx.tr("report.map.no_area", k=_k(ctx)), kind="note")]
    area = str(areas[0]["area"]).replace("+", ", ")
    return [Paragraph(say(ctx.tr, "report.map.one_area", k=_k(ctx), area=area,
                          n=fmt.integer(geo.get("n_located"), ctx.lang)), kind="note")]


def _seasonal_shift(ctx: _Ctx, shift: Any) -> list[Block]:
    if not isinstance(shift, Mapping) or shift.get("share_changed") is None:
        return []
    return [Paragraph(say(ctx.tr, "report.habits.seasonal_shift", k=_k(ctx), n=fmt.integer(shift.get("n_changed"), ctx.lang),
                             share=fmt.percent(shift["share_changed"], ctx.lang)))]


def _breakdown_table(ctx: _Ctx, column: str) -> Table | None:
    groups = ((ctx.results.get("habits") or {}).get("breakdowns") or {}).get(column)
    if not isinstance(groups, Mapping) or not groups:
        return None
    lang = ctx.lang
    rows = []
    for group, entry in groups.items():
        if not isinstance(entry, Mapping):
            continue
        hidden = bool(entry.get("suppressed"))
        label = ctx.label("job_group", group) if column == "job_group" else str(group)
        base = f"habits.breakdowns.{column}.{group}"
        cells = [Cell(label), Cell(fmt.integer(None if hidden else entry.get("n"), lang), None if hidden else f"{base}.n", entry.get("n"))]
        for key in _breakdown_keys(ctx):
            value = None if hidden else entry.get(key)
            cells.append(Cell(fmt.percent(value, lang), f"{base}.{key}" if key in entry and not hidden else None, value))
        value = None if hidden else entry.get("median_distance_km")
        cells.append(Cell(fmt.number(value, lang, digits=1), f"{base}.median_distance_km" if "median_distance_km" in entry and not hidden else None, value))
        rows.append(tuple(cells))
    one = one_season(ctx)
    drivers = ((ctx.tr("report.col.car_driver_one"),) if one else
               (ctx.tr("report.col.car_driver_summer"), ctx.tr("report.col.car_driver_winter")))
    header = (ctx.tr(f"report.col.group_{column}"), ctx.tr("report.col.respondents"), *drivers,
              ctx.tr("report.col.drive_alone_year"), ctx.tr("report.col.median_km"))
    return Table(f"breakdown-{column}", ctx.tr(f"report.table.breakdown_{column}"), header, tuple(rows),
                 (False,) + (True,) * (len(header) - 1), ctx.tr("report.note.suppressed", k=_k(ctx)),
                 (None, "0", *("0%",) * len(drivers), "0%", "0.0"))


def _breakdown_keys(ctx: _Ctx) -> tuple[str, ...]:
    one = one_season(ctx)
    if one:
        return (f"car_driver_share_{one}", "drive_alone_rate")
    return ("car_driver_share_summer", "car_driver_share_winter", "drive_alone_rate")


def one_season(ctx: _Ctx) -> str | None:
    """The season a one-season survey asked about (its mode fills it), or None for two seasons.

    A survey with one mode question fills both seasons with the same answer; the report then
    shows that one column without season labels and makes no seasonal comparison.
    """
    habits = ctx.results.get("habits") or {}
    if not isinstance(habits, Mapping) or habits.get("seasons_asked") != 1:
        return None
    shares = ctx.results.get("mode_share") or {}
    return next((s for s in SEASONS if any(v for v in (shares.get(s) or {}).values())), SEASONS[0])


# --- barriers and needs ---------------------------------------------------------------------

def _barriers(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    habits = ctx.results.get("habits") or {}
    blocks: list[Block] = [Paragraph(tr("report.barriers.lead"))]
    found = False
    for key, kind, colour in (("barriers", "barriers", 2), ("would_help", "would_help", 6), ("would_consider", "would_consider", 3)):
        raw = habits.get(key)
        data = _group_for(raw)
        if not data:
            continue
        found = True
        base = f"habits.{key}{_group_key(raw)}"
        items = _counted_list(data)
        indexed = list(enumerate(items))
        ordered = sorted(indexed, key=lambda it: (-(it[1][1] if it[1][1] is not None else -1), it[1][0]))
        shown = [it for it in ordered if it[1][1] != 0]
        top = shown[:12]
        blocks.append(Heading(tr(f"report.barriers.{key}_title")))
        if key != "would_consider":
            labelled = {ctx.label(kind, code): count for _, (code, count, _share) in top}
            png = ctx.chart("bar_chart", labelled, lang=lang, xlabel_key="report.chart.respondents", colour_index=colour)
            blocks.append(Figure(f"fig-{key}", tr(f"report.figure.{key}"), png, tr(f"report.figure.{key}")))
        has_share = any(share is not None for _, (_c, _n, share) in shown)
        header = [tr("report.col.answer"), tr("report.col.respondents")] + ([tr("report.col.share")] if has_share else [])
        rows = []
        listed = isinstance(data, (list, tuple))
        for i, (code, count, share) in shown:
            where = f"{base}.{i}" if listed else f"{base}.{code}"
            count_key = f"{where}.count" if listed or isinstance(data.get(code), Mapping) else where
            row = [Cell(ctx.label(kind, code)), Cell(fmt.integer(count, lang), count_key, count)]
            if has_share:
                row.append(Cell(fmt.percent(share, lang), f"{where}.share" if share is not None else None, share))
            rows.append(tuple(row))
        table = Table(f"table-{key}", tr(f"report.table.{key}"), tuple(header), tuple(rows),
                      (False,) + (True,) * (len(header) - 1), tr("report.note.suppressed", k=_k(ctx)),
                      (None, "0") + (("0%",) if has_share else ()))
        if key != "would_consider":  # shown as a chart: the table with every answer is in the appendix
            ctx.defer(tr("report.section.barriers"), table)
        else:
            blocks.append(table)
    if not found:
        blocks.append(_missing(ctx))
    return Section("barriers", tr("report.section.barriers"), tuple(blocks))


# --- segments -------------------------------------------------------------------------------

def _persona_text(ctx: _Ctx, seg: Mapping[str, Any]) -> str:
    # The segment's own description says how well its closest persona fits; older results
    # carry only the persona id, whose summary stands in.
    if isinstance(seg.get("description"), Mapping):
        return localized(seg["description"], ctx.lang)
    persona = seg.get("persona")
    if isinstance(persona, Mapping):
        return localized(persona, ctx.lang)
    if isinstance(persona, str) and persona:
        summary = _persona_summaries().get(persona)
        if summary:
            return localized(summary, ctx.lang)
        return ""
    return localized(seg.get("description"), ctx.lang)


_PERSONAS: dict[str, Mapping[str, str]] | None = None


def _persona_summaries() -> Mapping[str, Mapping[str, str]]:
    global _PERSONAS
    if _PERSONAS is None:
        try:
            from grontur.personas import load_personas
        except ImportError:
            _PERSONAS = {}
        else:
            _PERSONAS = {p.id: dict(p.summary) for p in load_personas().personas}
    return _PERSONAS


def _segments(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    segments = ctx.results.get("segments")
    if not segments:
        return Section("segments", tr("report.section.segments"), (_missing(ctx),))
    cards = []
    one = one_season(ctx)
    for seg in segments:
        title = localized(seg.get("label") or seg.get("name") or seg.get("id"), lang)
        size = seg.get("size", seg.get("n"))
        share = seg.get("share_of_respondents", seg.get("share"))
        subtitle = (say(tr, "report.segments.size", k=_k(ctx), n=fmt.integer(size, lang), share=fmt.percent(share, lang))
                    if share is not None else say(tr, "report.segments.size_only", k=_k(ctx), n=fmt.integer(size, lang)))
        facts: list[tuple[str, str]] = []
        ms = seg.get("mode_share") or {}
        # one season asked: its modes, with no season named (the other season repeats them)
        for season in (one,) if one else SEASONS:
            shares = ms.get(season) if isinstance(ms.get(season), Mapping) else None
            if shares:
                top = sorted(((m, v) for m, v in shares.items() if v), key=lambda kv: -kv[1])[:3]
                label = tr("report.segments.modes") if one else tr(f"report.segments.modes_{season}")
                facts.append((label, ", ".join(f"{ctx.label('mode', m)} {fmt.percent(v, lang)}" for m, v in top)))
        if ms and not any(s in ms for s in SEASONS):
            top = sorted(((m, v) for m, v in ms.items() if v), key=lambda kv: -kv[1])[:3]
            facts.append((tr("report.segments.modes"), ", ".join(f"{ctx.label('mode', m)} {fmt.percent(v, lang)}" for m, v in top)))
        if seg.get("median_distance_km") is not None:
            facts.append((tr("report.segments.distance"), tr("report.unit.km", value=fmt.number(seg["median_distance_km"], lang, digits=1))))
        for key, kind in (("barriers", "barriers"), ("would_help", "would_help")):
            codes = _code_list(seg.get(key))
            if codes:
                facts.append((tr(f"report.segments.{key}"), ", ".join(ctx.label(kind, c) for c in codes[:4])))
        stage = seg.get("stages")
        if isinstance(stage, Mapping) and isinstance(stage.get("share"), Mapping):
            told = [f"{tr(f'segment.stage.{code}')} {fmt.percent(v, lang)}" for code, v in stage["share"].items()
                    if v and has(f"segment.stage.{code}")]
            if told:
                # derived (or hidden how many were): say so beside the label
                key = "report.segments.stages" if stage.get("derived") == 0 else "report.segments.stages_derived"
                facts.append((tr(key), ", ".join(told)))
        features = [localized(f.get("label"), lang) for f in seg.get("defining_features") or [] if isinstance(f, Mapping) and f.get("label")]
        if features:
            facts.append((tr("report.segments.features"), "; ".join(features[:3])))
        cards.append(Card(title, subtitle, _persona_text(ctx, seg), tuple(facts)))
    blocks: list[Block] = [Paragraph(tr("report.segments.lead", n=len(segments))), Cards(tuple(cards))]
    return Section("segments", tr("report.section.segments"), tuple(blocks))


def _code_list(value: Any) -> list[str]:
    """Codes from a list of codes, a list of ``{code: ...}`` dicts or a ``{code: n}`` mapping."""
    if not value:
        return []
    if isinstance(value, Mapping):
        return [c for c, _ in sorted(_counts(value).items(), key=lambda kv: -(kv[1] or 0))]
    out = []
    for item in value:
        if isinstance(item, Mapping):
            out.append(str(item.get("code") or item.get("id") or item.get("segment")))
        else:
            out.append(str(item))
    return out


def _counts(mapping: Mapping[str, Any]) -> dict[str, float | None]:
    """Counts from ``{code: n}`` or ``{code: {"count"|"n": ..}}``."""
    return {str(code): _value(value, "count", "n") for code, value in mapping.items()}


# --- emissions and potential ----------------------------------------------------------------

def scenarios(potential: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Scenario figures as ``{name: {tonnes, low, high, trips, share, *_path}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, sc in (potential.get("scenarios") or {}).items():
        if not isinstance(sc, Mapping):
            continue
        base = f"potential.scenarios.{name}"
        tonnes = sc.get("tonnes_avoided")
        if isinstance(tonnes, Mapping):
            entry = {"tonnes": tonnes.get("central"), "low": tonnes.get("low"), "high": tonnes.get("high"),
                     "tonnes_path": f"{base}.tonnes_avoided.central"}
        else:
            entry = {"tonnes": tonnes, "low": sc.get("tonnes_low"), "high": sc.get("tonnes_high"),
                     "tonnes_path": f"{base}.tonnes_avoided" if "tonnes_avoided" in sc else None}
        trips_key = _first_key(sc, "car_trips_per_day_avoided", "car_trips_avoided_per_day")
        share_key = _first_key(sc, "share_of_car_trips_avoided")
        entry.update({
            "trips": sc.get(trips_key) if trips_key else None,
            "trips_path": f"{base}.{trips_key}" if trips_key else None,
            "share": sc.get(share_key) if share_key else None,
            "share_path": f"{base}.{share_key}" if share_key else None,
        })
        out[str(name)] = entry
    return out


def _first_key(mapping: Mapping[str, Any], *keys: str) -> str | None:
    return next((key for key in keys if key in mapping), None)


def _emissions(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    em = r.get("emissions")
    if not em:
        return Section("emissions", tr("report.section.emissions"), (_missing(ctx),))
    total = _need(em, "tonnes_co2e_per_year", "emissions")
    if em.get("n_estimated") == 0:  # "0 tonnes" would be a finding; nothing could be estimated
        key = "report.emissions.no_distance" if em.get("not_available_reason") == "no_distance" else \
            "report.emissions.none_estimated"
        return Section("emissions", tr("report.section.emissions"), (Paragraph(tr(key)),))
    blocks: list[Block] = [Paragraph(say(tr, "report.emissions.lead", k=_k(ctx), total=fmt.number(total, lang, digits=1),
                                        n=fmt.integer(em.get("n_respondents"), lang),
                                        low=fmt.number(em.get("low"), lang, digits=1), high=fmt.number(em.get("high"), lang, digits=1)))]
    everyone = em.get("all_employees")
    if isinstance(everyone, Mapping) and everyone.get("central") is not None:
        blocks.append(Paragraph(say(tr, "report.emissions.all_employees", k=_k(ctx), employees=fmt.integer(everyone.get("employees"), lang),
                                   total=fmt.number(everyone["central"], lang, digits=1),
                                   low=fmt.number(everyone.get("low"), lang, digits=1),
                                   high=fmt.number(everyone.get("high"), lang, digits=1))))
    if em.get("n_not_estimated"):
        blocks.append(Paragraph(say(tr, "report.emissions.not_estimated", k=_k(ctx), n=fmt.integer(em["n_not_estimated"], lang)), kind="note"))
    for key, kind, col in (("by_mode", "mode", "report.col.mode"), ("by_fuel", "car_fuel", "report.col.fuel")):
        data = em.get(key)
        if not isinstance(data, Mapping) or not data:
            continue
        entries = [(c, v) for c, v in data.items()]
        values = {c: _value(v, "tonnes", "central") for c, v in entries}
        order = sorted(values, key=lambda c: -(values[c] or 0))
        if key == "by_mode":
            shown = {ctx.label("mode", c): values[c] for c in order if values[c] is None or values[c] > 0}
            shown = {k: v for k, v in shown.items() if v is not None}
            if shown:
                png = ctx.chart("bar_chart", shown, lang=lang, xlabel_key="report.chart.tonnes_per_year", digits=1, colour_index=0)
                blocks.append(Figure("fig-emissions-mode", tr("report.figure.emissions_by_mode"), png, tr("report.figure.emissions_by_mode")))
        rows: list[tuple[Cell, ...]] = []
        for c in order:
            entry = data[c]
            if isinstance(entry, Mapping) and entry.get("respondents") is None and values[c] is None:
                continue  # nobody, or a group hidden for privacy: counted in suppressed_cells
            rows.append((Cell(ctx.label(kind, c)),
                         Cell(fmt.integer(entry.get("respondents"), lang) if isinstance(entry, Mapping) else fmt.SUPPRESSED,
                              f"emissions.{key}.{c}.respondents" if isinstance(entry, Mapping) and "respondents" in entry else None,
                              entry.get("respondents") if isinstance(entry, Mapping) else None),
                         Cell(fmt.number(values[c], lang, digits=1), _path_of(entry, f"emissions.{key}.{c}", "tonnes", "central"), values[c]),
                         Cell(fmt.number_range(entry.get("low"), entry.get("high"), lang, digits=1) if isinstance(entry, Mapping) else fmt.SUPPRESSED)))
        blocks.append(Table(f"emissions-{key.replace('by_', '')}", tr(f"report.table.emissions_{key}"),
                            (tr(col), tr("report.col.respondents"), tr("report.col.tonnes"), tr("report.col.range")),
                            tuple(rows), (False, True, True, True), tr("report.note.suppressed", k=_k(ctx)), (None, "0", "0.0", None)))
    blocks.append(Heading(tr("report.emissions.potential_title")))
    potential = r.get("potential")
    if not potential:
        blocks.append(_missing(ctx))
        return Section("emissions", tr("report.section.emissions"), tuple(blocks))
    feasible = potential.get("feasible")
    if isinstance(feasible, Mapping) and feasible:
        n_car = potential.get("n_car_commuters")
        blocks.append(Paragraph(say(tr, "report.emissions.feasible_lead", k=_k(ctx), n=fmt.integer(n_car, lang))))
        rows = []
        for c, v in feasible.items():
            count = _value(v, "count", "n")
            share = v.get("share") if isinstance(v, Mapping) else None
            rows.append((Cell(_alt_label(ctx, c)),
                         Cell(fmt.integer(count, lang), _path_of(v, f"potential.feasible.{c}", "count", "n"), count),
                         Cell(fmt.percent(share, lang), f"potential.feasible.{c}.share" if share is not None else None, share)))
        blocks.append(Table("potential-feasible", tr("report.table.feasible"), (tr("report.col.alternative"), tr("report.col.respondents"), tr("report.col.share_of_drivers")),
                            tuple(rows), (False, True, True), tr("report.note.suppressed", k=_k(ctx)), (None, "0", "0%")))
    blocks.extend(ctx.external_for("emissions"))
    scen = scenarios(potential)
    if scen:
        chart_rows: list[tuple[str, float | None, float | None, float | None]] = [(tr("report.scenario.today"), total, em.get("low"), em.get("high"))]

        def remaining(cut: Any) -> float | None:
            # The total may be hidden (too few respondents with a distance): then no bars after it.
            return None if total is None or cut is None else float(total) - float(cut)

        rows = []
        for name, sc in scen.items():
            label = ctx.label("scenario", name)
            chart_rows.append((label, remaining(sc["tonnes"]), remaining(sc["high"]), remaining(sc["low"])))
            rows.append((Cell(label), Cell(fmt.number(sc["tonnes"], lang, digits=1), sc["tonnes_path"], sc["tonnes"]),
                         Cell(fmt.number_range(sc["low"], sc["high"], lang, digits=1)),
                         Cell(fmt.number(sc["trips"], lang, digits=0), sc["trips_path"], sc["trips"]),
                         Cell(fmt.percent(sc["share"], lang), sc["share_path"], sc["share"])))
        if total is not None:
            png = ctx.chart("scenario_chart", chart_rows, lang=lang)
            blocks.append(Figure("fig-scenarios", tr("report.figure.scenarios"), png, tr("report.figure.scenarios")))
        blocks.append(Table("scenarios", tr("report.table.scenarios"),
                            (tr("report.col.scenario"), tr("report.col.tonnes_avoided"), tr("report.col.range"), tr("report.col.trips_avoided_day"), tr("report.col.share_trips_avoided")),
                            tuple(rows), (False, True, True, True, True), tr("report.note.scenarios"), (None, "0.0", None, "0", "0%")))
    carpool = potential.get("carpool")
    if isinstance(carpool, Mapping) and carpool.get("n_groups"):
        blocks.append(Paragraph(say(tr, "report.emissions.carpool", k=_k(ctx), groups=fmt.integer(carpool["n_groups"], lang),
                                   drivers=fmt.integer(carpool.get("drivers_in_groups"), lang),
                                   lone=fmt.integer(carpool.get("n_lone_drivers"), lang),
                                   km=fmt.number(carpool.get("min_distance_km") or 0, lang, digits=0),
                                   others=fmt.integer(int((r.get("privacy") or {}).get("k", DEFAULT_K)) - 1, lang))))
    return Section("emissions", tr("report.section.emissions"), tuple(blocks))


def _alt_label(ctx: _Ctx, code: str) -> str:
    return ctx.label("alternative", code)


# --- measures -------------------------------------------------------------------------------

def measure_reasons(measure: Mapping[str, Any], ctx: _Ctx) -> list[str]:
    """A measure's reasons in the report language, phrased from the ranking's structured reasons
    (results of format 1 kept them apart, as ``reasons_data``, beside sentences in one language)."""
    return [_phrase_reason(ctx, item) for item in measure.get("reasons_data") or measure.get("reasons") or []]


def _phrase_reason(ctx: _Ctx, item: Any) -> str:
    """One structured reason as a sentence; text given by an older results file stays as written."""
    if isinstance(item, Mapping) and "key" in item:
        if has(str(item["key"])):
            return phrase(item, ctx.lang, k=_k(ctx))
        log.warning("a reason uses the message key %r, which this grontur version lacks", item["key"])
        return str(item["key"])
    return localized(item, ctx.lang)


def evidence_moves(measure: Mapping[str, Any], ctx: _Ctx) -> list[str]:
    """How much each pilot moved the measure's expected effect (``effect.evidence[].moved``).

    One sentence per pooled pilot: the change in percentage points of the expected effect and the
    effect without that pilot (docs/ranking.md, section 4).
    """
    effect = measure.get("effect") or {}
    sentences = []
    for item in effect.get("evidence") or []:
        if not isinstance(item, Mapping) or item.get("moved") is None or item.get("central_without") is None:
            continue
        moved = fmt.number(100 * float(item["moved"]), ctx.lang, digits=1)
        if moved[:1].isdigit() and moved.strip("0,."):
            moved = "+" + moved
        sentences.append(ctx.tr("report.measures.evidence_moved", place=str(item.get("municipality") or "?"), moved=moved,
                                without=fmt.percent(item["central_without"], ctx.lang, digits=1)))
    return sentences


def _measures(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    measures = ctx.results.get("measures")
    if not measures:
        return Section("measures", tr("report.section.measures"), (_missing(ctx),))
    if (ctx.results.get("plan") or {}).get("items"):
        # the plan's measures as cards; every measure's reasons in full are in the appendix
        decided: list[Block] = [*plan_report.measure_blocks(ctx), *_site_context(ctx)]
        return Section("measures", tr("report.section.measures"), tuple(decided))
    recommended = sum(1 for m in measures if m.get("recommended", True))
    blocks: list[Block] = [Paragraph(tr("report.measures.lead_counts", ranked=fmt.integer(len(measures), lang),
                                        recommended=fmt.integer(recommended, lang)))]
    ordered = sorted(measures, key=lambda m: m.get("rank", 0))
    blocks.append(measures_table(ctx, ordered[:MAIN_MEASURES]))
    if len(ordered) > MAIN_MEASURES:
        blocks.append(Paragraph(tr("report.measures.more", shown=MAIN_MEASURES, n=len(ordered)), kind="note"))
    blocks.extend(_site_context(ctx))
    excluded = ctx.results.get("excluded_measures") or []
    if excluded:
        blocks.append(Heading(tr("report.measures.excluded_title")))
        items = []
        for x in excluded:
            text = _phrase_reason(ctx, x.get("reason_data") or x.get("reason"))
            items.append(tr("report.measures.excluded_item", name=ctx.measure_name(x), reason=text))
        blocks.append(BulletList(tuple(items)))
    return Section("measures", tr("report.section.measures"), tuple(blocks))


def _site_context(ctx: _Ctx) -> list[Block]:
    """The site facts the ranking used, each saying whether it was given, answered or assumed."""
    tr = ctx.tr
    context = ctx.results.get("context")
    if not isinstance(context, Mapping) or not isinstance(context.get("sources"), Mapping):
        return []
    items = []
    for field_name, source in context["sources"].items():
        value = context.get(field_name)
        if value is None and isinstance(context.get("municipality"), Mapping):
            value = context["municipality"].get(field_name)
        if value is None or not has(f"rank.context.{field_name}"):
            continue
        label = tr(f"rank.level.{field_name}.{value}") if has(f"rank.level.{field_name}.{value}") else str(value)
        items.append(tr(f"report.context.{source}", field=tr(f"rank.context.{field_name}"), value=label))
    facilities = context.get("facilities") or {}
    if isinstance(facilities, Mapping) and facilities:
        shown = [tr(f"report.context.facility_{'yes' if have else 'no'}", name=_facility(tr, str(name)))
                 for name, have in facilities.items()]
        items.append(tr("report.context.facilities_given", items=", ".join(shown)))
    missing = context.get("facilities_not_given") or []
    if missing:
        items.append(tr("report.context.facilities_not_given", names=", ".join(_facility(tr, str(n)) for n in missing)))
    if not items:
        return []
    blocks: list[Block] = [Heading(tr("report.context.title")), BulletList(tuple(items))]
    if context.get("assumed") or missing:
        blocks.append(Paragraph(tr("report.context.how_to_give"), kind="note"))
    return blocks


def _facility(tr: Any, name: str) -> str:
    return str(tr(f"rank.facility.{name}")) if has(f"rank.facility.{name}") else name


def segment_names(ctx: _Ctx) -> dict[str, str]:
    return {str(s.get("id")): localized(s.get("label") or s.get("id"), ctx.lang) for s in ctx.results.get("segments") or []}


def measures_table(ctx: _Ctx, measures: Sequence[Mapping[str, Any]]) -> Table:
    tr, lang = ctx.tr, ctx.lang
    seg_names = segment_names(ctx)
    rows = []
    for i, m in enumerate(sorted(measures, key=lambda m: m.get("rank", 0))):
        eff = m.get("effect") or {}
        reasons = " ".join(r if r.endswith(".") else r + "." for r in measure_reasons(m, ctx) + evidence_moves(m, ctx))
        segs = ", ".join(seg_names.get(str(s), str(s)) for s in _code_list(m.get("segments")))
        if segs:
            reasons = f"{reasons} {tr('report.measures.serves', segments=segs)}".strip()
        rows.append((
            Cell(fmt.integer(m.get("rank", i + 1), lang), f"measures.{i}.rank", m.get("rank")),
            Cell(ctx.measure_name(m)),
            Cell(reasons),
            Cell(fmt.number_range(eff.get("low"), eff.get("high"), lang, as_percent=True)
                 + (" " + tr("report.method.assumption") if effect_is_assumption(m) else "")),
            Cell(ctx.label("cost", str(m.get("cost_class")))),
            Cell(", ".join(ctx.label("actor", a) for a in _code_list(m.get("actors")))),
            Cell(ctx.label("time", str(m.get("time_to_effect")))),
        ))
    header = (tr("report.col.rank"), tr("report.col.measure"), tr("report.col.reasons"), tr("report.col.effect"),
              tr("report.col.cost"), tr("report.col.actors"), tr("report.col.time"))
    return Table("measures", tr("report.table.measures"), header, tuple(rows),
                 (True, False, False, True, False, False, False), tr("report.note.effect"), ("0",) + (None,) * 6)


# --- anchoring ------------------------------------------------------------------------------

_STEP_TITLES: dict[str, Mapping[str, str]] | None = None


def _step_titles() -> Mapping[str, Mapping[str, str]]:
    global _STEP_TITLES
    if _STEP_TITLES is None:
        try:
            from grontur.anchoring import load_template
        except ImportError:
            _STEP_TITLES = {}
        else:
            _STEP_TITLES = {s.id: dict(s.title) for s in load_template().steps}
    return _STEP_TITLES


def anchoring_steps(plan: Any, ctx: _Ctx) -> list[dict[str, Any]]:
    """Steps as ``{id, title, owner, start, end, depends_on, measures}`` in the report language."""
    if not plan:
        return []
    steps = plan.get("steps") if isinstance(plan, Mapping) else plan
    out = []
    for step in steps or []:
        sid = str(step.get("step") or step.get("id"))
        raw_title = step.get("title") or step.get("label") or step.get("name")
        if isinstance(raw_title, Mapping):
            title = localized(raw_title, ctx.lang)
        elif raw_title and ctx.results_lang == ctx.lang:
            title = str(raw_title)
        elif sid in _step_titles():
            title = localized(_step_titles()[sid], ctx.lang)
        else:
            title = str(raw_title) if raw_title else ctx.label("step", sid)
        owner = step.get("owner")
        if step.get("owner_label") and ctx.results_lang == ctx.lang:
            owner_text = str(step["owner_label"])
        else:
            owner_text = _owner_label(ctx, owner)
        out.append({
            "id": sid, "title": title, "owner": owner_text,
            "start": dt.date.fromisoformat(str(_need(step, "start", "anchoring_plan"))[:10]),
            "end": dt.date.fromisoformat(str(_need(step, "end", "anchoring_plan"))[:10]),
            "depends_on": _code_list(step.get("depends_on")),
            "measures": _code_list(step.get("measures")),
        })
    return out


def _owner_label(ctx: _Ctx, owner: Any) -> str:
    if owner is None:
        return fmt.SUPPRESSED
    if isinstance(owner, Mapping):
        return localized(owner, ctx.lang)
    return ctx.label("owner", str(owner))


def _anchoring(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    steps = anchoring_steps(ctx.results.get("anchoring_plan"), ctx)
    if not steps:
        return Section("anchoring", tr("report.section.anchoring"), (_missing(ctx),))
    blocks: list[Block] = [Paragraph(tr("report.anchoring.lead"))]
    external = ctx.external_for("anchoring")
    if external:
        blocks.extend(external)
    else:
        png = ctx.chart("timeline_chart", [(s["title"], s["start"], s["end"]) for s in steps], lang=lang)
        blocks.append(Figure("fig-timeline", tr("report.figure.anchoring_timeline"), png, tr("report.figure.anchoring_timeline")))
    titles = {s["id"]: s["title"] for s in steps}
    names = {str(m.get("id")): ctx.measure_name(m) for m in ctx.results.get("measures") or []}
    rows = tuple((
        Cell(s["title"]), Cell(s["owner"]),
        Cell(_date_text(s["start"].isoformat(), lang)), Cell(_date_text(s["end"].isoformat(), lang)),
        Cell(", ".join(titles.get(d, d) for d in s["depends_on"])),
        Cell(_measure_list(ctx, [names.get(m, m) for m in s["measures"]])),
    ) for s in steps)
    blocks.append(Table("anchoring", tr("report.table.anchoring"),
                        (tr("report.col.step"), tr("report.col.owner"), tr("report.col.start"), tr("report.col.end"), tr("report.col.depends_on"), tr("report.col.measures")),
                        rows, (False,) * 6, None, (None,) * 6))
    return Section("anchoring", tr("report.section.anchoring"), tuple(blocks))


def _measure_list(ctx: _Ctx, names: list[str], limit: int = 2) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ctx.tr("report.anchoring.measures_more", names=", ".join(names[:limit]), n=len(names) - limit)


# --- comparison -----------------------------------------------------------------------------

def _comparison(ctx: _Ctx) -> Section | None:
    comparison = ctx.results.get("comparison")
    if not comparison:
        return None
    blocks = tuple(comparison_blocks(comparison, lang=ctx.lang, charts=ctx.charts, chart=ctx.chart))
    return Section("comparison", ctx.tr("report.section.comparison"), blocks)


# --- method, quality and privacy ------------------------------------------------------------

def _trips_note(results: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The import's account of a trip file (``unit: trip``), if the survey was one."""
    mapping = (results.get("quality") or {}).get("mapping") or {}
    return next((note for note in mapping.get("notes") or () if isinstance(note, Mapping) and note.get("note") == "trips"),
                None)


def _method(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    blocks: list[Block] = [Paragraph(tr("report.method.lead"))]
    if r.get("schema"):  # for whoever reads results.json; not on the cover
        blocks.append(Paragraph(tr("report.meta.schema", schema=r["schema"]), kind="note"))
    resp = r.get("respondents") or {}
    if resp:
        inp, kept, quar = resp.get("input_rows"), resp.get("kept"), resp.get("quarantined")
        blocks.append(Heading(tr("report.method.rows_title")))
        trips = _trips_note(r)
        if trips is not None:
            # a trip file: the rows counted below are people, made from their work trips
            blocks.append(Paragraph(tr("report.method.trips", **{key: fmt.integer(trips.get(key), lang) for key in (
                "trips", "work_trips", "persons", "persons_without_work_trip")})))
        reasons = [tr(f"report.quarantine.{reason}", n=fmt.integer(count, lang))
                   for reason, count in (resp.get("quarantine_reasons") or {}).items()
                   if count and has(f"report.quarantine.{reason}")]
        if quar and reasons:
            blocks.append(Paragraph(tr("report.method.rows_reasons", input=fmt.integer(inp, lang), kept=fmt.integer(kept, lang),
                                       quarantined=fmt.integer(quar, lang), reasons=tr("report.quarantine.join").join(reasons))))
        else:
            blocks.append(Paragraph(tr("report.method.rows", input=fmt.integer(inp, lang), kept=fmt.integer(kept, lang), quarantined=fmt.integer(quar, lang))))
        rows: list[tuple[Cell, ...]] = [(Cell(tr("report.method.input_rows")), Cell(fmt.integer(inp, lang), "respondents.input_rows", inp)),
                (Cell(tr("report.method.kept")), Cell(fmt.integer(kept, lang), "respondents.kept", kept)),
                (Cell(tr("report.method.quarantined")), Cell(fmt.integer(quar, lang), "respondents.quarantined", quar))]
        if resp.get("employees") is not None:
            rows.append((Cell(tr("report.method.employees")), Cell(fmt.integer(resp["employees"], lang), "respondents.employees", resp["employees"])))
        blocks.append(Table("row-account", tr("report.table.row_account"), (tr("report.col.item"), tr("report.col.count")), tuple(rows), (False, True), None, (None, "0")))
    quality = r.get("quality")
    blocks.append(Heading(tr("report.method.quality_title")))
    if isinstance(quality, Mapping):
        by_kind = quality.get("by_problem") or quality.get("by_kind") or {}
        if isinstance(by_kind, Mapping) and by_kind:
            quality_rows = tuple((Cell(ctx.label("problem", k)), Cell(fmt.integer(v, lang), f"quality.by_problem.{k}", v)) for k, v in _counts(by_kind).items())
            blocks.append(Table("quality", tr("report.table.quality"), (tr("report.col.problem"), tr("report.col.count")), quality_rows, (False, True), tr("report.note.quality_csv"), (None, "0")))
        else:
            blocks.append(Paragraph(tr("report.method.no_problems")))
        mapping = quality.get("mapping")
        if isinstance(mapping, Mapping) and mapping.get("title"):
            blocks.append(Paragraph(tr("report.method.mapping", dialect=str(mapping["title"]), n=len(mapping.get("mapped") or []))))
    else:
        blocks.append(_missing(ctx))
    geo = r.get("geo")
    if isinstance(geo, Mapping) and geo:
        blocks.append(Paragraph(say(tr, "report.method.geo", k=_k(ctx), estimated=fmt.integer(geo.get("n_distance_estimated", 0), lang),
                                   flagged=fmt.integer(geo.get("n_distance_flagged", 0), lang))))
    blocks.extend(_factor_blocks(ctx))
    privacy = r.get("privacy") or {}
    blocks.append(Heading(tr("report.method.privacy_title")))
    blocks.append(Paragraph(tr("report.method.privacy", k=privacy.get("k", DEFAULT_K),
                               suppressed=fmt.integer(privacy.get("suppressed_cells", 0), lang))))
    blocks.append(Paragraph(tr("report.method.releases", k=privacy.get("k", DEFAULT_K))))
    dropped = privacy.get("dropped_columns") or []
    if dropped:
        reasons = sorted({ctx.label("dropped", str(d.get("reason"))) for d in dropped if isinstance(d, Mapping)})
        blocks.append(Paragraph(tr("report.method.dropped", n=len(dropped), kinds=", ".join(reasons))))
    seg = r.get("segmentation")
    if isinstance(seg, Mapping) and seg:
        blocks.append(Heading(tr("report.method.segmentation_title")))
        ari = seg.get("stability_ari")
        n = seg.get("n_segments", len(r.get("segments") or []))
        sentence = _segmentation_reason(seg, lang)
        if sentence:
            blocks.append(Paragraph(sentence))
        elif ari is not None:
            blocks.append(Paragraph(tr("report.method.segmentation", n=n, ari=fmt.number(ari, lang, digits=2))))
        else:
            blocks.append(Paragraph(tr("report.method.segmentation_rules", n=n)))
    return Section("method", tr("report.section.method"), tuple(blocks))


def _segmentation_reason(seg: Mapping[str, Any], lang: str) -> str | None:
    """Which route the segments took and why, in one sentence phrased from results.json
    (``chosen_because``); None for results written before the sentence had all its values."""
    from grontur.personas import reason_text

    because = seg.get("chosen_because")
    if not isinstance(because, Mapping) or not has(f"segment.reason.{because.get('key')}"):
        return None
    try:
        return reason_text(str(because["key"]), dict(because.get("values") or {}), lang)
    except KeyError:
        return None


def _factor_blocks(ctx: _Ctx) -> list[Block]:
    tr, lang = ctx.tr, ctx.lang
    em = ctx.results.get("emissions") or {}
    blocks: list[Block] = [Heading(tr("report.method.sources_title"))]
    settings = em.get("settings") or {}
    days = settings.get("working_days_per_year", em.get("working_days"))
    blocks.append(Paragraph(tr("report.method.emission_method", days=fmt.integer(days, lang)) if days is not None else tr("report.method.emission_method_nodays")))
    factors = em.get("factors")
    scopes = {str(f.get("scope")) for f in factors.values() if isinstance(f, Mapping)} if isinstance(factors, Mapping) else set()
    if len(scopes) == 1 and has(f"report.method.scope.{next(iter(scopes))}"):
        blocks.append(Paragraph(tr(f"report.method.scope.{next(iter(scopes))}")))
    given_sources = em.get("sources")
    sources = given_sources if isinstance(given_sources, Mapping) else {}
    number = {sid: i for i, sid in enumerate(sources, 1)}
    if isinstance(factors, Mapping) and factors:
        rows = []
        for key, f in factors.items():
            f = f if isinstance(f, Mapping) else {"kg_co2e_per_km": f}
            kg = _first(f, "kg_co2e_per_km", "kg_per_km", "value")
            source_text = str(f.get("source", ""))
            cited = sorted((number[sid] for sid in sources if sid in source_text), key=int)
            rows.append((
                Cell(_factor_label(ctx, key)),
                Cell(fmt.number(None if kg is None else 1000 * float(kg), lang, digits=0), None, kg),
                Cell(fmt.number_range(None if f.get("low") is None else 1000 * float(f["low"]), None if f.get("high") is None else 1000 * float(f["high"]), lang)),
                Cell(ctx.label("unit", str(f.get("unit"))) if f.get("unit") else ""),
                Cell(str(f.get("year", ""))),
                Cell(" ".join(f"[{n}]" for n in cited) + (" " + tr("report.method.assumption") if f.get("assumption") else "")),
            ))
        blocks.append(Table("factors", tr("report.table.factors"),
                            (tr("report.col.mode"), tr("report.col.g_per_km"), tr("report.col.range"), tr("report.col.unit"), tr("report.col.year"), tr("report.col.source")),
                            tuple(rows), (False, True, True, False, True, False), tr("report.note.factors"), (None, "0.000", None, None, None, None)))
    if sources:
        blocks.append(Heading(tr("report.method.references_title"), level=4))
        blocks.append(BulletList(tuple(
            f"[{number[sid]}] {localized(src.get('text'), lang)}" + (f" {src['url']}" if src.get("url") else "")
            if isinstance(src, Mapping) else f"[{number[sid]}] {src}" for sid, src in sources.items()), kind="references"))
    return blocks


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in mapping:
            return mapping[key]
    return None


def _factor_label(ctx: _Ctx, key: str) -> str:
    head, _, fuel = str(key).partition(".")
    if head == "car" and fuel:
        label = ctx.label("car_fuel", fuel)  # "Bil, bensin": the fuel continues the phrase
        return ctx.tr("report.factor.car_fuel", fuel=label[:1].lower() + label[1:] if label[1:2].islower() else label)
    if has(f"code.mode.{key}"):
        return ctx.label("mode", key)
    return ctx.label("factor", key)


# --- appendix -------------------------------------------------------------------------------

def _appendix(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    blocks: list[Block] = [Paragraph(tr("report.appendix.lead"))]
    heading = None
    for title, block in ctx.deferred:
        if title != heading:
            blocks.append(Heading(title))
            heading = title
        blocks.append(block)
    segments = r.get("segments") or []
    if segments:
        rows: list[tuple[Cell, ...]] = []
        for i, s in enumerate(segments):
            size_key = "size" if "size" in s else "n"
            share_key = "share_of_respondents" if "share_of_respondents" in s else "share"
            rows.append((Cell(localized(s.get("label") or s.get("id"), lang)),
                         Cell(fmt.integer(s.get(size_key), lang), f"segments.{i}.{size_key}", s.get(size_key)),
                         Cell(fmt.percent(s.get(share_key), lang), f"segments.{i}.{share_key}" if share_key in s else None, s.get(share_key)),
                         Cell(fmt.number(s.get("median_distance_km"), lang, digits=1), f"segments.{i}.median_distance_km" if "median_distance_km" in s else None, s.get("median_distance_km"))))
        blocks.append(Table("segments", tr("report.table.segments"), (tr("report.col.segment"), tr("report.col.respondents"), tr("report.col.share"), tr("report.col.median_km")),
                            tuple(rows), (False, True, True, True), tr("report.note.suppressed", k=_k(ctx)), (None, "0", "0%", "0.0")))
    measures = r.get("measures") or []
    if measures and (r.get("plan") or {}).get("items"):
        # every measure with the figures behind its reasons (the main text gives the plan)
        blocks.append(measures_table(ctx, measures))
    if measures:
        rows = []
        for i, m in enumerate(sorted(measures, key=lambda m: m.get("rank", 0))):
            eff = m.get("effect") or {}
            tonnes = m.get("tonnes_co2e_avoided") or {}
            reach_key = "reach" if "reach" in m else None
            rows.append((Cell(fmt.integer(m.get("rank"), lang), f"measures.{i}.rank", m.get("rank")), Cell(ctx.measure_name(m)),
                         Cell(ctx.label("family", str(m["family"])) if m.get("family") else fmt.SUPPRESSED),
                         Cell(ctx.label("package", str(m["package"])) if m.get("package") else fmt.SUPPRESSED),
                         Cell(fmt.number(m.get("score"), lang, digits=1), f"measures.{i}.score", m.get("score")),
                         Cell(fmt.integer(m.get(reach_key), lang) if reach_key else fmt.SUPPRESSED, f"measures.{i}.reach" if reach_key else None, m.get("reach")),
                         Cell(fmt.percent(eff.get("low"), lang), f"measures.{i}.effect.low", eff.get("low")),
                         Cell(fmt.percent(eff.get("high"), lang), f"measures.{i}.effect.high", eff.get("high")),
                         Cell(fmt.number_range(tonnes.get("low"), tonnes.get("high"), lang, digits=1) if isinstance(tonnes, Mapping) else fmt.SUPPRESSED)))
        blocks.append(Table("measure-scores", tr("report.table.measure_scores"),
                            (tr("report.col.rank"), tr("report.col.measure"), tr("report.col.family"), tr("report.col.package"), tr("report.col.score"),
                             tr("report.col.reach"), tr("report.col.effect_low"), tr("report.col.effect_high"), tr("report.col.tonnes_avoided")),
                            tuple(rows), (True, False, False, False, True, True, True, True, True), tr("report.note.score"),
                            ("0", None, None, None, "0.0", "0", "0%", "0%", None)))
    for fig_name in sorted(ctx.external):
        png = ctx.external.get(fig_name) if fig_name not in ctx.placed else None
        if png is not None:
            ctx.placed.add(fig_name)
            caption = tr(f"report.figure.{fig_name}") if has(f"report.figure.{fig_name}") else tr("report.figure.other")
            blocks.append(Figure(f"fig-{fig_name}", caption, png, caption))
    if r.get("comparison"):
        blocks.extend(comparison_appendix_blocks(r["comparison"], lang=lang))
    return Section("appendix", tr("report.section.appendix"), tuple(blocks))
