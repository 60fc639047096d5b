"""An audit of everything one municipality's output folder publishes, independent of grontur's code.

Three parts, each written here from the domain definitions and not by calling grontur:

1. :func:`collect` reads every published figure of a folder in all formats (results.json,
   comparison.json, measures.xlsx, report.docx, report.html, the network's index.html) and
   :func:`parse_numbers` reads the numbers of a text written in nn, nb or en ("1 234",
   "12,5 %", "0.65", "1,234").
2. :class:`Respondents` rebuilds, with plain pandas, who is behind each published count from the
   cleaned respondent table the run wrote (cleaned.csv): a boolean mask over respondents per
   figure. :func:`ledger` walks results.json and comparison.json and maps every figure it can to
   such a mask; a shown count (or a share times a base the reader knows) becomes a linear fact
   ``mask . 1 = value``, a shown share with an unpublished base the fact ``(num - share * base) . 1
   = 0``, and a hidden figure ("-", null) a mask to protect.
3. :func:`audit` checks the union of all those facts at once: a hidden figure whose mask lies in
   the row space of the published masks can be worked out (a leak when it holds 1..k-1 people);
   a published count in 1..k-1; a published set difference A within B with 1..k-1 people in
   B minus A; a share of 100 % (or a 0 % / 100 % driver share) in a published subgroup, which
   gives every member's answer; and a figure hidden in one place but shown in another.

Run ``python tests/publication_audit.py FOLDER [--k K]`` to print the findings of one folder.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------
# numbers in text


@dataclasses.dataclass(frozen=True)
class Number:
    value: float
    percent: bool
    decimals: int
    text: str


_NUMBER = re.compile(
    r"(?<![\w.,])"
    r"(?P<sign>[-\u2212])?"
    r"(?P<body>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?"   # 1 234 / 12 345,6 (nn, nb)
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"                           # 1,234 / 1,234.5 (en)
    r"|\d+(?:[.,]\d+)?)"                                       # 12 / 12,5 / 0.65
    r"(?P<percent>\s?%)?"
    r"(?![\w])"
)


def parse_numbers(text: str, lang: str = "nn") -> list[Number]:
    """Every number in ``text`` written the way grontur writes numbers in ``lang``.

    Thousands are grouped with a (narrow, no-break) space in nn and nb and with a comma in en;
    the decimal mark is a comma in nn and nb and a point in en.

    >>> [n.value for n in parse_numbers("29 av 43 som køyrer, 12,5 % og 1 234 km")]
    [29.0, 43.0, 12.5, 1234.0]
    >>> [(n.value, n.percent) for n in parse_numbers("1,234 people, 0.65 and 12.5%", "en")]
    [(1234.0, False), (0.65, False), (12.5, True)]
    """
    out = []
    for match in _NUMBER.finditer(text):
        body = match.group("body")
        if lang == "en":
            grouped = re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", body)
            plain = body.replace(",", "") if grouped else body.replace(",", ".")
        else:
            plain = re.sub(r"[ \u00a0\u202f]", "", body).replace(",", ".")
        try:
            value = float(plain)
        except ValueError:
            continue
        if match.group("sign"):
            value = -value
        decimals = len(plain.split(".")[1]) if "." in plain else 0
        out.append(Number(value, bool(match.group("percent")), decimals, match.group(0)))
    return out


# --------------------------------------------------------------------------------------------
# collecting everything a folder publishes


class _Blocks(HTMLParser):
    """Text blocks of an HTML page (one per paragraph, list item, table cell, heading, ...)."""

    SKIP = ("script", "style")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []   # (tag of the innermost block, text)
        self.stack: list[tuple[str, list[str]]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in ("p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "caption", "figcaption", "dt", "dd"):
            self.stack.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif self.stack and self.stack[-1][0] == tag:
            name, parts = self.stack.pop()
            text = " ".join("".join(parts).split())
            if text:
                self.blocks.append((name, text))
            if self.stack:
                self.stack[-1][1].append(" " + text + " ")

    def handle_data(self, data: str) -> None:
        if not self.skipping and self.stack:
            self.stack[-1][1].append(data)


def html_blocks(path: Path) -> list[tuple[str, str]]:
    """(tag, text) of every paragraph, list item, heading and table cell of an HTML file."""
    parser = _Blocks()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.blocks


@dataclasses.dataclass
class Published:
    """Everything one municipality's output folder publishes."""

    folder: Path
    lang: str
    results: dict[str, Any]
    comparison: dict[str, Any] | None
    xlsx: list[tuple[str, int, int, Any]]          # (sheet, row, column, value)
    docx: list[str]                                # paragraphs and table cells
    html: list[tuple[str, str]]                    # (tag, text) blocks of report.html
    network: list[tuple[str, str]]                 # (tag, text) blocks of the network overview

    def sentences(self) -> list[str]:
        """The report's prose: paragraphs and list items of report.html with a word in them."""
        return [text for tag, text in self.html if tag in ("p", "li") and re.search(r"[^\W\d_]{3}", text)]

    def texts(self) -> Iterator[tuple[str, str]]:
        """(where, text) of every published piece of text, all formats."""
        for sheet, row, col, value in self.xlsx:
            yield f"measures.xlsx:{sheet}!{row},{col}", str(value)
        for i, text in enumerate(self.docx):
            yield f"report.docx:{i}", text
        for i, (_tag, text) in enumerate(self.html):
            yield f"report.html:{i}", text
        for i, (_tag, text) in enumerate(self.network):
            yield f"index.html:{i}", text


