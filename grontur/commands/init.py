"""``grontur init``: set up a project folder, by questions in a terminal or from flags in a script."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grontur.commands._prompts import Asker
from grontur.config import PARKING_LEVELS, TRANSIT_LEVELS, Workplace
from grontur.errors import ConfigError, InteractiveError, MunicipalityError
from grontur.i18n import t


def parse_workplace(text: str) -> Workplace:
    """``"Name;60.70;8.94"`` or ``"Name;3550"`` -> Workplace."""
    parts = [p.strip() for p in text.split(";")]
    try:
        if len(parts) == 3:
            return Workplace(name=parts[0], lat=float(parts[1].replace(",", ".")), lon=float(parts[2].replace(",", ".")))
        if len(parts) == 2 and parts[1].isdigit() and len(parts[1]) == 4:
            return Workplace(name=parts[0], postcode=parts[1])
        if len(parts) == 1 and parts[0]:
            return Workplace(name=parts[0])
    except ValueError:
        pass
    msg = f"--workplace {text!r}: write 'Name;lat;lon' (e.g. 'Rådhuset;60.70;8.94') or 'Name;postcode' (e.g. 'Rådhuset;3550')."
    raise ConfigError(msg)


def interview(asker: Asker, *, municipality: str | None, language: str | None, k: int | None,
              survey: str | None, workplaces: list[Workplace]) -> dict:
    """Ask for whatever the flags did not give."""
    from grontur.municipalities import lookup

    ui = asker.lang
    answers: dict = {}
    while municipality is None:
        typed = asker.text(t("init.ask_municipality", ui)).strip()
        try:
            municipality = lookup(typed).number
        except MunicipalityError as error:
            click.echo(str(error), err=True)
    answers["municipality"] = municipality
    found = lookup(municipality)
    answers["language"] = language or asker.select(
        t("init.ask_language", ui, name=found.name),
        [(t("init.lang_nn", ui), "nn"), (t("init.lang_nb", ui), "nb"), (t("init.lang_en", ui), "en")],
        default="nn" if found.written_standard == "nn" else "nb",
    )
    answers["k"] = k or int(asker.text(t("init.ask_k", ui), default="5",
                                       validate=lambda s: (s.strip().isdigit() and int(s) >= 5) or t("init.k_invalid", ui)))
    answers["survey"] = survey or (asker.text(t("init.ask_survey", ui)).strip() or None)
    while asker.confirm(t("init.ask_more_workplaces" if workplaces else "init.ask_workplace", ui), default=not workplaces):
        typed = asker.text(t("init.workplace_format", ui))
        try:
            workplaces.append(parse_workplace(typed))
        except ConfigError as error:
            click.echo(str(error), err=True)
    answers["workplaces"] = workplaces
    return answers


@click.command("init")
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--kommune", "municipality", help="Municipality name or number (2024 numbering).")
@click.option("--lang", "language", type=click.Choice(["nn", "nb", "en"]), help="Report language (default: the written standard).")
@click.option("--k", "k", type=int, help="Privacy threshold, 5 or higher (default 5).")
@click.option("--employees", type=int, help="Total number of employees.")
@click.option("--survey", help="Survey export file (relative to FOLDER).")
@click.option("--mapping", help="Mapping file for an unknown export.")
@click.option("--wave", help="Survey round, e.g. 2026-03.")
@click.option("--workplace", "workplace_texts", multiple=True, help="'Name;lat;lon' or 'Name;postcode' (repeat).")
@click.option("--transit", type=click.Choice(TRANSIT_LEVELS), default="poor", show_default=True)
@click.option("--parking", type=click.Choice(PARKING_LEVELS), default="free", show_default=True)
@click.option("--yes", "-y", "no_questions", is_flag=True, help="Ask nothing; use the flags and defaults.")
@click.option("--force", is_flag=True, help="Overwrite an existing grontur.yaml.")
def command(folder: Path, municipality: str | None, language: str | None, k: int | None, employees: int | None,
            survey: str | None, mapping: str | None, wave: str | None, workplace_texts: tuple[str, ...],
            transit: str, parking: str, no_questions: bool, force: bool) -> None:
    """Create a project folder with a commented grontur.yaml for one municipality."""
    from grontur.project_setup import write_project

    workplaces = [parse_workplace(text) for text in workplace_texts]
    ui = language or "nb"
    if not no_questions and not sys.stdin.isatty():
        if municipality is None:
            raise InteractiveError(t("init.no_terminal", ui))
        no_questions = True
    if not no_questions:
        answers = interview(Asker(ui), municipality=municipality, language=language, k=k, survey=survey,
                            workplaces=workplaces)
        municipality, language, k, survey, workplaces = (answers["municipality"], answers["language"], answers["k"],
                                                         answers["survey"], answers["workplaces"])
    if municipality is None:
        raise InteractiveError(t("init.no_terminal", ui))
    path = write_project(folder, municipality=municipality, language=language, k=k or 5, employees=employees,
                         survey=survey, mapping=mapping, wave=wave, workplaces=workplaces, transit=transit,
                         parking=parking, overwrite=force)
    click.echo(t("init.written", ui, path=path, folder=folder))
