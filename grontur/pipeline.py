"""Orchestration: run the stages in order for one municipality, or for the demo network.

Every command describes its work as a :class:`RunRequest` and calls :func:`run` (``analyse``,
``compare``, the notebook) or :func:`run_network` (``demo``), so the same data and project give
the same figures whichever command produced them. This module only wires stages together; each stage's logic lives in its own module. It reads
the files it is given, writes outputs atomically (:mod:`grontur.outputs`) and never prints.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grontur import anchoring, describe, emissions, potential, rank, segment
from grontur import catalogue as catalogue_mod
from grontur import evidence as evidence_mod
from grontur._threads import on_one_blas_thread
from grontur.config import Project, load_project, project_for
from grontur.drawn import DrawnLater, draw_map, draw_timeline
from grontur.errors import ConfigError, GronturError
from grontur.outputs import (
    output_folder,
    output_lock,
    refuse_inputs_inside,
    staged_folder,
    write_csv,
    write_json,
)
from grontur.publish import Ledger
from grontur.resources import data_dir
from grontur.results import (
    Base,
    Municipality,
    QualitySummary,
    RespondentAccount,
    Results,
    SiteContext,
    to_jsonable,
)
from grontur.threshold import DEFAULT_K

log = logging.getLogger(__name__)

DEFAULT_FORMATS = ("html", "docx", "xlsx")
#: Every file one analysis can write into its folder.
OUTPUT_NAMES = frozenset({
    "results.json", "quality.csv", "quarantine.csv", "cleaned.csv", "comparison.json", "comparison.html",
    "report.html", "report.docx", "measures.xlsx", "report.pdf",
})


def _figure_drawers(plan: Any, geo_section: Mapping[str, Any] | None, enriched: Any,
                    lang: str) -> dict[str, Callable[[], Any]]:
    """What draws each figure of one analysis: the home-area and potential maps (with geodata)
    and the anchoring timeline."""
    drawers: dict[str, Callable[[], Any]] = {}
    if geo_section is not None and enriched is not None:
        drawers["home_area_map"] = partial(draw_map, enriched, geo_section, lang, "car_share")
        drawers["potential_map"] = partial(draw_map, enriched, geo_section, lang, "potential")
    drawers["anchoring_timeline"] = partial(draw_timeline, plan, lang)
    return drawers


@dataclass
class Analysis:
    """One municipality's analysis: the results, the cleaned table, and what was found in the input."""

    project: Project
    results: dict[str, Any]
    table: pd.DataFrame
    issues: pd.DataFrame
    quarantine: pd.DataFrame
    #: Figures by name (:class:`DrawnLater`: drawn when a report first reads them).
    figures: Mapping[str, Any] = field(default_factory=dict)
    comparison: dict[str, Any] | None = None
    #: The follow-up wave's cleaned table when the outputs compare two waves (for the release log).
    followup_table: pd.DataFrame | None = None
    #: The release log's clearance of the last write (:mod:`grontur.releases`): what it replaced.
    release: Any = None
    #: The typed model ``results`` (the content of results.json) was written from.
    model: Results | None = None


# ---------------------------------------------------------------------------------------------
# One municipality

def build_context(project: Project, table: pd.DataFrame) -> dict[str, Any]:
    """The site and municipality context the ranker needs, from the project and the table."""
    shift = table["shift_work"] if "shift_work" in table else pd.Series(dtype="boolean")
    # None when the survey did not ask: "0 % work shifts" would be a finding nobody made.
    shift_share = None
    if shift.notna().any():
        said = shift.astype("boolean").to_numpy(dtype="float64", na_value=np.nan)  # yes 1, no 0
        shift_share = float(said[~np.isnan(said)].mean())  # the share of yes among those who answered
    parking = project.context.get("parking_at_work")
    sources = {"transit_service": "given" if "transit_service" in project.context else "assumed",
               "parking_at_work": "given" if parking is not None else "assumed",
               "rurality": "given" if "rurality" in project.context else "assumed"}
    if parking is None and "parking_at_work" in table:
        parking = _most_given(table["parking_at_work"])
        if parking is not None:
            sources["parking_at_work"] = "answers"
    facilities = dict(project.context.get("facilities") or {})
    return {
        "municipality": {
            "number": project.number,
            "name": project.name,
            "employees": project.employees,
            "rurality": project.context.get("rurality", CONTEXT_DEFAULTS["rurality"]),
        },
        "transit_service": project.context.get("transit_service", CONTEXT_DEFAULTS["transit_service"]),
        "parking_at_work": parking or CONTEXT_DEFAULTS["parking_at_work"],
        "facilities": facilities,
        "shift_share": shift_share,
        "respondents": len(table),
        "run_year": project.run_date.year if project.run_date is not None else None,
        "target_year": project.context.get("target_year"),
        "capacity": dict(project.context.get("capacity") or {}),
        # A default is an assumption: where each site fact came from (given in the project or on
        # the command line, the most common survey answer, or assumed), and the assumed ones.
        "sources": sources,
        "assumed": sorted(key for key, source in sources.items() if source == "assumed"),
        "facilities_not_given": [name for name in catalogue_mod.FACILITIES if name not in facilities],
    }


def _most_given(answers: pd.Series) -> str | None:
    """The answer (a text code) given most often besides ``unknown``, of those given equally often
    the first in order (as ``Series.mode`` picks it); None when nobody gave one."""
    counted = Counter(value for value in answers.tolist() if isinstance(value, str) and value != "unknown")
    if not counted:
        return None
    most = max(counted.values())
    return min(value for value, count in counted.items() if count == most)


def _target_by_repeat_survey(plan: dict[str, Any] | None, steps: Sequence[Mapping[str, Any]]) -> None:
    """A target year nobody gave is the year the anchoring plan's repeat survey measures it."""
    if not plan or not plan["target"].get("year_assumed"):
        return
    repeat = next((step for step in steps if step.get("step") == "repeat_survey"), None)
    if repeat is not None and repeat.get("end"):
        plan["target"]["year"] = int(str(repeat["end"])[:4])
        plan["target"]["year_from"] = "repeat_survey"


def seasons_asked(imported: Any) -> int | None:
    """1 when the import filled both seasons from one mode question (or one weekday grid);
    None (count the mode columns) otherwise."""
    notes = (getattr(imported, "mapping_report", None) or {}).get("notes") or []
    return 1 if any(note.get("note") == "one_mode_for_both_seasons" for note in notes) else None


#: What the ranking assumes when the project does not say (each listed in ``context.assumed``).
CONTEXT_DEFAULTS = {"transit_service": "poor", "parking_at_work": "free", "rurality": "rural"}


