"""The "what changed" report: ``comparison.html`` and the section the main report includes.

Everything shown is read from ``comparison.json`` (the dict of
:meth:`grontur.compare.Comparison.as_dict`); nothing is recomputed. Sentences come from the
translation catalogue (``grontur/locale/compare.yaml``); numbers are formatted per language and a
suppressed figure (``None``) is shown as a dash.

- :func:`comparison_blocks` gives report-model blocks, so the HTML, DOCX and XLSX writers of the
  main report lay the section out like every other section.
- :func:`render_what_changed` renders the same blocks as an HTML fragment.
- :func:`render_comparison_html` renders the standalone, self-contained ``comparison.html``.
- :func:`summarise_pilots` gives one sentence per pilot for the network overview.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from markupsafe import Markup

from grontur import _format as fmt
from grontur.errors import GronturError
from grontur.i18n import Translator, has
from grontur.report._sentence import shown_key_figures
from grontur.report._text import measure_name
from grontur.report.model import (
    Block,
    BulletList,
    Cell,
    Figure,
    Heading,
    KeyFigure,
    Paragraph,
    Table,
)
from grontur.schema import SEASONS
from grontur.threshold import DEFAULT_K

log = logging.getLogger(__name__)

_GROUP_LABEL_KIND = {"job_group": "job_group"}


def _signed(value: float | None, lang: str, *, digits: int = 1, signed: bool = True) -> str:
    """A change with its sign (``+2,5`` / ``−12,0``, with a true minus sign)."""
    if value is None:
        return fmt.SUPPRESSED
    text = fmt.number(value, lang, digits=digits)
    if text.lstrip("-").strip("0,.") == "":
        text = text.lstrip("-")  # no "-0,0"
        return text
    return ("+" + text) if signed and value > 0 else text.replace("-", "−")


def _points(value: float | None, lang: str, *, signed: bool = True) -> str:
    """A difference of shares as percentage points with one decimal (``+2,5`` / ``−12,0``)."""
    return _signed(None if value is None else 100.0 * value, lang, digits=1, signed=signed)


def _ci_points(low: float | None, high: float | None, lang: str) -> str:
    if low is None or high is None:
        return fmt.SUPPRESSED
    return f"{_points(low, lang)} – {_points(high, lang)}"


def _ci_signed(low: float | None, high: float | None, lang: str, *, digits: int) -> str:
    if low is None or high is None:
        return fmt.SUPPRESSED
    return f"{_signed(low, lang, digits=digits)} – {_signed(high, lang, digits=digits)}"


def _p(value: float | None, lang: str) -> str:
    if value is None:
        return fmt.SUPPRESSED
    if value < 0.001:
        return "< " + fmt.number(0.001, lang, digits=3)
    return fmt.number(value, lang, digits=3)


def _n_pair(before: int | None, after: int | None, lang: str) -> str:
    return f"{fmt.integer(before, lang)} / {fmt.integer(after, lang)}"


def _mode_label(tr: Translator, mode: str) -> str:
    try:
        return tr.code("mode", mode)
    except KeyError:
        return mode


def _group_label(tr: Translator, column: str, value: str) -> str:
    kind = _GROUP_LABEL_KIND.get(column)
    if kind:
        try:
            return tr.code(kind, value)
        except KeyError:
            return value
    return value


def measure_label(measure_id: str, lang: str) -> str:
    """The catalogue name of a measure in ``lang`` (the id when the catalogue does not know it)."""
    try:
        return measure_name({"id": measure_id}, lang)
    except GronturError:  # a broken catalogue only costs the nice name
        return measure_id


def _change_row(label: Iterable[str], entry: Mapping[str, Any], key: str, lang: str, *,
                as_percent: bool = True, digits: int = 0) -> tuple[Cell, ...]:
    if as_percent:
        before = fmt.percent(entry.get("before"), lang, digits=digits)
        after = fmt.percent(entry.get("after"), lang, digits=digits)
        diff = _points(entry.get("diff"), lang)
        ci = _ci_points(entry.get("ci_low"), entry.get("ci_high"), lang)
    else:
        before = fmt.number(entry.get("before"), lang, digits=digits)
        after = fmt.number(entry.get("after"), lang, digits=digits)
        diff = _signed(entry.get("diff"), lang, digits=digits)
        ci = _ci_signed(entry.get("ci_low"), entry.get("ci_high"), lang, digits=digits)
    return (
        *(Cell(text) for text in label),
        Cell(before, f"{key}.before", entry.get("before")),
        Cell(after, f"{key}.after", entry.get("after")),
        Cell(diff, f"{key}.diff", entry.get("diff")),
        Cell(ci),
        Cell(_p(entry.get("p_value"), lang), f"{key}.p_value", entry.get("p_value")),
        Cell(_n_pair(entry.get("n_before"), entry.get("n_after"), lang)),
    )


def _change_header(tr: Translator, first: Iterable[str]) -> tuple[str, ...]:
    return (*first, tr("compare.col.before"), tr("compare.col.after"), tr("compare.col.diff_points"),
            tr("compare.col.ci"), tr("compare.col.p"), tr("compare.col.n"))


def _season_word(tr: Translator, season: str) -> str:
    return tr(f"compare.season.{season}")


# ---------------------------------------------------------------------------------------------
# Blocks

def _key_figures(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    items: list[KeyFigure] = []
    resp = c.get("respondents") or {}
    items.append(KeyFigure(tr("compare.key.respondents"), _n_pair(resp.get("n_before"), resp.get("n_after"), lang)))
    for season in SEASONS:
        entry = (c.get("drive_alone_rate") or {}).get(season)
        if isinstance(entry, Mapping):
            items.append(KeyFigure(
                tr("compare.key.drive_alone", season=_season_word(tr, season)),
                tr("compare.key.before_after", before=fmt.percent(entry.get("before"), lang),
                   after=fmt.percent(entry.get("after"), lang)),
                f"comparison.drive_alone_rate.{season}.after",
            ))
            break
    em = c.get("emissions") or {}
    if em.get("available"):
        items.append(KeyFigure(
            tr("compare.key.emissions"),
            tr("compare.key.before_after", before=fmt.number(em.get("before"), lang, digits=2),
               after=fmt.number(em.get("after"), lang, digits=2)),
            "comparison.emissions.after",
        ))
    return shown_key_figures(items, tr, k=int(c.get("k", DEFAULT_K)))


def _headline_table(c: Mapping[str, Any], tr: Translator, lang: str) -> Table | None:
    rows = []
    for season in SEASONS:
        for section, label in (("drive_alone_rate", "compare.measure.drive_alone_rate"),
                               ("car_driver_share", "compare.measure.car_driver_share")):
            entry = (c.get(section) or {}).get(season)
            if isinstance(entry, Mapping):
                rows.append(_change_row((tr(label), _season_word(tr, season)), entry,
                                        f"comparison.{section}.{season}", lang, digits=1))
        entry = (c.get("cars_per_100_employees") or {}).get(season)
        if isinstance(entry, Mapping):
            rows.append(_change_row((tr("compare.measure.cars_per_100"), _season_word(tr, season)), entry,
                                    f"comparison.cars_per_100_employees.{season}", lang, as_percent=False, digits=1))
    em = c.get("emissions") or {}
    if em.get("available"):
        rows.append(_change_row((tr("compare.measure.emissions"), ""), em, "comparison.emissions", lang,
                                as_percent=False, digits=2))
    if not rows:
        return None
    header = _change_header(tr, (tr("compare.col.measure"), tr("compare.col.season")))
    note = tr("compare.note.emissions_ci") if em.get("available") else None
    return Table("comparison-headline", tr("compare.table.headline"), header, tuple(rows),
                 (False, False, True, True, True, True, True, True), note,
                 (None, None, None, None, None, None, None, None))


def _mode_tables(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    blocks: list[Block] = []
    tests = c.get("distribution_test") or {}
    for season in SEASONS:
        modes = (c.get("mode_share_change") or {}).get(season)
        if not isinstance(modes, Mapping) or not modes:
            continue
        rows = tuple(_change_row((_mode_label(tr, mode),), entry, f"comparison.mode_share_change.{season}.{mode}", lang)
                     for mode, entry in modes.items() if isinstance(entry, Mapping))
        test = tests.get(season) or {}
        note = None
        if test.get("p_value") is not None:
            note = tr("compare.note.p_chi2", season=_season_word(tr, season),
                      chi2=fmt.number(test.get("chi2"), lang, digits=1), p=_p(test.get("p_value"), lang))
            if test.get("small_expected"):
                note += " " + tr("compare.note.small_expected")
        blocks.append(Table(f"comparison-modes-{season}", tr("compare.table.modes", season=_season_word(tr, season)),
                            _change_header(tr, (tr("compare.col.mode"),)), rows,
                            (False, True, True, True, True, True, True), note,
                            (None, "0%", "0%", None, None, None, None)))
    return blocks


def _panel_blocks(c: Mapping[str, Any], tr: Translator, lang: str, *, appendix: bool = False) -> list[Block]:
    """The same people in both waves: in words in the main text, the table and tests in the appendix."""
    panel = c.get("panel") or {}
    k = c.get("k", DEFAULT_K)
    blocks: list[Block] = [Heading(tr("compare.heading.panel"))]
    if not panel.get("found"):
        return [] if appendix else [*blocks, Paragraph(tr("compare.panel.none"))]
    if panel.get("n") is None:
        return [] if appendix else [*blocks, Paragraph(tr("compare.panel.too_small", k=k))]
    if not appendix:
        blocks.append(Paragraph(tr("compare.plain.panel_found", n=fmt.integer(panel["n"], lang))))
    rows = []
    switches = []
    for season in SEASONS:
        entry = (panel.get("seasons") or {}).get(season)
        if isinstance(entry, Mapping) and entry.get("n") is not None:
            row_entry = {**entry, "p_value": entry.get("mcnemar_p"), "n_before": entry.get("n"), "n_after": entry.get("n")}
            rows.append(_change_row((tr("compare.panel.row_panel", season=_season_word(tr, season)),), row_entry,
                                    f"comparison.panel.seasons.{season}", lang))
            switches.append(_switch_sentence(entry, tr, lang, season, k, technical=appendix))
        rest = (panel.get("non_panel") or {}).get(season)
        if isinstance(rest, Mapping):
            rows.append(_change_row((tr("compare.panel.row_rest", season=_season_word(tr, season)),), rest,
                                    f"comparison.panel.non_panel.{season}", lang))
    if rows and appendix:
        blocks.append(Table("comparison-panel", tr("compare.table.panel"), _change_header(tr, (tr("compare.col.group"),)),
                            tuple(rows), (False, True, True, True, True, True, True), None,
                            (None, "0%", "0%", None, None, None, None)))
    if switches:
        blocks.append(BulletList(tuple(switches)))
    return blocks


def _switch_sentence(entry: Mapping[str, Any], tr: Translator, lang: str, season: str, k: int, *,
                     technical: bool = False) -> str:
    """How many of the same people stopped and started driving, or why that cannot be shown
    (with the test's p-value only in the appendix, ``technical``)."""
    counts = (entry.get("stopped_driving"), entry.get("started_driving"), entry.get("mcnemar_p"))
    if entry.get("paired_test") is False or any(value is None for value in counts):
        # no dash in running text: say in words why the paired change is not shown
        key = "few_changed" if entry.get("note", "few_changed") == "few_changed" else "few_in_a_cell"
        return tr(f"compare.panel.switches_{key}", season=_season_word(tr, season).capitalize(), k=k)
    key = "compare.panel.switches" if technical else "compare.plain.switches"
    return tr(key, season=_season_word(tr, season).capitalize(),
              stopped=fmt.integer(counts[0], lang), started=fmt.integer(counts[1], lang), p=_p(counts[2], lang))


def _breakdown_blocks(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    breakdowns = c.get("breakdowns") or {}
    blocks: list[Block] = []
    for column, rows_in in breakdowns.items():
        rows = []
        for item in rows_in:
            for season in SEASONS:
                entry = (item.get(season) or {}).get("car_driver_share")
                if isinstance(entry, Mapping):
                    rows.append(_change_row((_group_label(tr, column, str(item.get("group"))), _season_word(tr, season)),
                                            entry, f"comparison.breakdowns.{column}.{item.get('group')}.{season}", lang))
        if rows:
            group = tr(f"compare.group.{column}") if column in ("segment", "workplace", "job_group") else column
            blocks.append(Table(f"comparison-by-{column}", tr("compare.table.breakdown", group=group),
                                _change_header(tr, (tr("compare.col.group"), tr("compare.col.season"))), tuple(rows),
                                (False, False, True, True, True, True, True, True), None,
                                (None, None, "0%", "0%", None, None, None, None)))
    if blocks:
        blocks.insert(0, Heading(tr("compare.heading.breakdowns")))
    return blocks


@cache
def _question_texts() -> dict[str, dict[str, str]]:
    """Question text per canonical column, from the standard questionnaire."""
    from grontur.resources import standard_questionnaire

    spec = standard_questionnaire()
    return {q["column"]: dict(q.get("text") or {}) for q in spec.get("questions", []) if q.get("column")}


def _question(column: str, lang: str) -> str:
    text = _question_texts().get(column, {}).get(lang)
    if not text:
        return column
    return f"“{text}”" if lang == "en" else f"«{text}»"


def _mapping_key(tr: Translator, key: str) -> str:
    name = f"compare.mapping_key.{key}"
    return tr(name) if has(name) else key


def warning_text(warning: Mapping[str, Any], tr: Translator, lang: str) -> str:
    """One comparability warning (``{code, values}``) as a sentence in the report language."""
    values = dict(warning.get("values") or {})
    code = str(warning.get("code"))
    if code == "composition_missing_groups":
        return _missing_groups_text(values, tr)
    for name in ("only_before", "only_after", "keys", "groups"):
        if name in values:
            items = values[name] or []
            if name == "groups":
                items = [_group_label(tr, "job_group", g) for g in items]
            elif name == "keys":
                items = [_mapping_key(tr, str(key)) for key in items]
            else:
                items = [_question(str(column), lang) for column in items]
            values[name] = ", ".join(str(i) for i in items) or tr("compare.none")
    for name in ("before", "after") if code == "response_rate_changed" else ():
        values[name] = fmt.percent(values.get(name), lang)
    if code == "composition_changed":
        distance = values.get("distance")
        values["distance"] = fmt.number(None if distance is None else 100 * distance, lang, digits=1)
        values["p_value"] = _p(values.get("p_value"), lang)
    if code in ("season_differs", "season_unknown"):
        values = {key: (tr("compare.wave_unknown") if value is None else value) for key, value in values.items()}
    key = f"compare.warning.{code}"
    try:
        return tr(key, **values)
    except (KeyError, IndexError):
        log.warning("comparability warning %r has no catalogue text", code)
        return code


def _missing_groups_text(values: Mapping[str, Any], tr: Translator) -> str:
    """Job groups that answered only in the first wave: named when large enough, else unnamed."""
    named = [_group_label(tr, "job_group", str(g)) for g in values.get("groups") or []]
    small = bool(values.get("small_groups")) or not named
    if named and small:
        text = tr("compare.warning.composition_missing_named_and_small", groups=", ".join(named))
    elif named:
        text = tr("compare.warning.composition_missing_groups", groups=", ".join(named))
    else:
        text = tr("compare.warning.composition_missing_small_groups")
    if values.get("adjusted", True):
        text += " " + tr("compare.composition.adjusted_covers_others")
    return text


def _comparability_blocks(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    warnings = [w for w in c.get("comparability") or [] if isinstance(w, Mapping)]
    blocks: list[Block] = [Heading(tr("compare.heading.comparability"))]
    texts = [warning_text(w, tr, lang) for w in warnings]
    blocks.append(BulletList(tuple(texts)) if texts else Paragraph(tr("compare.comparability.ok")))
    composition = c.get("composition") or {}
    reweighted = (composition.get("reweighted") or {}).get("car_driver_share") or {}
    sentences = []
    needed = ("after_reweighted", "after", "before", "diff_reweighted", "ci_low", "ci_high")
    for season in SEASONS:
        entry = reweighted.get(season)
        if isinstance(entry, Mapping) and all(entry.get(name) is not None for name in needed):
            # before and after cover the job groups in both waves only: say so when that leaves
            # people out, or the reader sees two different "before" figures without a reason
            key = "compare.plain.reweighted" if entry.get("whole_waves", True) else "compare.plain.reweighted_part"
            sentences.append(tr(
                key, season=_season_word(tr, season),
                after=fmt.percent(entry.get("after_reweighted"), lang), raw=fmt.percent(entry.get("after"), lang),
                before=fmt.percent(entry.get("before"), lang), diff=_points(entry.get("diff_reweighted"), lang),
                low=_points(entry.get("ci_low"), lang), high=_points(entry.get("ci_high"), lang),
            ))
    changed = any(w.get("code") == "composition_changed" for w in warnings)
    if composition and composition.get("distance") is not None and not changed:
        # a large p never says "the same": only that the difference is no larger than chance gives
        blocks.append(Paragraph(tr("compare.plain.composition_same", distance=fmt.number(100 * composition["distance"], lang, digits=1))))
    elif sentences:
        # the adjusted figures matter when the mix of job groups changed
        blocks.append(BulletList(tuple(sentences)))
    return blocks


def change_direction(estimate: float | None, low: float | None, high: float | None) -> str | None:
    """``"down"`` or ``"up"`` when the 95 % interval of a change lies below or above zero (a clear
    change), ``"unclear"`` when it includes zero, ``None`` when a figure is hidden or missing."""
    if estimate is None or low is None or high is None:
        return None
    if high < 0:
        return "down"
    if low > 0:
        return "up"
    return "unclear"


def _about_points(value: float, lang: str) -> str:
    """A change in percentage points as a reader says it: whole points from 2 up, else one decimal."""
    points = abs(100.0 * value)
    return fmt.number(points, lang, digits=0 if points >= 2 else 1)


def _plain_pilot(effect: Mapping[str, Any], tr: Translator, lang: str) -> str:
    """One pilot in words: clear fall or rise, or no clear change, with where it probably lies."""
    muni = effect.get("municipality") or {}
    name = muni.get("name") or muni.get("number") or ""
    period = effect.get("period") or {}
    year = str(period.get("start") or period.get("end") or "")[:4]
    estimate, low, high = effect.get("estimate"), effect.get("ci_low"), effect.get("ci_high")
    direction = change_direction(estimate, low, high)
    if direction is None:
        return tr("pilots.summary.none", municipality=name, year=year)
    assert estimate is not None and low is not None and high is not None
    return tr(f"compare.plain.pilot.{direction}", municipality=name, year=year, points=_about_points(estimate, lang),
              estimate=_points(estimate, lang), low=_points(low, lang), high=_points(high, lang))


def pilot_sentence(effect: Mapping[str, Any], lang: str) -> str:
    """One sentence for one pilot effect (a ``PilotEffect.as_dict()`` or an evidence record)."""
    tr = Translator(lang)
    muni = effect.get("municipality") or {}
    name = muni.get("name") or muni.get("number") or ""
    period = effect.get("period") or {}
    date = str(period.get("start") or period.get("end") or "")
    year = date[:4]
    estimate, low, high = effect.get("estimate"), effect.get("ci_low"), effect.get("ci_high")
    direction = change_direction(estimate, low, high)
    if direction is None:
        return tr("pilots.summary.none", municipality=name, year=year)
    assert estimate is not None and low is not None and high is not None
    if direction == "down":
        return tr("pilots.summary.down", municipality=name, year=year, points=_points(-estimate, lang, signed=False),
                  low=_points(-high, lang, signed=False), high=_points(-low, lang, signed=False))
    if direction == "up":
        return tr("pilots.summary.up", municipality=name, year=year, points=_points(estimate, lang, signed=False),
                  low=_points(low, lang, signed=False), high=_points(high, lang, signed=False))
    return tr("pilots.summary.unclear", municipality=name, year=year, estimate=_points(estimate, lang),
              low=_points(low, lang), high=_points(high, lang))


def summarise_pilots(effects: Iterable[Any], lang: str) -> list[str]:
    """One sentence per pilot, led by the measure's name, for the network overview.

    ``effects`` are :class:`grontur.pilots.PilotEffect` objects or their dicts (as in
    ``comparison.json``'s ``pilots`` list, or evidence records).
    """
    tr = Translator(lang)
    out = []
    for effect in effects:
        data = effect.as_dict() if hasattr(effect, "as_dict") else dict(effect)
        out.append(tr("pilots.summary.measure", measure=measure_label(str(data.get("measure")), lang),
                      sentence=pilot_sentence(data, lang)))
    return out


def _pilot_blocks(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    """The pilots in words, led by the measure's name (the table is in the appendix)."""
    pilots = [p for p in c.get("pilots") or [] if isinstance(p, Mapping)]
    if not pilots:
        return []
    items = tuple(tr("pilots.summary.measure", measure=measure_label(str(p.get("measure")), lang),
                     sentence=_plain_pilot(p, tr, lang)) for p in pilots)
    return [Heading(tr("compare.heading.pilots")), Paragraph(tr("pilots.lead")), BulletList(items)]


def _pilot_table(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    pilots = [p for p in c.get("pilots") or [] if isinstance(p, Mapping)]
    if not pilots:
        return []
    blocks: list[Block] = []
    rows = []
    for i, p in enumerate(pilots):
        part = p.get("participants") or {}
        method = p.get("method")
        rows.append((
            Cell(measure_label(str(p.get("measure")), lang)),
            Cell(tr("pilots.participants.count", description=part.get("description") or "",
                    n=fmt.integer(part.get("n_reached"), lang))),
            Cell(fmt.percent(p.get("before"), lang), f"comparison.pilots.{i}.before", p.get("before")),
            Cell(fmt.percent(p.get("after"), lang), f"comparison.pilots.{i}.after", p.get("after")),
            Cell(_points(p.get("estimate"), lang), f"comparison.pilots.{i}.estimate", p.get("estimate")),
            Cell(_ci_points(p.get("ci_low"), p.get("ci_high"), lang)),
            Cell(tr(f"pilots.method.{method}") if method else fmt.SUPPRESSED),
        ))
    blocks.append(Table("comparison-pilots", tr("compare.table.pilots"),
                        (tr("compare.col.pilot"), tr("compare.col.participants"), tr("compare.col.before"),
                         tr("compare.col.after"), tr("compare.col.estimate"), tr("compare.col.ci"), tr("compare.col.method")),
                        tuple(rows), (False, False, True, True, True, True, False), None,
                        (None, None, "0%", "0%", None, None, None)))
    return blocks


def _plain_change(what: str, entry: Mapping[str, Any], tr: Translator, lang: str, k: int, *, kind: str) -> str:
    """One headline figure in words: a clear fall or rise and by about how much, or no clear change
    with where the change probably lies; ``kind`` is ``share``, ``cars`` or ``tonnes``."""
    before, after = entry.get("before"), entry.get("after")
    direction = change_direction(entry.get("diff"), entry.get("ci_low"), entry.get("ci_high"))
    if direction is None or before is None or after is None:
        return tr("compare.plain.not_shown", what=what, k=k)
    low, high = entry["ci_low"], entry["ci_high"]
    if kind == "share":
        return tr(f"compare.plain.share.{direction}", what=what, points=_about_points(entry["diff"], lang),
                  before=fmt.percent(before, lang), after=fmt.percent(after, lang),
                  low=_points(low, lang), high=_points(high, lang))
    digits = 1 if kind == "cars" else 2

    def amount(value: float) -> str:
        text = fmt.number(value, lang, digits=digits)
        return tr("compare.plain.tonnes", value=text) if kind == "tonnes" else text

    return tr(f"compare.plain.amount.{direction}", what=what, before=amount(before), after=amount(after),
              low=_signed(low, lang, digits=digits), high=_signed(high, lang, digits=digits))


def _findings(c: Mapping[str, Any], tr: Translator, lang: str, *, charts: bool = True,
              chart: Callable[..., bytes] | None = None) -> list[Block]:
    """The headline figures in words, and a chart of before and after with the probable range."""
    k = int(c.get("k", DEFAULT_K))
    items: list[str] = []
    chart_rows: list[tuple[str, float, float, float, float]] = []
    for season in SEASONS:
        for section in ("car_driver_share", "drive_alone_rate"):
            entry = (c.get(section) or {}).get(season)
            if not isinstance(entry, Mapping):
                continue
            what = tr(f"compare.what.{section}", season=_season_word(tr, season))
            items.append(_plain_change(what, entry, tr, lang, k, kind="share"))
            values = [entry.get(name) for name in ("before", "after", "ci_low", "ci_high")]
            if all(isinstance(v, (int, float)) for v in values) and entry.get("diff") is not None:
                before, after, low, high = (float(v) for v in values if isinstance(v, (int, float)))
                chart_rows.append((what, before, after, low, high))
        entry = (c.get("cars_per_100_employees") or {}).get(season)
        if isinstance(entry, Mapping):
            items.append(_plain_change(tr("compare.what.cars_per_100", season=_season_word(tr, season)), entry, tr, lang, k,
                                       kind="cars"))
    em = c.get("emissions") or {}
    if em.get("available"):
        items.append(_plain_change(tr("compare.what.emissions"), em, tr, lang, k, kind="tonnes"))
    if not items:
        return []
    blocks: list[Block] = [Heading(tr("compare.heading.findings")), BulletList(tuple(items))]
    if chart_rows:
        png = b""  # the chart is not drawn for a writer that shows none
        if chart is not None:
            png = chart("before_after_chart", chart_rows, lang=lang)
        elif charts:
            # (build imports this module: imported here, not at the top)
            from grontur.report.build import chart_png

            png = chart_png("before_after_chart", (chart_rows,), {"lang": lang})
        caption = tr("compare.figure.before_after")
        blocks.append(Figure("fig-comparison-before-after", caption, png, caption))
    return blocks


#: Sections of the comparison whose p-values are tests the report shows (a pilot's other
#: estimates and its season-by-season figures are not among them).
_TESTED = ("mode_share_change", "distribution_test", "drive_alone_rate", "car_driver_share", "cars_per_100_employees",
           "emissions", "panel", "breakdowns", "composition", "pilots")
_NOT_SHOWN_TESTS = ("estimates", "by_season")


def count_tests(comparison: Mapping[str, Any], *, level: float = 0.05) -> tuple[int, int]:
    """How many tests the comparison shows (p-values given) and how many of them are below ``level``."""
    found: list[float] = []

    def walk(x: Any) -> None:
        if isinstance(x, Mapping):
            for key, value in x.items():
                if key in ("p_value", "mcnemar_p"):
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        found.append(float(value))
                elif key not in _NOT_SHOWN_TESTS:
                    walk(value)
        elif isinstance(x, (list, tuple)):
            for value in x:
                walk(value)

    for section in _TESTED:
        walk(comparison.get(section))
    return len(found), sum(1 for p in found if p < level)


def _why_emissions(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    """Why emissions per respondent moved against car use (``emissions.explained`` from
    :func:`grontur.compare.explain_emissions_change`), in words; nothing when they moved together."""
    em = c.get("emissions") or {}
    parts = em.get("explained") if em.get("available") else None
    if not isinstance(parts, Mapping) or em.get("diff") is None:
        return []
    car = (parts.get("car_use") or {}).get("contribution")
    diff = float(em["diff"])
    if car is None or car == 0 or diff == 0 or (car > 0) == (diff > 0):
        return []
    k = int(c.get("k", DEFAULT_K))
    scale = {"car_use": (100.0, 0, True), "car_km": (1.0, 0, False), "per_km": (1e6, 0, False), "other": (1.0, 2, False)}
    items = []
    for name, (factor, digits, as_percent) in scale.items():
        part = parts.get(name) or {}
        values = (part.get("before"), part.get("after"), part.get("contribution"))
        if not all(isinstance(v, (int, float)) for v in values):
            items.append(tr("compare.why.part_not_shown", what=tr(f"compare.why.name.{name}"), k=k))
            continue
        before, after, contribution = (float(v) for v in values if isinstance(v, (int, float)))
        shown = [fmt.percent(v, lang) if as_percent else fmt.number(v * factor, lang, digits=digits) for v in (before, after)]
        items.append(tr(f"compare.why.{name}", before=shown[0], after=shown[1],
                        contribution=_signed(contribution, lang, digits=3)))
    mix = parts.get("respondents")
    if mix is not None:
        items.append(tr("compare.why.respondents", contribution=_signed(float(mix), lang, digits=3)))
    lead = tr("compare.why.lead_up" if diff > 0 else "compare.why.lead_down",
              before=fmt.number(em.get("before"), lang, digits=2), after=fmt.number(em.get("after"), lang, digits=2))
    return [Heading(tr("compare.why.heading")), Paragraph(lead), BulletList(tuple(items))]


def _chance_note(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    n, clear = count_tests(c)
    if n == 0:
        return []
    expected = 0.05 * n
    return [Paragraph(tr("compare.plain.chance", n=fmt.integer(n, lang), clear=fmt.integer(clear, lang),
                         expected=fmt.number(expected, lang, digits=0 if expected >= 1 else 1)))]


def _suppressed_note(c: Mapping[str, Any], tr: Translator, lang: str) -> list[Block]:
    hidden = int(c.get("suppressed_cells") or 0) + sum(int(p.get("suppressed_cells") or 0) for p in c.get("pilots") or [])
    if not hidden:
        return []
    return [Paragraph(tr("compare.note.suppressed", n=fmt.integer(hidden, lang), k=c.get("k", DEFAULT_K)), "note")]


def comparison_blocks(comparison: Mapping[str, Any], *, lang: str, charts: bool = True,
                      chart: Callable[..., bytes] | None = None) -> list[Block]:
    """The "what changed" section of the main report in plain words (no statistical terms).

    The tables, tests and intervals are in :func:`comparison_appendix_blocks`. ``chart``, when
    given, gives the PNG of its chart (called with the name of the function of
    :mod:`grontur.report.charts` that draws it and that function's arguments) in place of
    drawing it here.
    """
    tr = Translator(lang)
    c = comparison
    blocks: list[Block] = [Paragraph(tr("compare.plain.lead"), "lead")]
    blocks.extend(_key_figures(c, tr, lang))
    blocks.extend(_comparability_blocks(c, tr, lang))
    blocks.extend(_findings(c, tr, lang, charts=charts, chart=chart))
    blocks.extend(_why_emissions(c, tr, lang))
    blocks.extend(_chance_note(c, tr, lang))
    blocks.extend(_panel_blocks(c, tr, lang))
    blocks.extend(_pilot_blocks(c, tr, lang))
    blocks.append(Paragraph(tr("compare.plain.to_appendix"), "note"))
    blocks.extend(_suppressed_note(c, tr, lang))
    return blocks


def comparison_appendix_blocks(comparison: Mapping[str, Any], *, lang: str) -> list[Block]:
    """The comparison's statistics for the appendix: the terms explained, every table and test."""
    tr = Translator(lang)
    c = comparison
    blocks: list[Block] = [Heading(tr("compare.appendix.title")), Paragraph(tr("compare.appendix.terms"))]
    headline = _headline_table(c, tr, lang)
    if headline is not None:
        blocks.append(headline)
    blocks.extend(_mode_tables(c, tr, lang))
    blocks.append(Paragraph(tr("compare.note.independent"), "note"))
    composition = c.get("composition") or {}
    if composition.get("distance") is not None and composition.get("p_value") is not None:
        blocks.append(Paragraph(tr("compare.appendix.composition_test", distance=fmt.number(100 * composition["distance"], lang, digits=1),
                                   p=_p(composition.get("p_value"), lang))))
    blocks.extend(_panel_blocks(c, tr, lang, appendix=True))
    blocks.extend(_breakdown_blocks(c, tr, lang))
    blocks.extend(_pilot_table(c, tr, lang))
    blocks.extend(_suppressed_note(c, tr, lang))
    return blocks


# ---------------------------------------------------------------------------------------------
# HTML

def _rendered(blocks: Iterable[Block]) -> list[Markup]:
    from grontur.report.html import render_block

    return [render_block(b) for b in blocks]


def render_what_changed(comparison: Mapping[str, Any], *, lang: str, title: bool = True) -> str:
    """The "what changed" section as an HTML fragment (a ``<section>``) for another page."""
    from grontur.report.html import environment

    tr = Translator(lang)
    template = environment().get_template("comparison_fragment.html.j2")
    return template.render(title=tr("compare.title") if title else None,
                           blocks=_rendered([*comparison_blocks(comparison, lang=lang),
                                             *comparison_appendix_blocks(comparison, lang=lang)]))


def render_comparison_html(comparison: Mapping[str, Any], *, lang: str, name: str | None = None,
                           date: str | None = None) -> str:
    """The standalone, self-contained ``comparison.html`` (stylesheet inline, no external files)."""
    from grontur.report.html import HTML_LANG, environment, stylesheet

    tr = Translator(lang)
    waves = comparison.get("waves") or {}
    before, after = waves.get("before"), waves.get("after")
    if name and before and after:
        subtitle = tr("compare.subtitle", name=name, before=before, after=after)
    else:
        subtitle = tr("compare.subtitle_plain")
    template = environment().get_template("comparison.html.j2")
    return template.render(
        lang=HTML_LANG.get(lang, lang),
        title=tr("compare.title"),
        subtitle=subtitle,
        css=Markup(stylesheet()),
        fragment=Markup(render_what_changed(comparison, lang=lang, title=False)),
        footer=tr("compare.generated", date=date) if date else "",
    )
