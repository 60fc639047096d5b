"""Number formatting: Norwegian and English conventions, suppressed cells marked.

Used by the reports and by the ranking's reason sentences; it imports nothing from grontur, so
any module may use it.

Norwegian texts use a decimal comma, a (non-breaking) space between thousands and a space before
the per cent sign ("1 234,5", "52 %"); English uses "1,234.5" and "52%". A ``None`` value is a
suppressed or missing figure and is shown as :data:`SUPPRESSED`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import TypeIs

#: What a suppressed or unavailable number looks like in every format.
SUPPRESSED = "–"
#: The typographic minus sign (U+2212), as in the comparison tables.
MINUS = "\u2212"
_NBSP = "\u00a0"


def _is_missing(value: float | None) -> TypeIs[None]:
    # Narrows a False answer to float; a True one may also be NaN, and callers only return then.
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, lang: str, *, digits: int = 0) -> str:
    """Format a number with the language's separators; ``None`` gives :data:`SUPPRESSED`.

    >>> number(1234.56, "nn", digits=1)
    '1\\xa0234,6'
    >>> number(1234.56, "en", digits=1)
    '1,234.6'
    """
    if _is_missing(value):
        return SUPPRESSED
    text = f"{float(value):,.{digits}f}"
    if text.startswith("-"):
        text = MINUS + text[1:] if text.strip("-0.,") else text[1:]  # no "−0,0"
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", _NBSP)


def percent(share: float | None, lang: str, *, digits: int = 0) -> str:
    """Format a share (a fraction between 0 and 1) as a percentage.

    >>> percent(0.5026, "nb")
    '50\\xa0%'
    >>> percent(0.5026, "en", digits=1)
    '50.3%'
    """
    if _is_missing(share):
        return SUPPRESSED
    text = number(100.0 * float(share), lang, digits=digits)
    return text + ("%" if lang == "en" else _NBSP + "%")


def integer(value: float | None, lang: str) -> str:
    """Format a count."""
    return number(value, lang, digits=0)


def number_range(low: float | None, high: float | None, lang: str, *, digits: int = 0,
                 as_percent: bool = False) -> str:
    """Format a low–high range, e.g. ``"8–18 %"``; a missing end gives :data:`SUPPRESSED`."""
    if _is_missing(low) or _is_missing(high):
        return SUPPRESSED
    dash = " – " if float(low) < 0 or float(high) < 0 else "–"  # "−21,0 – −3,0" stays readable
    if as_percent:
        lo = number(100.0 * float(low), lang, digits=digits)
        hi = percent(high, lang, digits=digits)
        return f"{lo}{dash}{hi}"
    return f"{number(low, lang, digits=digits)}{dash}{number(high, lang, digits=digits)}"