# Its matrices are small (a municipality's respondents by a few dozen measures or features): BLAS
# threads that wait for work cost more CPU than they save, and the network's workers run side by side.
@on_one_blas_thread
def analyse_imported(
    imported: Any,
    *,
    project: Project,
    lang: str | None = None,
    catalogue: Any = None,
    evidence: Sequence[Any] | None = None,
    draw_figures: bool = True,
    followup: Any = None,
    control: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    quantities: describe.RowQuantities | None = None,
    renderer: Any = None,
) -> Analysis:
    """Run every analysis stage on an imported survey (an :class:`grontur.importing.ImportResult`).

    The figures (anchoring timeline, home-area and potential maps) are drawn when first read,
    by a report that shows them (:class:`DrawnLater`): a run that renders no such report draws
    none. With ``draw_figures=False`` the analysis has no figures at all. A ``renderer``
    (:class:`grontur.report.background.Renderer`) starts drawing the anchoring timeline as soon as
    the plan is made.

    With ``followup`` (the import of the repeat survey) the two waves are compared, and the
    project's pilots evaluated (against ``control``, the comparison municipality's two tables,
    when given): the comparison's baseline figures are registered with the same gate as the
    analysis of that baseline, so a figure hidden in one section is hidden in the comparison too.

    ``quantities`` are the per-row quantities of the table when the caller computed them already
    (:func:`analyse_many`, over the whole network's table); used when they fit the table.
    """
    lang = lang or project.language
    k = project.k
    # The maps are drawn once the gate has decided which areas are shown (below).
    table, enriched = prepare_table(imported, project=project, lang=lang, draw_figures=False)
    from grontur.importing import with_generalisation_issues

    # quality.csv counts what cleaned.csv generalises at this project's k (see write_analysis)
    issue_frames = [with_generalisation_issues(imported.issues, imported.table, project.k)]
    if enriched is not None:
        issue_frames.append(enriched.issues)

    context = build_context(project, table)
    # Every stage registers the counts it may publish with one gate, which decides what is shown
    # for all of them at once (grontur.publish).
    ledger = Ledger(len(table), k)
    asked = seasons_asked(imported)
    # Days on site and trips per row, computed once and shared by the sections that use them.
    quantities = describe.row_quantities(table, describe.load_settings(), quantities)
    habits = describe.describe(table, k=k, employees=project.employees, ledger=ledger, seasons_asked=asked,
                               quantities=quantities)
    emission = emissions.compute_emissions(table, k=k, employees=project.employees, quantities=quantities)
    emission_section = emission.section(ledger)
    switching = potential.compute_potential(
        table, emissions=emission, k=k, transit_service=context["transit_service"]
    )
    potential_section = switching.section(ledger)
    geo_section: dict[str, Any] | None = None
    if enriched is not None:
        if len(enriched.areas):
            enriched = enriched.with_potential(switching.any_feasible().astype(float))
        geo_section = enriched.section(ledger)
    segmented = segment.segment_respondents(table, k=k, random_state=0, ledger=ledger, seasons_asked=asked)
    table["segment"] = segmented.labels.reindex(table.index)

    cat = catalogue if catalogue is not None else catalogue_mod.load_catalogue(extra=project.catalogue)
    records = list(evidence) if evidence is not None else evidence_mod.load_evidence()
    ranking = rank.rank_measures(
        table,
        catalogue=cat,
        segments=segmented,
        emissions=emission,
        potential=switching,
        context=context,
        weights=dict(project.weights) or None,
        evidence=records,
        k=k,
        lang=lang,
        ledger=ledger,
    )
    start = project.plan_start or _next_monday(project.run_date)
    plan = anchoring.build_plan(ranking, catalogue=cat, start=start, lang=lang, baseline=project.wave)
    if renderer is not None and draw_figures:
        # the timeline shows the plan, not gated figures: drawn over there while the gate decides
        renderer.draw_ahead("anchoring_timeline", partial(draw_timeline, plan, lang))

    issues = pd.concat([frame for frame in issue_frames if frame is not None and len(frame)], ignore_index=True) \
        if any(frame is not None and len(frame) for frame in issue_frames) else imported.issues.iloc[0:0]
    draft = None
    if followup is not None:
        draft = register_comparison_of(project, table, followup, control=control, lang=lang, ledger=ledger,
                                       mapping_report=imported.mapping_report)
    publication = ledger.decide()
    comparison = to_jsonable(draft.publish(publication).as_dict()) if draft is not None else None
    habits = publication.resolve(habits)
    if geo_section is not None:
        geo_section = to_jsonable(publication.resolve(geo_section))
    figures: Mapping[str, Any] = DrawnLater(_figure_drawers(plan, geo_section, enriched, lang)) \
        if draw_figures else {}
    segmented = segmented.published(publication)
    ranking = ranking.published(publication)
    ranking_dict = ranking.as_dict(lang)
    steps = plan.as_dict()
    _target_by_repeat_survey(ranking_dict.get("plan"), steps)
    segments_dict = segmented.as_dict()
    model = Results(
        generated=project.run_date,
        municipality=Municipality(number=project.number, name=project.name, language=lang),
        respondents=RespondentAccount.of_import(imported, project.employees),
        mode_share=describe.mode_shares_of(habits),
        habits=habits,
        emissions=to_jsonable(publication.resolve(emission_section)),
        potential=potential.published(publication, potential_section),
        segments=segments_dict["segments"],
        segmentation=segments_dict["segmentation"],
        measures=ranking_dict["measures"],
        excluded_measures=ranking_dict["excluded_measures"],
        packages=ranking_dict.get("packages", {}),
        plan=ranking_dict["plan"],
        anchoring_plan=steps,
        geo=geo_section,
        # every base population a figure is counted over, with its count (grontur.bases)
        bases=tuple(Base(name, publication.value(fig)) for name, fig in ledger.named_bases().items()),
        quality=QualitySummary.of_issues(issues, imported.mapping_report),
        k=k,
        dropped_columns=tuple(imported.dropped_columns),
        context=SiteContext.of_context(context),
    )
    if comparison is not None:
        model = model.with_comparison(comparison)
    return Analysis(
        project=project,
        results=model.to_json(),
        model=model,
        table=table,
        issues=issues,
        quarantine=imported.quarantine,
        figures=figures,
        comparison=comparison,
        followup_table=followup.table if followup is not None else None,
    )


def prepare_table(imported: Any, *, project: Project, lang: str | None = None,
                  draw_figures: bool = False) -> tuple[pd.DataFrame, Any]:
    """The baseline table every figure is computed from: the imported one, with distances
    estimated from the project's workplaces and geodata when it has them (and that
    :class:`grontur.geo.GeoResult`, else ``None``). The analysis and the comparison both start here."""
    # the columns are shared until one is replaced (copy on write): the import's table never changes
    table = imported.table.copy(deep=False)
    if not (project.workplaces or project.geodata):
        return table, None
    from grontur import geo

    enriched = geo.enrich_for_project(table, project=project, k=project.k, lang=lang or project.language,
                                      draw_figures=draw_figures)
    return enriched.table, enriched


