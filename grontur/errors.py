"""One base exception and the specific errors grontur raises for user mistakes.

Every message names the file, column, row or value at fault and says what to do. The CLI turns
any :class:`GronturError` into one line on stderr and exit status 2, without a traceback.
"""

from __future__ import annotations


class GronturError(Exception):
    """Base class for every error that is the user's to fix."""


class InputFileError(GronturError, OSError):
    """A survey export or data file cannot be read (missing, empty, corrupt, encrypted)."""


class MappingError(GronturError, ValueError):
    """Columns or answers in an export cannot be mapped to the canonical table."""


class MissingColumnError(MappingError):
    """No column provides a required canonical field (a mode or a distance)."""


class CatalogueError(GronturError, ValueError):
    """A measure, evidence or weights file is invalid."""


class ConfigError(GronturError, ValueError):
    """A project configuration, mapping or settings file is invalid."""


class MunicipalityError(GronturError, ValueError):
    """A municipality name or number is unknown."""


class GeoDataError(GronturError, ValueError):
    """A geodata file is unreadable or lacks the expected fields."""


class OutputError(GronturError, OSError):
    """An output folder or file cannot be created or written."""


class PublicationError(GronturError, RuntimeError):
    """The publication gate cannot hide a small group: what it would have to hide can be worked
    out from figures every reader knows (the number of respondents)."""


class InteractiveError(GronturError, RuntimeError):
    """An interactive command was started without a terminal and without the flags it needs."""


class ReleaseError(GronturError, RuntimeError):
    """A run would publish results too close to an earlier release of the same survey (see grontur.releases)."""


class WeakMappingError(MappingError):
    """An automatic mapping too weak to trust: no confident travel-mode question, or most rows set aside.

    ``draft`` is the mapping found so far (a :class:`grontur.mapping.Mapping`) for the user to
    complete; ``suggestions`` and ``unmapped`` are written beside it as notes (``save_mapping``).
    """

    def __init__(self, message: str, *, draft: object = None, suggestions: list | None = None,
                 unmapped: list | None = None) -> None:
        super().__init__(message)
        self.draft = draft
        self.suggestions = list(suggestions or [])
        self.unmapped = list(unmapped or [])