def collect(folder: Path, network_index: Path | None = None) -> Published:
    """Read every published figure of ``folder`` (and the network overview, when given)."""
    import openpyxl
    from docx import Document

    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    comparison_path = folder / "comparison.json"
    comparison = json.loads(comparison_path.read_text(encoding="utf-8")) if comparison_path.is_file() else None
    cells: list[tuple[str, int, int, Any]] = []
    if (folder / "measures.xlsx").is_file():
        book = openpyxl.load_workbook(folder / "measures.xlsx", read_only=True, data_only=True)
        for sheet in book.worksheets:
            for r, row in enumerate(sheet.iter_rows(values_only=True)):
                cells.extend((sheet.title, r, c, v) for c, v in enumerate(row) if v not in (None, ""))
        book.close()
    docx: list[str] = []
    if (folder / "report.docx").is_file():
        document = Document(str(folder / "report.docx"))
        docx = [p.text for p in document.paragraphs if p.text.strip()]
        for table in document.tables:
            docx.extend(cell.text for row in table.rows for cell in row.cells if cell.text.strip())
    page = html_blocks(folder / "report.html") if (folder / "report.html").is_file() else []
    network = html_blocks(network_index) if network_index is not None and network_index.is_file() else []
    lang = results.get("municipality", {}).get("language", "nn")
    return Published(folder, lang, results, comparison, cells, docx, page, network)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, leaf) of every leaf of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}.{index}")
    else:
        yield path, value


# --------------------------------------------------------------------------------------------
# the respondents behind each figure, rebuilt from cleaned.csv

DRIVER_MODES = ("car_alone", "car_shared")
CAR_MODES = ("car_alone", "car_shared", "car_passenger")
SEASONS = ("summer", "winter")
#: Distance bands, left-closed [low, high) km, and a distance inside each.
DISTANCE_BANDS = {"lt1": (0, 1, 0.5), "1_3": (1, 3, 2), "3_5": (3, 5, 4), "5_10": (5, 10, 7),
                  "10_20": (10, 20, 15), "20p": (20, np.inf, 30)}
#: Travel-time bands, right-closed (low, high] minutes, and a time inside each.
TIME_BANDS = {"0_15": (-np.inf, 15, 10), "16_30": (15, 30, 20), "31_45": (30, 45, 40), "46_60": (45, 60, 50),
              "60p": (60, np.inf, 70)}


class Respondents:
    """A cleaned respondent table read with pandas only (or a table of possible answer combinations)."""

    def __init__(self, source: Path | pd.DataFrame) -> None:
        if isinstance(source, pd.DataFrame):
            frame = source
        else:
            frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        self.frame = frame
        self.n = len(frame)
        self._text: dict[str, pd.Series] = {}

    def text(self, column: str) -> pd.Series:
        if column not in self._text:
            if column not in self.frame:
                self._text[column] = pd.Series([""] * self.n, index=self.frame.index, dtype=object)
            else:
                self._text[column] = self.frame[column].fillna("").astype(str).str.strip()
        return self._text[column]

    def number(self, column: str) -> pd.Series:
        return pd.to_numeric(self.text(column).replace("", np.nan), errors="coerce")

    def flag(self, column: str) -> np.ndarray:
        return self.text(column).str.casefold().isin(("true", "1", "yes")).to_numpy()

    def categories(self, column: str) -> list[str]:
        return sorted(set(self.text(column)) | {""})


@dataclasses.dataclass(frozen=True)
class Mask:
    """A set of respondents by meaning: the columns it reads and how it picks rows."""

    dims: frozenset[str]
    pick: Any  # Callable[[Respondents], np.ndarray]

    def __call__(self, who: Respondents) -> np.ndarray:
        return np.asarray(self.pick(who), dtype=bool)

    def __and__(self, other: Mask) -> Mask:
        return Mask(self.dims | other.dims, lambda w: self(w) & other(w))

    def __or__(self, other: Mask) -> Mask:
        return Mask(self.dims | other.dims, lambda w: self(w) | other(w))

    def __invert__(self) -> Mask:
        return Mask(self.dims, lambda w: ~self(w))


