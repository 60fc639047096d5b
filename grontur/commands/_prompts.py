"""Interactive prompts in the chosen language (questionary; imported when a command asks).

The names here are light: ``grontur --help`` and the other commands import this module without
loading questionary or prompt_toolkit, which :class:`Asker` loads on first use
(``grontur/commands/_prompt_ui.py``).
"""

from __future__ import annotations

import sys
from typing import Any

from grontur.commands._answers import BACK, NOTHING, SKIP
from grontur.errors import InteractiveError
from grontur.i18n import t

__all__ = ["BACK", "NOTHING", "SKIP", "Asker", "require_terminal"]


def require_terminal(command: str, hint_key: str, lang: str, *, stdin=None) -> None:
    """Stop with exit status 2 and advice when there is no terminal to ask in."""
    stream = stdin if stdin is not None else sys.stdin
    if not (hasattr(stream, "isatty") and stream.isatty()):
        raise InteractiveError(t(hint_key, lang, command=command))


class Asker:
    """Asks questions in ``lang``, optionally through injected prompt_toolkit input/output
    (tests); the prompts themselves load on first use."""

    def __init__(self, lang: str, *, input: Any = None, output: Any = None) -> None:
        from grontur.commands._prompt_ui import Asker as Prompts

        self._prompts = Prompts(lang, input=input, output=output)

    @property
    def lang(self) -> str:
        return str(self._prompts.lang)

    @lang.setter
    def lang(self, value: str) -> None:  # init asks the language first, then speaks it
        self._prompts.lang = value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._prompts, name)
