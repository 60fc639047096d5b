"""``grontur compare``: a baseline and a follow-up wave to ``comparison.json`` and ``comparison.html``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import click

from grontur.i18n import t


@click.command("compare")
@click.argument("baseline", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("followup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kommune", "municipality", help="Municipality name or 4-digit number (2024 numbering).")
@click.option("--project", type=click.Path(path_type=Path), help="Project folder with grontur.yaml (pilots, employees, salt).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--comparison-municipality", "comparison_project", type=click.Path(path_type=Path),
              help="Project folder of a municipality without the pilots (its grontur.yaml names both waves), for difference in differences (default: the project's comparison_municipality).")
@click.option("--comparison-files", nargs=2, type=click.Path(dir_okay=False, path_type=Path),
              help="Baseline and follow-up export of the comparison municipality (instead of a project folder).")
@click.option("--waves", nargs=2, help="Wave labels of baseline and follow-up, e.g. 2025-03 2026-03.")
@click.option("--write-evidence", is_flag=True, help="Save pilot results as evidence records for the ranking.")
@click.option("--evidence-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for evidence records (default: measures/evidence).")
@click.option("--overwrite-evidence", is_flag=True, help="Replace an evidence file that holds a different record.")
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]), help="Report language (default: the municipality's written standard).")
@click.option("--k", "k", type=int, help="Privacy threshold (5 or higher).")
@click.option("--employees", type=int, help="Employees at the time of the surveys (default: from the project).")
@click.option("--run-date", type=click.DateTime(["%Y-%m-%d"]), help="Date shown in the outputs (default: the project's run_date or today).")
@click.option("--replace-release", "replace_release", is_flag=True,
              help="Publish even though a wave differs from an earlier release by fewer than k people, replacing it "
                   "(copies of it already handed out still allow the comparison; see docs/privacy.md).")
def command(baseline: Path, followup: Path, municipality: str | None, project: Path | None, out: Path,
            comparison_project: Path | None, comparison_files: tuple[Path, Path] | None,
            waves: tuple[str, str] | None, write_evidence: bool, evidence_dir: Path | None,
            overwrite_evidence: bool, lang: str | None, k: int | None, employees: int | None,
            run_date: dt.datetime | None, replace_release: bool) -> None:
    """Compare two survey waves: changes with 95% intervals, comparability checks and pilot effects."""
    from grontur import pilots
    from grontur.config import load_project
    from grontur.i18n import Translator
    from grontur.keys import key_for
    from grontur.pipeline import ComparisonData, build_request, run
    from grontur.releases import replacement_notes
    from grontur.report.comparison import warning_text
    from grontur.resources import data_path

    request = build_request(
        baseline, project=project, municipality=municipality, followup=followup, lang=lang, k=k,
        run_date=run_date.date() if run_date else None, employees=employees, waves=waves, out=out,
        formats=("html",), comparison_only=True, replace_release=replace_release,
    )
    # Without either option the project's own comparison_municipality is used, as by analyse and demo.
    if comparison_project is not None:
        request = dataclasses.replace(request, comparison=ComparisonData(project=load_project(comparison_project)))
    elif comparison_files:
        # The comparison municipality's files are read with this project's settings, not checked against it.
        request = dataclasses.replace(request, comparison=ComparisonData(
            project=request.project, baseline=comparison_files[0], followup=comparison_files[1], check=False))
    result = run(request)
    data = result.comparison
    assert data is not None

    lang = lang or result.project.language
    tr = Translator(lang)
    for warning in data["comparability"]:
        click.echo(tr("cli.compare.warning", text=warning_text(warning, tr, lang)), err=True)
    click.echo(tr("cli.compare.done", name=result.project.name, folder=out, before=data["respondents"]["n_before"],
                  after=data["respondents"]["n_after"], pilots=len(result.effects)))
    key = key_for(result.project)
    if key.path is not None:
        click.echo(tr("keys.stored", path=key.path))
    for note in replacement_notes(result.release, lang):
        click.echo(note, err=True)
    if write_evidence and result.effects:
        folder = evidence_dir or data_path("measures", "evidence")
        written = pilots.write_evidence(result.effects, folder, overwrite=overwrite_evidence)
        click.echo(t("cli.compare.evidence", lang, n=len(written), folder=folder))