def _next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 or 7)


def import_for_project(path: Path, *, project: Project, mapping: Path | None = None, sheet: str | None = None,
                       wave: str | None = None, check: bool = True) -> Any:
    """Import one survey of the project's municipality; refuse one with no usable answer of it
    (unless ``check`` is false: a comparison municipality's file read with this project's settings)."""
    from grontur.importing import import_survey

    imported = import_survey(
        path,
        mapping=mapping or project.mapping,
        sheet=sheet or project.sheet,
        municipality=project.number,
        wave=wave or project.wave,
        salt=project.salt,
        k=project.k,
        limits=project.limits,
    )
    if check:
        check_one_municipality(imported, project, path)
    return imported


def check_one_municipality(imported: Any, project: Project, path: Path) -> None:
    """Refuse a survey with no usable answer, or with answers of other municipalities.

    Rows carry the municipality of the export's own column when it has one; analysing such a
    file for one municipality would describe people of another under its name.
    """
    from grontur.municipalities import lookup

    table = imported.table
    if len(table) == 0:
        reasons = ", ".join(f"{reason} {count}" for reason, count in
                            imported.quarantine["reason"].value_counts().items()) or "none"
        msg = (f"{path}: none of the {imported.account['input_rows']} answers can be used (set aside: {reasons}); "
               "run 'grontur import' on it and read quality.csv and quarantine.csv for why.")
        raise GronturError(msg)
    if "municipality" not in table:
        return
    counts = table["municipality"].dropna().astype(str).value_counts()
    others = counts.drop(project.number, errors="ignore")
    if others.empty:
        return
    found = ", ".join(f"{lookup(number).name} ({number}) {count}" for number, count in counts.items())
    msg = (f"{path}: the answers are from {found}, not only {project.name} ({project.number}): analyse a file "
           "with several municipalities with 'grontur analyse FILE --all-municipalities', or give the "
           "municipality the file is from with --kommune.")
    raise GronturError(msg)


# ---------------------------------------------------------------------------------------------
# One orchestration: every command (demo, analyse --project, analyse --kommune, compare) and the
# notebook describe a run as a RunRequest; run() carries out one, run_network() a network of them.

@dataclass(frozen=True)
class ComparisonData:
    """Where the two waves of a comparison municipality (one without the pilots) come from.

    ``project`` is the comparison municipality's project: its ``survey`` and ``followup`` are read
    with its own settings (salt, mapping, wave labels). With ``baseline`` and ``followup`` those
    files are read instead; ``check=False`` reads them without checking their municipality
    (``grontur compare --comparison-files``, read with the pilot project's settings).
    """

    project: Project
    baseline: Path | None = None
    followup: Path | None = None
    check: bool = True


@dataclass(frozen=True)
class RunRequest:
    """Everything one municipality's run needs besides what its project already says.

    Attributes
    ----------
    project
        The municipality's project (``grontur.yaml``, or defaults from :func:`project_for`).
    baseline, followup
        Survey exports; by default the project's ``survey`` and ``followup``.
    mapping, sheet
        Mapping file and Excel sheet for the pilot municipality's exports (default: the project's).
    comparison
        The comparison municipality for difference in differences; by default the one the
        project's ``comparison_municipality`` names (see :func:`find_comparison`).
    evidence
        Pilot evidence records for the ranking; by default :func:`load_all_evidence` of the
        project (shipped records plus the project's evidence folders). The run's own pilot
        results are added to them (:func:`combine_evidence`).
    lang
        Report language; by default the project's.
    formats, out
        Report formats, and the folder to write into (nothing is written without one).
    comparison_only
        Only compare the two waves (``comparison.json``, ``comparison.html``), as ``grontur compare``.
    replace_release
        Publish even when the respondents differ from an earlier release by fewer than k,
        replacing it (:mod:`grontur.releases`).
    """

    project: Project
    baseline: Path | None = None
    followup: Path | None = None
    mapping: Path | None = None
    sheet: str | None = None
    comparison: ComparisonData | None = None
    evidence: tuple[Any, ...] | None = None
    lang: str | None = None
    formats: tuple[str, ...] = DEFAULT_FORMATS
    out: Path | None = None
    comparison_only: bool = False
    replace_release: bool = False


