"""``grontur demo``: the whole pipeline on the six synthetic Hallingdal municipalities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from grontur.commands._common import formats_option, jobs_option, progress_bar
from grontur.i18n import t


@click.command("demo")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
              show_default=True, help="Folder for one sub-folder per municipality and index.html.")
@formats_option
@jobs_option
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]), default="en", show_default=True,
              help="Language of the messages printed here (reports follow each municipality).")
def command(out: Path, formats: tuple[str, ...], jobs: int, lang: str) -> None:
    """Run the whole pipeline on the shipped synthetic demo data (six Hallingdal municipalities)."""
    from grontur.pipeline import demo_projects, run_demo

    started = dt.datetime.now()
    projects = demo_projects()
    with progress_bar(len(projects), t("cli.demo.progress", lang)) as advance:
        summaries = run_demo(out, formats=formats, jobs=jobs, progress=lambda _name: advance())
    seconds = (dt.datetime.now() - started).total_seconds()
    for summary in summaries:
        respondents = summary["respondents"]
        click.echo(t("cli.demo.line", lang, name=summary["municipality"]["name"], kept=respondents["kept"],
                     input_rows=respondents["input_rows"], folder=out / summary["slug"]))
    click.echo(t("cli.demo.done", lang, index=out / "index.html", seconds=f"{seconds:.1f}"))
