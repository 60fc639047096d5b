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
from typing import Any

from grontur.errors import GronturError
from grontur.i18n import Translator, has
from grontur.report import _format as fmt
from grontur.report import charts
from grontur.report.model import (
    Block, BulletList, Card, Cards, Cell, Document, Figure, Heading, KeyFigure, KeyFigures,
    Paragraph, Section, Table,
)
from grontur.schema import CAR_DRIVER_MODES, MODES

log = logging.getLogger(__name__)

SEASONS = ("summer", "winter")
#: Figures made by other stages that the report knows where to place: name -> section id.
EXTERNAL_FIGURES = {
    "home_area_map": "habits",
    "home_areas": "habits",
    "anchoring_timeline": "anchoring",
    "timeline": "anchoring",
}


class ResultsShapeError(GronturError, ValueError):
    """``results`` has a section whose content is not what the report expects."""


def _need(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        msg = f"results.json: the section {where!r} lacks the key {key!r}; re-run the analysis with this grontur version."
        raise ResultsShapeError(msg)
    return mapping[key]


def localized(value: Any, lang: str) -> str:
    """Text of a value that is either a plain string or a ``{nn, nb, en}`` mapping."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        if lang in value:
            return str(value[lang])
        msg = f"results.json: a text has no {lang!r} version ({sorted(value)}); re-run the analysis with --lang {lang}."
        raise ResultsShapeError(msg)
    if isinstance(value, (list, tuple)):
        return " ".join(localized(v, lang) for v in value)
    return str(value)


def localized_list(value: Any, lang: str) -> list[str]:
    """A list of texts given as a list, a ``{lang: list}`` mapping or one string."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        value = value.get(lang) if lang in value else localized(value, lang)
    if isinstance(value, str):
        return [value]
    return [localized(v, lang) for v in value]


class Labeller:
    """Translate codes to labels; unknown codes are logged and shown as they are."""

    def __init__(self, lang: str) -> None:
        self.tr = Translator(lang)
        self.lang = lang
        self.unknown: set[str] = set()

    def __call__(self, kind: str, code: str) -> str:
        key = f"code.{kind}.{code}" if kind in {"mode", "barriers", "would_help", "car_fuel", "job_group", "parking_at_work", "age_band"} else f"report.{kind}.{code}"
        if has(key):
            return self.tr(key)
        if key not in self.unknown:
            log.warning("no label for %s %r in the translation catalogue", kind, code)
            self.unknown.add(key)
        return str(code)


def build_document(results: Mapping[str, Any], *, lang: str,
                   figures: Mapping[str, bytes] | None = None) -> Document:
    """Return the report for ``results`` in ``lang`` (``nn``, ``nb`` or ``en``).

    ``figures`` maps a name to PNG bytes of a figure made by another stage (for example
    ``home_area_map`` or ``anchoring_timeline``); known names are placed in their section,
    others in the appendix.
    """
    tr = Translator(lang)
    label = Labeller(lang)
    external = dict(figures or {})
    municipality = _need(results, "municipality", "(top level)")
    name = str(_need(municipality, "name", "municipality"))
    ctx = _Ctx(results, tr, label, lang, external)
    builders: list[Callable[[_Ctx], Section | None]] = [
        _summary, _habits, _barriers, _segments, _emissions, _measures, _anchoring, _comparison,
        _method, _appendix,
    ]
    sections = tuple(s for s in (b(ctx) for b in builders) if s is not None)
    generated = results.get("generated")
    meta = (
        tr("report.meta.municipality", name=name, number=municipality.get("number", "")),
        tr("report.meta.generated", date=_date_text(generated, lang)) if generated else "",
        tr("report.meta.schema", schema=results.get("schema", "")),
    )
    return Document(
        lang=lang,
        title=tr("report.title", name=name),
        subtitle=tr("report.subtitle"),
        meta=tuple(m for m in meta if m),
        sections=sections,
        footer=tr("report.footer", name=name),
    )


class _Ctx:
    def __init__(self, results: Mapping[str, Any], tr: Translator, label: Labeller, lang: str,
                 external: dict[str, bytes]) -> None:
        self.results = results
        self.tr = tr
        self.label = label
        self.lang = lang
        self.external = external
        self.placed: set[str] = set()

    def external_for(self, section: str) -> list[Block]:
        blocks: list[Block] = []
        for fig_name, png in sorted(self.external.items()):
            if EXTERNAL_FIGURES.get(fig_name) == section and fig_name not in self.placed:
                self.placed.add(fig_name)
                caption = self.tr(f"report.figure.{fig_name}") if has(f"report.figure.{fig_name}") else self.tr("report.figure.other")
                blocks.append(Figure(f"fig-{fig_name}", caption, png, caption))
        return blocks


def _missing(ctx: _Ctx) -> Paragraph:
    return Paragraph(ctx.tr("report.section_missing"), kind="missing")


def _date_text(value: Any, lang: str) -> str:
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return day.strftime("%Y-%m-%d") if lang == "en" else day.strftime("%d.%m.%Y")


# --- summary --------------------------------------------------------------------------------

def _key_figures(ctx: _Ctx) -> KeyFigures:
    r, tr, lang = ctx.results, ctx.tr, ctx.lang
    items: list[KeyFigure] = []
    resp = r.get("respondents") or {}
    if "kept" in resp:
        items.append(KeyFigure(tr("report.kf.respondents"), fmt.integer(resp["kept"], lang), "respondents.kept"))
    if resp.get("response_rate") is not None:
        items.append(KeyFigure(tr("report.kf.response_rate"), fmt.percent(resp["response_rate"], lang), "respondents.response_rate"))
    shares = r.get("mode_share") or {}
    for season in SEASONS:
        if season in shares:
            items.append(KeyFigure(tr(f"report.kf.car_driver_share_{season}"),
                                   fmt.percent(car_driver_share(shares[season]), lang), None))
    dar = (r.get("habits") or {}).get("drive_alone_rate")
    if isinstance(dar, Mapping) and dar.get("winter") is not None:
        items.append(KeyFigure(tr("report.kf.drive_alone_winter"), fmt.percent(dar["winter"], lang), "habits.drive_alone_rate.winter"))
    em = r.get("emissions") or {}
    if em.get("tonnes_co2e_per_year") is not None:
        items.append(KeyFigure(tr("report.kf.emissions"), fmt.number(em["tonnes_co2e_per_year"], lang, digits=1), "emissions.tonnes_co2e_per_year"))
    per_emp = emissions_per_employee(em)
    if per_emp is not None:
        items.append(KeyFigure(tr("report.kf.emissions_per_employee"), fmt.number(per_emp, lang, digits=2), "emissions.per_employee"))
    scen = scenarios(r.get("potential") or {})
    if "ambitious" in scen and scen["ambitious"].get("tonnes") is not None:
        items.append(KeyFigure(tr("report.kf.potential_ambitious"), fmt.number(scen["ambitious"]["tonnes"], lang, digits=1), None))
    return KeyFigures(tuple(items))


def car_driver_share(shares: Mapping[str, float | None]) -> float | None:
    """Share of respondents driving a car (alone or with others); ``None`` if a part is hidden."""
    parts = [shares.get(m) for m in CAR_DRIVER_MODES if m in shares]
    if any(p is None for p in parts):
        return None
    return float(sum(parts)) if parts else None


def emissions_per_employee(em: Mapping[str, Any]) -> float | None:
    for key in ("per_employee", "tonnes_per_employee", "per_respondent"):
        value = em.get(key)
        if isinstance(value, Mapping):
            value = value.get("tonnes") or value.get("value")
        if value is not None:
            return float(value)
    return None


def _summary(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    blocks: list[Block] = [Paragraph(tr("report.summary.lead"), kind="lead"), _key_figures(ctx)]
    measures = ctx.results.get("measures")
    blocks.append(Heading(tr("report.summary.first_measures")))
    if measures:
        items = []
        for m in sorted(measures, key=lambda m: m.get("rank", 0))[:5]:
            eff = m.get("effect") or {}
            items.append(tr("report.summary.measure_item", name=measure_name(m, lang),
                            effect=fmt.number_range(eff.get("low"), eff.get("high"), lang, as_percent=True)))
        blocks.append(BulletList(tuple(items), ordered=True))
    else:
        blocks.append(_missing(ctx))
    blocks.append(Heading(tr("report.summary.next")))
    plan = anchoring_steps(ctx.results.get("anchoring_plan"), ctx)
    if plan:
        first = plan[:3]
        blocks.append(Paragraph(tr("report.summary.next_text", steps="; ".join(
            f"{s['title']} ({_date_text(s['start'], lang)})" for s in first))))
    else:
        blocks.append(Paragraph(tr("report.summary.next_default")))
    return Section("summary", tr("report.section.summary"), tuple(blocks))


# --- habits ---------------------------------------------------------------------------------

def mode_share_table(ctx: _Ctx) -> Table | None:
    shares = ctx.results.get("mode_share")
    if not shares:
        return None
    seasons = [s for s in SEASONS if s in shares]
    counts = (ctx.results.get("habits") or {}).get("mode_counts") or {}
    modes = [m for m in MODES if any(m in shares[s] for s in seasons)]
    rows = []
    for m in modes:
        if all(shares[s].get(m) == 0 for s in seasons if m in shares[s]) and not any(shares[s].get(m) is None and m in shares[s] for s in seasons):
            continue
        row = [Cell(ctx.label("mode", m))]
        for s in seasons:
            value = shares[s].get(m)
            row.append(Cell(fmt.percent(value, ctx.lang), f"mode_share.{s}.{m}", value))
        for s in seasons:
            if counts.get(s) is not None:
                value = counts[s].get(m)
                row.append(Cell(fmt.integer(value, ctx.lang), f"habits.mode_counts.{s}.{m}", value))
        rows.append(tuple(row))
    header = [ctx.tr("report.col.mode")] + [ctx.tr(f"report.col.share_{s}") for s in seasons]
    header += [ctx.tr(f"report.col.count_{s}") for s in seasons if counts.get(s) is not None]
    n_num = len(header) - 1
    formats = (None,) + ("0%",) * len(seasons) + ("0",) * (n_num - len(seasons))
    return Table("mode-share", ctx.tr("report.table.mode_share"), tuple(header), tuple(rows),
                 (False,) + (True,) * n_num, ctx.tr("report.note.suppressed", k=_k(ctx)), formats)


def _k(ctx: _Ctx) -> int:
    return int((ctx.results.get("privacy") or {}).get("k", 5))


def _habits(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    blocks: list[Block] = []
    table = mode_share_table(ctx)
    if table is None:
        blocks.append(_missing(ctx))
        return Section("habits", tr("report.section.habits"), tuple(blocks))
    shares = r["mode_share"]
    summer = car_driver_share(shares.get("summer", {}))
    winter = car_driver_share(shares.get("winter", {}))
    blocks.append(Paragraph(tr("report.habits.lead", summer=fmt.percent(summer, lang), winter=fmt.percent(winter, lang))))
    png = charts.render_png(charts.mode_share_chart(shares, lang=lang))
    blocks.append(Figure("fig-mode-share", tr("report.figure.mode_share"), png, tr("report.figure.mode_share")))
    blocks.append(table)
    habits = r.get("habits") or {}
    facts: list[tuple[str, str, str | None]] = []
    dar = habits.get("drive_alone_rate")
    if isinstance(dar, Mapping):
        for s in SEASONS:
            if s in dar:
                facts.append((tr(f"report.habits.drive_alone_{s}"), fmt.percent(dar[s], lang), f"habits.drive_alone_rate.{s}"))
    cars = habits.get("cars_per_100_employees")
    if isinstance(cars, Mapping):
        for s in SEASONS:
            if s in cars:
                facts.append((tr(f"report.habits.cars_per_100_{s}"), fmt.number(cars[s], lang, digits=1), f"habits.cars_per_100_employees.{s}"))
    if habits.get("median_distance_km") is not None:
        facts.append((tr("report.habits.median_distance"), fmt.number(habits["median_distance_km"], lang, digits=1), "habits.median_distance_km"))
    if habits.get("shift_work_share") is not None:
        facts.append((tr("report.habits.shift_share"), fmt.percent(habits["shift_work_share"], lang), "habits.shift_work_share"))
    if facts:
        blocks.append(KeyFigures(tuple(KeyFigure(a, b, c) for a, b, c in facts)))
    bands = habits.get("distance_bands")
    if isinstance(bands, Mapping) and bands:
        band_counts = _counts(bands)
        rows = tuple((Cell(tr("report.habits.band_km", band=b)), Cell(fmt.integer(v, lang), f"habits.distance_bands.{b}", v)) for b, v in band_counts.items())
        blocks.append(Table("distance-bands", tr("report.table.distance_bands"),
                            (tr("report.col.distance"), tr("report.col.respondents")), rows, (False, True), None, (None, "0")))
    blocks.extend(ctx.external_for("habits"))
    return Section("habits", tr("report.section.habits"), tuple(blocks))


def _counts(mapping: Mapping[str, Any]) -> dict[str, float | None]:
    """Counts from ``{code: n}`` or ``{code: {"n": .., "share": ..}}``."""
    out: dict[str, float | None] = {}
    for code, value in mapping.items():
        if isinstance(value, Mapping):
            value = value.get("n", value.get("count"))
        out[str(code)] = value
    return out


def _shares(mapping: Mapping[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for code, value in mapping.items():
        if isinstance(value, Mapping):
            out[str(code)] = value.get("share")
    return out


# --- barriers and needs ---------------------------------------------------------------------

def _barriers(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    habits = ctx.results.get("habits") or {}
    blocks: list[Block] = [Paragraph(tr("report.barriers.lead"))]
    found = False
    for key, kind, colour in (("barriers", "barriers", 2), ("would_help", "would_help", 6)):
        data = habits.get(key)
        if not isinstance(data, Mapping) or not data:
            continue
        found = True
        counts = _counts(data)
        shares = _shares(data)
        ordered = sorted(counts.items(), key=lambda kv: (-(kv[1] if kv[1] is not None else -1), kv[0]))
        top = ordered[:12]
        labelled = {ctx.label(kind, c): v for c, v in top}
        png = charts.render_png(charts.bar_chart(labelled, lang=lang, xlabel_key="report.chart.respondents", colour_index=colour))
        blocks.append(Heading(tr(f"report.barriers.{key}_title")))
        blocks.append(Figure(f"fig-{key}", tr(f"report.figure.{key}"), png, tr(f"report.figure.{key}")))
        header = [tr("report.col.answer"), tr("report.col.respondents")]
        if shares:
            header.append(tr("report.col.share"))
        rows = []
        for code, value in ordered:
            row = [Cell(ctx.label(kind, code)), Cell(fmt.integer(value, lang), f"habits.{key}.{code}", value)]
            if shares:
                row.append(Cell(fmt.percent(shares.get(code), lang), None, shares.get(code)))
            rows.append(tuple(row))
        blocks.append(Table(f"table-{key}", tr(f"report.table.{key}"), tuple(header), tuple(rows),
                            (False,) + (True,) * (len(header) - 1), tr("report.note.suppressed", k=_k(ctx)),
                            (None, "0") + (("0%",) if shares else ())))
    if not found:
        blocks.append(_missing(ctx))
    return Section("barriers", tr("report.section.barriers"), tuple(blocks))


# --- segments -------------------------------------------------------------------------------

def _segments(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    segments = ctx.results.get("segments")
    if not segments:
        return Section("segments", tr("report.section.segments"), (_missing(ctx),))
    cards = []
    for seg in segments:
        title = localized(seg.get("label") or seg.get("name") or seg.get("id"), lang)
        size = seg.get("size", seg.get("n"))
        share = seg.get("share")
        subtitle = tr("report.segments.size", n=fmt.integer(size, lang), share=fmt.percent(share, lang)) if share is not None else tr("report.segments.size_only", n=fmt.integer(size, lang))
        facts: list[tuple[str, str]] = []
        ms = seg.get("mode_share") or {}
        if isinstance(ms, Mapping) and ms:
            if any(s in ms for s in SEASONS) and all(isinstance(v, Mapping) for v in ms.values()):
                ms = ms.get("winter") or ms.get("summer") or {}
            top = sorted(((m, v) for m, v in ms.items() if v), key=lambda kv: -kv[1])[:3]
            facts.append((tr("report.segments.modes"), ", ".join(f"{ctx.label('mode', m)} {fmt.percent(v, lang)}" for m, v in top)))
        if seg.get("median_distance_km") is not None:
            facts.append((tr("report.segments.distance"), tr("report.unit.km", value=fmt.number(seg["median_distance_km"], lang, digits=1))))
        for key, kind in (("barriers", "barriers"), ("would_help", "would_help")):
            codes = _code_list(seg.get(key))
            if codes:
                facts.append((tr(f"report.segments.{key}"), ", ".join(ctx.label(kind, c) for c in codes[:4])))
        cards.append(Card(title, subtitle, localized(seg.get("persona") or seg.get("description"), lang), tuple(facts)))
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
            out.append(str(item.get("code") or item.get("id")))
        else:
            out.append(str(item))
    return out


# --- emissions and potential ----------------------------------------------------------------

def scenarios(potential: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """Normalise scenario figures to ``{name: {tonnes, low, high, trips, share}}``."""
    out: dict[str, dict[str, float | None]] = {}
    for name, sc in (potential.get("scenarios") or {}).items():
        if not isinstance(sc, Mapping):
            continue
        out[str(name)] = {
            "tonnes_key": _first_key(sc, "tonnes_avoided", "tonnes_co2e_avoided", "tonnes"),
            "tonnes": _first(sc, "tonnes_avoided", "tonnes_co2e_avoided", "tonnes"),
            "low": _first(sc, "tonnes_low", "low"),
            "high": _first(sc, "tonnes_high", "high"),
            "trips": _first(sc, "car_trips_avoided_per_year", "car_trips_avoided"),
            "share": _first(sc, "car_driver_share", "car_share_after"),
            "switchers": _first(sc, "switchers", "respondents_switching"),
        }
    return out


def _first_key(mapping: Mapping[str, Any], *keys: str) -> str | None:
    return next((key for key in keys if key in mapping), None)


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in mapping:
            return mapping[key]
    return None


def _emissions(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    em = r.get("emissions")
    blocks: list[Block] = []
    if not em:
        return Section("emissions", tr("report.section.emissions"), (_missing(ctx),))
    total = _need(em, "tonnes_co2e_per_year", "emissions")
    blocks.append(Paragraph(tr("report.emissions.lead", total=fmt.number(total, lang, digits=1),
                               low=fmt.number(em.get("low"), lang, digits=1), high=fmt.number(em.get("high"), lang, digits=1))))
    by_mode = em.get("by_mode")
    if isinstance(by_mode, Mapping) and by_mode:
        values = {c: (v.get("tonnes") if isinstance(v, Mapping) else v) for c, v in by_mode.items()}
        shown = {ctx.label("mode", c): v for c, v in sorted(values.items(), key=lambda kv: -(kv[1] or 0)) if v is None or v > 0}
        if shown:
            png = charts.render_png(charts.bar_chart(shown, lang=lang, xlabel_key="report.chart.tonnes_per_year", digits=1, colour_index=0))
            blocks.append(Figure("fig-emissions-mode", tr("report.figure.emissions_by_mode"), png, tr("report.figure.emissions_by_mode")))
        rows = tuple((Cell(ctx.label("mode", c)), Cell(fmt.number(v, lang, digits=1), f"emissions.by_mode.{c}", v)) for c, v in sorted(values.items(), key=lambda kv: -(kv[1] or 0)))
        blocks.append(Table("emissions-mode", tr("report.table.emissions_by_mode"), (tr("report.col.mode"), tr("report.col.tonnes")), rows, (False, True), None, (None, "0.0")))
    by_fuel = em.get("by_fuel")
    if isinstance(by_fuel, Mapping) and by_fuel:
        values = {c: (v.get("tonnes") if isinstance(v, Mapping) else v) for c, v in by_fuel.items()}
        rows = tuple((Cell(ctx.label("car_fuel", c)), Cell(fmt.number(v, lang, digits=1), f"emissions.by_fuel.{c}", v)) for c, v in sorted(values.items(), key=lambda kv: -(kv[1] or 0)))
        blocks.append(Table("emissions-fuel", tr("report.table.emissions_by_fuel"), (tr("report.col.fuel"), tr("report.col.tonnes")), rows, (False, True), None, (None, "0.0")))
    blocks.append(Heading(tr("report.emissions.potential_title")))
    potential = r.get("potential")
    if not potential:
        blocks.append(_missing(ctx))
        return Section("emissions", tr("report.section.emissions"), tuple(blocks))
    feasible = potential.get("feasible")
    if isinstance(feasible, Mapping) and feasible:
        counts = _counts(feasible)
        rows = tuple((Cell(_alt_label(ctx, c)), Cell(fmt.integer(v, lang), f"potential.feasible.{c}", v)) for c, v in counts.items())
        blocks.append(Paragraph(tr("report.emissions.feasible_lead")))
        blocks.append(Table("potential-feasible", tr("report.table.feasible"), (tr("report.col.alternative"), tr("report.col.respondents")), rows, (False, True), tr("report.note.suppressed", k=_k(ctx)), (None, "0")))
    scen = scenarios(potential)
    if scen:
        chart_rows = [(tr("report.scenario.today"), total, em.get("low"), em.get("high"))]
        rows = []
        for name, sc in scen.items():
            label = _scenario_label(ctx, name)
            after = None if sc["tonnes"] is None else float(total) - float(sc["tonnes"])
            chart_rows.append((label, after, None if sc["high"] is None else float(total) - float(sc["high"]),
                               None if sc["low"] is None else float(total) - float(sc["low"])))
            rows.append((Cell(label), Cell(fmt.number(sc["tonnes"], lang, digits=1), f"potential.scenarios.{name}.{sc['tonnes_key']}" if sc["tonnes_key"] else None, sc["tonnes"]),
                         Cell(fmt.number_range(sc["low"], sc["high"], lang, digits=1)),
                         Cell(fmt.integer(sc["trips"], lang), None, sc["trips"]),
                         Cell(fmt.percent(sc["share"], lang), None, sc["share"])))
        png = charts.render_png(charts.scenario_chart(chart_rows, lang=lang))
        blocks.append(Figure("fig-scenarios", tr("report.figure.scenarios"), png, tr("report.figure.scenarios")))
        blocks.append(Table("scenarios", tr("report.table.scenarios"),
                            (tr("report.col.scenario"), tr("report.col.tonnes_avoided"), tr("report.col.range"), tr("report.col.trips_avoided"), tr("report.col.car_driver_share_after")),
                            tuple(rows), (False, True, True, True, True), tr("report.note.scenarios"), (None, "0.0", None, "0", "0%")))
    return Section("emissions", tr("report.section.emissions"), tuple(blocks))


def _alt_label(ctx: _Ctx, code: str) -> str:
    if has(f"code.mode.{code}"):
        return ctx.label("mode", code)
    return ctx.label("alternative", code)


def _scenario_label(ctx: _Ctx, name: str) -> str:
    return ctx.label("scenario", name)


# --- measures -------------------------------------------------------------------------------

_CATALOGUE_NAMES: dict[str, Mapping[str, str]] | None = None


def measure_name(measure: Mapping[str, Any], lang: str) -> str:
    """The measure's name in ``lang``: from ``results`` when given there, else from the catalogue."""
    if measure.get("name"):
        return localized(measure["name"], lang)
    names = _catalogue_names()
    mid = str(measure.get("id"))
    if mid in names:
        return localized(names[mid], lang)
    log.warning("measure %r has no name in results and is not in the catalogue", mid)
    return mid


def _catalogue_names() -> Mapping[str, Mapping[str, str]]:
    global _CATALOGUE_NAMES
    if _CATALOGUE_NAMES is None:
        try:
            from grontur.catalogue import load_catalogue
        except ImportError:
            _CATALOGUE_NAMES = {}
        else:
            catalogue = load_catalogue()
            measures = getattr(catalogue, "measures", catalogue)
            items = measures.values() if isinstance(measures, Mapping) else measures
            _CATALOGUE_NAMES = {str(m.id): dict(m.name) for m in items}
    return _CATALOGUE_NAMES


def _measures(ctx: _Ctx) -> Section:
    tr, lang = ctx.tr, ctx.lang
    measures = ctx.results.get("measures")
    if not measures:
        return Section("measures", tr("report.section.measures"), (_missing(ctx),))
    seg_names = {str(s.get("id")): localized(s.get("label") or s.get("id"), lang) for s in ctx.results.get("segments") or []}
    blocks: list[Block] = [Paragraph(tr("report.measures.lead", n=len(measures)))]
    blocks.append(measures_table(ctx, measures, seg_names))
    excluded = ctx.results.get("excluded_measures") or []
    if excluded:
        blocks.append(Heading(tr("report.measures.excluded_title")))
        blocks.append(BulletList(tuple(
            tr("report.measures.excluded_item", name=measure_name(x, lang), reason=localized(x.get("reason"), lang) if not isinstance(x.get("reason"), list) else "; ".join(localized_list(x.get("reason"), lang)))
            for x in excluded)))
    return Section("measures", tr("report.section.measures"), tuple(blocks))


def measures_table(ctx: _Ctx, measures: Sequence[Mapping[str, Any]], seg_names: Mapping[str, str]) -> Table:
    tr, lang = ctx.tr, ctx.lang
    rows = []
    for i, m in enumerate(sorted(measures, key=lambda m: m.get("rank", 0))):
        eff = m.get("effect") or {}
        reasons = " ".join(localized_list(m.get("reasons"), lang))
        segs = ", ".join(seg_names.get(str(s), str(s)) for s in _code_list(m.get("segments")))
        if segs:
            reasons = f"{reasons} {tr('report.measures.serves', segments=segs)}".strip()
        rows.append((
            Cell(fmt.integer(m.get("rank", i + 1), lang), f"measures.{i}.rank", m.get("rank")),
            Cell(measure_name(m, lang)),
            Cell(reasons),
            Cell(fmt.number_range(eff.get("low"), eff.get("high"), lang, as_percent=True)),
            Cell(ctx.label("cost", str(m.get("cost_class")))),
            Cell(", ".join(ctx.label("actor", a) for a in _code_list(m.get("actors")))),
            Cell(ctx.label("time", str(m.get("time_to_effect")))),
        ))
    header = (tr("report.col.rank"), tr("report.col.measure"), tr("report.col.reasons"), tr("report.col.effect"),
              tr("report.col.cost"), tr("report.col.actors"), tr("report.col.time"))
    return Table("measures", tr("report.table.measures"), header, tuple(rows),
                 (True, False, False, True, False, False, False), tr("report.note.effect"), ("0",) + (None,) * 6)


# --- anchoring ------------------------------------------------------------------------------

def anchoring_steps(plan: Any, ctx: _Ctx) -> list[dict[str, Any]]:
    """Steps as ``{title, owner, start, end, depends_on, measures}`` with dates parsed."""
    if not plan:
        return []
    steps = plan.get("steps") if isinstance(plan, Mapping) else plan
    out = []
    for step in steps or []:
        sid = str(step.get("step") or step.get("id"))
        raw_title = step.get("title") or step.get("label") or step.get("name")
        if raw_title:
            title = localized(raw_title, ctx.lang)
        elif has(f"anchoring.step.{sid}"):
            title = ctx.tr(f"anchoring.step.{sid}")
        else:
            title = ctx.label("step", sid)
        out.append({
            "id": sid, "title": title, "owner": step.get("owner"),
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
    return ctx.label("actor", str(owner))


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
        png = charts.render_png(charts.timeline_chart([(s["title"], s["start"], s["end"]) for s in steps], lang=lang))
        blocks.append(Figure("fig-timeline", tr("report.figure.anchoring_timeline"), png, tr("report.figure.anchoring_timeline")))
    titles = {s["id"]: s["title"] for s in steps}
    names = {str(m.get("id")): measure_name(m, lang) for m in ctx.results.get("measures") or []}
    rows = tuple((
        Cell(s["title"]), Cell(_owner_label(ctx, s["owner"])),
        Cell(_date_text(s["start"].isoformat(), lang)), Cell(_date_text(s["end"].isoformat(), lang)),
        Cell(", ".join(titles.get(d, d) for d in s["depends_on"])),
        Cell(", ".join(names.get(m, m) for m in s["measures"])),
    ) for s in steps)
    blocks.append(Table("anchoring", tr("report.table.anchoring"),
                        (tr("report.col.step"), tr("report.col.owner"), tr("report.col.start"), tr("report.col.end"), tr("report.col.depends_on"), tr("report.col.measures")),
                        rows, (False,) * 6, None, (None,) * 6))
    return Section("anchoring", tr("report.section.anchoring"), tuple(blocks))


# --- comparison -----------------------------------------------------------------------------

def _comparison(ctx: _Ctx) -> Section | None:
    comparison = ctx.results.get("comparison")
    if not comparison:
        return None
    try:
        from grontur.report.comparison import comparison_blocks
    except ImportError:
        comparison_blocks = None
    if comparison_blocks is not None:
        blocks = tuple(comparison_blocks(comparison, lang=ctx.lang))
    else:
        blocks = (_generic_comparison(ctx, comparison),)
    return Section("comparison", ctx.tr("report.section.comparison"), blocks)


def _generic_comparison(ctx: _Ctx, comparison: Mapping[str, Any]) -> Block:
    """A before/after table of mode shares from ``comparison.json``'s ``mode_share_change``."""
    tr, lang = ctx.tr, ctx.lang
    change = comparison.get("mode_share_change") or {}
    rows = []
    for season in SEASONS:
        for mode, c in (change.get(season) or {}).items():
            if not isinstance(c, Mapping):
                continue
            rows.append((Cell(tr(f"report.season.{season}")), Cell(ctx.label("mode", mode)),
                         Cell(fmt.percent(c.get("before"), lang), f"comparison.mode_share_change.{season}.{mode}.before", c.get("before")),
                         Cell(fmt.percent(c.get("after"), lang), f"comparison.mode_share_change.{season}.{mode}.after", c.get("after")),
                         Cell(fmt.number(None if c.get("diff") is None else 100 * c["diff"], lang, digits=1)),
                         Cell(fmt.number_range(None if c.get("ci_low") is None else 100 * c["ci_low"], None if c.get("ci_high") is None else 100 * c["ci_high"], lang, digits=1))))
    if not rows:
        return _missing(ctx)
    return Table("comparison", tr("report.table.comparison"),
                 (tr("report.col.season"), tr("report.col.mode"), tr("report.col.before"), tr("report.col.after"), tr("report.col.diff_points"), tr("report.col.ci")),
                 tuple(rows), (False, False, True, True, True, True), None, (None, None, "0%", "0%", "0.0", None))


# --- method, quality and privacy ------------------------------------------------------------

def _method(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    blocks: list[Block] = [Paragraph(tr("report.method.lead"))]
    resp = r.get("respondents") or {}
    if resp:
        inp, kept, quar = resp.get("input_rows"), resp.get("kept"), resp.get("quarantined")
        blocks.append(Heading(tr("report.method.rows_title")))
        blocks.append(Paragraph(tr("report.method.rows", input=fmt.integer(inp, lang), kept=fmt.integer(kept, lang), quarantined=fmt.integer(quar, lang))))
        rows = [(Cell(tr("report.method.input_rows")), Cell(fmt.integer(inp, lang), "respondents.input_rows", inp)),
                (Cell(tr("report.method.kept")), Cell(fmt.integer(kept, lang), "respondents.kept", kept)),
                (Cell(tr("report.method.quarantined")), Cell(fmt.integer(quar, lang), "respondents.quarantined", quar))]
        if resp.get("employees") is not None:
            rows.append((Cell(tr("report.method.employees")), Cell(fmt.integer(resp["employees"], lang), "respondents.employees", resp["employees"])))
        blocks.append(Table("row-account", tr("report.table.row_account"), (tr("report.col.item"), tr("report.col.count")), tuple(rows), (False, True), None, (None, "0")))
    quality = r.get("quality")
    blocks.append(Heading(tr("report.method.quality_title")))
    if isinstance(quality, Mapping) and quality:
        by_kind = quality.get("by_problem") or quality.get("by_kind") or quality.get("problems") or {}
        if isinstance(by_kind, Mapping) and by_kind:
            rows = tuple((Cell(ctx.label("problem", k)), Cell(fmt.integer(v, lang), f"quality.by_problem.{k}", v)) for k, v in _counts(by_kind).items())
            blocks.append(Table("quality", tr("report.table.quality"), (tr("report.col.problem"), tr("report.col.count")), rows, (False, True), tr("report.note.quality_csv"), (None, "0")))
        else:
            blocks.append(Paragraph(tr("report.method.no_problems")))
    else:
        blocks.append(_missing(ctx))
    em = r.get("emissions") or {}
    factors = em.get("factors")
    blocks.append(Heading(tr("report.method.sources_title")))
    blocks.append(Paragraph(tr("report.method.emission_method", days=fmt.integer(em.get("working_days"), lang)) if em.get("working_days") is not None else tr("report.method.emission_method_nodays")))
    if isinstance(factors, Sequence) and factors and not isinstance(factors, str):
        rows = []
        for f in factors:
            mode = f.get("mode")
            fuel = f.get("fuel")
            what = ctx.label("mode", mode) if mode else ""
            if fuel:
                what = f"{what} ({ctx.label('car_fuel', fuel)})" if what else ctx.label("car_fuel", fuel)
            value = _first(f, "kg_per_km", "kg_co2e_per_km", "factor", "value")
            grams = _first(f, "g_per_km", "g_co2e_per_km", "g_per_pkm")
            if value is None and grams is not None:
                value = float(grams) / 1000.0
            rows.append((Cell(what), Cell(fmt.number(None if value is None else 1000 * float(value), lang, digits=0), None, value), Cell(localized(f.get("source"), lang))))
        blocks.append(Table("factors", tr("report.table.factors"), (tr("report.col.mode"), tr("report.col.g_per_km"), tr("report.col.source")), tuple(rows), (False, True, False), None, (None, "0", None)))
    elif isinstance(factors, Mapping) and factors:
        rows = tuple((Cell(_factor_label(ctx, k)), Cell(_factor_value(v, lang)), Cell(localized(v.get("source"), lang) if isinstance(v, Mapping) else "")) for k, v in factors.items())
        blocks.append(Table("factors", tr("report.table.factors"), (tr("report.col.mode"), tr("report.col.g_per_km"), tr("report.col.source")), rows, (False, True, False), None, (None, None, None)))
    privacy = r.get("privacy") or {}
    blocks.append(Heading(tr("report.method.privacy_title")))
    blocks.append(Paragraph(tr("report.method.privacy", k=privacy.get("k", 5),
                               suppressed=fmt.integer(privacy.get("suppressed_cells", 0), lang))))
    dropped = privacy.get("dropped_columns") or []
    if dropped:
        blocks.append(Paragraph(tr("report.method.dropped", n=len(dropped))))
    seg = r.get("segmentation")
    if isinstance(seg, Mapping) and seg:
        blocks.append(Heading(tr("report.method.segmentation_title")))
        blocks.append(Paragraph(tr("report.method.segmentation", n=seg.get("n_segments", len(r.get("segments") or [])),
                                   ari=fmt.number(seg.get("stability_ari"), lang, digits=2))))
    return Section("method", tr("report.section.method"), tuple(blocks))


def _factor_label(ctx: _Ctx, key: str) -> str:
    mode, _, fuel = str(key).partition(".")
    if has(f"code.mode.{mode}"):
        text = ctx.label("mode", mode)
        return f"{text} ({ctx.label('car_fuel', fuel)})" if fuel and has(f"code.car_fuel.{fuel}") else text
    if has(f"code.car_fuel.{key}"):
        return ctx.label("car_fuel", key)
    return ctx.label("factor", key)


def _factor_value(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        grams = _first(value, "g_per_km", "g_co2e_per_km", "g_per_pkm")
        if grams is None:
            kg = _first(value, "kg_per_km", "kg_co2e_per_km", "value", "factor")
            grams = None if kg is None else 1000 * float(kg)
        return fmt.number(grams, lang, digits=0)
    return fmt.number(None if value is None else 1000 * float(value), lang, digits=0)


# --- appendix -------------------------------------------------------------------------------

def _appendix(ctx: _Ctx) -> Section:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    blocks: list[Block] = [Paragraph(tr("report.appendix.lead"))]
    segments = r.get("segments") or []
    if segments:
        rows = tuple((Cell(localized(s.get("label") or s.get("id"), lang)),
                      Cell(fmt.integer(s.get("size", s.get("n")), lang), f"segments.{i}.size", s.get("size", s.get("n"))),
                      Cell(fmt.percent(s.get("share"), lang), None, s.get("share")),
                      Cell(fmt.number(s.get("median_distance_km"), lang, digits=1), None, s.get("median_distance_km")))
                     for i, s in enumerate(segments))
        blocks.append(Table("segments", tr("report.table.segments"), (tr("report.col.segment"), tr("report.col.respondents"), tr("report.col.share"), tr("report.col.median_km")), rows, (False, True, True, True), tr("report.note.suppressed", k=_k(ctx)), (None, "0", "0%", "0.0")))
    measures = r.get("measures") or []
    if measures:
        rows = []
        for i, m in enumerate(sorted(measures, key=lambda m: m.get("rank", 0))):
            eff = m.get("effect") or {}
            rows.append((Cell(fmt.integer(m.get("rank"), lang), None, m.get("rank")), Cell(measure_name(m, lang)),
                         Cell(ctx.label("family", str(m["family"])) if m.get("family") else fmt.SUPPRESSED),
                         Cell(fmt.number(m.get("score"), lang, digits=2), f"measures.{i}.score", m.get("score")),
                         Cell(fmt.percent(eff.get("low"), lang), f"measures.{i}.effect.low", eff.get("low")),
                         Cell(fmt.percent(eff.get("high"), lang), f"measures.{i}.effect.high", eff.get("high"))))
        blocks.append(Table("measure-scores", tr("report.table.measure_scores"), (tr("report.col.rank"), tr("report.col.measure"), tr("report.col.family"), tr("report.col.score"), tr("report.col.effect_low"), tr("report.col.effect_high")), tuple(rows), (True, False, False, True, True, True), None, ("0", None, None, "0.00", "0%", "0%")))
    for fig_name, png in sorted(ctx.external.items()):
        if fig_name not in ctx.placed:
            ctx.placed.add(fig_name)
            caption = tr(f"report.figure.{fig_name}") if has(f"report.figure.{fig_name}") else tr("report.figure.other")
            blocks.append(Figure(f"fig-{fig_name}", caption, png, caption))
    return Section("appendix", tr("report.section.appendix"), tuple(blocks))