@dataclass(frozen=True)
class PreparedRun:
    """A request with its waves imported and its pilots evaluated (the first half of a run)."""

    request: RunRequest
    baseline: Any
    followup: Any | None
    effects: tuple[Any, ...] = ()
    control: tuple[pd.DataFrame, pd.DataFrame] | None = None


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the analysis (``None`` for a comparison-only run), the comparison of
    the two waves (``None`` without a follow-up) and the pilot effects."""

    project: Project
    analysis: Analysis | None
    comparison: dict[str, Any] | None
    effects: tuple[Any, ...] = ()
    folder: Path | None = None
    #: The release log's clearance of what was written (:mod:`grontur.releases`).
    release: Any = None


def build_request(
    survey: str | Path | None = None,
    *,
    project: Project | str | Path | None = None,
    municipality: str | None = None,
    followup: str | Path | None = None,
    mapping: str | Path | None = None,
    sheet: str | None = None,
    lang: str | None = None,
    k: int | None = None,
    run_date: dt.date | None = None,
    employees: int | None = None,
    waves: tuple[str, str] | None = None,
    comparison: ComparisonData | None = None,
    evidence: Iterable[Any] | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    out: str | Path | None = None,
    comparison_only: bool = False,
    replace_release: bool = False,
    context: Mapping[str, Any] | None = None,
    limits: Sequence[str] = (),
) -> RunRequest:
    """A :class:`RunRequest` from what the command line gives.

    ``project`` is a :class:`Project` or a project folder; without one, ``municipality`` (name
    or number) is required and defaults stand in for the rest. ``k``, ``run_date``,
    ``employees`` and ``waves`` (baseline and follow-up labels) override the project's;
    ``context`` (from :func:`grontur.config.context_from_flags`) overrides its site facts;
    ``limits`` (``--limit NAME=N`` flags) override its size limits (:mod:`grontur.limits`).
    """
    from grontur.limits import limits_from_flags

    if isinstance(project, (str, Path)):
        project = load_project(project)
    if project is None:
        if municipality is None:
            msg = "Say which municipality the survey is from: give --kommune NAME|NUMBER or --project DIR."
            raise GronturError(msg)
        project = project_for(municipality, language=lang, k=k or DEFAULT_K)
    wave, followup_wave = waves if waves else (None, None)
    project = project.with_overrides(run_date=run_date, k=k, employees=employees, wave=wave,
                                     followup_wave=followup_wave,
                                     limits=limits_from_flags(limits, project.limits) if limits else None,
                                     ).with_context(context or {})
    return RunRequest(
        project=project,
        baseline=Path(survey) if survey is not None else None,
        followup=Path(followup) if followup is not None else None,
        mapping=Path(mapping) if mapping is not None else None,
        sheet=sheet,
        comparison=comparison,
        evidence=tuple(evidence) if evidence is not None else None,
        lang=lang,
        formats=tuple(formats),
        out=Path(out) if out is not None else None,
        comparison_only=comparison_only,
        replace_release=replace_release,
    )


def run(request: RunRequest, *, renderer: Any = None) -> RunResult:
    """Carry out one run: import the waves, evaluate the pilots (against the comparison
    municipality when there is one), analyse and rank with the evidence, compare the waves and
    write the outputs when ``request.out`` is given.

    A report with pictures has them drawn in a second process, which loads matplotlib while this
    one imports and analyses (:mod:`grontur.report.background`): ``renderer``, a
    :class:`~grontur.report.background.Renderer` the caller started earlier still (the command
    line does so before it loads pandas), else one started now. The run ends it.
    """
    with _renderer_for(request, renderer) as drawing, \
            output_lock(request.out) if request.out is not None else nullcontext():
        prepared = prepare(request)
        records = list(request.evidence) if request.evidence is not None else load_all_evidence(request.project)
        return finish(prepared, combine_evidence(records, prepared.effects), renderer=drawing)


def _renderer_for(request: RunRequest, started: Any = None) -> Any:
    """A :class:`grontur.report.background.Renderer` when the run writes a report with pictures:
    ``started`` when given (closed here when the run has no use for it), else a new one."""
    from grontur.report import FIGURE_FORMATS

    if request.out is None or request.comparison_only or not FIGURE_FORMATS.intersection(request.formats):
        if started is not None:
            started.close()
        return nullcontext()
    if started is not None:
        return started
    from grontur.report.background import Renderer

    return Renderer()


def run_network(requests: Sequence[RunRequest], *, evidence: Iterable[Any] | None = None, jobs: int = 1,
                progress: Callable[[str], None] | None = None,
                summarise: Callable[[RunResult], Any] | None = None) -> tuple[list[Any], list[Any]]:
    """Carry out the runs of a network of municipalities that share their pilot evidence.

    Every request is prepared first (a comparison municipality of the network is imported once);
    then each municipality is analysed with ``evidence`` (default: the shipped records) plus the
    pilot results of the whole network. Returns what ``summarise`` (default: nothing but the
    :class:`RunResult` itself) gives for each run, in request order, and the pilot effects of the
    network (in municipality number order).
    """
    cache: dict[tuple, Any] = {}
    network = [request.project for request in requests]
    prepared = [prepare(request, network=network, cache=cache) for request in requests]
    effects = [effect for item in sorted(prepared, key=lambda p: p.request.project.number) for effect in item.effects]
    records = combine_evidence(list(evidence) if evidence is not None else load_all_evidence(), effects)
    arguments = [(item, records, summarise) for item in prepared]
    outcomes: list[Any] = []
    if jobs > 1 and len(arguments) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for request, outcome in zip(requests, pool.map(_finish_star, arguments)):
                outcomes.append(outcome)
                if progress:
                    progress(request.project.name)
    else:
        for request, args in zip(requests, arguments):
            outcomes.append(_finish_star(args))
            if progress:
                progress(request.project.name)
    return outcomes, effects


def network_evidence(projects: Sequence[Project], *, evidence: Iterable[Any] | None = None) -> list[Any]:
    """The pilot evidence a network of municipalities shares: ``evidence`` (default: the shipped
    records) plus the pilot results of every project of the network, as :func:`run_network` gives
    each run. Run one municipality with it (``RunRequest(evidence=...)``) and it gets the figures
    the whole network's run gives it (the notebook does so for the demo)."""
    cache: dict[tuple, Any] = {}
    network = list(projects)
    prepared = [prepare(RunRequest(project=project, formats=()), network=network, cache=cache) for project in network]
    effects = [effect for item in sorted(prepared, key=lambda p: p.request.project.number) for effect in item.effects]
    return combine_evidence(list(evidence) if evidence is not None else load_all_evidence(), effects)


def _finish_star(args: tuple) -> Any:
    prepared, records, summarise = args
    result = finish(prepared, records)
    return summarise(result) if summarise is not None else result


def prepare(request: RunRequest, *, network: Sequence[Project] | None = None,
            cache: dict[tuple, Any] | None = None) -> PreparedRun:
    """Import the request's waves and evaluate its pilots.

    ``network`` holds the projects a ``comparison_municipality`` given as a municipality is looked
    up in (default: the project folders next to this one); ``cache`` keeps imports across the
    requests of one network.
    """
    project = request.project
    if request.out is not None:
        refuse_inputs_inside(request.out, request_inputs(request))
    survey = request.baseline or project.survey
    if survey is None:
        msg = "No survey file given: pass the export file, or set 'survey' in the project's grontur.yaml."
        raise GronturError(msg)
    followup = request.followup or project.followup
    if request.comparison_only and followup is None:
        msg = "No follow-up file given: pass the export of the repeat survey as the second file."
        raise GronturError(msg)
    if followup is not None and _same_file(survey, followup):
        msg = (f"{followup}: the follow-up is the same file as the baseline ({survey}); give the export of "
               "the repeat survey as the follow-up.")
        raise GronturError(msg)
    imports = cache if cache is not None else {}
    baseline = _import_once(imports, survey, project, project.wave, mapping=request.mapping, sheet=request.sheet)
    after = (_import_once(imports, followup, project, project.followup_wave, mapping=request.mapping,
                          sheet=request.sheet) if followup is not None else None)
    effects: list[Any] = []
    control = None
    if after is not None and project.pilots:
        source = request.comparison or find_comparison(project, network=network)
        control = comparison_tables(source, cache=imports) if source is not None else None
        effects = evaluate_project_pilots(project, baseline.table, after.table, comparison=control,
                                          lang=request.lang)
    return PreparedRun(request=request, baseline=baseline, followup=after, effects=tuple(effects), control=control)


def request_inputs(request: RunRequest) -> list[Path | None]:
    """Every file or folder a run reads: the survey exports, the mapping and the project's files."""
    project = request.project
    return [request.baseline, request.followup, request.mapping, project.survey, project.followup,
            project.mapping, project.key_file, project.catalogue, *project.geodata.values(), *project.evidence,
            project.root]


