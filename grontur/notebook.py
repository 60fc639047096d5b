"""The steps of the analysis notebook (``notebooks/kommuneanalyse.ipynb``), as library calls.

Each step returns something to look at: the narrative of a step in the chosen language (from the
translation catalogue), the tables of a report section as DataFrames, the ranking with its full
reasons, and the ranking again under other score weights (with an ipywidgets control that shows
the change live). The notebook itself only calls these; no analysis lives in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from grontur.i18n import t
from grontur.threshold import DEFAULT_K

#: The notebook's steps, in order; each has a heading and a narrative in the catalogue
#: (``notebook.<step>.title`` and ``notebook.<step>.text``) and, but for the ranking steps, a
#: section of the report whose tables it shows.
STEPS: dict[str, str | None] = {
    "habits": "habits",
    "barriers": "barriers",
    "segments": "appendix",
    "emissions": "emissions",
    "measures": None,
    "weights": None,
    "comparison": "appendix",
    "anchoring": "anchoring",
}
#: Tables of a shared section that belong to a step (the appendix holds several steps' tables).
_STEP_TABLES = {"segments": ("segments",), "comparison": ("comparison-",)}
#: The score parts of the ranking whose weights the notebook lets the user change.
SCORE_PARTS = ("trips", "tonnes", "match", "cost", "time")


def run_analysis(*, municipality: str, survey: str | Path | None = None, followup: str | Path | None = None,
                 lang: str | None = None, out_dir: str | Path | None = None, k: int | None = None,
                 context: Mapping[str, Any] | None = None, weights: Mapping[str, Any] | None = None) -> Any:
    """Analyse one municipality as ``grontur analyse`` does and write its outputs to ``out_dir``.

    Without ``survey`` the shipped demo project of ``municipality`` is analysed with the demo
    network's pilot evidence (as ``grontur demo``), so the figures equal the demo's. ``k``,
    ``context`` (site facts as in grontur.yaml) and ``weights`` (overrides of
    ``measures/weights.yaml``) override the project's.
    """
    from grontur import pipeline

    records = None
    if survey is None:
        project = pipeline.demo_project(municipality)
        records = pipeline.network_evidence(pipeline.demo_projects())
        followup = followup if followup is not None else project.followup
    else:
        project = pipeline.project_for(municipality, language=lang, k=k or DEFAULT_K)
    if weights:
        project = project.with_overrides(weights=dict(weights))
    request = pipeline.build_request(survey, project=project, followup=followup, lang=lang, k=k, out=out_dir,
                                     evidence=records, context=context)
    return pipeline.run(request).analysis


def narrative(step: str, lang: str, **values: Any) -> str:
    """The heading and text of a step as Markdown, in ``lang``."""
    return f"## {t(f'notebook.{step}.title', lang)}\n\n{t(f'notebook.{step}.text', lang, **values)}"


def report_document(analysis: Any, lang: str) -> Any:
    """The report of ``analysis`` in ``lang`` (the same content as report.html), with its figures."""
    from grontur.report import figures_to_png
    from grontur.report.build import build_document

    return build_document(analysis.results, lang=lang, figures=figures_to_png(analysis.figures))


def _blocks(document: Any, step: str) -> list[Any]:
    section_id = STEPS[step]
    return [block for section in document.sections if section.id == section_id for block in section.blocks]


def section_tables(document: Any, step: str) -> list[pd.DataFrame]:
    """The tables a step shows, from :func:`report_document`, each a DataFrame of the report's
    texts with its caption in ``attrs["caption"]``."""
    from grontur.report.model import Table, table_frame

    prefixes = _STEP_TABLES.get(step)
    return [table_frame(block) for block in _blocks(document, step)
            if isinstance(block, Table) and (prefixes is None or block.id.startswith(prefixes))]


def section_figures(document: Any, step: str) -> list[tuple[str, bytes]]:
    """The charts of a step as ``(caption, PNG bytes)``."""
    from grontur.report.model import Figure

    prefixes = tuple(f"fig-{p}" for p in _STEP_TABLES.get(step, ())) or None
    return [(block.caption, block.png) for block in _blocks(document, step)
            if isinstance(block, Figure) and (prefixes is None or block.id.startswith(prefixes))]


def ranking_frame(results: Mapping[str, Any], lang: str) -> pd.DataFrame:
    """Every ranked measure with its score, effect, cost and its reasons in full (not cut)."""
    from grontur import _format as fmt
    from grontur.report.build import make_context, measure_reasons

    ctx = make_context(results, lang)
    rows = []
    for measure in sorted(results.get("measures") or [], key=lambda m: m.get("rank", 0)):
        effect = measure.get("effect") or {}
        rows.append({
            t("report.col.rank", lang): measure.get("rank"),
            t("report.col.measure", lang): ctx.measure_name(measure),
            t("report.col.score", lang): measure.get("score"),
            t("report.col.effect", lang): fmt.number_range(effect.get("low"), effect.get("high"), lang, as_percent=True),
            t("report.col.reasons", lang): " ".join(measure_reasons(measure, ctx)),
        })
    return pd.DataFrame(rows)


def reweighted_ranking(results: Mapping[str, Any], weights: Mapping[str, float], lang: str) -> pd.DataFrame:
    """The ranking with other score weights: each measure's score again from its score parts
    (``score_parts`` in results.json) with ``weights`` over the project's, ordered as the ranker
    orders (score, then id), with the rank it had and how many places it moved (up is positive).
    The parts are rounded to four decimals in results.json, so a near tie may order differently
    from a full run with these weights."""
    from grontur import rank

    settings = rank.load_weights(overrides={"score": dict(weights)})
    rows = []
    for measure in results.get("measures") or []:
        parts = {key: float(value) for key, value in (measure.get("score_parts") or {}).items()}
        if not parts:
            continue
        rows.append((-rank._score(settings, parts), str(measure["id"]), measure))  # one scoring rule: the ranker's
    rows.sort(key=lambda row: (row[0], row[1]))
    ctx_names = _names(results, lang)
    out = []
    for new_rank, (negative, mid, measure) in enumerate(rows, start=1):
        old = int(measure.get("rank") or 0)
        out.append({
            t("notebook.col.new_rank", lang): new_rank,
            t("notebook.col.old_rank", lang): old,
            t("notebook.col.moved", lang): old - new_rank,
            t("report.col.measure", lang): ctx_names[mid],
            t("report.col.score", lang): round(-negative, 2),
        })
    return pd.DataFrame(out)


def _names(results: Mapping[str, Any], lang: str) -> dict[str, str]:
    from grontur.report.build import make_context

    ctx = make_context(results, lang)
    return {str(m["id"]): ctx.measure_name(m) for m in results.get("measures") or []}


def current_weights(overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The score weights in force: ``measures/weights.yaml`` with ``overrides`` (nested as the
    ``weights`` field of grontur.yaml, e.g. ``{"score": {"cost": 0.3}}``)."""
    from grontur import rank

    settings = rank.load_weights(overrides=overrides or None)
    return {key: float(settings["score"][key]) for key in SCORE_PARTS}


