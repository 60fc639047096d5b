"""The report as a small document model, shared by the HTML, DOCX and XLSX writers.

:func:`build_document` turns ``results`` (the content of ``results.json``) into a
:class:`Document` of sections and blocks whose text is already in the report language. Every
number shown is read from ``results``; nothing is recomputed here. Writers only lay the blocks
out, so the three formats carry the same content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Cell:
    """A table cell: display text, and the ``results.json`` path of the number it shows."""

    text: str
    key: str | None = None
    value: float | int | str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = "p"  # p | note | missing | lead


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 3


@dataclass(frozen=True)
class BulletList:
    items: tuple[str, ...]
    ordered: bool = False
    #: "references" marks a list of citations, quoted as published (not translated).
    kind: str = ""


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    key: str | None = None


@dataclass(frozen=True)
class KeyFigures:
    items: tuple[KeyFigure, ...]


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...] = ()
    note: str | None = None
    #: Excel number format per column for the XLSX writer ("0%", "0.0", None for text).
    formats: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class Figure:
    id: str
    caption: str
    png: bytes
    alt: str


@dataclass(frozen=True)
class Card:
    title: str
    subtitle: str
    text: str
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Cards:
    cards: tuple[Card, ...]


Block = Paragraph | Heading | BulletList | KeyFigures | Table | Figure | Cards


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    lang: str
    title: str
    subtitle: str
    meta: tuple[str, ...]
    sections: tuple[Section, ...]
    footer: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def iter_blocks(sections: Sequence[Section]) -> list[tuple[Section, Block]]:
    return [(s, b) for s in sections for b in s.blocks]


def table_frame(table: Table) -> pd.DataFrame:
    """A report table as a DataFrame of its display texts (for notebooks), caption as ``attrs``."""
    import pandas as pd

    frame = pd.DataFrame([[c.text for c in row] for row in table.rows], columns=list(table.header))
    frame.attrs["caption"] = table.caption
    return frame