def finish(prepared: PreparedRun, evidence: Sequence[Any], *, renderer: Any = None) -> RunResult:
    """Analyse (or, for a comparison-only request, compare) a prepared run and write its outputs
    (the report's pictures drawn by ``renderer`` when given, :mod:`grontur.report.background`)."""
    request = prepared.request
    project = request.project
    lang = request.lang or project.language
    if request.comparison_only:
        # The whole analysis registers its figures with the gate, so the comparison shows what
        # the analysis of the same data shows (grontur demo and analyse), nothing more.
        only = analyse_imported(prepared.baseline, project=project, lang=request.lang, evidence=evidence,
                                draw_figures=False, followup=prepared.followup, control=prepared.control)
        comparison = only.comparison
        assert comparison is not None  # a comparison-only request always has a follow-up
        release = None
        if request.out is not None:
            from grontur.releases import check_release

            followup_table = prepared.followup.table if prepared.followup is not None else None
            with output_lock(request.out):
                release = check_release(project, (only.table, followup_table), request.out,
                                        replace=request.replace_release)
                with staged_folder(request.out) as staging:
                    _write_comparison(comparison, staging, lang=lang, name=project.name,
                                      date=project.run_date.isoformat(), formats=("html",))
                release.record()
        return RunResult(project=project, analysis=None, comparison=comparison, effects=prepared.effects,
                         folder=request.out, release=release)
    # Figures are drawn for a report, or for the caller to write later (no folder given).
    analysis = analyse_imported(prepared.baseline, project=project, lang=request.lang, evidence=evidence,
                                draw_figures=request.out is None or bool(request.formats),
                                followup=prepared.followup, control=prepared.control, renderer=renderer)
    if request.out is not None:
        write_analysis(analysis, request.out, lang=lang, formats=request.formats,
                       replace_release=request.replace_release, renderer=renderer)
    return RunResult(project=project, analysis=analysis, comparison=analysis.comparison, effects=prepared.effects,
                     folder=request.out, release=analysis.release)


def analyse_file(
    path: str | Path | None = None,
    *,
    project: Project | str | Path | None = None,
    municipality: str | None = None,
    out_dir: str | Path | None = None,
    lang: str | None = None,
    followup: str | Path | None = None,
    mapping: str | Path | None = None,
    sheet: str | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    run_date: dt.date | None = None,
    k: int | None = None,
    replace_release: bool = False,
) -> Analysis:
    """Import, analyse and (when ``out_dir`` is given) write one municipality's outputs:
    :func:`run` of :func:`build_request` (see there for the arguments)."""
    request = build_request(path, project=project, municipality=municipality, followup=followup, mapping=mapping,
                            sheet=sheet, lang=lang, k=k, run_date=run_date, formats=formats, out=out_dir,
                            replace_release=replace_release)
    analysis = run(request).analysis
    assert analysis is not None  # a request that is not comparison-only always analyses
    return analysis


def _import_once(cache: dict[tuple, Any], path: Path, project: Project, wave: str | None, *,
                 mapping: Path | None = None, sheet: str | None = None, check: bool = True) -> Any:
    """:func:`import_for_project`, once per file and settings within one network run."""
    mapping = mapping or project.mapping
    sheet = sheet or project.sheet
    key = (str(Path(path).resolve()), project.number, wave, project.salt, str(mapping), sheet, check)
    if key not in cache:
        cache[key] = import_for_project(path, project=project, mapping=mapping, sheet=sheet, wave=wave, check=check)
    return cache[key]


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths hold the same bytes (the same file, or a copy of it)."""
    import hashlib

    first, second = Path(first), Path(second)
    if not (first.is_file() and second.is_file()):
        return False
    if first.resolve() == second.resolve():
        return True
    if first.stat().st_size != second.stat().st_size:
        return False
    return hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def find_comparison(project: Project, *, network: Sequence[Project] | None = None) -> ComparisonData | None:
    """The comparison municipality the project's ``comparison_municipality`` names, or ``None``.

    The field holds a project folder (or its ``grontur.yaml``), relative to the project folder;
    or a municipality name or number, whose project is looked up in ``network`` (by default the
    project folders next to this one, as the demo network lays them out). A named comparison
    that cannot be found is an error, not a silent switch to another estimate.
    """
    value = project.comparison_municipality
    if not value:
        return None
    from grontur.config import CONFIG_NAME

    where = f"{project.root / CONFIG_NAME}: field 'comparison_municipality'" if project.root else "comparison_municipality"
    if project.root is not None:
        path = Path(value).expanduser()
        path = path if path.is_absolute() else project.root / path
        if (path / CONFIG_NAME).is_file() or (path.is_file() and path.suffix in (".yaml", ".yml")):
            return ComparisonData(project=load_project(path))
    from grontur.municipalities import lookup

    try:
        found = lookup(value)
    except GronturError as error:
        msg = f"{where} is {value!r}: neither a project folder nor a municipality ({error})"
        raise ConfigError(msg) from None
    candidates = list(network) if network is not None else _projects_next_to(project)
    for other in candidates:
        if other.number == found.number and other.root != project.root:
            return ComparisonData(project=other)
    place = f" next to {project.root}" if project.root is not None else ""
    msg = (f"{where} names {found.name} ({found.number}), but no project of it was found{place}; give the path "
           f"of its project folder (e.g. comparison_municipality: ../{found.number}), or remove the field to "
           "estimate the pilots without a comparison municipality.")
    raise ConfigError(msg)


def _projects_next_to(project: Project) -> list[Project]:
    """The projects in the folders beside this project's folder (a network laid out side by side)."""
    if project.root is None:
        return []
    others = []
    for config in sorted(project.root.resolve().parent.glob("*/grontur.yaml")):
        if config.parent == project.root.resolve():
            continue
        try:
            others.append(load_project(config))
        except GronturError as error:  # a broken neighbour is only not a candidate
            log.info("%s: not read as a possible comparison municipality: %s", config, error)
    return others


