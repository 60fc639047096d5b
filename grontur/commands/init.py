"""``grontur init``: set up a project folder, by questions in a terminal or from flags in a script.

In a terminal the first question (unless ``--lang`` answers it) is the project's language, asked
in all three; every later question, hint and message is in that language. The conversation checks
as it goes: the survey file must exist, and every workplace must be placeable on a map (coordinates,
or a postcode found in a postcode list the project names). Site facts the ranking needs (public
transport, parking, facilities) are asked, with "don't know" leaving them unknown.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from grontur.commands._prompts import NOTHING, Asker
from grontur.config import PARKING_LEVELS, TRANSIT_LEVELS, Workplace
from grontur.errors import (
    ConfigError,
    GronturError,
    InteractiveError,
    MunicipalityError,
)
from grontur.i18n import t
from grontur.threshold import DEFAULT_K, check_k

UNKNOWN = "__unknown__"


def _is_k(text: str) -> bool:
    """Whether a typed threshold passes the project's one check of k."""
    try:
        check_k(int(text.strip()))
    except (ValueError, ConfigError):
        return False
    return True


def parse_workplace(text: str, lang: str = "en") -> Workplace:
    """``"Name;60.70;8.94"`` or ``"Name;3550"`` -> Workplace."""
    parts = [p.strip() for p in text.split(";")]
    try:
        if len(parts) == 3 and parts[0]:
            return Workplace(name=parts[0], lat=float(parts[1].replace(",", ".")), lon=float(parts[2].replace(",", ".")))
        if len(parts) == 2 and parts[0] and parts[1].isdigit() and len(parts[1]) == 4:
            return Workplace(name=parts[0], postcode=parts[1])
    except ValueError:
        pass
    raise ConfigError(t("init.workplace_invalid", lang, text=text))


