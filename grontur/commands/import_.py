"""``grontur import``: read a survey export, strip identifiers, map and clean it, and say what happened."""

from __future__ import annotations

from pathlib import Path

import click

from grontur.commands._common import limit_option
from grontur.i18n import t
from grontur.limits import DEFAULT_LIMITS, Limits
from grontur.threshold import DEFAULT_K


@click.command("import")
@click.argument("survey", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--mapping", help="Mapping file (or shipped mapping name) for an export grontur does not know.")
@click.option("--sheet", help="Excel sheet that holds the responses (default: found automatically).")
@click.option("--save-mapping", "save_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the mapping used (with accepted suggestions) to this file for editing and reuse.")
@click.option("--interactive", is_flag=True,
              help="Ask in the terminal about columns and answers grontur could not map (needs --save-mapping).")
@click.option("--kommune", "municipality", help="Municipality name or number for rows without one.")
@click.option("--wave", help="Survey round, e.g. 2025-03, for rows without one.")
@click.option("--salt", default="", envvar="GRONTUR_SALT",
              help="Secret key for pseudonymous ids (or GRONTUR_SALT); default: a random key kept in the user's data folder.")
@click.option("--k", "k", type=int, default=DEFAULT_K, show_default=True,
              help="Privacy threshold (5 or higher): values of workplace, postcode, job group and age band held by "
                   "fewer than k kept respondents are generalised in cleaned.csv.")
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]),
              help="Language of the questions and the summary (default: the written standard of --kommune, else English).")
@limit_option
def command(survey: Path, out: Path, mapping: str | None, sheet: str | None, save_to: Path | None, interactive: bool,
            municipality: str | None, wave: str | None, salt: str, k: int, lang: str | None,
            limits: tuple[str, ...]) -> None:
    """Import SURVEY and write cleaned.csv, quality.csv, quarantine.csv and mapping_report.json to OUT."""
    from grontur.commands._common import note_symlinked_out
    from grontur.config import project_for
    from grontur.limits import limits_from_flags
    from grontur.outputs import output_lock, refuse_inputs_inside
    from grontur.threshold import check_k

    # one language through the run: the one 'grontur survey' and 'grontur init' use for the municipality
    lang = lang or (project_for(municipality).language if municipality else "en")

    k = check_k(k, "--k")
    size_limits = limits_from_flags(limits)
    note_symlinked_out(out, lang)
    mapping_file = Path(mapping) if mapping and Path(mapping).is_file() else None
    refuse_inputs_inside(out, [survey, mapping_file])
    with output_lock(out):
        _import(survey, out=out, mapping=mapping, sheet=sheet, save_to=save_to, interactive=interactive,
                municipality=municipality, wave=wave, salt=salt, k=k, lang=lang, limits=size_limits)


def _import(survey: Path, *, out: Path, mapping: str | None, sheet: str | None, save_to: Path | None,
            interactive: bool, municipality: str | None, wave: str | None, salt: str, k: int, lang: str,
            limits: Limits = DEFAULT_LIMITS) -> None:
    """Import and write the set, holding the output folder's lock."""
    from grontur.importing import import_survey, save_mapping
    from grontur.outputs import output_folder, staged_folder, write_csv, write_json

    if interactive:
        from grontur.commands._mapping_wizard import run_wizard
        from grontur.commands._prompts import Asker, require_terminal

        require_terminal("grontur import --interactive", "wizard.no_terminal", lang)
        if save_to is None:
            raise click.UsageError(t("import.error.interactive_needs_save", lang))
        run_wizard(survey, asker=Asker(lang), save_to=save_to, sheet=sheet, mapping=mapping, municipality=municipality)
        mapping = str(save_to)
    from grontur.errors import WeakMappingError
    from grontur.keys import user_key_for

    # Without --salt the import uses (and on first use makes) the user's key for the municipality.
    try:
        result = import_survey(survey, mapping=mapping, sheet=sheet, municipality=municipality, wave=wave, salt=salt, k=k,
                               limits=limits)
    except WeakMappingError as error:
        if save_to is None or error.draft is None:
            raise
        # the refusal stands (exit 2); the draft mapping to complete is written where asked
        save_mapping(error.draft, save_to, suggestions=error.suggestions, unmapped=error.unmapped)  # type: ignore[arg-type]
        raise WeakMappingError(f"{error} {t('import.error.draft_saved', lang, file=save_to)}") from None
    key = None if salt else user_key_for(municipality)
    names = ["cleaned.csv", "quality.csv", "quarantine.csv", "mapping_report.json"]
    with staged_folder(out) as staging:
        write_csv(result.cleaned_table(), staging / "cleaned.csv")
        write_csv(result.issues, staging / "quality.csv")
        write_csv(result.quarantine, staging / "quarantine.csv")
        write_json(result.as_dict(), staging / "mapping_report.json")
    for line in result.summary(lang):
        click.echo(line)
    click.echo(t("import.summary.written", lang, files=", ".join(names), out=output_folder(out)))
    if key is not None:
        click.echo(t("keys.stored", lang, path=key.path))
    if interactive:
        click.echo(t("wizard.saved", lang, path=save_to))
    elif save_to is not None and result.mapping is not None:
        save_mapping(result.mapping, save_to, suggestions=result.mapping_report["suggestions"],
                     unmapped=result.mapping_report["unmapped"])
        click.echo(t("import.summary.mapping_saved", lang, file=save_to))
