"""Numbers typed as answers ("5 km", "2,9", "ca. 12", "3-5", "<1") and the cleaning settings.

The import (:mod:`grontur.clean`) reads distances, times and counts with :func:`parse_number`;
the mapping (:mod:`grontur.mapping`) uses the same reader to tell whether an unmapped column
holds numbers. The settings of ``surveys/cleaning.yaml`` (unit conversions, factors for open
bands, limits of plausible values, the duplicate window) are read once by
:func:`cleaning_settings`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import cache

from grontur._yaml import read_yaml
from grontur.resources import data_path


@cache
def cleaning_settings() -> dict[str, float]:
    """Cleaning settings from ``surveys/cleaning.yaml`` as plain numbers."""
    data = read_yaml(data_path("surveys", "cleaning.yaml"), advice="fix or restore the cleaning settings")
    out: dict[str, float] = {}
    for group in data.values():
        for key, item in group.items():
            out[key] = float(item["value"])
    return out


_WORDS = {
    "zero": 0, "null": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "half": 0.5,
    "ein": 1, "en": 1, "eitt": 1, "ett": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6,
    "sju": 7, "syv": 7, "åtte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12, "femten": 15,
    "tjue": 20, "tjuge": 20, "tretti": 30, "førti": 40, "femti": 50, "halv": 0.5,
    "halvannen": 1.5, "halvanna": 1.5, "ein halv": 0.5,
}
_QUALIFIERS = re.compile(
    r"\b(ca|c|cirka|circa|approx|approximately|about|around|roughly|omtrent|omlag|om lag|rundt|kring|"
    r"nesten|almost|nearly|maybe|kanskje|typically|usually|vanlegvis|vanligvis|avg|average|snitt)\b\.?|~|≈|\(|\)|\?$",
    re.IGNORECASE,
)
_UNITS = (
    ("km", r"km|kilomet(?:er|re|ers|res)|kilometers?"),
    ("miles", r"miles?|mi"),
    ("mil", r"mil|mila"),
    ("m", r"m|meter|metre|meters|metres|metrar|metre"),
    ("minutes", r"min|mins|minutt|minutter|minutes?"),
    ("hours", r"h|t|timar|timer|time|hours?|hrs?"),
    ("days", r"dagar|dager|dag|days?"),
)
# Possessive runs of digits (``\d++``): a pattern that follows a number with ``\w*`` would
# otherwise try every split of a long run of digits, in time quadratic in its length.
_NUMBER = r"(\d++(?:[.,]\d++)?(?:\s+\d++/\d++)?|\d++/\d++|½)"
_LOWER = re.compile(r"^(?:<|under|less than|fewer than|below|mindre enn|kortare enn|kortere enn|inntil|up to|opp til|max|maks)\s*" + _NUMBER, re.IGNORECASE)
_LOWER_SUFFIX = re.compile("^" + _NUMBER + r"\s*\w*\s*(?:or less|eller mindre|eller kortare|eller kortere|or fewer|and under|or below)", re.IGNORECASE)
_UPPER = re.compile(r"^(?:>|over|more than|meir enn|mer enn|lenger enn|lengre enn|longer than|above|minst|at least)\s*" + _NUMBER, re.IGNORECASE)
_UPPER_SUFFIX = re.compile("^" + _NUMBER + r"\s*\w*\s*(?:\+|or more|eller meir|eller mer|and over|or above|og over|og meir|og mer)", re.IGNORECASE)
_RANGE = re.compile("^" + _NUMBER + r"\s*(?:-|–|—|to|til|till|and|og)\s*" + _NUMBER, re.IGNORECASE)
_NEGATIVE = re.compile(r"[-−]\s*\d+(?:[.,]\d+)?")
_SCIENTIFIC = re.compile(r"\d++(?:[.,]\d++)?e[-+]?\d++")
_SINGLE = re.compile("^" + _NUMBER + r"(?:\s|$|[a-zæøå])", re.IGNORECASE)


def _to_float(text: str) -> float:
    text = text.strip()
    if text == "½":
        return 0.5
    if " " in text and "/" in text:
        whole, frac = text.split(None, 1)
        return float(whole.replace(",", ".")) + float(Fraction(frac))
    if "/" in text:
        return float(Fraction(text))
    return float(text.replace(",", "."))


def _unit_in(text: str) -> str | None:
    tail = re.split(r"[\d½]+(?:[.,/]\d+)?", text)[-1]
    tail = re.sub(r"^[\s.,/<>+–—-]+", "", tail).strip().lower()
    for unit, pattern in _UNITS:
        if re.match(rf"^(?:{pattern})\b", tail):
            return unit
    return None


def parse_number(value: str, *, open_upper: float, open_lower: float) -> tuple[float | None, str | None]:
    """Read one number from an answer like "5 km", "2,9", "1 1/2", "five", "ca. 12", "3-5", "<1".

    Returns the value and the unit written in the text (or None). Bands give their midpoint;
    open bands use the factors from ``surveys/cleaning.yaml``.
    """
    text = " ".join(str(value).replace("\u00a0", " ").split())
    text = _QUALIFIERS.sub(" ", text)
    text = " ".join(text.split()).strip(" .,:;")
    lowered = text.lower()
    tokens = lowered.split()
    if tokens and tokens[0] in _WORDS and not tokens[0][0].isdigit():
        rest = " ".join(tokens[1:])
        rest_unit = _unit_in("1 " + rest) if rest else None
        if tokens[0] not in ("a", "an") and (not rest or rest_unit) or tokens[0] in ("a", "an") and rest_unit:
            return float(_WORDS[tokens[0]]), rest_unit
    if _NEGATIVE.fullmatch(lowered):
        return -float(lowered.lstrip("-−").strip().replace(",", ".")), None
    if _SCIENTIFIC.fullmatch(lowered):
        return float(lowered.replace(",", ".")), None
    unit = _unit_in(lowered)
    for pattern, kind in ((_RANGE, "range"), (_LOWER, "lower"), (_LOWER_SUFFIX, "lower"),
                          (_UPPER, "upper"), (_UPPER_SUFFIX, "upper"), (_SINGLE, "single")):
        match = pattern.match(lowered)
        if not match:
            continue
        try:
            if kind == "range":
                low, high = _to_float(match.group(1)), _to_float(match.group(2))
                if high < low:
                    return None, unit
                return (low + high) / 2, unit
            number = _to_float(match.group(1))
        except (ValueError, ZeroDivisionError):
            return None, unit
        if kind == "lower":
            return number * open_lower, unit
        if kind == "upper":
            return number * open_upper, unit
        return number, unit
    return None, unit