EVERYONE = Mask(frozenset(), lambda w: np.ones(w.n, dtype=bool))


def mode(season: str, modes: tuple[str, ...] | str) -> Mask:
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    return Mask(frozenset({f"mode_{season}"}), lambda w: w.text(f"mode_{season}").isin(modes).to_numpy())


def known(season: str) -> Mask:
    return Mask(frozenset({f"mode_{season}"}), lambda w: (w.text(f"mode_{season}") != "").to_numpy())


def driver(season: str | None = None) -> Mask:
    return mode(season, DRIVER_MODES) if season else driver("summer") | driver("winter")


def car() -> Mask:
    return mode("summer", CAR_MODES) | mode("winter", CAR_MODES)


def changed() -> Mask:
    return known("summer") & known("winter") & Mask(
        frozenset({"mode_summer", "mode_winter"}), lambda w: (w.text("mode_summer") != w.text("mode_winter")).to_numpy())


def chose(column: str, code: str) -> Mask:
    return Mask(frozenset({f"{column}:{code}"}),
                lambda w: (";" + w.text(column) + ";").str.contains(f";{code};", regex=False).to_numpy(dtype=bool))


def group(column: str, value: str) -> Mask:
    if column == "shift_work":
        wanted = ("true", "1", "yes") if value == "yes" else ("false", "0", "no")
        return Mask(frozenset({column}), lambda w: w.text(column).str.casefold().isin(wanted).to_numpy())
    return Mask(frozenset({column}), lambda w: (w.text(column) == value).to_numpy())


def flag(column: str) -> Mask:
    return Mask(frozenset({column}), lambda w: w.flag(column))


def between(column: str, low: float, high: float, *, right: bool) -> Mask:
    def pick(w: Respondents) -> np.ndarray:
        x = w.number(column)
        return ((x > low) & (x <= high) if right else (x >= low) & (x < high)).to_numpy()
    return Mask(frozenset({column}), pick)


def answered(column: str) -> Mask:
    return Mask(frozenset({column}), lambda w: w.number(column).notna().to_numpy())


def equals(column: str, value: float) -> Mask:
    """Answers that round to ``value`` (a half day counts as the next whole day)."""
    return Mask(frozenset({column}), lambda w: (np.floor(w.number(column) + 0.5) == value).to_numpy())


# --------------------------------------------------------------------------------------------
# the ledger: every published or hidden figure that maps to a set of respondents


@dataclasses.dataclass
class Entry:
    where: str
    mask: Mask
    real: np.ndarray                # the respondents it covers in the data
    value: float | None = None      # the published count or share; None when hidden
    base: Mask | None = None        # for a share: the respondents it is a share of
    base_real: np.ndarray | None = None
    base_count: int | None = None   # the base as published beside the share
    decimals: int = 0
    completeness: bool = False      # who answered a question, not a cell

    @property
    def true(self) -> int:
        return int(self.real.sum())


