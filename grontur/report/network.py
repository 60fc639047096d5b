"""The network overview: one page comparing every municipality of a network, linking their reports.

Each municipality is reduced to a small summary (:func:`network_summary`) from its
``results.json``; :func:`write_network_overview` writes ``index.html`` with respondents, car
driver shares in summer and winter, the drive-alone rate, emissions per employee, and the
measures that rank high in several municipalities (candidates for joint procurement or joint
pilots). Every figure is read from the municipality's published results, as its own report shows
it (hidden there, hidden here): nothing is recomputed and no threshold is applied here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from grontur import _format as fmt
from grontur.i18n import Translator, check_language
from grontur.publish import DEFAULT_K
from grontur.report.model import (
    Block,
    Cell,
    Document,
    KeyFigure,
    KeyFigures,
    Paragraph,
    Section,
    Table,
)

#: A measure counts as ranking high in a municipality when its rank is at most this.
TOP_RANK = 5


def network_summary(results: Mapping[str, Any], *, slug: str | None = None, top: int = TOP_RANK) -> dict[str, Any]:
    """Reduce one municipality's (published) ``results`` to what the network overview shows.

    Every figure is the municipality's own published value (``None`` where its results hide it
    or do not have it); ``suppressed_cells`` counts the figures of the overview's table that are
    ``None``.
    """
    from grontur.report.build import (
        car_driver_share,
        drive_alone,
        emissions_per_employee,
    )

    municipality = dict(results.get("municipality") or {})
    k = int((results.get("privacy") or {}).get("k", DEFAULT_K))
    shares = results.get("mode_share") or {}
    measures = sorted(results.get("measures") or [], key=lambda m: m.get("rank", 0))
    summary: dict[str, Any] = {
        "municipality": {"number": municipality.get("number"), "name": municipality.get("name"),
                         "language": municipality.get("language")},
        "slug": slug or results.get("slug") or _slug(str(municipality.get("name", ""))),
        "k": k,
        "respondents": (results.get("respondents") or {}).get("kept"),
        "car_driver_share": {s: car_driver_share(results, s) for s in ("summer", "winter") if s in shares},
        "drive_alone_rate": {s: drive_alone(results, s)[0] for s in ("summer", "winter")},
        "emissions_per_employee": emissions_per_employee(results.get("emissions") or {}),
        "top_measures": [
            {"id": m.get("id"), "rank": m.get("rank"), "name": m.get("name")} for m in measures[:top]
        ],
        "pilots": list(results.get("pilots") or (results.get("comparison") or {}).get("pilots") or []),
    }
    summary["suppressed_cells"] = sum(value is None for value in _table_figures(summary))
    return summary


def _table_figures(summary: Mapping[str, Any]) -> list[Any]:
    """The figures of a municipality's row of the overview's table."""
    car = summary.get("car_driver_share") or {}
    dar = summary.get("drive_alone_rate") or {}
    return [summary.get("respondents"), car.get("summer"), car.get("winter"), dar.get("winter"),
            summary.get("emissions_per_employee")]


def _slug(name: str) -> str:
    table = str.maketrans({"å": "a", "æ": "ae", "ø": "o", "Å": "a", "Æ": "ae", "Ø": "o"})
    return "".join(ch for ch in name.translate(table).lower() if ch.isalnum() or ch == "-")


def shared_measures(summaries: Sequence[Mapping[str, Any]], *, min_municipalities: int = 2) -> list[dict[str, Any]]:
    """Measures in the top list of at least ``min_municipalities`` municipalities.

    Sorted by the number of municipalities (most first), then by mean rank.
    """
    found: dict[str, dict[str, Any]] = {}
    for s in summaries:
        for m in s.get("top_measures") or []:
            entry = found.setdefault(str(m["id"]), {"id": str(m["id"]), "name": m.get("name"), "municipalities": [], "ranks": []})
            entry["municipalities"].append(s["municipality"]["name"])
            entry["ranks"].append(m.get("rank") or 0)
    out = [
        {**e, "count": len(e["municipalities"]), "mean_rank": sum(e["ranks"]) / len(e["ranks"])}
        for e in found.values() if len(e["municipalities"]) >= min_municipalities
    ]
    return sorted(out, key=lambda e: (-e["count"], e["mean_rank"], e["id"]))


def build_network_document(summaries: Sequence[Mapping[str, Any]], *, lang: str,
                           pilots: Sequence[Mapping[str, Any]] | None = None,
                           generated: str | None = None) -> Document:
    """The network overview as a report document (see :mod:`grontur.report.model`)."""
    from grontur.report.build import _date_text, measure_name

    tr = Translator(lang)
    rows = []
    total_hidden = 0
    for s in summaries:
        name = str(s["municipality"]["name"])
        total_hidden += sum(value is None for value in _table_figures(s))
        car = s.get("car_driver_share") or {}
        dar = s.get("drive_alone_rate") or {}
        rows.append((
            Cell(name, href=f"{s['slug']}/report.html"),
            Cell(fmt.integer(s.get("respondents"), lang), None, s.get("respondents")),
            Cell(fmt.percent(car.get("summer"), lang), None, car.get("summer")),
            Cell(fmt.percent(car.get("winter"), lang), None, car.get("winter")),
            Cell(fmt.percent(dar.get("winter"), lang), None, dar.get("winter")),
            Cell(fmt.number(s.get("emissions_per_employee"), lang, digits=2), None, s.get("emissions_per_employee")),
        ))
    blocks: list[Block] = [Paragraph(tr("report.network.lead", n=len(summaries)), kind="lead")]
    kept = [n for s in summaries if (n := s.get("respondents")) is not None]
    blocks.append(KeyFigures((
        KeyFigure(tr("report.network.kf_municipalities"), fmt.integer(len(summaries), lang)),
        KeyFigure(tr("report.kf.respondents"), fmt.integer(sum(kept), lang) if kept else fmt.SUPPRESSED),
    )))
    header = (tr("report.col.municipality"), tr("report.col.respondents"), tr("report.col.car_driver_summer"),
              tr("report.col.car_driver_winter"), tr("report.col.drive_alone_winter"), tr("report.col.tonnes_per_employee"))
    k = max([int(s.get("k", DEFAULT_K)) for s in summaries] or [DEFAULT_K])
    blocks.append(Table("network", tr("report.table.network"), header, tuple(rows), (False,) + (True,) * 5,
                        tr("report.network.note", k=k, suppressed=total_hidden), (None, "0", "0%", "0%", "0%", "0.00")))
    sections = [Section("overview", tr("report.network.section_overview"), tuple(blocks))]
    shared = shared_measures(summaries)
    if shared:
        srows = tuple((
            Cell(measure_name({"id": e["id"], "name": e["name"]}, lang, results_lang="")),
            Cell(fmt.integer(e["count"], lang), None, e["count"]),
            Cell(fmt.number(e["mean_rank"], lang, digits=1), None, e["mean_rank"]),
            Cell(", ".join(e["municipalities"])),
        ) for e in shared)
        shared_blocks: tuple[Block, ...] = (
            Paragraph(tr("report.network.shared_lead", top=TOP_RANK)),
            Table("shared-measures", tr("report.table.shared_measures"),
                  (tr("report.col.measure"), tr("report.col.municipality_count"), tr("report.col.mean_rank"), tr("report.col.municipalities")),
                  srows, (False, True, True, False), None, (None, "0", "0.0", None)),
        )
    else:
        shared_blocks = (Paragraph(tr("report.network.no_shared", top=TOP_RANK), kind="missing"),)
    sections.append(Section("shared", tr("report.network.section_shared"), shared_blocks))
    if pilots is None:
        pilots = [p for s in summaries for p in s.get("pilots") or []]
    if pilots:
        sections.append(Section("pilots", tr("report.network.section_pilots"), _pilot_blocks(pilots, lang, k)))
    meta = (tr("report.meta.generated", date=_date_text(generated, lang)),) if generated else ()
    return Document(lang=lang, title=tr("report.network.title"), subtitle=tr("report.subtitle"),
                    meta=meta, sections=tuple(sections), footer=tr("report.network.footer"))


def _pilot_blocks(pilots: Sequence[Mapping[str, Any]], lang: str, k: int) -> tuple[Block, ...]:
    """Pilot results across the network (hook for issue 8): one row per pilot and municipality."""
    from grontur.report.build import measure_name

    tr = Translator(lang)
    rows = []
    hidden = 0
    for p in pilots:
        municipality = p.get("municipality") or {}
        name = municipality.get("name") if isinstance(municipality, Mapping) else municipality
        participants = p.get("participants") or {}
        # as the municipality's comparison publishes them (hidden there, hidden here)
        n = participants.get("n_reached") if isinstance(participants, Mapping) else None
        estimate = p.get("estimate")
        hidden += sum(value is None for value in (n, estimate))
        rows.append((
            Cell(str(name or "")),
            Cell(measure_name({"id": p.get("measure"), "name": p.get("name")}, lang, results_lang="")),
            Cell(fmt.integer(n, lang), None, n),
            Cell(fmt.number(None if estimate is None else 100 * float(estimate), lang, digits=1)),
            Cell(fmt.number_range(
                None if p.get("ci_low") is None else 100 * float(p["ci_low"]),
                None if p.get("ci_high") is None else 100 * float(p["ci_high"]), lang, digits=1)),
        ))
    return (
        Paragraph(tr("report.network.pilots_lead")),
        Table("pilots", tr("report.table.pilots"),
              (tr("report.col.municipality"), tr("report.col.measure"), tr("report.col.participants"),
               tr("report.col.diff_points"), tr("report.col.ci")),
              tuple(rows), (False, False, True, True, True), tr("report.network.note", k=k, suppressed=hidden),
              (None, None, "0", "0.0", None)),
    )


def write_network_overview(
    summaries: Sequence[Mapping[str, Any]],
    *,
    out_dir: Path,
    lang: str,
    pilots: Sequence[Mapping[str, Any]] | None = None,
    generated: str | None = None,
) -> Path:
    """Write ``out_dir/index.html`` for the whole network and return its path.

    ``summaries`` holds one :func:`network_summary` per municipality (a full ``results`` dict is
    summarised on the fly); each links to ``<slug>/report.html``. ``pilots`` (optional) lists
    pilot results to show (municipality, measure, participants, estimate, ci_low, ci_high).
    """
    from grontur.report.html import write_html

    lang = check_language(lang)
    prepared = [network_summary(s) if "schema" in s or "mode_share" in s else dict(s) for s in summaries]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = build_network_document(prepared, lang=lang, pilots=pilots, generated=generated)
    return write_html(doc, out_dir / "index.html")
