"""``grontur notebook``: write an executed copy of the analysis notebook for one municipality."""

from __future__ import annotations

from pathlib import Path

import click

from grontur.errors import ConfigError, GronturError
from grontur.i18n import t
from grontur.resources import data_path

NOTEBOOK = "kommuneanalyse.ipynb"
#: The longest a notebook cell may run (seconds): the whole analysis of a large municipality
#: takes well under a minute.
CELL_TIMEOUT_S = 900


def run_notebook(*, municipality: str, out: Path, survey: Path | None = None, followup: Path | None = None,
                 lang: str | None = None, kernel: str | None = None) -> Path:
    """Execute the shipped notebook with papermill and return the path of the executed copy.

    The reports and data files land in ``out``; the executed notebook is
    ``out/kommuneanalyse-<municipality>.ipynb``.
    """
    try:
        import papermill
        from nbclient.exceptions import CellTimeoutError
    except ImportError as error:
        raise ConfigError(t("report.notebook.needs_papermill", lang or "en")) from error
    from grontur.outputs import refuse_inputs_inside

    refuse_inputs_inside(out, [survey, followup])
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    slug = "".join(ch for ch in municipality.lower() if ch.isalnum()) or "kommune"
    target = out / f"kommuneanalyse-{slug}.ipynb"
    parameters = {
        "municipality": municipality,
        "survey": str(Path(survey).resolve()) if survey else None,
        "followup": str(Path(followup).resolve()) if followup else None,
        "lang": lang,
        "out_dir": str(out),
    }
    try:
        papermill.execute_notebook(
            str(data_path("notebooks", NOTEBOOK)), str(target), parameters=parameters,
            # Not ``out`` itself: the analysis in the notebook replaces that folder whole.
            cwd=str(out.parent),
            kernel_name=kernel, progress_bar=False, log_output=False,
            # No step takes minutes; a kernel that stops answering ends the run with an error
            # instead of a process that waits forever.
            execution_timeout=CELL_TIMEOUT_S,
        )
    except papermill.PapermillExecutionError as error:
        msg = t("report.notebook.failed", lang or "en", error=f"{error.ename}: {error.evalue}", path=target)
        raise GronturError(msg) from error
    except CellTimeoutError as error:
        msg = t("report.notebook.failed", lang or "en", error=str(error).splitlines()[0], path=target)
        raise GronturError(msg) from error
    return target


@click.command("notebook")
@click.option("--kommune", "municipality", required=True, help="Municipality name or 4-digit number (2024 numbering).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--survey", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Survey export (default: the demo survey of the municipality).")
@click.option("--followup", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="A later wave to compare with.")
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]), help="Report language (default: the municipality's written standard).")
@click.option("--kernel", help="Jupyter kernel to run the notebook with (default: the notebook's own).")
def command(municipality: str, out: Path, survey: Path | None, followup: Path | None, lang: str | None,
            kernel: str | None) -> None:
    """Run notebooks/kommuneanalyse.ipynb for one municipality and save the executed copy in OUT."""
    path = run_notebook(municipality=municipality, out=out, survey=survey, followup=followup, lang=lang, kernel=kernel)
    click.echo(t("report.notebook.done", lang or "en", name=municipality, path=path))