@dataclasses.dataclass
class Ledger:
    who: Respondents
    counts: list[Entry] = dataclasses.field(default_factory=list)
    shares: list[Entry] = dataclasses.field(default_factory=list)
    hidden: list[Entry] = dataclasses.field(default_factory=list)
    extremes: list[tuple[str, float, int]] = dataclasses.field(default_factory=list)  # (where, share, group size)
    mismatched: list[tuple[str, Any, int]] = dataclasses.field(default_factory=list)  # (where, published, rebuilt)
    rates: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)        # same figure, several places
    modes: tuple[str, ...] = ()                                                       # every mode the survey lists

    @property
    def n(self) -> int:
        return self.who.n

    def count(self, where: str, mask: Mask, value: Any, *, completeness: bool = False) -> None:
        """A published count: kept when shown and rebuilt alike, a mask to protect when hidden."""
        real = mask(self.who)
        if value is None:
            self.hidden.append(Entry(where, mask, real))
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        if round(value) != int(real.sum()):
            self.mismatched.append((where, value, int(real.sum())))
            return
        self.counts.append(Entry(where, mask, real, float(value), completeness=completeness))

    def share(self, where: str, num: Mask, base: Mask, value: Any, *, base_count: int | None = None,
              group: bool = False) -> None:
        cell = num & base
        real, base_real = cell(self.who), base(self.who)
        if value is None:
            self.hidden.append(Entry(where, cell, real))
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        nb, nn = int(base_real.sum()), int(real.sum())
        decimals = _decimals(value)
        if nb == 0 or abs(nn / nb - value) > 0.5 * 10.0 ** -min(decimals, 9) + 1e-12:
            self.mismatched.append((where, value, nn))
            return
        self.shares.append(Entry(where, cell, real, float(value), base, base_real, base_count, decimals))
        if group and value in (0.0, 1.0):
            self.extremes.append((where, float(value), nb))

    def hide(self, where: str, mask: Mask) -> None:
        self.hidden.append(Entry(where, mask, mask(self.who)))

    def same(self, key: str, where: str, value: Any) -> None:
        """One figure published in several places (e.g. a rate in results and in the comparison)."""
        self.rates.setdefault(key, {})[where] = value


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        return 17
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _seasons_section(led: Ledger, results: dict[str, Any]) -> None:
    habits = results["habits"]
    led.count("results:habits.n_respondents", EVERYONE, habits.get("n_respondents"), completeness=True)
    for season in SEASONS:
        block = habits["seasons"][season]
        led.count(f"results:habits.seasons.{season}.n", known(season), block["n"], completeness=True)
        for code, cell in block["modes"].items():
            led.count(f"results:habits.seasons.{season}.modes.{code}.count", mode(season, code), cell["count"])
            share = results.get("mode_share", {}).get(season, {}).get(code, "absent")
            if share != "absent":
                led.share(f"results:mode_share.{season}.{code}", mode(season, code), known(season), share,
                          base_count=block["n"])
        led.count(f"results:habits.seasons.{season}.car_driver.count", driver(season), block["car_driver"]["count"])
        led.same(f"drive_alone_rate.{season}", "results:habits.drive_alone_rate",
                 (habits.get("drive_alone_rate") or {}).get(season, {}).get("rate"))
    led.count("results:habits.n_car_drivers", driver(), habits.get("n_car_drivers"))
    shift = habits.get("seasonal_shift") or {}
    if shift:
        led.count("results:habits.seasonal_shift.n_both_seasons", known("summer") & known("winter"),
                  shift.get("n_both_seasons"), completeness=True)
        led.count("results:habits.seasonal_shift.n_changed", changed(), shift.get("n_changed"))
        for i, item in enumerate(shift.get("transitions") or []):
            led.count(f"results:habits.seasonal_shift.transitions.{i}",
                      mode("summer", item["summer"]) & mode("winter", item["winter"]), item.get("count"))


def _bands_section(led: Ledger, habits: dict[str, Any]) -> None:
    for name, bands, right in (("distance_km", DISTANCE_BANDS, False), ("travel_time_min", TIME_BANDS, True)):
        block = habits.get(name)
        if not block:
            continue
        led.count(f"results:habits.{name}.n", answered(name), block["n"], completeness=True)
        for code, cell in (block.get("bands") or {}).items():
            low, high, _ = bands[code]
            led.count(f"results:habits.{name}.bands.{code}", between(name, low, high, right=right), cell["count"])
    for name, column in (("days_on_site", "days_on_site"), ("remote_work", "remote_days")):
        block = habits.get(name)
        if not block:
            continue
        led.count(f"results:habits.{name}.n_reported", answered(column), block["n_reported"], completeness=True)
        for day, cell in (block.get("distribution") or {}).items():
            if day.isdigit():
                led.count(f"results:habits.{name}.distribution.{day}", equals(column, float(day)), cell["count"])
        if name == "remote_work" and "n_any_remote" in block:
            led.count("results:habits.remote_work.n_any_remote", between(column, 0, np.inf, right=True),
                      block["n_any_remote"])


def _breakdowns_section(led: Ledger, habits: dict[str, Any]) -> None:
    for column, groups in (habits.get("breakdowns") or {}).items():
        for name, entry in groups.items():
            members = group(column, name)
            where = f"results:habits.breakdowns.{column}.{name}"
            led.count(f"{where}.n", members, entry.get("n"))
            if entry.get("suppressed"):
                continue
            for season in SEASONS:
                base = members & known(season)
                _unlisted_modes(led, where + f".modes_{season}", members, season, entry.get(f"modes_{season}") or {})
                for code, share in (entry.get(f"modes_{season}") or {}).items():
                    led.share(f"{where}.modes_{season}.{code}", mode(season, code), base, share, group=True)
                led.share(f"{where}.car_driver_share_{season}", driver(season), base,
                          entry.get(f"car_driver_share_{season}"), group=True)
            if entry.get("drive_alone_rate") in (0.0, 1.0):
                led.extremes.append((f"{where}.drive_alone_rate", float(entry["drive_alone_rate"]), entry["n"]))


def _unlisted_modes(led: Ledger, where: str, members: Mask, season: str, listed: dict[str, Any]) -> None:
    """A group lists the modes its members use: a mode it leaves out is known to be 0."""
    for code in led.modes:
        if code not in listed:
            led.count(f"{where}.{code}(unlisted)", members & mode(season, code), 0)


