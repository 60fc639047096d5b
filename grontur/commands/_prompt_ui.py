"""The prompts themselves (questionary and prompt_toolkit), loaded when a command asks.

Terminal questions through questionary; the only place grontur prompts.

Every prompt takes optional prompt_toolkit ``input``/``output`` objects so tests can drive it
through a pipe. Ctrl-C raises ``KeyboardInterrupt`` (``unsafe_ask``), which callers handle.

Every text on the screen is in the asker's language, questionary's own hints included: each
prompt gets its hint from the translation catalogue (``instruction=``), a yes/no question is a
choice between the catalogue's "yes" and "no" (questionary's confirm shows "(Y/n)" and answers
"Yes"), and a multiple choice writes its own answer line (questionary's says "done (2 selections)").
A choice can start with nothing chosen: the pointer rests on a line that Enter does not accept,
so pressing Enter without choosing saves no answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import questionary
from prompt_toolkit.application import Application
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.shortcuts import print_formatted_text
from questionary import Choice, Separator
from questionary.prompts import common
from questionary.question import Question
from questionary.styles import merge_styles_default

from grontur.commands._answers import BACK, NOTHING, SKIP
from grontur.i18n import t


def _choice_prompt(message: str, items: list[Choice], *, pointed: Choice, instruction: str,
                   io: dict[str, Any]) -> Question:
    """questionary's select, except that Enter is ignored while the pointer rests on a separator
    (the "nothing chosen" line) and the hint is ours."""
    selectable = next(c for c in items if not isinstance(c, Separator))
    ic = common.InquirerControl(items, initial_choice=selectable, pointer="»", use_indicator=False)
    ic.pointed_at = items.index(pointed)  # questionary refuses a separator here; we want one

    def tokens() -> list[tuple[str, str]]:
        out = [("class:qmark", "?"), ("class:question", f" {message} ")]
        if ic.is_answered:
            out.append(("class:answer", str(ic.get_pointed_at().title)))
        else:
            out.append(("class:instruction", instruction))
        return out

    bindings = KeyBindings()

    @bindings.add(Keys.ControlQ, eager=True)
    @bindings.add(Keys.ControlC, eager=True)
    def _abort(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    def move(step: int) -> Any:
        def handler(_event: Any) -> None:
            ic.pointed_at = (ic.pointed_at + step) % ic.choice_count
            while not ic.is_selection_valid():
                ic.pointed_at = (ic.pointed_at + step) % ic.choice_count
        return handler

    bindings.add(Keys.Down, eager=True)(move(1))
    bindings.add(Keys.Up, eager=True)(move(-1))

    @bindings.add(Keys.ControlM, eager=True)
    def _enter(event: Any) -> None:
        if not ic.is_selection_valid():
            return  # nothing chosen yet: Enter saves nothing
        ic.is_answered = True
        event.app.exit(result=ic.get_pointed_at().value)

    @bindings.add(Keys.Any)
    def _other(_event: Any) -> None:
        """Typed text is not an answer."""

    layout = common.create_inquirer_layout(ic, tokens, **io)
    return Question(Application(layout=layout, key_bindings=bindings, style=merge_styles_default([None]), **io))


class Asker:
    """Asks questions, optionally through injected prompt_toolkit input/output (tests)."""

    def __init__(self, lang: str, *, input: Any = None, output: Any = None) -> None:
        self.lang = lang
        self._io = {k: v for k, v in {"input": input, "output": output}.items() if v is not None}

    def show(self, text: str) -> None:
        """A text on the asker's screen (an introduction, a warning), not a question."""
        print_formatted_text(FormattedText([("", text)]), **({"output": self._io["output"]} if "output" in self._io else {}))

    def select(self, message: str, choices: Sequence[tuple[str, Any]], *, skippable: bool = False,
               back: bool = False, default: Any = None, hint: str | None = None) -> Any:
        """One of ``choices``; ``default`` is where the pointer starts (the first choice when it is
        ``None``; no choice at all when it is :data:`NOTHING`); ``hint`` replaces the usual one."""
        items = [Choice(title=title, value=value) for title, value in choices]
        if skippable:
            items.append(Choice(title=t("prompt.skip", self.lang), value=SKIP))
        if back:
            items.append(Choice(title=t("prompt.back", self.lang), value=BACK))
        pointed: Choice
        if default == NOTHING:
            pointed = Separator(t("prompt.nothing_chosen", self.lang))
            items.insert(0, pointed)
        else:
            pointed = next((c for c in items if c.value == default), items[0])
        return _choice_prompt(message, items, pointed=pointed, instruction=hint or t("prompt.select_hint", self.lang),
                              io=self._io).unsafe_ask()

    def checkbox(self, message: str, choices: Sequence[tuple[str, Any]]) -> list[Any]:
        items = [Choice(title=title, value=value) for title, value in choices]
        chosen = list(questionary.checkbox(message, choices=items, instruction=t("prompt.multi_hint", self.lang),
                                           erase_when_done=True, **self._io).unsafe_ask() or [])
        titles = [title for title, value in choices if value in chosen]
        answer = ", ".join(titles) if titles else t("prompt.none_chosen", self.lang)
        print_formatted_text(FormattedText([("class:qmark", "?"), ("class:question", f" {message} "),
                                            ("class:answer", answer)]),
                             style=merge_styles_default([None]),
                             **({"output": self._io["output"]} if "output" in self._io else {}))
        return chosen

    def text(self, message: str, *, validate=None, default: str = "") -> str:
        return str(questionary.text(message, validate=validate, default=default, **self._io).unsafe_ask() or "")

    def confirm(self, message: str, *, default: bool | None = True) -> bool:
        """Yes or no, as a choice between the catalogue's words (``default=None``: neither chosen)."""
        return bool(self.select(message, [(t("prompt.yes", self.lang), True), (t("prompt.no", self.lang), False)],
                                default=NOTHING if default is None else default))
