"""``grontur analyse``: one survey export (or a project folder) to a full set of outputs."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from pathlib import Path
from typing import Any

import click

from grontur.commands._common import (
    formats_option,
    jobs_option,
    limit_option,
    progress_bar,
)
from grontur.i18n import t


@click.command("analyse")
@click.argument("survey", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kommune", "municipality", help="Municipality name or 4-digit number (2024 numbering).")
@click.option("--project", type=click.Path(path_type=Path), help="Project folder with grontur.yaml (from 'grontur init').")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), help="Mapping file for an export grontur does not know.")
@click.option("--sheet", help="Excel sheet that holds the responses (default: found automatically).")
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]), help="Report language (default: the municipality's written standard).")
@click.option("--followup", type=click.Path(dir_okay=False, path_type=Path), help="A later wave of the same survey to compare with.")
@click.option("--k", "k", type=int, help="Privacy threshold (5 or higher).")
@click.option("--run-date", type=click.DateTime(["%Y-%m-%d"]), help="Date shown in the outputs (default: the project's run_date or today).")
@formats_option
@click.option("--all-municipalities", "all_municipalities", is_flag=True,
              help="Analyse every municipality in the survey's 'municipality' column, each into OUT/<number>-<name>/.")
@jobs_option
@limit_option
@click.option("--replace-release", "replace_release", is_flag=True,
              help="Publish even though the responses differ from an earlier release by fewer than k people, "
                   "replacing it (copies of it already handed out still allow the comparison; see docs/privacy.md).")
@click.option("--transit", type=click.Choice(["none", "poor", "fair", "good"]),
              help="Public transport service at the workplace (default: the project's; else assumed poor, and the report says so).")
@click.option("--parking", type=click.Choice(["free", "paid", "limited", "none"]),
              help="Parking at the workplace (default: the project's, else the most common survey answer, else assumed free).")
@click.option("--facility", "facilities", multiple=True, metavar="NAME=yes|no",
              help="A facility at the workplace, e.g. --facility showers=yes --facility bike_parking=no "
                   "(showers, lockers, bike_parking, drying_room, ebike_pool, service_cars); repeat for each.")
def command(survey: Path | None, municipality: str | None, project: Path | None, out: Path, mapping: Path | None,
            sheet: str | None, lang: str | None, followup: Path | None, k: int | None, run_date: dt.datetime | None,
            formats: tuple[str, ...], all_municipalities: bool, jobs: int, limits: tuple[str, ...],
            replace_release: bool, transit: str | None, parking: str | None, facilities: tuple[str, ...]) -> None:
    """Analyse one survey export and write report.html, report.docx, measures.xlsx, results.json, quality.csv and cleaned.csv."""
    renderer = None if all_municipalities else _renderer(formats)
    with renderer if renderer is not None else contextlib.nullcontext():
        from grontur.commands._common import note_symlinked_out
        from grontur.config import context_from_flags
        from grontur.keys import key_for
        from grontur.outputs import output_folder
        from grontur.pipeline import build_request, run
        from grontur.releases import replacement_notes

        # the modules loaded stay for the whole run: the collector need not walk them again and again
        gc.freeze()
        if all_municipalities:
            note_symlinked_out(out, lang or "en")
            _analyse_all(survey, out=out, mapping=mapping, sheet=sheet, lang=lang, k=k,
                         run_date=run_date.date() if run_date else None, formats=formats, jobs=jobs, limits=limits)
            return

        request = build_request(
            survey, project=project, municipality=municipality, followup=followup, mapping=mapping, sheet=sheet,
            lang=lang, k=k, run_date=run_date.date() if run_date else None, formats=formats, out=out,
            replace_release=replace_release, context=context_from_flags(transit, parking, facilities), limits=limits,
        )
        ui = lang or request.project.language  # the console speaks the report's language
        note_symlinked_out(out, ui)
        result = run(request, renderer=renderer)
        assert result.analysis is not None
        respondents = result.analysis.results["respondents"]
        click.echo(t("cli.analyse.done", ui, name=result.project.name, kept=respondents["kept"],
                     input_rows=respondents["input_rows"], quarantined=respondents["quarantined"],
                     folder=output_folder(out)))
        key = key_for(result.project)
        if key.path is not None:
            click.echo(t("keys.stored", ui, path=key.path))
        for note in replacement_notes(result.release, ui):
            click.echo(note, err=True)


def _renderer(formats: tuple[str, ...]) -> Any:
    """The process that draws the report's pictures (:mod:`grontur.report.background`), started
    first of all when the report has pictures, so that it loads matplotlib while this process
    loads pandas and analyses."""
    from grontur.report import FIGURE_FORMATS

    if not FIGURE_FORMATS.intersection(formats):
        return None
    from grontur.report.background import Renderer

    return Renderer()


def _analyse_all(survey: Path | None, *, out: Path, mapping: Path | None, sheet: str | None, lang: str | None,
                 k: int | None, run_date: dt.date | None, formats: tuple[str, ...], jobs: int,
                 limits: tuple[str, ...] = ()) -> None:
    """Every municipality of one survey file, in parallel, with a progress bar."""
    import time

    from grontur.importing import import_survey
    from grontur.limits import limits_from_flags
    from grontur.pipeline import analyse_many
    from grontur.publish import DEFAULT_K

    ui = lang or "en"
    if survey is None:
        raise click.UsageError(t("cli.analyse.many_needs_survey", ui))
    started = time.perf_counter()
    imported = import_survey(survey, mapping=mapping, sheet=sheet, k=DEFAULT_K if k is None else k,
                             limits=limits_from_flags(limits))
    count = int(imported.table["municipality"].nunique()) if "municipality" in imported.table else 0
    with progress_bar(count, t("cli.analyse.many_progress", ui)) as advance:
        many = analyse_many(imported, jobs=jobs, formats=formats, out_dir=out, lang=lang, k=k, run_date=run_date,
                            progress=lambda _name: advance())
    for number, error in many.failed.items():
        click.echo(t("cli.analyse.many_failed", ui, number=number, error=error), err=True)
    if many.unassigned:
        click.echo(t("cli.analyse.many_unassigned", ui, n=many.unassigned), err=True)
    click.echo(t("cli.analyse.many_done", ui, municipalities=len(many.results), seconds=f"{time.perf_counter() - started:.1f}",
                 folder=out, **many.account))