def _lists_section(led: Ledger, habits: dict[str, Any], k: int) -> None:
    for column in ("barriers", "would_consider", "would_help"):
        block = habits.get(column)
        if not block:
            continue
        codes = {c for v in led.who.text(column) for c in v.split(";") if c}
        for among, people in (("overall", EVERYONE), ("car_drivers", driver())):
            listed = set()
            for item in block.get(among) or []:
                listed.add(item["code"])
                led.count(f"results:habits.{column}.{among}.{item['code']}", people & chose(column, item["code"]),
                          item.get("count"))
            # A code not listed whose people are 1..k-1 was hidden by the k rule.
            for code in sorted(codes - listed):
                mask = people & chose(column, code)
                if 0 < mask(led.who).sum() < k:
                    led.hide(f"results:habits.{column}.{among}.{code}", mask)


def _feature(feature: str) -> Mask | None:
    if feature in ("children_drop_off", "car_needed_for_work", "shift_work"):
        return flag(feature)
    kind, _, code = feature.partition(":")
    if kind == "barrier":
        return chose("barriers", code)
    if kind in ("mode_summer", "mode_winter"):
        modes = {"walk": ("walk",), "cycle": ("bike", "ebike")}.get(code)  # "car" is defined otherwise
        return mode(kind.split("_")[1], modes) if modes else None
    return None


def _segments_section(led: Ledger, results: dict[str, Any]) -> None:
    if "segment" not in led.who.frame:
        return
    for segment in results.get("segments") or []:
        sid = segment["id"]
        members = group("segment", sid)
        where = f"results:segments.{sid}"
        led.count(f"{where}.size", members, segment.get("size"))
        for season, shares in (segment.get("mode_share") or {}).items():
            _unlisted_modes(led, f"{where}.mode_share.{season}", members, season, shares)
            for code, share in shares.items():
                led.share(f"{where}.mode_share.{season}.{code}", mode(season, code), members & known(season), share)
        for column in ("barriers", "would_help"):
            for item in segment.get(column) or []:
                led.count(f"{where}.{column}.{item['code']}", members & chose(column, item["code"]), item.get("count"))
        for i, feature in enumerate(segment.get("defining_features") or []):
            flags = _feature(feature["feature"])
            if flags is None:
                continue
            led.share(f"{where}.defining_features.{i}.share", flags, members, feature.get("share"))
            led.share(f"{where}.defining_features.{i}.overall_share", flags, EVERYONE, feature.get("overall_share"))


def _potential_section(led: Ledger, results: dict[str, Any]) -> None:
    potential = results.get("potential") or {}
    if potential:
        led.count("results:potential.n_car_commuters", driver(), potential.get("n_car_commuters"))
        for column, groups in (potential.get("breakdowns") or {}).items():
            for name, entry in groups.items():
                led.count(f"results:potential.breakdowns.{column}.{name}.n_car_commuters",
                          driver() & group(column, name), entry.get("n_car_commuters"))
    for measure in results.get("measures") or []:
        for i, reason in enumerate(measure.get("reasons_data") or []):
            if reason.get("n_of") is not None and reason["key"].startswith("rank.reason.reach"):
                people = EVERYONE if reason["n_of"] == led.n else car()
                led.count(f"results:measures.{measure['id']}.reasons_data.{i}.n_of", people, reason["n_of"])
    for area in (results.get("geo") or {}).get("areas") or []:
        if area.get("level") == "postcode":
            led.count(f"results:geo.areas.{area['area']}.n", group("home_postcode", area["area"]), area.get("n"))


def _comparison_section(led: Ledger, comparison: dict[str, Any], source: str) -> None:
    """The comparison's "before" figures describe the same respondents as results.json."""
    for season, modes in (comparison.get("mode_share_change") or {}).items():
        for code, cell in modes.items():
            led.share(f"{source}:mode_share_change.{season}.{code}.before", mode(season, code), known(season),
                      cell.get("before"), base_count=cell.get("n_before"))
    for season, cell in (comparison.get("car_driver_share") or {}).items():
        led.share(f"{source}:car_driver_share.{season}.before", driver(season), known(season),
                  cell.get("before"), base_count=cell.get("n_before"))
    for season in SEASONS:
        cell = (comparison.get("drive_alone_rate") or {}).get(season)
        if cell:
            led.same(f"drive_alone_rate.{season}", f"{source}:drive_alone_rate", cell.get("before"))
    for column, groups in (comparison.get("breakdowns") or {}).items():
        for entry in groups:
            members = group(column, entry["group"])
            where = f"{source}:breakdowns.{column}.{entry['group']}"
            led.count(f"{where}.n_before", members, entry.get("n_before"))
            for season in SEASONS:
                cell = (entry.get(season) or {}).get("car_driver_share") or {}
                if "before" in cell:
                    led.share(f"{where}.{season}.car_driver_share.before", driver(season), members & known(season),
                              cell["before"], base_count=cell.get("n_before"), group=True)
    for pilot in comparison.get("pilots") or []:
        participants = pilot.get("participants") or {}
        column = participants.get("group")
        if column not in ("workplace", "job_group"):
            continue
        reached = group(column, participants.get("description", ""))
        where = f"{source}:pilots.{pilot['measure']}.participants"
        led.count(f"{where}.n_reached_before", reached, participants.get("n_reached_before"))
        led.count(f"{where}.n_not_reached_before", ~reached, participants.get("n_not_reached_before"))


