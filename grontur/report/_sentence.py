"""Sentences with numbers that stay whole when the publication gate hides a number.

A sentence template such as ``"Om sommaren køyrer {summer} av dei som svarte bil til jobb, om
vinteren {winter}."`` would read "… om vinteren –." when the winter figure is hidden. Every such
template has a variant in the catalogue that says in words that the figure is not shown and why
("færre enn 5 personar", with ``k`` from the run) instead of leaving a gap:

- ``<key>.hidden.<slot>`` (slots sorted and joined by ``+``) when exactly those slots are hidden;
- ``<key>.hidden`` otherwise: it names no slot that can be hidden.

A slot is hidden when its formatted value is :data:`grontur._format.SUPPRESSED` (how every
formatter shows ``None``). The variants get ``k`` and the slots that are shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grontur import _format as fmt
from grontur.i18n import Translator, has
from grontur.report.model import Block, KeyFigure, KeyFigures, Paragraph

HIDDEN = ".hidden"


def hidden_slots(values: dict[str, object]) -> list[str]:
    """The names of the values shown as the suppressed marker (a hidden or missing figure)."""
    return sorted(name for name, value in values.items() if isinstance(value, str) and value.strip() == fmt.SUPPRESSED)


def variant_key(key: str, hidden: list[str]) -> str:
    """The catalogue key of the sentence to use when the slots ``hidden`` are hidden."""
    if not hidden:
        return key
    exact = f"{key}{HIDDEN}.{'+'.join(hidden)}"
    if has(exact):
        return exact
    fallback = key + HIDDEN
    if not has(fallback):
        msg = f"the sentence {key!r} has a hidden number ({', '.join(hidden)}) but no {fallback!r} variant in the catalogue"
        raise KeyError(msg)
    return fallback


def say(tr: Translator, key: str, /, *, k: int, **values: object) -> str:
    """``tr(key, **values)``, or its variant for hidden numbers when a value is hidden."""
    hidden = hidden_slots(values)
    chosen = variant_key(key, hidden)
    if chosen == key:
        return tr(key, **values)
    shown = {name: value for name, value in values.items() if name not in hidden}
    shown.setdefault("k", k)
    return tr(chosen, **shown)


def shown_key_figures(items: Sequence[KeyFigure], tr: Translator, *, k: int) -> list[Block]:
    """Key figures with a hidden value said in words ("ikkje vist"), and one note on why.

    A figure card holding only "–" (or "73 % → –") is an empty number slot; the word and the
    note after the cards say it is hidden and why.
    """
    word = tr("report.kf.not_shown")
    marker = re.compile(rf"(?<![\w\d]){re.escape(fmt.SUPPRESSED)}(?![\w\d])")  # not a range's dash
    out = [KeyFigure(item.label, marker.sub(word, item.value), item.key) for item in items]
    blocks: list[Block] = [KeyFigures(tuple(out))]
    if any(item.value != new.value for item, new in zip(items, out, strict=True)):
        blocks.append(Paragraph(tr("report.kf.not_shown_note", k=k), kind="note"))
    return blocks
