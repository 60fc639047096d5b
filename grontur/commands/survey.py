"""``grontur survey``: the standard questionnaire in the terminal, for a shared laptop at a staff meeting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grontur.commands._prompts import BACK, SKIP, Asker, require_terminal
from grontur.i18n import t

if TYPE_CHECKING:
    from grontur import kiosk


def ask_respondent(asker: Asker, qs: list[kiosk.Question]) -> dict[str, Any]:
    """Ask one respondent every question; "back" returns to the previous question."""
    # pandas is under kiosk: loaded when a survey runs, not for --help
    from grontur import kiosk

    lang = asker.lang
    answers: dict[str, Any] = {}
    index = 0
    while index < len(qs):
        q = qs[index]
        title = f"({index + 1}/{len(qs)}) {q.text}"
        back = index > 0
        if q.kind in ("single", "bool", "text_choice"):
            value = asker.select(title, [(o.label, o.code) for o in q.options], skippable=not q.required, back=back)
        elif q.kind == "multi":
            value = asker.checkbox(title + " " + t("prompt.multi_hint", lang), [(o.label, o.code) for o in q.options])
        elif q.kind == "number":
            typed = asker.text(title + " " + t("prompt.number_hint", lang),
                               validate=lambda s, q=q: s.strip() in ("", "<") or kiosk.parse_number(s, q) is not None
                               or t("prompt.number_invalid", lang, low=f"{q.minimum:g}", high=f"{q.maximum:g}"))
            value = BACK if typed.strip() == "<" and back else (kiosk.parse_number(typed, q) if typed.strip() else SKIP)
        else:  # postcode
            typed = asker.text(title + " " + t("prompt.postcode_hint", lang),
                               validate=lambda s: s.strip() in ("", "<") or kiosk.valid_postcode(s)
                               or t("prompt.postcode_invalid", lang))
            value = BACK if typed.strip() == "<" and back else (typed.strip() or SKIP)
        if value == BACK:
            index -= 1
            answers.pop(qs[index].id, None)
            continue
        answers[q.id] = None if value == SKIP else value
        index += 1
    return answers


def run_kiosk(out: Path, *, lang: str, workplaces: list[str], asker: Asker) -> int:
    """Collect respondents until the operator stops; return how many were saved."""
    from grontur import kiosk

    qs = kiosk.questions(lang, workplaces=workplaces)
    saved = 0
    while True:
        try:
            answers = ask_respondent(asker, qs)
        except KeyboardInterrupt:
            break  # the respondent in progress is discarded; every earlier one is on disk
        kiosk.append_answers(out, qs, answers)
        saved += 1
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
    saved = run_kiosk(out, lang=project.language, workplaces=list(workplaces), asker=Asker(project.language))
    click.echo(t("prompt.kiosk_done", project.language, saved=saved, path=out))