def _in_folder(folder: Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else folder / path


def _read_postcodes(folder: Path, name: str, lang: str) -> Any:
    """The postcode list ``name`` (relative to the project folder), or a ConfigError in ``lang``."""
    from grontur.geo import read_postcodes

    try:
        return read_postcodes(_in_folder(folder, name))
    except GronturError:
        raise ConfigError(t("init.postcodes_unreadable", lang, path=_in_folder(folder, name))) from None


def locate_problem(workplace: Workplace, postcodes: Any, lang: str) -> str | None:
    """Why ``workplace`` cannot be placed on a map (in ``lang``), or ``None`` when it can."""
    if workplace.lat is not None and workplace.lon is not None:
        return None
    if postcodes is None:
        return t("init.workplace_needs_postcodes", lang, name=workplace.name, postcode=workplace.postcode)
    if workplace.postcode not in set(postcodes["postcode"]):
        return t("init.postcode_not_in_list", lang, name=workplace.name, postcode=workplace.postcode)
    return None


def _ask_workplace(asker: Asker, folder: Path, state: dict[str, Any]) -> Workplace | None:
    """One workplace, checked; ``None`` (after saying why) when it cannot be located."""
    lang = asker.lang
    try:
        workplace = parse_workplace(asker.text(t("init.workplace_format", lang)), lang)
    except ConfigError as error:
        asker.show(str(error))
        return None
    if workplace.postcode is not None and state.get("postcodes") is None:
        name = asker.text(t("init.ask_postcodes", lang)).strip()
        if name:
            try:
                state["postcodes"] = _read_postcodes(folder, name, lang)
                state["postcodes_file"] = name
            except ConfigError as error:
                asker.show(str(error))
    problem = locate_problem(workplace, state.get("postcodes"), lang)
    if problem:
        asker.show(problem)
        return None
    return workplace


def interview(asker: Asker, *, municipality: str | None, language: str | None, k: int | None,
              survey: str | None, workplaces: list[Workplace], folder: Path = Path("."),
              employees: int | None = None, postcodes: str | None = None) -> dict:
    """Ask for whatever the flags did not give; every question after the language is in that language."""
    from grontur.catalogue import FACILITIES
    from grontur.municipalities import lookup

    answers: dict = {}
    if language is None:
        # asked in all three languages, before any other question
        language = asker.select(t("init.ask_project_language", "en"), [("Nynorsk", "nn"), ("Bokmål", "nb"), ("English", "en")],
                                hint=t("init.project_language_hint", "en"))
    asker.lang = ui = answers["language"] = language
    while municipality is None:
        typed = asker.text(t("init.ask_municipality", ui)).strip()
        try:
            municipality = lookup(typed).number
        except MunicipalityError:
            asker.show(t("init.municipality_unknown", ui, text=typed))
    answers["municipality"] = municipality
    answers["k"] = k or int(asker.text(t("init.ask_k", ui), default=str(DEFAULT_K),
                                       validate=lambda s: _is_k(s) or t("init.k_invalid", ui)))
    answers["employees"] = employees or (int(typed) if (typed := asker.text(
        t("init.ask_employees", ui),
        validate=lambda s: not s.strip() or (s.strip().isdigit() and int(s) > 0) or t("init.employees_invalid", ui),
    ).strip()) else None)
    while survey is None:
        typed = asker.text(t("init.ask_survey", ui)).strip()
        if not typed:
            break
        if _in_folder(folder, typed).is_file():
            survey = typed
        else:
            asker.show(t("init.survey_missing", ui, path=_in_folder(folder, typed)))
    answers["survey"] = survey
    state: dict[str, Any] = {"postcodes": _read_postcodes(folder, postcodes, ui) if postcodes else None,
                             "postcodes_file": postcodes}
    while asker.confirm(t("init.ask_more_workplaces" if workplaces else "init.ask_workplace", ui), default=None):
        workplace = _ask_workplace(asker, folder, state)
        if workplace is not None:
            workplaces.append(workplace)
    answers["workplaces"] = workplaces
    answers["postcodes"] = state["postcodes_file"]
    unknown = (t("init.unknown", ui), UNKNOWN)
    transit = asker.select(t("init.ask_transit", ui), [*((t(f"init.transit.{level}", ui), level) for level in TRANSIT_LEVELS),
                                                       unknown], default=NOTHING)
    answers["transit"] = None if transit == UNKNOWN else transit
    parking = asker.select(t("init.ask_parking", ui), [*((t(f"code.parking_at_work.{level}", ui), level)
                                                         for level in PARKING_LEVELS), unknown], default=NOTHING)
    answers["parking"] = None if parking == UNKNOWN else parking
    present = asker.checkbox(t("init.ask_facilities", ui),
                             [*((_capital(t(f"catalogue.facility.{name}", ui)), name) for name in FACILITIES), unknown])
    answers["facilities"] = {} if UNKNOWN in present else {name: name in present for name in FACILITIES}
    return answers


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@click.command("init")
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--kommune", "municipality", help="Municipality name or number (2024 numbering).")
@click.option("--lang", "language", type=click.Choice(["nn", "nb", "en"]),
              help="Language of the project: report, questions and comments (default: the written standard).")
@click.option("--k", "k", type=int, help=f"Privacy threshold, {DEFAULT_K} or higher (default {DEFAULT_K}).")
@click.option("--employees", type=int, help="Total number of employees.")
@click.option("--survey", help="Survey export file (relative to FOLDER).")
@click.option("--mapping", help="Mapping file for an unknown export.")
@click.option("--wave", help="Survey round, e.g. 2026-03.")
@click.option("--workplace", "workplace_texts", multiple=True, help="'Name;lat;lon' or 'Name;postcode' (repeat).")
@click.option("--postcodes", help="Postcode list (relative to FOLDER) that workplace postcodes are found in.")
@click.option("--transit", type=click.Choice(TRANSIT_LEVELS), help="Public transport service at the sites (default: unknown).")
@click.option("--parking", type=click.Choice(PARKING_LEVELS), help="Parking at work (default: unknown).")
@click.option("--facility", "facility_texts", multiple=True, metavar="NAME=yes|no",
              help="A facility at the workplace, e.g. --facility showers=yes (repeat; default: unknown).")
@click.option("--yes", "-y", "no_questions", is_flag=True, help="Ask nothing; use the flags and defaults.")
@click.option("--force", is_flag=True, help="Overwrite an existing grontur.yaml.")
def command(folder: Path, municipality: str | None, language: str | None, k: int | None, employees: int | None,
            survey: str | None, mapping: str | None, wave: str | None, workplace_texts: tuple[str, ...],
            postcodes: str | None, transit: str | None, parking: str | None, facility_texts: tuple[str, ...],
            no_questions: bool, force: bool) -> None:
    """Create a project folder with a commented grontur.yaml for one municipality."""
    from grontur.config import CONFIG_NAME, context_from_flags, default_language
    from grontur.project_setup import write_project

    ui = language or _language_of(municipality)
    if (folder / CONFIG_NAME).exists() and not force:
        raise ConfigError(t("init.exists", ui, path=folder / CONFIG_NAME))
    workplaces = [parse_workplace(text, ui) for text in workplace_texts]
    facilities = context_from_flags(facilities=facility_texts).get("facilities", {})
    if not no_questions and not sys.stdin.isatty():
        if municipality is None:
            raise InteractiveError(t("init.no_terminal", ui))
        no_questions = True
    if not no_questions:
        asker = Asker(ui)
        try:
            answers = interview(asker, municipality=municipality, language=language, k=k, survey=survey,
                                workplaces=workplaces, folder=folder, employees=employees, postcodes=postcodes)
        except KeyboardInterrupt:
            # said in the language chosen in the conversation; nothing is written
            click.echo(t("cli.interrupted", asker.lang), err=True)
            raise click.exceptions.Exit(130) from None
        ui = language = answers["language"]
        municipality, k, survey, workplaces, employees, postcodes = (
            answers["municipality"], answers["k"], answers["survey"], answers["workplaces"], answers["employees"],
            answers["postcodes"])
        transit, parking = transit or answers["transit"], parking or answers["parking"]
        facilities = {**answers["facilities"], **facilities}
    if municipality is None:
        raise InteractiveError(t("init.no_terminal", ui))
    # the workplaces from flags too (those asked for were checked as they were given)
    table = _read_postcodes(folder, postcodes, ui) if postcodes else None
    problems = [problem for w in workplaces if (problem := locate_problem(w, table, ui))]
    if problems:
        raise ConfigError(problems[0] + " " + t("init.flags_hint", ui))
    if survey and not _in_folder(folder, survey).is_file():
        click.echo(t("init.survey_missing_later", ui, path=_in_folder(folder, survey)), err=True)
    from grontur.municipalities import lookup

    language = language or default_language(lookup(municipality).written_standard)
    path = write_project(folder, municipality=municipality, language=language, k=k or DEFAULT_K, employees=employees,
                         survey=survey, mapping=mapping, wave=wave, workplaces=workplaces, transit=transit,
                         parking=parking, facilities=facilities, postcodes=postcodes, overwrite=force)
    click.echo(t("init.written", language, path=path, folder=folder))


def _language_of(municipality: str | None) -> str:
    """The messages' language before the project's is known: the municipality's written standard."""
    from grontur.config import default_language
    from grontur.municipalities import lookup

    if municipality is None:
        return "nb"
    try:
        return default_language(lookup(municipality).written_standard)
    except MunicipalityError:
        return "nb"
