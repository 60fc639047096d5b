"""The decision-ready parts of the report: findings, the target, and the plan of measures.

Reads ``results["plan"]`` (:mod:`grontur.plan`) and ``results["measures"]``; every sentence comes
from the translation catalogue (``grontur/locale/report_plan.yaml``). A figure the publication
gate hid (``None``) is left out of the sentence that would carry it, never shown as a dash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grontur import _format as fmt
from grontur.report._text import (
    date_text,
    effect_is_assumption,
    measure_summary,
    privacy_k,
)
from grontur.report.model import (
    BulletList,
    Cell,
    Heading,
    Paragraph,
    Table,
)
from grontur.report.reasons import phrase

#: Words at most in a measure's "why here".
WHY_WORDS = 40


def _nok(value: float | None, lang: str) -> str:
    if value is None:
        return fmt.SUPPRESSED
    rounded = round(float(value), -3) if abs(value) >= 10_000 else round(float(value), -2)
    return fmt.integer(rounded, lang)


def _per_trip(value: float, lang: str) -> str:
    """NOK per car trip: whole kroner, one decimal below 10."""
    return fmt.number(float(value), lang, digits=0 if abs(value) >= 10 else 1)


def nok_range(values: Sequence[float] | None, lang: str) -> str:
    """"50 000–200 000" (or one figure when both ends are equal)."""
    if not values:
        return fmt.SUPPRESSED
    low, high = float(values[0]), float(values[1])
    return _nok(low, lang) if low == high else f"{_nok(low, lang)}–{_nok(high, lang)}"


def _band(band: Mapping[str, Any] | None, lang: str, digits: int = 0) -> tuple[str, str] | None:
    """("12", "8–15") for a {low, central, high} band; None when hidden."""
    if not isinstance(band, Mapping) or any(band.get(k) is None for k in ("low", "central", "high")):
        return None
    return (fmt.number(band["central"], lang, digits=digits),
            fmt.number_range(band["low"], band["high"], lang, digits=digits))


def _by_id(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(m.get("id")): m for m in results.get("measures") or []}


def _start_dates(results: Mapping[str, Any]) -> dict[str, str]:
    """The date each measure starts: the first anchoring step that puts it into practice (the
    pilot, procurement or property work), else the first step that names it."""
    starts: dict[str, str] = {}
    practical = ("pilot", "procurement", "property", "communication")
    steps = results.get("anchoring_plan") or []
    for kind in (practical, None):
        for step in steps:
            if kind is not None and step.get("step") not in kind:
                continue
            for mid in step.get("measures") or []:
                starts.setdefault(str(mid), str(step.get("start") or ""))
    return starts


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def findings(ctx: Any) -> list[str]:
    """Three to five plain findings, each resting on figures the gate published."""
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    out: list[str] = []
    shares = (r.get("plan") or {}).get("car_driver_share_now") or {}
    summer, winter = shares.get("summer"), shares.get("winter")
    if summer is not None and winter is not None and abs(summer - winter) >= 0.005:
        out.append(tr("report.plan.finding.car_share_seasons", summer=fmt.percent(summer, lang),
                      winter=fmt.percent(winter, lang)))
    elif summer is not None or winter is not None:
        out.append(tr("report.plan.finding.car_share", share=fmt.percent(summer if summer is not None else winter, lang)))
    barriers = ((r.get("habits") or {}).get("barriers") or {}).get("overall") or []
    named = [b for b in barriers if b.get("count") is not None and b.get("share") is not None]
    if len(named) >= 2:
        out.append(tr("report.plan.finding.barriers", first=ctx.label("barriers", str(named[0]["code"])),
                      first_share=fmt.percent(named[0]["share"], lang),
                      second=ctx.label("barriers", str(named[1]["code"])), second_share=fmt.percent(named[1]["share"], lang)))
    feasible = (r.get("potential") or {}).get("any_active_or_transit_feasible") or {}
    if feasible.get("share") is not None:
        out.append(tr("report.plan.finding.potential", share=fmt.percent(feasible["share"], lang)))
    em = r.get("emissions") or {}
    if em.get("tonnes_co2e_per_year") is not None and em.get("n_estimated"):
        out.append(tr("report.plan.finding.emissions", tonnes=fmt.number(em["tonnes_co2e_per_year"], lang, digits=0)))
    plan = r.get("plan") or {}
    trips = _band(plan.get("car_trips_per_day_avoided"), lang)
    if trips is not None and plan.get("measures"):
        out.append(tr("report.plan.finding.plan", n=len(plan["measures"]), trips=trips[0], trips_range=trips[1]))
    return out[:5]


def target_sentence(ctx: Any) -> str | None:
    """"Car-driver share 73 % → 59 % by 2030: about 49 fewer car commuters on an ordinary day"."""
    tr, lang = ctx.tr, ctx.lang
    target = ((ctx.results.get("plan") or {}).get("target")) or {}
    now, goal, fewer = target.get("car_driver_share_now"), target.get("car_driver_share_target"), target.get("fewer_car_commuters_per_day")
    if now is None or goal is None or fewer is None:
        return None
    key = "report.plan.target" if target.get("year") else "report.plan.target_no_year"
    return tr(key, now=fmt.percent(now, lang), goal=fmt.percent(goal, lang), year=target.get("year") or "",
              fewer=fmt.integer(fewer, lang))


def _part(ctx: Any, item: Mapping[str, Any], names: Mapping[str, str]) -> str:
    role = str(item.get("role"))
    if role == "core":
        return ctx.tr("report.plan.part.core")
    goes = ", ".join(names.get(str(g), str(g)) for g in item.get("goes_with") or [])
    return ctx.tr(f"report.plan.part.{role}", measures=goes)


def plan_table(ctx: Any) -> Table | None:
    """The plan: measure, part, who acts, NOK, start, fewer car trips a day (what it adds)."""
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    plan = r.get("plan") or {}
    items = plan.get("items") or []
    if not items:
        return None
    by_id = _by_id(r)
    names = {mid: ctx.measure_name(m) for mid, m in by_id.items()}
    starts = _start_dates(r)
    rows = []
    for i, item in enumerate(items):
        mid = str(item["id"])
        cost = item.get("cost_nok") or {}
        trips = _band(item.get("car_trips_per_day_avoided"), lang, digits=1)
        rows.append((
            Cell(fmt.integer(i + 1, lang)),
            Cell(names.get(mid, mid)),
            Cell(_part(ctx, item, names)),
            # the owner: the first actor the catalogue names (all of them are in the entry below)
            Cell(ctx.label("actor", str((item.get("actors") or ["?"])[0]))),
            Cell(nok_range(cost.get("one_off"), lang)),
            Cell(nok_range(cost.get("yearly"), lang)),
            Cell(_date(starts.get(mid), lang)),
            Cell(trips[0] if trips else fmt.SUPPRESSED, f"plan.items.{i}.car_trips_per_day_avoided.central",
                 (item.get("car_trips_per_day_avoided") or {}).get("central")),
        ))
    total = plan.get("cost_nok") or {}
    trips_total = _band(plan.get("car_trips_per_day_avoided"), lang, digits=1)
    rows.append((Cell(""), Cell(tr("report.plan.total")), Cell(""), Cell(""), Cell(nok_range(total.get("one_off"), lang)),
                 Cell(nok_range(total.get("yearly"), lang)), Cell(""),
                 Cell(trips_total[0] if trips_total else fmt.SUPPRESSED, "plan.car_trips_per_day_avoided.central",
                      (plan.get("car_trips_per_day_avoided") or {}).get("central"))))
    header = (tr("report.col.rank"), tr("report.col.measure"), tr("report.plan.col.part"), tr("report.col.owner"),
              tr("report.plan.col.one_off"), tr("report.plan.col.yearly"), tr("report.col.start"),
              tr("report.plan.col.trips"))
    return Table("plan", tr("report.plan.table"), header, tuple(rows),
                 (True, False, False, False, True, True, False, True), tr("report.plan.table_note"),
                 ("0", None, None, None, None, None, None, "0.0"))


def _date(value: str | None, lang: str) -> str:
    if not value:
        return fmt.SUPPRESSED
    return date_text(value, lang)


def plan_totals(ctx: Any) -> Paragraph | None:
    tr, lang = ctx.tr, ctx.lang
    plan = ctx.results.get("plan") or {}
    trips = _band(plan.get("car_trips_per_day_avoided"), lang)
    tonnes = _band(plan.get("tonnes_co2e_avoided"), lang, digits=1)
    if trips is None:
        return None
    if tonnes is None:
        return Paragraph(tr("report.plan.totals_trips", trips=trips[0], trips_range=trips[1]))
    return Paragraph(tr("report.plan.totals", trips=trips[0], trips_range=trips[1], tonnes=tonnes[0],
                        tonnes_range=tonnes[1]))


def why_here(ctx: Any, measure: Mapping[str, Any]) -> str:
    """At most about 40 words: who it reaches, and the strongest answer it meets."""
    reasons = [r for r in measure.get("reasons") or [] if isinstance(r, Mapping)]
    picked: list[str] = []
    for prefix in ("rank.reason.reach", "rank.reason.feasible", "rank.reason.barriers", "rank.reason.would_help",
                   "rank.reason.participants"):
        for reason in reasons:
            if not str(reason.get("key", "")).startswith(prefix):
                continue
            hidden = any(value is None for name, value in reason.items() if name.startswith("n"))
            # the group sentence always comes first (said "some … not shown" when hidden), so
            # "… of them" that follows has its referent; other hidden counts are left out
            if not hidden or prefix == "rank.reason.reach":
                picked.append(phrase(reason, ctx.lang, k=privacy_k(ctx.results)))
            break
    words: list[str] = []
    for sentence in picked:
        sentence = sentence if sentence.endswith(".") else sentence + "."
        if words and len(words) + len(sentence.split()) > WHY_WORDS:
            break
        words.extend(sentence.split())
    return " ".join(words)


def measure_entries(ctx: Any) -> list[Any]:
    """Each measure of the plan as a short entry: a heading, what it involves and why here, then
    one line of facts (part, cost, effect, NOK per trip, who, when, basis)."""
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    plan = r.get("plan") or {}
    by_id = _by_id(r)
    names = {mid: ctx.measure_name(m) for mid, m in by_id.items()}
    starts = _start_dates(r)
    out: list[Any] = []
    for i, item in enumerate(plan.get("items") or []):
        mid = str(item["id"])
        measure = by_id.get(mid, {})
        cost = item.get("cost_nok") or {}
        trips = _band(item.get("car_trips_per_day_avoided"), lang, digits=1)
        tonnes = _band(item.get("tonnes_co2e_avoided"), lang, digits=1)
        facts = [(tr("report.plan.fact.part"), _part(ctx, item, names))] if item.get("role") != "core" else []
        facts += [(tr("report.plan.fact.cost"), tr("report.plan.cost_text", one_off=nok_range(cost.get("one_off"), lang),
                                                  yearly=nok_range(cost.get("yearly"), lang)))]
        if trips is not None:
            effect = tr("report.plan.effect_text", trips=trips[0], trips_range=trips[1])
            if tonnes is not None:
                effect += " " + tr("report.plan.effect_tonnes", tonnes=tonnes[0])
            facts.append((tr("report.plan.fact.effect"), effect))
        per_trip = ((measure.get("cost_effectiveness") or {}).get("nok_per_car_trip") or {}).get("central")
        if per_trip is not None:
            facts.append((tr("report.plan.fact.per_trip"), tr("report.plan.per_trip_text", nok=_per_trip(per_trip, lang))))
        facts.append((tr("report.plan.fact.who"), ", ".join(ctx.label("actor", a) for a in item.get("actors") or [])))
        facts.append((tr("report.plan.fact.when"), tr("report.plan.when_text", start=_date(starts.get(mid), lang),
                                                      time=_lower(ctx.label("time", str(item.get("time_to_effect")))))))
        if effect_is_assumption(measure):
            facts.append((tr("report.plan.fact.basis"), tr("report.plan.assumption")))
        summary = measure_summary(measure, lang, results_lang=ctx.results_lang)
        out.append(Heading(f"{i + 1}. {names.get(mid, mid)}", level=4))
        out.append(Paragraph(" ".join(t for t in (summary, why_here(ctx, measure)) if t)))
        out.append(Paragraph(" · ".join(f"{label}: {value}" for label, value in facts), kind="note"))
    return out


def consider_next_table(ctx: Any, limit: int = 8) -> Table | None:
    tr, lang, r = ctx.tr, ctx.lang, ctx.results
    plan = r.get("plan") or {}
    by_id = _by_id(r)
    rows = []
    for mid in list(plan.get("consider_next") or [])[:limit]:
        m = by_id.get(str(mid))
        if m is None:
            continue
        trips = _band(m.get("car_trips_per_day_avoided"), lang, digits=1)
        per_trip = ((m.get("cost_effectiveness") or {}).get("nok_per_car_trip") or {}).get("central")
        rows.append((Cell(ctx.measure_name(m)), Cell(trips[0] if trips else fmt.SUPPRESSED),
                     Cell(nok_range((m.get("cost_nok") or {}).get("one_off"), lang)),
                     Cell(nok_range((m.get("cost_nok") or {}).get("yearly"), lang)),
                     Cell(_per_trip(per_trip, lang) if per_trip is not None else fmt.SUPPRESSED)))
    if not rows:
        return None
    header = (tr("report.col.measure"), tr("report.plan.col.trips_alone"), tr("report.plan.col.one_off"),
              tr("report.plan.col.yearly"), tr("report.plan.col.per_trip"))
    more = len(plan.get("consider_next") or []) - len(rows)
    note = tr("report.plan.consider_note") + (" " + tr("report.plan.consider_more", n=more) if more > 0 else "")
    return Table("consider-next", tr("report.plan.consider_table"), header, tuple(rows),
                 (False, True, True, True, True), note, (None, "0.0", None, None, None))


def not_suited_list(ctx: Any) -> BulletList | None:
    tr = ctx.tr
    plan = ctx.results.get("plan") or {}
    names = {mid: ctx.measure_name(m) for mid, m in _by_id(ctx.results).items()}
    names.update({str(x.get("id")): ctx.measure_name(x) for x in ctx.results.get("excluded_measures") or []})
    items = []
    for entry in plan.get("not_suited") or []:
        reason = entry.get("reason")
        text = phrase(reason, ctx.lang, k=privacy_k(ctx.results)) if isinstance(reason, Mapping) else str(reason)
        items.append(tr("report.measures.excluded_item", name=names.get(str(entry.get("id")), str(entry.get("id"))),
                        reason=text))
    return BulletList(tuple(items)) if items else None


def summary_blocks(ctx: Any) -> list[Any]:
    """Findings, the target and the plan for the report's first pages."""
    tr = ctx.tr
    blocks: list[Any] = []
    found = findings(ctx)
    if found:
        blocks += [Heading(tr("report.plan.findings")), BulletList(tuple(found))]
    target = target_sentence(ctx)
    if target:
        blocks += [Heading(tr("report.plan.target_title")), Paragraph(target)]
        assumed = ((ctx.results.get("plan") or {}).get("target") or {}).get("year_from") == "repeat_survey"
        if assumed:
            blocks.append(Paragraph(tr("report.plan.target_year_note"), kind="note"))
    table = plan_table(ctx)
    if table is not None:
        blocks += [Heading(tr("report.plan.title")), table]
        totals = plan_totals(ctx)
        if totals is not None:
            blocks.append(totals)
    return blocks


def measure_blocks(ctx: Any) -> list[Any]:
    """The measures section: the plan's measures as cards, consider next, not suited here."""
    tr = ctx.tr
    plan = ctx.results.get("plan") or {}
    blocks: list[Any] = [Paragraph(tr("report.plan.lead", now=len(plan.get("measures") or []),
                                      next=len(plan.get("consider_next") or []),
                                      not_suited=len(plan.get("not_suited") or [])))]
    entries = measure_entries(ctx)
    if entries:
        blocks += [Heading(tr("report.plan.now_title")), *entries, Paragraph(tr("report.plan.overlap_note"), kind="note")]
    table = consider_next_table(ctx)
    if table is not None:
        blocks += [Heading(tr("report.plan.consider_title")), table]
    suited = not_suited_list(ctx)
    if suited is not None:
        blocks += [Heading(tr("report.plan.not_suited_title")), suited]
    return blocks