def weights_widget(results: Mapping[str, Any], lang: str, weights: Mapping[str, Any] | None = None) -> Any:
    """An ipywidgets control: one slider per score weight (starting from ``weights``, nested as in
    grontur.yaml), and the ranking under those weights (:func:`reweighted_ranking`) shown again
    each time a slider moves."""
    import ipywidgets as widgets  # type: ignore[import-untyped]

    start = current_weights(weights)
    sliders = {key: widgets.FloatSlider(value=value, min=0.0, max=1.0, step=0.05,
                                        description=t(f"notebook.weight.{key}", lang),
                                        style={"description_width": "initial"}, continuous_update=False)
               for key, value in start.items()}
    output = widgets.Output()
    box = widgets.VBox([*sliders.values(), output])

    def redraw(_change: Any = None) -> None:
        chosen = {key: slider.value for key, slider in sliders.items()}
        # the ranking shown, kept on the control for code that reads it (``box.ranking``)
        box.ranking = reweighted_ranking(results, chosen, lang) if sum(chosen.values()) > 0 else None
        # The output area's contents are set directly, not captured from display() inside the
        # cell: a notebook run by papermill (nbclient) now and then waits forever on a cell that
        # captures output into a widget while it runs.
        output.outputs = ()
        output.append_display_data(box.ranking if box.ranking is not None else t("notebook.weights.all_zero", lang))

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return box