def ledger(published: Published, who: Respondents, k: int) -> Ledger:
    """Every figure of results.json and comparison.json that maps to a set of respondents."""
    results = published.results
    led = Ledger(who, modes=tuple(dict.fromkeys(m for s in SEASONS for m in results["habits"]["seasons"][s]["modes"])))
    _seasons_section(led, results)
    _bands_section(led, results["habits"])
    _breakdowns_section(led, results["habits"])
    _lists_section(led, results["habits"], k)
    _segments_section(led, results)
    _potential_section(led, results)
    comparison = published.comparison or results.get("comparison")
    if comparison:
        _comparison_section(led, comparison, "comparison")
    return led


# --------------------------------------------------------------------------------------------
# the check on the union


_ATOMS: dict[tuple[int, frozenset[str]], Respondents] = {}


def atoms(who: Respondents, dims: frozenset[str], results: dict[str, Any]) -> Respondents:
    key = (id(who), dims)
    if key not in _ATOMS:
        _ATOMS[key] = _atoms(who, dims, results)
    return _ATOMS[key]


def _atoms(who: Respondents, dims: frozenset[str], results: dict[str, Any]) -> Respondents:
    """Every combination of answers over ``dims`` a reader must allow for (empty ones included):
    the cells of the full cross-table the published figures are sums of."""
    listed_modes = {m for s in SEASONS for m in results["habits"]["seasons"][s]["modes"]}
    axes: dict[str, list[str]] = {}
    for dim in sorted(dims):
        column, _, code = dim.partition(":")
        if code:
            axes[column] = ["", code]
        elif column in ("mode_summer", "mode_winter"):
            axes[column] = sorted(set(who.categories(column)) | listed_modes)
        elif column == "distance_km":
            axes[column] = ["", *(str(b[2]) for b in DISTANCE_BANDS.values())]
        elif column == "travel_time_min":
            axes[column] = ["", *(str(b[2]) for b in TIME_BANDS.values())]
        elif column in ("days_on_site", "remote_days"):
            axes[column] = ["", *(str(d) for d in range(8)), "0.5", "2.5"]
        elif column in ("shift_work", "children_drop_off", "car_needed_for_work"):
            axes[column] = ["", "True", "False"]
        else:
            axes[column] = who.categories(column)
    if not axes:
        return Respondents(pd.DataFrame(index=range(1)))
    index = pd.MultiIndex.from_product(list(axes.values()), names=list(axes))
    return Respondents(index.to_frame(index=False))


class RowSpace:
    """The span of published rows over the cells of a cross-table; ``contains(h)`` is the rank test."""

    def __init__(self, rows: list[np.ndarray], n: int) -> None:
        if not rows:
            self.basis = np.zeros((0, n))
            return
        matrix = np.vstack(rows)
        _, s, vt = np.linalg.svd(matrix, full_matrices=False)
        tol = max(matrix.shape) * np.finfo(float).eps * (s[0] if len(s) else 0.0) * 10
        self.basis = vt[s > tol]

    def contains(self, vector: np.ndarray) -> bool:
        v = vector.astype(float)
        residual = v - self.basis.T @ (self.basis @ v)
        return bool(np.linalg.norm(residual) <= 1e-6 * max(1.0, np.linalg.norm(v)))


def _share_count(share: Entry, base: int) -> int | None:
    """The count a share gives back over a base the reader knows, when exactly one integer fits."""
    assert share.value is not None
    step = 0.5 * 10.0 ** -min(share.decimals, 15)
    low, high = (share.value - step) * base, (share.value + step) * base
    fits = [c for c in range(int(np.floor(low)), int(np.ceil(high)) + 1) if low - 1e-9 <= c <= high + 1e-9]
    return fits[0] if len(fits) == 1 else None


