"""Terminal questions through questionary; the only place grontur prompts.

Every prompt takes optional prompt_toolkit ``input``/``output`` objects so tests can drive it
through a pipe. Ctrl-C raises ``KeyboardInterrupt`` (``unsafe_ask``), which callers handle.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from grontur.errors import InteractiveError
from grontur.i18n import t

SKIP = "__skip__"
BACK = "__back__"


def require_terminal(command: str, hint_key: str, lang: str, *, stdin=None) -> None:
    """Stop with exit status 2 and advice when there is no terminal to ask in."""
    stream = stdin if stdin is not None else sys.stdin
    if not (hasattr(stream, "isatty") and stream.isatty()):
        raise InteractiveError(t(hint_key, lang, command=command))


class Asker:
    """Asks questions, optionally through injected prompt_toolkit input/output (tests).

    questionary (and prompt_toolkit under it) is imported when the first question is asked, not
    when a command module is loaded: ``grontur --help`` lists every command without it.
    """

    def __init__(self, lang: str, *, input: Any = None, output: Any = None) -> None:
        self.lang = lang
        self._io = {k: v for k, v in {"input": input, "output": output}.items() if v is not None}

    def select(self, message: str, choices: Sequence[tuple[str, Any]], *, skippable: bool = False,
               back: bool = False, default: Any = None) -> Any:
        import questionary
        from questionary import Choice

        items = [Choice(title=title, value=value) for title, value in choices]
        if skippable:
            items.append(Choice(title=t("prompt.skip", self.lang), value=SKIP))
        if back:
            items.append(Choice(title=t("prompt.back", self.lang), value=BACK))
        chosen_default = next((c for c in items if c.value == default), None)
        return questionary.select(message, choices=items, default=chosen_default, **self._io).unsafe_ask()

    def checkbox(self, message: str, choices: Sequence[tuple[str, Any]]) -> list[Any]:
        import questionary
        from questionary import Choice

        items = [Choice(title=title, value=value) for title, value in choices]
        return list(questionary.checkbox(message, choices=items, **self._io).unsafe_ask() or [])

    def text(self, message: str, *, validate=None, default: str = "") -> str:
        import questionary

        return str(questionary.text(message, validate=validate, default=default, **self._io).unsafe_ask() or "")

    def confirm(self, message: str, *, default: bool = True) -> bool:
        import questionary

        return bool(questionary.confirm(message, default=default, **self._io).unsafe_ask())
