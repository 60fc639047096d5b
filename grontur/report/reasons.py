"""Reasons of the ranking in words: the report phrases the structured reasons the ranking gives.

The ranking (:mod:`grontur.rank`) explains each measure with message keys and the counts, codes
and figures that fill them in (``results.json``: ``measures[].reasons``, ``excluded_measures[].reason``).
This module turns them into sentences in nn, nb or en; a count the publication gate hid (``None``)
reads "fewer than k".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grontur import _format as fmt
from grontur.i18n import has, t
from grontur.publish import DEFAULT_K

#: Values given in percentage points, shown with one decimal like the pilot evaluation.
_POINT_VALUES = frozenset({"points", "ci_low", "ci_high"})
#: Changes in percentage points that may go either way: shown with their sign ("+7,2", "−21,9").
_SIGNED_POINT_VALUES = frozenset({"change", "change_low", "change_high"})


def _format_number(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return fmt.integer(value, lang)
    if isinstance(value, float):
        return fmt.number(value, lang, digits=0 if abs(value) >= 10 or value == int(value) else 1)
    return str(value)


def _format_points(value: Any, lang: str, *, signed: bool) -> str:
    """Percentage points with one decimal and a true minus sign; ``signed`` adds "+" to a rise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    text = fmt.number(float(value), lang, digits=1)
    return "+" + text if signed and text[:1].isdigit() and text.strip("0,.") else text


def render_reason(key: str, values: Mapping[str, Any], lang: str, *, k: int = DEFAULT_K) -> str:
    """Render a reason in ``lang``: codes get labels, and a count the gate hid reads "some".

    The gate hides a count that describes fewer than k people *or* one that could be used to
    work such a count out, so a hidden count is not said to be small: it reads "some" ("nokre",
    "noen") with "(number not shown)" at the end of the sentence, or the reason's own
    ``<key>.unshown`` sentence where "some" would not read well. Each reason is a sentence of its
    own, so it starts with a capital letter even when it opens with a filled-in value.
    """
    hidden = any(value is None and name.startswith("n") for name, value in values.items())
    if hidden and has(f"{key}.unshown"):
        shown = {name: value for name, value in values.items() if not (value is None and name.startswith("n"))}
        return render_reason(f"{key}.unshown", shown, lang, k=k)
    filled: dict[str, Any] = {}
    for name, value in values.items():
        if name == "base":  # the base population's name (results.json ``bases``), not a phrase
            continue
        if value is None and name.startswith("n"):
            # "some of those who commute by car": a hidden base reads "those"
            filled[name] = t("rank.hidden_base" if name == "n_of" else "rank.hidden_count", lang)
        elif name.endswith("_code"):
            filled[name[: -len("_code")]] = _code_label(str(value), lang)
        elif name.endswith("_codes"):
            labels = [_code_label(str(v), lang) for v in value]
            joined = ", ".join(labels[:-1]) + t("rank.or_join", lang) + labels[-1] if len(labels) > 1 else "".join(labels)
            filled[name[: -len("_codes")]] = joined
        elif name in _POINT_VALUES or name in _SIGNED_POINT_VALUES:
            filled[name] = _format_points(value, lang, signed=name in _SIGNED_POINT_VALUES)
        else:
            filled[name] = _format_number(value, lang)
    text = t(key, lang, **filled)
    if hidden:
        text = text.rstrip(".") + t("rank.hidden_note", lang)
    return _sentence_case(text)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def _code_label(code: str, lang: str) -> str:
    """``barriers.no_shower_changing`` -> the label of that code; falls back to rank's own labels."""
    for candidate in (f"code.{code}", f"rank.{code}"):
        try:
            return t(candidate, lang)
        except KeyError:
            continue
    return code.rsplit(".", 1)[-1]


def phrase(reason: Mapping[str, Any], lang: str, *, k: int = DEFAULT_K) -> str:
    """One structured reason (``{"key": ..., values}``) as a sentence."""
    return render_reason(str(reason["key"]), {name: v for name, v in reason.items() if name != "key"}, lang, k=k)
