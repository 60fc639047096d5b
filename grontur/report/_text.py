"""Texts read from ``results``: plain or per-language strings, and the names of measures.

Shared by the report sections (:mod:`grontur.report.build`), the comparison section
(:mod:`grontur.report.comparison`) and the network overview, none of which imports another for
these.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from grontur.catalogue import load_catalogue
from grontur.errors import GronturError
from grontur.threshold import DEFAULT_K

log = logging.getLogger(__name__)

#: Characters an XML document (DOCX, XLSX) cannot hold: C0 controls other than tab, line feed and
#: carriage return, DEL, lone surrogates and the two non-characters U+FFFE and U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class ResultsShapeError(GronturError, ValueError):
    """``results`` has a section whose content is not what the report expects."""


def localized(value: Any, lang: str) -> str:
    """Text of a value that is either a plain string or a ``{nn, nb, en}`` mapping."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        if lang in value:
            return str(value[lang])
        msg = f"results.json: a text has no {lang!r} version ({sorted(value)}); re-run the analysis with --lang {lang}."
        raise ResultsShapeError(msg)
    if isinstance(value, (list, tuple)):
        return " ".join(localized(v, lang) for v in value)
    return str(value)


def measure_name(measure: Mapping[str, Any], lang: str, *, results_lang: str | None = None) -> str:
    """The measure's name in ``lang``.

    A ``{nn, nb, en}`` name is used as it is; a plain-string name is taken when it is in the
    report language (``results_lang`` equals ``lang``); otherwise the catalogue gives the name.
    """
    name = measure.get("name")
    if isinstance(name, Mapping):
        return localized(name, lang)
    if name and (results_lang is None or results_lang == lang):
        return str(name)
    names = _catalogue_names()
    mid = str(measure.get("id"))
    if mid in names:
        return localized(names[mid], lang)
    if name:
        return str(name)
    log.warning("measure %r has no name in results and is not in the catalogue", mid)
    return mid


def measure_summary(measure: Mapping[str, Any], lang: str, *, results_lang: str | None = None) -> str:
    """What the measure involves, one sentence in ``lang`` (the results' text when it is in the
    report language, else the catalogue's)."""
    summary = measure.get("summary")
    if summary and (results_lang is None or results_lang == lang):
        return str(summary)
    texts = _catalogue_summaries().get(str(measure.get("id")))
    return localized(texts, lang) if texts else str(summary or "")


@cache
def _catalogue_summaries() -> Mapping[str, Mapping[str, str]]:
    catalogue = load_catalogue()
    return {str(mid): dict(m.summary) for mid, m in catalogue.items()}


@cache
def _catalogue_names() -> Mapping[str, Mapping[str, str]]:
    catalogue = load_catalogue()
    measures = getattr(catalogue, "measures", catalogue)
    items = measures.values() if isinstance(measures, Mapping) else measures
    return {str(m.id): dict(m.name) for m in items}


def effect_is_assumption(measure: Mapping[str, Any]) -> bool:
    """Whether the measure's effect range is a labelled assumption rather than a measured figure.

    ``effect.basis`` in the results when the ranking gives it, else the catalogue entry's basis.
    """
    effect = measure.get("effect")
    basis = effect.get("basis") if isinstance(effect, Mapping) else None
    if basis is None:
        basis = _catalogue_bases().get(str(measure.get("id")))
    return basis == "assumption"


@cache
def _catalogue_bases() -> Mapping[str, str]:
    return {str(mid): m.effect.basis for mid, m in load_catalogue().items()}


def without_control_characters(value: Any) -> Any:
    """``value`` with control characters removed from every text in it.

    Walks strings, mappings, lists, tuples and the frozen dataclasses of the document model; bytes
    (a figure's PNG) and numbers pass unchanged. The DOCX and XLSX writers call it on all they get:
    a workplace named with a vertical tab or an escape by enough respondents to be shown would
    otherwise stop the XML library that writes them.
    """
    kind = type(value)
    if kind is str:
        return _CONTROL.sub("", value) if _CONTROL.search(value) else value
    if kind is int or kind is float or kind is bool or kind is bytes or value is None:
        return value  # most of what a report holds: checked by exact type first
    if isinstance(value, str):
        return _CONTROL.sub("", value) if _CONTROL.search(value) else value
    if isinstance(value, Mapping):
        return {without_control_characters(k): without_control_characters(v) for k, v in value.items()}
    if kind is tuple:
        items = [without_control_characters(v) for v in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else tuple(items)
    if isinstance(value, (list, tuple)):
        return type(value)(without_control_characters(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.init]
        changes = {name: without_control_characters(getattr(value, name)) for name in fields}
        if all(changes[name] is getattr(value, name) for name in fields):
            return value  # nothing removed: the block itself (frozen, so the same as a copy)
        return dataclasses.replace(value, **changes)
    return value


def date_text(value: Any, lang: str) -> str:
    """A date as the report writes it: 2027-05-03 in English, 03.05.2027 in nn and nb."""
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return day.strftime("%Y-%m-%d") if lang == "en" else day.strftime("%d.%m.%Y")


def privacy_k(results: Mapping[str, Any]) -> int:
    """The privacy threshold the results were published at."""
    return int((results.get("privacy") or {}).get("k", DEFAULT_K))
