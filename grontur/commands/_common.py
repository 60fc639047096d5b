"""Options and helpers shared by several commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

FORMATS = ("html", "docx", "xlsx")


def note_symlinked_out(out: Path, lang: str) -> None:
    """Say on stderr where the outputs go when ``--out`` is a symbolic link (it is followed)."""
    from grontur.i18n import t
    from grontur.outputs import resolve_target

    if out.is_symlink():
        click.echo(t("cli.out.symlink", lang, out=out, target=resolve_target(out)), err=True)


def formats_option(func: Callable) -> Callable:
    return click.option(
        "--format", "formats", multiple=True, type=click.Choice([*FORMATS, "pdf", "none"]), default=FORMATS,
        show_default=True,
        help="Report formats to write (repeat the option); 'pdf' needs Chromium; 'none' writes only data files.",
        callback=lambda _ctx, _param, value: tuple(v for v in value if v != "none"),
    )(func)


def limit_option(func: Callable) -> Callable:
    return click.option(
        "--limit", "limits", multiple=True, metavar="NAME=N",
        help="Raise or lower a size limit of the survey file, e.g. --limit columns=5000 (rows, columns, cell_bytes, "
             "header_bytes, xlsx_bytes, xlsx_ratio, shared_strings; see docs/reliability.md); repeat for each.",
    )(func)


def jobs_option(func: Callable) -> Callable:
    return click.option(
        "--jobs", "-j", type=click.IntRange(1, 64), default=min(2, os.cpu_count() or 1), show_default=True,
        help="Municipalities analysed in parallel (processes).",
    )(func)


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[], None]]:
    """A rich progress bar on a terminal; silent when stderr is not one (CI, pipes)."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)
