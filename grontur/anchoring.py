"""The anchoring plan (forankring): who must decide what, in which order, and when.

The steps, owners, bodies, durations and dependencies come from the template
``measures/anchoring.yaml``; the selected measures' ``anchoring``, ``actors``, ``family`` and
cost class say which steps a plan needs. Dates follow the municipal year: budget-dependent
measures start after the next December budget decision, a Klimasats application waits for the
next deadline, a pilot runs over one whole season, and the repeat survey falls in the same
season as the baseline survey one year later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grontur._yaml import read_yaml
from grontur.errors import CatalogueError, ConfigError
from grontur.i18n import LANGUAGES, check_language, t
from grontur.resources import data_path

logger = logging.getLogger(__name__)

STEP_IDS = (
    "mandate", "leader_group", "unions", "amu", "partssammensett_utval", "property", "budget",
    "klimasats", "communication", "pilot", "repeat_survey", "decision", "climate_plan",
    "procurement", "county_dialogue",
)
TIMINGS = ("weeks", "budget_decision", "klimasats", "season", "same_season_as_baseline")


# ---------------------------------------------------------------------------------------------
# Template

@dataclass(frozen=True)
class StepTemplate:
    id: str
    title: Mapping[str, str]
    owner: str
    bodies: tuple[str, ...]
    weeks: float
    depends_on: tuple[str, ...]
    always: bool
    include: Mapping[str, tuple[str, ...]]
    timing: str = "weeks"
    measure_steps: tuple[str, ...] = ()
    deferred_by: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    steps: tuple[StepTemplate, ...]
    calendar: Mapping[str, Any]
    file: str

    def step(self, step_id: str) -> StepTemplate:
        return next(s for s in self.steps if s.id == step_id)


#: Parsed templates by (file, modification time, size): read once per process, again when edited.
_TEMPLATES: dict[tuple[str, int, int], Template] = {}


def load_template(path: str | Path | None = None) -> Template:
    """Read and check the anchoring template (default ``measures/anchoring.yaml``).

    The parsed template is kept for the process and read again only when the file changes, so a
    national run does not parse the YAML once per municipality.
    """
    file = Path(path) if path is not None else data_path("measures", "anchoring.yaml")
    try:
        stat = file.stat()
    except OSError:
        return _read_template(file)
    key = (str(file), stat.st_mtime_ns, stat.st_size)
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = _read_template(file)
    return template


def _names(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A list field of codes or step ids (missing = empty)."""
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogueError(f"{where}: field '{key}' must be a list of codes such as [hr, amu], not {value!r}.")
    return tuple(value)


def _read_template(file: Path) -> Template:
    data = read_yaml(file, error=CatalogueError, advice="fix or restore the anchoring template") or {}
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{file}: the anchoring template must be a mapping with 'calendar' and 'steps'.")
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise CatalogueError(f"{file}: field 'steps' must be a list of steps.")
    steps: list[StepTemplate] = []
    seen: set[str] = set()
    for index, raw in enumerate(steps_raw):
        where = f"{file}: steps[{index}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            raise CatalogueError(f"{where} needs an 'id'.")
        sid = raw["id"]
        where = f"{file}: step {sid!r}"
        if sid in seen:
            raise CatalogueError(f"{where} appears twice; keep one.")
        title = raw.get("title")
        if not isinstance(title, Mapping) or set(title) != set(LANGUAGES):
            raise CatalogueError(f"{where}: field 'title' needs exactly nn, nb and en.")
        depends = _names(raw, "depends_on", where)
        for dep in depends:
            if dep not in seen:
                raise CatalogueError(f"{where}: field 'depends_on' names {dep!r}, which is not an earlier step; order the steps so each follows what it depends on.")
        timing = str(raw.get("timing") or "weeks")
        if timing not in TIMINGS:
            raise CatalogueError(f"{where}: field 'timing' is {timing!r}; use one of {', '.join(TIMINGS)}.")
        weeks = raw.get("weeks", 0)
        if isinstance(weeks, bool) or not isinstance(weeks, (int, float)) or weeks < 0:
            raise CatalogueError(f"{where}: field 'weeks' is {weeks!r}; give a number of weeks of 0 or more.")
        include = raw.get("include") or {}
        if not isinstance(include, Mapping):
            raise CatalogueError(f"{where}: field 'include' must be a mapping.")
        for key, value in include.items():
            if key != "always" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise CatalogueError(f"{where}: field 'include.{key}' must be a list of codes, not {value!r}.")
        if not isinstance(raw.get("owner"), str):
            raise CatalogueError(f"{where}: field 'owner' is missing; name who is responsible.")
        steps.append(StepTemplate(
            id=sid,
            title={lang: str(title[lang]) for lang in LANGUAGES},
            owner=raw["owner"],
            bodies=_names(raw, "bodies", where),
            weeks=float(weeks),
            actors=_names(raw, "actors", where),
            depends_on=depends,
            always=bool(include.get("always", False)),
            include={key: tuple(value) for key, value in include.items() if key != "always"},
            timing=timing,
            measure_steps=_names(raw, "measure_steps", where),
            deferred_by=_names(raw, "deferred_by", where),
        ))
        seen.add(sid)
    calendar = data.get("calendar")
    if not isinstance(calendar, Mapping):
        raise CatalogueError(f"{file}: field 'calendar' is missing; restore it from the shipped template.")
    return Template(steps=tuple(steps), calendar=calendar, file=str(file))


