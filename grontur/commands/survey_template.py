"""``grontur survey-template``: the standard question sheet to copy into a form tool."""

from __future__ import annotations

from pathlib import Path

import click

from grontur.i18n import t


@click.command("survey-template")
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]), default="nn", show_default=True, help="Language of the questions.")
@click.option("--format", "format_", type=click.Choice(["html", "csv", "docx"]), help="Output format (default: from the file suffix).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def command(lang: str, format_: str | None, out: Path) -> None:
    """Write the grontur standard questionnaire as a sheet to set up in Nettskjema, Microsoft Forms and others."""
    from grontur.template import write_template

    path = write_template(out, lang=lang, format=format_)
    click.echo(t("template.written", lang, file=path))