class Family:
    """The published facts over the cells of one cross-table (the columns ``dims``)."""

    def __init__(self, led: Ledger, dims: frozenset[str], results: dict[str, Any],
                 hidden: list[Entry]) -> None:
        self.cells = atoms(led.who, dims, results)
        counts = [(e, e.mask(self.cells).astype(float)) for e in led.counts if e.mask.dims <= dims]
        shares = [e for e in led.shares if e.mask.dims <= dims and e.base is not None and e.base.dims <= dims]
        # A count of 0, or two nested counts that are equal, empty cells: the reader drops them.
        empty = np.zeros(self.cells.n, dtype=bool)
        for entry, row in counts:
            if entry.value == 0:
                empty |= row > 0
        if counts:
            member = np.vstack([row > 0 for _, row in counts]).astype(np.int32)
            values = np.array([e.value for e, _ in counts])
            inside = (member @ member.T) == member.sum(axis=1)[:, None]   # a within b
            for a, b in zip(*np.nonzero(inside & (values[:, None] == values[None, :]))):
                if a != b:
                    empty |= member[b].astype(bool) & ~member[a].astype(bool)
        # Cells that no published or hidden figure tells apart are one cell.
        vectors = [row for _, row in counts] + [e.mask(self.cells) for e in hidden]
        vectors += [v for e in shares for v in (e.mask(self.cells), e.base(self.cells))]
        signature = np.vstack([*vectors, empty]).astype(np.float32) if vectors else empty[None, :]
        _, first = np.unique(signature.T, axis=0, return_index=True)
        self.keep = np.zeros(self.cells.n, dtype=bool)
        self.keep[first] = True
        self.keep &= ~empty
        rows = [row[self.keep] for _, row in counts]
        # Exact shares state num - share * base = 0; a share over a base the reader knows states its count.
        for entry in shares:
            if entry.decimals >= 12:
                rows.append((entry.mask(self.cells) - entry.value * entry.base(self.cells))[self.keep].astype(float))
        stated: set[str] = set()
        for _round in range(3):
            self.space = RowSpace(rows, int(self.keep.sum()))
            added = False
            for entry in shares:
                if entry.where in stated:
                    continue
                base = entry.base_count if entry.base_count == int(entry.base_real.sum()) else None
                if base is None and self.contains(entry.base):
                    base = int(entry.base_real.sum())
                count = _share_count(entry, base) if base is not None else None
                if count is not None and count == entry.true:
                    rows.append(entry.mask(self.cells)[self.keep].astype(float))
                    stated.add(entry.where)
                    added = True
            if not added:
                break
        self.stated = stated

    def contains(self, mask: Mask) -> bool:
        vector = mask(self.cells)
        if not vector[self.keep].any():
            return True  # only cells known to be empty
        return self.space.contains(vector[self.keep])


@dataclasses.dataclass
class Findings:
    k: int
    n: int
    hidden: int = 0
    published_counts: int = 0
    recoverable: list[tuple[str, int]] = dataclasses.field(default_factory=list)   # (where, true count), any size
    leaks: dict[str, list[Any]] = dataclasses.field(default_factory=dict)
    mismatched: list[tuple[str, Any, int]] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"k": self.k, "respondents": self.n, "published_counts": self.published_counts,
                "hidden": self.hidden, "recoverable": len(self.recoverable),
                **{kind: len(items) for kind, items in self.leaks.items()}, "unmapped": len(self.mismatched)}


#: Columns every cross-table of a group carries: the two seasons' modes.
_MODES = frozenset({"mode_summer", "mode_winter"})