# ---------------------------------------------------------------------------------------------
# Plan

@dataclass(frozen=True)
class PlanStep:
    step: str
    title: Mapping[str, str]
    owner: str
    start: dt.date
    end: dt.date
    depends_on: tuple[str, ...]
    measures: tuple[str, ...]
    bodies: tuple[str, ...]
    actors: tuple[str, ...] = ()

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "step": self.step,
            "title": self.title[lang],
            "owner": self.owner,
            "owner_label": t(f"anchoring.owner.{self.owner}", lang),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "depends_on": list(self.depends_on),
            "measures": list(self.measures),
            "bodies": list(self.bodies),
            "body_labels": [t(f"anchoring.body.{body}", lang) for body in self.bodies],
            "actors": list(self.actors),
        }


@dataclass(frozen=True)
class AnchoringPlan:
    """The filled-in plan; ``as_dict()`` gives ``results["anchoring_plan"]``."""

    steps: tuple[PlanStep, ...]
    start: dt.date
    baseline: dt.date
    lang: str
    measures: tuple[str, ...]
    milestones: tuple[tuple[str, dt.date], ...] = field(default=())

    def get(self, step_id: str) -> PlanStep | None:
        return next((s for s in self.steps if s.step == step_id), None)

    def as_dict(self, lang: str | None = None) -> list[dict[str, Any]]:
        lang = check_language(lang or self.lang)
        return [step.as_dict(lang) for step in self.steps]


def _selected(ranking: Any, top_n: int) -> list[dict[str, Any]]:
    """The measures the plan carries, as plain dicts with id, family, actors, anchoring and
    cost_class: the measures recommended now (the ranking's plan) when there is one, else the
    top ``top_n`` of the ranking."""
    items = getattr(ranking, "measures", None)
    if items is None and isinstance(ranking, Mapping):
        items = ranking.get("measures", [])
    items = list(items or [])
    status = [(item.get("status") if isinstance(item, Mapping) else getattr(item, "status", None)) for item in items]
    if "plan" in status:
        items = [item for item, s in zip(items, status, strict=True) if s == "plan"]
    result = []
    for item in items[:top_n]:
        get = item.get if isinstance(item, Mapping) else (lambda key, default=None, obj=item: getattr(obj, key, default))
        result.append({
            "id": str(get("id")),
            "family": get("family"),
            "actors": tuple(get("actors") or ()),
            "anchoring": tuple(get("anchoring") or ()),
            "cost_class": get("cost_class"),
        })
    return result


#: The fields of a selected measure a catalogue entry fills in when the ranking left them empty.
_FILLED = ("family", "actors", "anchoring", "cost_class")


def _fill_from_catalogue(measures: list[dict[str, Any]], catalogue: Any) -> None:
    # A ranked measure has them all: only a ranking dict may lack some.
    lacking = [item for item in measures if not all(item[key] for key in _FILLED)]
    if catalogue is None or not lacking:
        return
    from grontur.rank import MeasureRules, iter_measures

    try:
        by_id = {str(getattr(m, "id", None) if not isinstance(m, Mapping) else m.get("id")): m for m in iter_measures(catalogue)}
    except TypeError:
        return
    for item in lacking:
        entry = by_id.get(item["id"])
        if entry is None:
            continue
        rules = MeasureRules.from_measure(entry)
        item["family"] = item["family"] or rules.family
        item["actors"] = item["actors"] or rules.actors
        item["anchoring"] = item["anchoring"] or rules.anchoring
        item["cost_class"] = item["cost_class"] or rules.cost_class


