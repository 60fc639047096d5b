"""The ``grontur`` command line: a thin layer that parses arguments and calls the library.

Each command lives in ``grontur/commands/<name>.py`` and exposes a ``click.Command`` called
``command``. A :class:`~grontur.errors.GronturError` becomes one line on stderr and exit status 2; so
does a usage error (missing or unknown option, bad value), in the language of ``--lang`` when given.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys

import click

from grontur import __version__
from grontur.errors import GronturError

#: command name -> module in grontur.commands; the order is the order in ``grontur --help``.
COMMANDS = {
    "demo": "demo",
    "analyse": "analyse",
    "import": "import_",
    "compare": "compare",
    "catalogue": "catalogue",
    "survey-template": "survey_template",
    "notebook": "notebook",
    "init": "init",
    "survey": "survey",
}


class _LazyGroup(click.Group):
    """Loads a command's module only when it is used, so ``grontur --help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, module in COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None or not _module_exists(module):
            return None
        return importlib.import_module(f"grontur.commands.{module}").command


def _module_exists(module: str) -> bool:
    return importlib.util.find_spec(f"grontur.commands.{module}") is not None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grontur")
@click.option("-v", "--verbose", is_flag=True, help="Log what each stage does.")
def cli(verbose: bool) -> None:
    """grontur: employee commuting surveys to ranked, explained mobility measures."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn user errors into exit status 2 without a traceback."""
    try:
        result = cli.main(args=argv, prog_name="grontur", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except GronturError as error:
        click.echo(f"grontur: {error}", err=True)
        return 2
    except click.exceptions.Abort:
        from grontur.i18n import t

        click.echo(t("cli.aborted", _language(argv)), err=True)
        return 130
    except click.exceptions.NoArgsIsHelpError as error:
        error.show()
        return 2
    except click.UsageError as error:
        click.echo(usage_line(error, _language(argv)), err=True)
        return 2
    except click.ClickException as error:
        error.show()
        return 2
    except KeyboardInterrupt:
        from grontur.i18n import t

        click.echo(t("cli.interrupted", _language(argv)), err=True)
        return 130
    except OSError as error:  # a folder or file the command could not create or read
        where = f"{error.filename}: " if error.filename else ""
        click.echo(f"grontur: {where}{error.strerror or error}; check the path and its permissions.", err=True)
        return 2
    return result if isinstance(result, int) else 0


def usage_line(error: click.UsageError, lang: str) -> str:
    """A click usage error (missing or unknown option, bad value, stray argument) as one line in
    ``lang``, instead of click's usage block."""
    from grontur.i18n import t

    ctx = error.ctx
    command = ctx.command_path if ctx is not None else "grontur"
    if isinstance(error, click.NoSuchOption):
        options = ", ".join(sorted(error.possibilities or ()))
        suggestion = t("cli.usage.did_you_mean", lang, options=options) if options else ""
        line = t("cli.usage.no_such_option", lang, command=command, option=error.option_name, suggestion=suggestion)
    elif isinstance(error, click.MissingParameter):
        line = t("cli.usage.missing", lang, command=command, param=_hint(error))
    elif isinstance(error, click.BadParameter):
        line = t("cli.usage.bad_value", lang, command=command, param=_hint(error), detail=error.message.rstrip("."))
    else:
        line = t("cli.usage.other", lang, command=command, message=_sentence(error.message))
    return " ".join(line.split())


def _hint(error: click.BadParameter) -> str:
    if error.param_hint is not None:
        hint = error.param_hint
        return " / ".join(hint) if not isinstance(hint, str) else hint
    if error.param is not None:
        return error.param.get_error_hint(error.ctx) if error.ctx is not None else str(error.param.name)
    return "?"


def _sentence(message: str) -> str:
    message = message.strip()
    return message if message.endswith((".", "!", "?")) else message + "."


def _language(argv: list[str] | None) -> str:
    """The value of ``--lang`` on the command line when it names a language, else the written
    standard of the ``--kommune`` named (the language the commands speak by default), else English."""
    from grontur.i18n import LANGUAGES

    args = list(sys.argv[1:] if argv is None else argv)
    municipality = None
    for position, arg in enumerate(args):
        value = None
        if arg == "--lang" and position + 1 < len(args):
            value = args[position + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        elif arg == "--kommune" and position + 1 < len(args):
            municipality = args[position + 1]
        if value in LANGUAGES:
            return value
    if municipality:
        from grontur.config import project_for

        try:
            return project_for(municipality).language
        except GronturError:
            pass
    return "en"


if __name__ == "__main__":
    sys.exit(main())