def audit(led: Ledger, k: int, results: dict[str, Any]) -> Findings:
    findings = Findings(k, led.n, mismatched=list(led.mismatched))
    leaks: dict[str, list[Any]] = {"small": [], "recoverable": [], "difference": [], "whole_group": [],
                                   "inconsistent": []}
    # Hidden figures the published facts give back, cross-table by cross-table.
    stated: dict[str, int] = {}
    findings.hidden = len(led.hidden)
    by_dims: dict[frozenset[str], list[Entry]] = {}
    for item in led.hidden:
        by_dims.setdefault(item.mask.dims | _MODES, []).append(item)
    families = {dims: Family(led, dims, results, items) for dims, items in by_dims.items()}
    for family in families.values():
        stated.update({w: 1 for w in family.stated})
    for item in led.hidden:
        dims = item.mask.dims | _MODES
        if families[dims].contains(item.mask):
            findings.recoverable.append((item.where, item.true))
            if 0 < item.true < k:
                leaks["recoverable"].append((item.where, item.true))
    # Published counts (a share over a known base is one) in 1..k-1.
    counted = list(led.counts) + [e for e in led.shares if e.base_count is not None or e.where in stated]
    findings.published_counts = len(counted)
    leaks["small"] = sorted({(e.where, e.true) for e in counted if 0 < e.true < k})
    # Published set differences: A within B, 1..k-1 people in B minus A.
    cells = [e for e in counted if e.true > 0]
    if cells:
        masks = np.vstack([e.real for e in cells]).astype(np.int32)
        sizes = masks.sum(axis=1)
        inter = masks @ masks.T
        gap = sizes[None, :] - sizes[:, None]
        seen: set[bytes] = set()
        for a, b in zip(*np.nonzero((inter == sizes[:, None]) & (gap > 0) & (gap < k))):
            if cells[a].completeness:
                # who answered a question within the group asked (or within who answered another):
                # non-response, which the gate's rules take for no disclosure (docs/privacy.md)
                continue
            key = np.packbits(masks[b].astype(bool) & ~masks[a].astype(bool)).tobytes()
            if key not in seen:
                seen.add(key)
                leaks["difference"].append((cells[b].where, cells[a].where, int(gap[a, b])))
    # A whole subgroup's answer: 100 % of a group, or a driver share of 0 % (a yes/no question).
    for where, value, size in led.extremes:
        if size < led.n and (value == 1.0 or "car_driver_share" in where or "drive_alone_rate" in where):
            leaks["whole_group"].append((where, value, size))
    # Hidden in one place, shown in another: the same respondents, or the same rate.
    def meaning(mask: Mask) -> tuple[frozenset[str], bytes]:
        return mask.dims, np.packbits(mask(atoms(led.who, mask.dims, results))).tobytes()

    shown: dict[tuple[frozenset[str], bytes], str] = {}
    for e in [*led.counts, *led.shares]:
        if e.value is not None and e.true > 0:
            shown.setdefault(meaning(e.mask), e.where)
    for item in led.hidden:
        other = shown.get(meaning(item.mask)) if item.true > 0 else None
        if other is not None:
            leaks["inconsistent"].append((item.where, other))
    for key, places in led.rates.items():
        values = set(places.values())
        if None in values and len(values) > 1:
            leaks["inconsistent"].append((key, places))
    findings.leaks = leaks
    return findings


def audit_folder(folder: Path, k: int, *, cleaned: Path | None = None,
                 network_index: Path | None = None) -> tuple[Published, Ledger, Findings]:
    published = collect(folder, network_index)
    who = Respondents(cleaned or folder / "cleaned.csv")
    led = ledger(published, who, k)
    return published, led, audit(led, k, published.results)


# --------------------------------------------------------------------------------------------
# numbers in sentences against the published figures


def published_values(published: Published) -> list[float]:
    """Every number results.json (with its comparison) publishes."""
    values = [float(v) for _, v in walk(published.results)
              if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if published.comparison:
        values += [float(v) for _, v in walk(published.comparison)
                   if isinstance(v, (int, float)) and not isinstance(v, bool)]
    for _, v in walk(published.results):
        if isinstance(v, str):  # dates and periods are figures too ("04.01.2027", "2025-03")
            values += [float(x) for x in re.findall(r"\d+", v)]
    return values


def matches(number: Number, values: np.ndarray) -> bool:
    """Does a printed number equal a published value, allowing its rounding and percent form?"""
    step = 0.5 * 10.0 ** -number.decimals + 1e-9
    candidates = [values * 100] if number.percent else [values, values * 100, np.abs(values), np.abs(values) * 100]
    return any(bool(np.any(np.abs(c - abs(number.value)) <= step)) for c in candidates)


_NOT_FIGURES = re.compile(r"^\s*\[\d+\]|\(–\)|\(-\)")
_CONFIDENCE = re.compile(r"95\s?%\s*(?:konfidens|confidence|KI\b|CI\b)", re.IGNORECASE)
_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{4}-\d{2}-\d{2}\b")


def unmatched_sentence_numbers(published: Published) -> list[tuple[str, str]]:
    """(sentence, number) for every number in the report's prose that no published figure gives."""
    values = np.array(published_values(published))
    out = []
    for sentence in published.sentences():
        # No figures of the survey: citations ("[1] Miljødirektoratet ... 2,32 kg"), the confidence
        # level of intervals, how many cells are hidden, and dates (29.11.2026, 2027-01-04).
        if _NOT_FIGURES.search(sentence):
            continue
        undated = _CONFIDENCE.sub(" ", _DATE.sub(" ", sentence))
        for number in parse_numbers(undated, published.lang):
            if not matches(number, values):
                out.append((sentence, number.text))
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--k", type=int, default=None)
    args = parser.parse_args(argv)
    results = json.loads((args.folder / "results.json").read_text(encoding="utf-8"))
    k = args.k or results["privacy"]["k"]
    _, _, findings = audit_folder(args.folder, k)
    print(json.dumps(findings.summary(), ensure_ascii=False))
    for kind, items in findings.leaks.items():
        for item in items:
            print(kind, item)
    for item in findings.mismatched:
        print("unmapped", item)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

