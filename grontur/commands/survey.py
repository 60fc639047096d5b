"""``grontur survey``: the standard questionnaire in the terminal, for a shared laptop at a staff meeting.

Each respondent first sees an introduction and is asked for consent (texts from the translation
catalogue), then an optional anonymous answer code that pairs the survey rounds, then the
questionnaire. What is asked comes from the questionnaire (:mod:`grontur.kiosk`): a question that
does not apply to the answers given so far (its ``ask_if``) is skipped, and no choice starts with
an answer chosen, so pressing Enter never saves an answer the respondent did not pick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grontur.commands._prompts import BACK, NOTHING, SKIP, Asker, require_terminal
from grontur.i18n import t
from grontur.threshold import DEFAULT_K

if TYPE_CHECKING:
    from grontur import kiosk


def _ask(asker: Asker, q: kiosk.Question, title: str, *, back: bool) -> Any:
    """One question's answer: a code, codes, a number, a text, :data:`SKIP` or :data:`BACK`."""
    # pandas is under kiosk: loaded when a survey runs, not for --help
    from grontur import kiosk

    lang = asker.lang
    if q.help:
        asker.show(q.help)
    if q.kind in ("single", "bool", "text_choice"):
        return asker.select(title, [(o.label, o.code) for o in q.options], skippable=not q.required, back=back,
                            default=NOTHING)
    if q.kind == "multi":
        return asker.checkbox(title, [(o.label, o.code) for o in q.options])
    if q.kind == "number":
        typed = asker.text(title + " " + t("prompt.number_hint", lang),
                           validate=lambda s: s.strip() in ("", "<") or kiosk.parse_number(s, q) is not None
                           or t("prompt.number_invalid", lang, low=f"{q.minimum:g}", high=f"{q.maximum:g}"))
        return BACK if typed.strip() == "<" and back else (kiosk.parse_number(typed, q) if typed.strip() else SKIP)
    if q.kind == "panel_code":
        typed = asker.text(title + " " + t("survey.panel_code.hint", lang),
                           validate=lambda s: s.strip() in ("", "<") or kiosk.valid_panel_code(s)
                           or t("survey.panel_code.invalid", lang))
        return BACK if typed.strip() == "<" and back else (typed.strip() or SKIP)
    typed = asker.text(title + " " + t("prompt.postcode_hint", lang),  # postcode
                       validate=lambda s: s.strip() in ("", "<") or kiosk.valid_postcode(s)
                       or t("prompt.postcode_invalid", lang))
    return BACK if typed.strip() == "<" and back else (typed.strip() or SKIP)


def ask_respondent(asker: Asker, qs: list[kiosk.Question]) -> dict[str, Any]:
    """Ask one respondent every question that applies; "back" returns to the previous one asked."""
    from grontur import kiosk

    answers: dict[str, Any] = {}
    asked: list[int] = []  # indexes of the questions asked so far, for "back"
    index = 0
    while index < len(qs):
        q = qs[index]
        if not kiosk.applies(q, qs, answers):
            answers.pop(q.id, None)  # an answer given before going back no longer applies
            index += 1
            continue
        value = _ask(asker, q, f"({index + 1}/{len(qs)}) {q.text}", back=bool(asked))
        if value == BACK:
            index = asked.pop()
            answers.pop(qs[index].id, None)
            continue
        answers[q.id] = None if value == SKIP else value
        asked.append(index)
        index += 1
    return answers


def consents(asker: Asker, *, name: str, k: int) -> bool:
    """Show the introduction and ask for consent; nothing is chosen until the respondent chooses."""
    lang = asker.lang
    asker.show(t("survey.intro", lang, name=name, k=k))
    return bool(asker.select(t("survey.consent", lang), [(t("survey.consent.yes", lang), True),
                                                         (t("survey.consent.no", lang), False)], default=NOTHING))


def run_kiosk(out: Path, *, lang: str, workplaces: list[str], asker: Asker, name: str = "", k: int = DEFAULT_K) -> int:
    """Collect respondents until the operator stops; return how many were saved."""
    from grontur import kiosk

    qs = kiosk.questions(lang, workplaces=workplaces, panel_code=True)
    saved = 0
    while True:
        try:
            if consents(asker, name=name, k=k):
                kiosk.append_answers(out, qs, ask_respondent(asker, qs))
                saved += 1
                asker.show(t("survey.thanks", lang))
            else:
                asker.show(t("survey.declined", lang))
        except KeyboardInterrupt:
            break  # the respondent in progress is discarded; every earlier one is on disk
        try:
            if not asker.confirm(t("prompt.next_respondent", lang, saved=saved), default=True):
                break
        except KeyboardInterrupt:
            break
    return saved


@click.command("survey")
@click.option("--kommune", "municipality", required=True, help="Municipality name or number.")
@click.option("--lang", type=click.Choice(["nn", "nb", "en"]), help="Questionnaire language (default: the municipality's written standard).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV file the answers are appended to.")
@click.option("--workplace", "workplaces", multiple=True, help="A workplace respondents can choose (repeat the option).")
def command(municipality: str, lang: str | None, out: Path, workplaces: tuple[str, ...]) -> None:
    """Ask the standard questionnaire in the terminal; each answer is saved at once, Ctrl-C loses nothing saved."""
    from grontur.config import project_for

    project = project_for(municipality, language=lang)
    require_terminal("grontur survey", "prompt.no_terminal_survey", project.language)
    saved = run_kiosk(out, lang=project.language, workplaces=list(workplaces), asker=Asker(project.language),
                      name=project.name, k=project.k)
    click.echo(t("prompt.kiosk_done", project.language, saved=saved, path=out))
