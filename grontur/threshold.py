"""The privacy threshold k: its smallest allowed value and its check.

Kept apart from :mod:`grontur.publish` (which applies it) so that the command line can show the
default in ``--help`` without loading NumPy.
"""

from __future__ import annotations

from grontur.errors import ConfigError

DEFAULT_K = 5


def check_k(k: object, where: str | None = None) -> int:
    """Validate a privacy threshold: an integer of at least 5; ``where`` names the file field or
    flag it came from in the message."""
    if isinstance(k, bool) or not isinstance(k, int) or k < DEFAULT_K:
        if where is not None:
            msg = f"{where}: the privacy threshold k must be a whole number of {DEFAULT_K} or higher, not {k!r}."
        else:
            msg = f"The privacy threshold k={k!r} is too low: use a whole number of {DEFAULT_K} or higher."
        raise ConfigError(msg)
    return k