def comparison_tables(source: ComparisonData, *, cache: dict[tuple, Any] | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The baseline and follow-up tables of a comparison municipality."""
    other = source.project
    before = source.baseline or other.survey
    after = source.followup or other.followup
    if before is None or after is None:
        where = other.root or other.name
        msg = (f"{where}: the comparison municipality's grontur.yaml must name both 'survey' and 'followup'; add "
               "them (with 'grontur compare' you can give its files with --comparison-files BASELINE FOLLOWUP).")
        raise ConfigError(msg)
    imports = cache if cache is not None else {}
    return (_import_once(imports, before, other, other.wave, check=source.check).table,
            _import_once(imports, after, other, other.followup_wave, check=source.check).table)


def load_all_evidence(project: Project | None = None) -> list[Any]:
    """Shipped evidence plus the project's evidence folders (its ``evidence`` field; by default
    the ``evidence/`` folder in the project folder when there is one)."""
    records = list(evidence_mod.load_evidence())
    if project is None:
        return records
    folders = list(project.evidence)
    if not folders and project.root is not None and (project.root / "evidence").is_dir():
        folders = [project.root / "evidence"]
    for folder in folders:
        records.extend(evidence_mod.load_evidence(folder))
    return records


def combine_evidence(records: Iterable[Any], effects: Iterable[Any]) -> list[Any]:
    """Evidence records plus the records of freshly evaluated pilots, each pilot once.

    A record of the same pilot (measure, municipality, start) as a fresh result, such as the one
    an earlier run wrote to the network's evidence folder, gives way to the fresh result.
    """
    fresh = evidence_from_effects(effects)
    keys = {_pilot_key(record) for record in fresh}
    return [*(record for record in records if _pilot_key(record) not in keys), *fresh]


def _pilot_key(record: Any) -> tuple[str, str | None, dt.date | None]:
    return (record.measure, record.municipality_number, record.period_start)


def evaluate_project_pilots(project: Project, before: pd.DataFrame, after: pd.DataFrame | None, *,
                            comparison: tuple[pd.DataFrame, pd.DataFrame] | None = None,
                            lang: str | None = None) -> list[Any]:
    """Estimate the effect of each pilot recorded in the project configuration (participants
    described in ``lang``, by default the project's language)."""
    if after is None or not project.pilots:
        return []
    from grontur import pilots as pilots_mod

    return pilots_mod.evaluate_pilots(
        before, after, pilots=project.pilots, comparison=comparison, k=project.k,
        municipality={"number": project.number, "name": project.name},
        context={"employees": project.employees, "rurality": project.context.get("rurality", "rural")},
        run_date=project.run_date, lang=lang or project.language,
    )


def evidence_from_effects(effects: Iterable[Any]) -> list[Any]:
    """Evidence records (as the ranker reads them) from pilot effects that have an estimate."""
    records = []
    for effect in effects:
        record = effect.to_evidence_record()
        if record.get("estimate") is not None and record.get("relative_effect") is not None:
            records.append(evidence_mod.EvidenceRecord.from_dict(to_jsonable(record), file="pilot evaluation"))
    return records


def register_comparison_of(project: Project, table: pd.DataFrame, followup: Any, *, ledger: Ledger,
                           control: tuple[pd.DataFrame, pd.DataFrame] | None = None,
                           lang: str | None = None, mapping_report: Any = None) -> Any:
    """Register the comparison of the baseline ``table`` (from :func:`prepare_table`, the table of
    ``ledger``) with the follow-up import, and of the project's pilots, with the run's gate;
    ``comparison.json`` is the returned draft published with the run's decision."""
    from grontur import compare

    return compare.register_comparison(
        table, followup.table, ledger=ledger, employees_before=project.employees,
        employees_after=project.employees,
        mapping_before=compare.mapping_signature(mapping_report),
        mapping_after=compare.mapping_signature(followup.mapping_report),
        waves=(project.wave, project.followup_wave) if project.wave and project.followup_wave else None,
        pilots=project.pilots, comparison=control,
        municipality={"number": project.number, "name": project.name},
        context={"employees": project.employees, "rurality": project.context.get("rurality", "rural")},
        run_date=project.run_date, lang=lang or project.language,
    )


def write_analysis(analysis: Analysis, out_dir: Path, *, lang: str, formats: Sequence[str] = DEFAULT_FORMATS,
                   replace_release: bool = False, renderer: Any = None) -> list[Path]:
    """Write every output of one analysis to ``out_dir``, atomically, once the release log allows it.

    The output folder's lock is held from the release check to its record (:mod:`grontur.outputs`).
    ``renderer`` (a :class:`grontur.report.background.Renderer`) draws the report's pictures in a
    second process while the data files are written here.
    """
    with output_lock(out_dir):
        return _write_analysis(analysis, out_dir, lang=lang, formats=formats, replace_release=replace_release,
                               renderer=renderer)


def _write_analysis(analysis: Analysis, out_dir: Path, *, lang: str, formats: Sequence[str],
                    replace_release: bool, renderer: Any = None) -> list[Path]:
    from grontur import report
    from grontur.importing import publishable_table
    from grontur.releases import check_release

    analysis.release = check_release(analysis.project, (analysis.table, analysis.followup_table), out_dir,
                                     replace=replace_release)
    # An output an earlier run wrote but this one does not (a comparison.json after the follow-up
    # was dropped, a report format no longer asked for) would describe other data: it is retired.
    with staged_folder(out_dir, replaces=OUTPUT_NAMES) as staging:
        if renderer is not None and report.FIGURE_FORMATS.intersection(formats):
            # drawn (and the DOCX and spreadsheet written) over there while the data is written here
            renderer.submit(analysis.results, lang=lang, figures=analysis.figures,
                            docx_path=staging / report.FILE_NAMES["docx"] if "docx" in formats else None,
                            xlsx_path=staging / report.FILE_NAMES["xlsx"] if "xlsx" in formats else None)
        write_json(analysis.results, staging / "results.json")
        write_csv(analysis.issues, staging / "quality.csv")
        write_csv(analysis.quarantine, staging / "quarantine.csv")
        write_csv(publishable_table(analysis.table, analysis.project.k), staging / "cleaned.csv")
        if analysis.comparison is not None:
            _write_comparison(analysis.comparison, staging, lang=lang, name=analysis.project.name,
                              date=analysis.results["generated"], formats=formats)
        if formats:
            report.write_outputs(
                analysis.results,
                out_dir=staging,
                lang=lang,
                table=analysis.table,
                quality=analysis.issues,
                figures=analysis.figures,
                formats=tuple(formats),
                renderer=renderer,
            )
        written = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file())
    analysis.release.record()
    _close_figures(analysis.figures)
    folder = output_folder(out_dir)
    return [folder / p for p in written]


def _write_comparison(comparison: Mapping[str, Any], folder: Path, *, lang: str, name: str, date: str,
                      formats: Sequence[str]) -> None:
    """``comparison.json``, and ``comparison.html`` when HTML is among the formats."""
    write_json(comparison, folder / "comparison.json")
    if "html" in formats:
        from grontur.report.comparison import render_comparison_html

        page = render_comparison_html(comparison, lang=lang, name=name, date=date)
        (folder / "comparison.html").write_text(page, encoding="utf-8")


def _close_figures(figures: Mapping[str, Any]) -> None:
    """Close the figures drawn (figures never drawn are not drawn to be closed)."""
    if isinstance(figures, DrawnLater):
        figures = figures.drawn
    if not figures:
        return  # nothing drawn (--format none): matplotlib is not loaded just to close nothing
    from grontur.report.charts import close_figure

    for figure in figures.values():
        close_figure(figure)


# ---------------------------------------------------------------------------------------------
# The demo network

def demo_projects() -> list[Project]:
    """The six synthetic Hallingdal projects shipped in ``surveys/demo/``."""
    root = data_dir("surveys") / "demo"
    configs = sorted(root.glob("*/grontur.yaml"))
    if not configs:
        msg = f"{root}: no demo projects found; reinstall grontur or run 'python -m grontur.demo' in a checkout."
        raise GronturError(msg)
    return sorted((load_project(path) for path in configs), key=lambda p: p.number)


