"""``grontur compare``: a baseline and a follow-up wave to ``comparison.json`` and ``comparison.html``."""

from __future__ import annotations

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
              help="Project folder of a municipality without the pilots (its grontur.yaml names both waves), for difference in differences.")
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
    from grontur import compare, pilots
    from grontur.config import load_project, project_for
    from grontur.errors import GronturError
    from grontur.i18n import Translator
    from grontur.keys import key_for
    from grontur.outputs import staged_folder, write_json
    from grontur.pipeline import to_jsonable
    from grontur.releases import check_release, replacement_notes
    from grontur.report.comparison import render_comparison_html, warning_text
    from grontur.resources import data_path

    if project is not None:
        proj = load_project(project)
    elif municipality is not None:
        proj = project_for(municipality, language=lang, k=k or 5)
    else:
        msg = "Say which municipality the surveys are from: give --kommune NAME|NUMBER or --project DIR."
        raise GronturError(msg)
    proj = proj.with_overrides(run_date=run_date.date() if run_date else None, k=k, employees=employees)
    lang = lang or proj.language
    wave_before, wave_after = waves if waves else (proj.wave, getattr(proj, "followup_wave", None))

    if _same_file(baseline, followup):
        msg = (f"{followup}: the follow-up is the same file as the baseline ({baseline}); give the export of "
               "the repeat survey as the second file.")
        raise GronturError(msg)
    before = _import(baseline, proj, wave_before)
    after = _import(followup, proj, wave_after)
    control = None
    if comparison_project is not None:
        other = load_project(comparison_project)
        if other.survey is None or other.followup is None:
            msg = (f"{comparison_project}: the comparison municipality's grontur.yaml must name both 'survey' and "
                   "'followup'; add them or use --comparison-files BASELINE FOLLOWUP.")
            raise GronturError(msg)
        control = (_import(other.survey, other, other.wave).table,
                   _import(other.followup, other, getattr(other, "followup_wave", None)).table)
    elif comparison_files:
        # The comparison municipality's files are read with this project's settings, not checked against it.
        control = (_import(comparison_files[0], proj, wave_before, check=False).table,
                   _import(comparison_files[1], proj, wave_after, check=False).table)

    result = compare.compare_waves(
        before.table, after.table, k=proj.k, employees_before=proj.employees, employees_after=proj.employees,
        waves=waves or None, mapping_before=compare.mapping_signature(before.mapping_report),
        mapping_after=compare.mapping_signature(after.mapping_report),
    )
    effects = pilots.evaluate_pilots(
        before.table, after.table, pilots=proj.pilots, comparison=control, k=proj.k,
        municipality={"number": proj.number, "name": proj.name},
        context={"municipality": {"employees": proj.employees, "rurality": proj.context.get("rurality")}},
        run_date=proj.run_date, lang=lang,
    ) if proj.pilots else []
    result = result.with_pilots(effects)
    data = to_jsonable(result.as_dict())
    release = check_release(proj, (before.table, after.table), out, replace=replace_release)
    with staged_folder(out) as staging:
        write_json(data, staging / "comparison.json")
        html = render_comparison_html(data, lang=lang, name=proj.name, date=proj.run_date.isoformat())
        (staging / "comparison.html").write_text(html, encoding="utf-8")
    release.record()

    tr = Translator(lang)
    for warning in data["comparability"]:
        click.echo(tr("cli.compare.warning", text=warning_text(warning, tr, lang)), err=True)
    click.echo(tr("cli.compare.done", name=proj.name, folder=out, before=data["respondents"]["n_before"],
                  after=data["respondents"]["n_after"], pilots=len(effects)))
    key = key_for(proj)
    if key.path is not None:
        click.echo(tr("keys.stored", path=key.path))
    for note in replacement_notes(release, lang):
        click.echo(note, err=True)
    if write_evidence and effects:
        folder = evidence_dir or data_path("measures", "evidence")
        written = pilots.write_evidence(effects, folder, overwrite=overwrite_evidence)
        click.echo(t("cli.compare.evidence", lang, n=len(written), folder=folder))


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths hold the same bytes (the same file, or a copy of it)."""
    import hashlib

    if not (first.is_file() and second.is_file()):
        return False
    if first.resolve() == second.resolve():
        return True
    if first.stat().st_size != second.stat().st_size:
        return False
    return hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def _import(path: Path, project, wave: str | None, *, check: bool = True):
    """Import one wave; ``check``: refuse a file with no usable answers or of another municipality."""
    from grontur.importing import import_survey
    from grontur.pipeline import check_one_municipality

    imported = import_survey(path, mapping=project.mapping, sheet=project.sheet, municipality=project.number,
                             wave=wave, salt=project.salt)
    if check:
        check_one_municipality(imported, project, path)
    return imported