def _triggers(step: StepTemplate, measure: Mapping[str, Any], triggered: Mapping[str, Sequence[str]]) -> bool:
    if step.id in measure["anchoring"]:
        return True
    if any(measure["id"] in triggered.get(other, ()) for other in step.include.get("steps", ())):
        return True
    include = step.include
    if set(include.get("actors", ())) & set(measure["actors"]):
        return True
    if measure["family"] in include.get("families", ()):
        return True
    return measure["cost_class"] in include.get("cost_class", ())


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 7:  # a wave such as 2025-03
            return dt.date.fromisoformat(f"{text}-01")
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ConfigError(f"The {name} date {value!r} is not a date; write it as YYYY-MM-DD.") from None


def _month_day(year: int, spec: Mapping[str, Any]) -> dt.date:
    return dt.date(year, int(spec["month"]), int(spec["day"]))


def _next_on_or_after(day: dt.date, spec: Mapping[str, Any]) -> dt.date:
    candidate = _month_day(day.year, spec)
    return candidate if candidate >= day else _month_day(day.year + 1, spec)


def _season_window(after: dt.date, season: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    start = _next_on_or_after(after, season["start"])
    end = _next_on_or_after(start, season["end"])
    return start, end


def _pilot_window(ready: dt.date, cal: Mapping[str, Any], families: AbstractSet[Any]) -> tuple[dt.date, dt.date]:
    """The earliest season window for a pilot ready on ``ready`` (see the template's calendar)."""
    seasons = list(cal.get("pilot_seasons") or ["summer"])
    by_family = cal.get("pilot_season_by_family") or {}
    forced = {by_family[f] for f in families if f in by_family}
    if forced:
        seasons = [s for s in seasons if s in forced] or sorted(forced)
    late = dt.timedelta(weeks=float(cal.get("pilot_late_start_weeks", 0)))
    options = []
    for name in seasons:
        season = cal["seasons"][name]
        # the season that began most recently, if the pilot can still join it
        begun = _next_on_or_after(ready - dt.timedelta(days=366), season["start"])
        while _next_on_or_after(begun + dt.timedelta(days=1), season["start"]) <= ready:
            begun = _next_on_or_after(begun + dt.timedelta(days=1), season["start"])
        if begun <= ready <= begun + late:
            options.append((ready, _next_on_or_after(begun, season["end"])))
        options.append(_season_window(ready, season))
    return min(options)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def build_plan(
    ranking: Any,
    *,
    catalogue: Any = None,
    start: dt.date | str,
    top_n: int = 10,
    lang: str = "nn",
    baseline: dt.date | str | None = None,
    template: str | Path | Template | None = None,
) -> AnchoringPlan:
    """Fill in the anchoring template for the top measures of a ranking.

    Parameters
    ----------
    ranking
        A :class:`grontur.rank.Ranking` (or its ``as_dict()``).
    catalogue
        The catalogue, used to complete fields a ranking dict lacks.
    start
        First day of the plan.
    top_n
        How many of the top-ranked measures the plan carries.
    lang
        Language of step titles in ``as_dict``; ``None`` means nynorsk.
    baseline
        Date (or wave ``YYYY-MM``) of the baseline survey; the repeat survey falls in the same
        season one or more years later. Default: ``start``.
    template
        Another template file (default ``measures/anchoring.yaml``).
    """
    lang = check_language(lang or "nn")
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise ConfigError(f"top_n={top_n!r}: give the number of measures the plan carries as a whole number of 1 or more.")
    tpl = template if isinstance(template, Template) else load_template(template)
    start_date = _as_date(start, "plan start")
    baseline_date = _as_date(baseline, "baseline survey") if baseline is not None else start_date
    measures = _selected(ranking, top_n)
    _fill_from_catalogue(measures, catalogue)
    known = {s.id for s in tpl.steps}
    for item in measures:
        unknown = [a for a in item["anchoring"] if a not in known]
        if unknown:
            logger.warning("measure %s names anchoring steps not in the template: %s", item["id"], ", ".join(unknown))

    triggered: dict[str, list[str]] = {}
    for step in tpl.steps:
        ids = [m["id"] for m in measures if _triggers(step, m, triggered)]
        if step.always or ids:
            triggered[step.id] = ids if not step.always else [m["id"] for m in measures]
    included = [s for s in tpl.steps if s.id in triggered]
    included_ids = {s.id for s in included}

    def resolve(deps: Sequence[str]) -> list[str]:
        out: list[str] = []
        for dep in deps:
            if dep in included_ids:
                out.append(dep)
            else:
                out.extend(resolve(tpl.step(dep).depends_on))
        return list(dict.fromkeys(out))

    cal = tpl.calendar
    ends: dict[str, dt.date] = {}
    plan_steps: list[PlanStep] = []
    milestones: list[tuple[str, dt.date]] = []
    by_id = {m["id"]: m for m in measures}
    for step in included:
        deps = resolve(step.depends_on)
        step_measures = list(triggered[step.id])
        if step.measure_steps or step.deferred_by:
            deferred = [mid for mid in step_measures
                        if any(mid in triggered.get(d, ()) and not tpl.step(d).always for d in step.deferred_by)]
            kept = [mid for mid in step_measures if mid not in deferred] or step_measures
            if kept == step_measures and deferred:
                # every measure needs the budget: the pilot waits for it
                deps.extend(d for d in step.deferred_by if d in included_ids)
            for extra in step.measure_steps:
                if extra in included_ids and any(mid in triggered[extra] for mid in kept):
                    deps.append(extra)
            step_measures = kept
            deps = list(dict.fromkeys(deps))
        ready = max([start_date] + [ends[d] + dt.timedelta(days=1) for d in deps])
        if "budget" in deps:
            year_start = _month_day(ends["budget"].year + 1, cal["budget_year_start"])
            ready = max(ready, year_start)
        families = {by_id[mid]["family"] for mid in step_measures if mid in by_id}
        begin, end = _schedule(step, ready, cal, baseline_date, families=families)
        if step.timing == "budget_decision":
            milestones.append(("budget_decision", end))
        elif step.timing == "klimasats":
            deadline = end - dt.timedelta(weeks=float(cal["klimasats_decision_weeks"]))
            milestones.append(("klimasats_deadline", deadline))
        ends[step.id] = end
        plan_steps.append(PlanStep(step=step.id, title=step.title, owner=step.owner, start=begin, end=end,
                                   depends_on=tuple(deps), measures=tuple(m for m in step_measures if m in by_id),
                                   bodies=step.bodies, actors=step.actors))
    plan_steps.sort(key=lambda s: (s.start, STEP_IDS.index(s.step) if s.step in STEP_IDS else 99, s.step))
    logger.info("anchoring plan: %d steps for %d measures, %s to %s", len(plan_steps), len(measures),
                plan_steps[0].start if plan_steps else start_date, max((s.end for s in plan_steps), default=start_date))
    return AnchoringPlan(steps=tuple(plan_steps), start=start_date, baseline=baseline_date, lang=lang,
                         measures=tuple(m["id"] for m in measures), milestones=tuple(milestones))


def _schedule(step: StepTemplate, ready: dt.date, cal: Mapping[str, Any], baseline: dt.date, *,
              families: AbstractSet[Any] = frozenset()) -> tuple[dt.date, dt.date]:
    """Start and end of a step that may begin on ``ready``."""
    if step.timing == "budget_decision":
        prep = dt.timedelta(weeks=float(cal.get("budget_preparation_weeks", 0)))
        decision = _next_on_or_after(ready + prep, cal["budget_decision"])
        return ready, decision
    if step.timing == "klimasats":
        prep = dt.timedelta(weeks=float(cal.get("klimasats_preparation_weeks", 0)))
        deadline = _next_on_or_after(ready + prep, cal["klimasats_deadline"])
        # the application is written in the weeks before the deadline it aims at
        return max(ready, deadline - prep), deadline + dt.timedelta(weeks=float(cal.get("klimasats_decision_weeks", 0)))
    if step.timing == "season":
        return _pilot_window(ready, cal, families)
    if step.timing == "same_season_as_baseline":
        years = 1
        begin = _add_years(baseline, years)
        while begin < ready:
            years += 1
            begin = _add_years(baseline, years)
        return begin, begin + dt.timedelta(weeks=step.weeks) - dt.timedelta(days=1)
    length = dt.timedelta(weeks=step.weeks)
    return ready, ready + max(length - dt.timedelta(days=1), dt.timedelta(0))


# ---------------------------------------------------------------------------------------------
# Timeline chart