def demo_project(name: str) -> Project:
    """One demo project by municipality name, number or folder name (e.g. ``"Gol"``, ``"3324"``, ``"al"``)."""
    wanted = name.strip().casefold()
    for project in demo_projects():
        if wanted in (project.name.casefold(), project.number, project.slug):
            return project
    names = ", ".join(p.name for p in demo_projects())
    msg = f"{name!r} is not a demo municipality; choose one of {names}."
    raise GronturError(msg)


def network_summary(analysis: Analysis) -> dict[str, Any]:
    """What the network overview needs of one municipality (already suppressed, from results)."""
    results = analysis.results
    return {
        "slug": analysis.project.slug,
        "municipality": results["municipality"],
        "respondents": results["respondents"],
        "mode_share": results["mode_share"],
        "habits": {key: results["habits"].get(key) for key in ("drive_alone_rate", "cars_per_100", "seasons")},
        "emissions": results["emissions"],
        "measures": [
            {key: m.get(key) for key in ("id", "rank", "score", "package")} for m in results["measures"]
        ],
        "pilots": (results.get("comparison") or {}).get("pilots", []),
        "privacy": results["privacy"],
    }


def _run_summary(result: RunResult) -> dict[str, Any]:
    assert result.analysis is not None
    return network_summary(result.analysis)


def run_demo(out_dir: str | Path, *, formats: Sequence[str] = DEFAULT_FORMATS, jobs: int = 1,
             progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Analyse the six demo municipalities and write their folders plus ``index.html``.

    One :class:`RunRequest` per municipality, carried out by :func:`run_network`: import both
    waves everywhere; evaluate every pilot (with difference in differences against the
    comparison municipality) into network evidence; then analyse each municipality with that
    evidence in its ranking. The evidence records are written to ``DIR/evidence/`` so the
    network can keep them (a project that names that folder in its ``evidence`` field gets the
    same ranking from ``grontur analyse --project``).
    """
    from grontur import report
    from grontur.pilots import write_evidence

    out = Path(out_dir)
    requests = [RunRequest(project=project, formats=tuple(formats), out=out / project.slug)
                for project in demo_projects()]
    with output_lock(out):
        summaries, effects = run_network(requests, jobs=jobs, progress=progress, summarise=_run_summary)
        with staged_folder(out) as staging:
            write_evidence(effects, staging / "evidence")
            report.write_network_overview(summaries, out_dir=staging, lang="nn")
    return summaries


# ---------------------------------------------------------------------------------------------
# Many municipalities in one file (a county or the whole country)

@dataclass(frozen=True)
class ManyAnalysis:
    """The analyses of every municipality found in one survey table.

    Attributes
    ----------
    results
        Municipality number -> that municipality's ``results.json`` content, in number order.
    failed
        Municipality number -> the one-line message of the error that stopped its analysis.
    unassigned
        Kept rows without a (known) municipality; they are in no analysis.
    account
        The whole file's ``input_rows, kept, quarantined``.
    seconds
        Municipality number -> wall time of its analysis (in its worker process).
    folders
        Municipality number -> output folder, when outputs were written.
    """

    results: dict[str, dict[str, Any]]
    failed: dict[str, str]
    unassigned: int
    account: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    folders: dict[str, Path] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: the account, the municipalities analysed, failed and unassigned rows."""
        return {
            "account": dict(self.account),
            "municipalities": len(self.results),
            "analysed": sorted(self.results),
            "failed": dict(self.failed),
            "unassigned_rows": int(self.unassigned),
            "folders": {number: folder.name for number, folder in sorted(self.folders.items())},
            "respondents": {number: int(results["respondents"]["kept"])
                            for number, results in sorted(self.results.items())},
        }


#: Loaded once per worker process (catalogue, evidence) by :func:`_many_init`.
_MANY_STATE: dict[str, Any] = {}


def _many_init(evidence: Sequence[Any] | None) -> None:
    """Worker start: load the catalogue and the evidence once for every municipality it analyses."""
    _MANY_STATE["catalogue"] = catalogue_mod.load_catalogue()
    _MANY_STATE["evidence"] = list(evidence) if evidence is not None else load_all_evidence()


def _as_imported(table_or_imported: Any) -> Any:
    """An :class:`grontur.importing.ImportResult` for a canonical table given as it is."""
    from grontur.importing import ImportResult

    if isinstance(table_or_imported, ImportResult):
        return table_or_imported
    if not isinstance(table_or_imported, pd.DataFrame):
        msg = "analyse_many needs an imported survey (grontur.importing.import_survey) or a canonical table."
        raise GronturError(msg)
    table = table_or_imported
    if "source_row" not in table:
        table = table.assign(source_row=np.arange(1, len(table) + 1))
    return ImportResult(
        table=table,
        issues=pd.DataFrame(columns=["source_row", "column", "raw_value", "problem", "action"]),
        quarantine=pd.DataFrame(columns=["source_row", "reason"]),
        account={"input_rows": len(table), "kept": len(table), "quarantined": 0},
        dropped_columns=[], mapping_report={"dialect": "canonical", "mapped": [], "unmapped": []},
    )


def _municipality_rows(imported: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """The positions of each municipality's rows and of their issues, and the count of rows
    without a municipality."""
    table = imported.table
    if "municipality" not in table:
        msg = ("The survey has no municipality column: add a 'municipality' column with the kommunenummer "
               "of each row, or analyse it for one municipality with --kommune.")
        raise GronturError(msg)
    numbers = table["municipality"].astype("string")
    # GroupBy.indices holds integer arrays; the stub also allows an Index or a list
    groups: dict[str, np.ndarray] = {str(key): positions for key, positions in pd.Series(  # type: ignore[misc]
        numbers.to_numpy()).groupby(numbers.to_numpy(), sort=True, dropna=True).indices.items()}
    unassigned = int(numbers.isna().sum())
    issues = imported.issues
    issue_groups: dict[str, np.ndarray] = {}
    if len(issues) and "source_row" in table:
        by_row = pd.Series(numbers.to_numpy(), index=table["source_row"].to_numpy())
        by_row = by_row[~by_row.index.duplicated()]
        issue_numbers = issues["source_row"].map(by_row)
        # GroupBy.indices holds integer arrays; the stub also allows an Index or a list
        issue_groups = {str(k): v for k, v in pd.Series(issue_numbers.to_numpy()).groupby(  # type: ignore[misc]
            issue_numbers.to_numpy(), sort=False, dropna=True).indices.items()}
    return groups, issue_groups, unassigned


def _municipality_part(imported: Any, positions: np.ndarray, issue_rows: np.ndarray | None) -> Any:
    """One municipality's rows (at ``positions``) and their issues, as an ImportResult of its own."""
    from grontur.importing import ImportResult

    part = imported.table.take(positions)
    issues = imported.issues
    return ImportResult(
        table=part,
        issues=issues.take(issue_rows).reset_index(drop=True) if issue_rows is not None else issues.iloc[0:0],
        quarantine=imported.quarantine.iloc[0:0],
        account={"input_rows": len(part), "kept": len(part), "quarantined": 0},
        dropped_columns=list(imported.dropped_columns),
        mapping_report=imported.mapping_report,
        mapping=None,
        path=imported.path,
    )


def _split_by_municipality(imported: Any) -> tuple[dict[str, Any], int]:
    """One ImportResult per municipality (its rows and their issues), and the count of rows without one."""
    groups, issue_groups, unassigned = _municipality_rows(imported)
    return {number: _municipality_part(imported, positions, issue_groups.get(number))
            for number, positions in groups.items()}, unassigned


def _whole_quantities(table: pd.DataFrame) -> describe.RowQuantities | None:
    """The per-row quantities every section shares (days on site, trips, split multi-select
    answers), computed once over the whole table, for each municipality to take its rows of."""
    if not table.index.is_unique:
        return None
    whole = describe.row_quantities(table, describe.load_settings())
    for name in describe.MULTI_SELECT_COLUMNS:
        whole.multi_select(table, name)
    return whole


def _many_one(number: str, imported: Any, project: Project, lang: str | None, out_dir: Path | None,
              formats: Sequence[str], quantities: describe.RowQuantities | None = None
              ) -> tuple[str, dict[str, Any] | None, str | None, float, Path | None]:
    """Analyse one municipality in a worker; figures are closed unless outputs are written."""
    import time

    started = time.perf_counter()
    if not _MANY_STATE:
        _many_init(None)
    try:
        analysis = analyse_imported(imported, project=project, lang=lang, catalogue=_MANY_STATE["catalogue"],
                                    evidence=_MANY_STATE["evidence"],
                                    draw_figures=out_dir is not None and bool(formats), quantities=quantities)
    except GronturError as error:
        return number, None, str(error), time.perf_counter() - started, None
    folder = None
    if out_dir is not None:
        folder = out_dir / f"{project.number}-{project.slug}"
        write_analysis(analysis, folder, lang=lang or project.language, formats=formats)
    else:
        _close_figures(analysis.figures)
    results = analysis.results
    del analysis
    _give_back_freed_memory()
    return number, results, None, time.perf_counter() - started, folder


@cache
def _malloc_trim() -> Any:
    """The C library's ``malloc_trim`` (glibc), or ``None`` where there is none."""
    import ctypes

    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)  # (the symbols the process has loaded)
    except (OSError, TypeError):
        return None


def _give_back_freed_memory() -> None:
    """Return the heap pages a municipality's analysis freed to the system (glibc's
    ``malloc_trim``; nothing elsewhere). A worker otherwise keeps the high-water mark of the largest
    municipality it analysed for the rest of the run, and the two workers' kept pages add up with
    the parent's results at the end of a national run."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def analyse_many(
    imported_or_table: Any,
    *,
    projects: Mapping[str, Project] | None = None,
    jobs: int = 2,
    formats: Sequence[str] = (),
    out_dir: str | Path | None = None,
    lang: str | None = None,
    k: int | None = None,
    run_date: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> ManyAnalysis:
    """Analyse every municipality of one survey (clean table split by its ``municipality`` column).

    Parameters
    ----------
    imported_or_table
        An :class:`grontur.importing.ImportResult` or a canonical table with a ``municipality`` column.
    projects
        Project per municipality number; municipalities without one get defaults (:func:`project_for`).
    jobs
        Worker processes; each loads the catalogue and the evidence once.
    formats
        Report formats written per municipality (only with ``out_dir``); none by default.
    out_dir
        When given, each municipality's outputs go to ``out_dir/<number>-<slug>/`` and the
        overview of the run to ``out_dir/municipalities.json`` (docs/schema/analyse_many.md).
    lang, k, run_date
        Overrides for every project (report language, privacy threshold, date shown).
    progress
        Called with the municipality's name as each analysis finishes.
    """
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, wait

    imported = _as_imported(imported_or_table)
    groups, issue_groups, unassigned = _municipality_rows(imported)
    whole = _whole_quantities(imported.table)
    projects = dict(projects or {})
    out = Path(out_dir) if out_dir is not None else None
    with output_lock(out) if out is not None else nullcontext():
        tasks = []
        failed: dict[str, str] = {}
        for number in groups:
            try:
                project = projects.get(number) or project_for(number, language=lang, k=k or DEFAULT_K)
            except GronturError as error:
                failed[number] = str(error)
                continue
            project = project.with_overrides(run_date=run_date, k=k)
            tasks.append((number, project))
        # Largest first, so the last tasks to finish are small ones and both workers end together.
        tasks.sort(key=lambda task: -len(groups[task[0]]))
        names = {number: project.name for number, project in tasks}
        log.info("analysing %d municipalities (%d rows, %d without a municipality) with %d jobs",
                 len(tasks), len(imported.table), unassigned, jobs)

        def arguments(number: str, project: Project) -> tuple[Any, ...]:
            # A municipality's rows are taken only when it is handed out: the whole table is not
            # held twice while the workers run.
            positions = groups[number]
            return (number, _municipality_part(imported, positions, issue_groups.get(number)), project, lang, out,
                    tuple(formats) if out is not None else (), whole.take(positions) if whole is not None else None)

        outcomes = []
        if jobs > 1 and len(tasks) > 1:
            evidence = load_all_evidence()
            waiting = deque(tasks)
            with ProcessPoolExecutor(max_workers=jobs, initializer=_many_init, initargs=(evidence,)) as pool:
                # A few more than the workers queued, so that none waits for the next one.
                running = {pool.submit(_many_one, *arguments(*waiting.popleft()))
                           for _ in range(min(len(waiting), 2 * jobs))}
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        outcome = future.result()
                        outcomes.append(outcome)
                        if progress:
                            progress(names[outcome[0]])
                    while waiting and len(running) < 2 * jobs:
                        running.add(pool.submit(_many_one, *arguments(*waiting.popleft())))
        else:
            _many_init(None)
            for number, project in tasks:
                outcomes.append(_many_one(*arguments(number, project)))
                if progress:
                    progress(names[number])
        outcomes.sort(key=lambda outcome: outcome[0])
        many = ManyAnalysis(
            results={number: results for number, results, error, _, _ in outcomes if results is not None},
            failed={**failed, **{number: error for number, _, error, _, _ in outcomes if error is not None}},
            unassigned=unassigned,
            account=dict(imported.account),
            seconds={number: round(seconds, 4) for number, _, _, seconds, _ in outcomes},
            folders={number: folder for number, _, _, _, folder in outcomes if folder is not None},
        )
        if out is not None:
            with staged_folder(out) as staging:
                write_json(to_jsonable(many.as_dict()), staging / "municipalities.json")
        return many
