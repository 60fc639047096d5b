"""Charts: palette readable in greyscale, labels in the report language, deterministic bytes."""

from __future__ import annotations

import datetime as dt
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from grontur.i18n import t
from grontur.report import charts

SHARES = {
    "summer": {"walk": 0.2, "bike": 0.15, "car_alone": 0.5, "car_shared": 0.1, "bus": None, "train": 0.0},
    "winter": {"walk": 0.18, "bike": None, "car_alone": 0.62, "car_shared": 0.12, "bus": 0.05, "train": 0.0},
}


def luminance(colour: str) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_season_colours_differ_in_greyscale():
    summer, winter = (charts.SEASON_STYLE[s] for s in ("summer", "winter"))
    assert abs(luminance(summer["color"]) - luminance(winter["color"])) > 0.25
    assert summer["hatch"] != winter["hatch"]


def test_palette_is_okabe_ito_and_neighbours_differ_in_lightness():
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(charts.PALETTE) == okabe_ito
    for a, b in zip(charts.PALETTE[:6], charts.PALETTE[1:7], strict=True):
        assert abs(luminance(a) - luminance(b)) > 0.15, (a, b)


def _texts(fig) -> list[str]:
    return [tx.get_text() for tx in fig.findobj(match=lambda o: hasattr(o, "get_text"))]


def test_mode_chart_labels_in_nynorsk_with_special_letters():
    fig = charts.mode_share_chart(SHARES, lang="nn")
    texts = _texts(fig)
    plt.close(fig)
    assert "Bil, åleine" in texts
    assert t("report.season.summer", "nn") in texts and t("report.season.winter", "nn") in texts
    assert t("report.chart.share_percent", "nn") in texts
    assert "–" in texts  # suppressed share is marked, not drawn as zero silently
    assert "Tog" not in texts  # zero in both seasons: left out


def test_mode_chart_english_labels():
    fig = charts.mode_share_chart(SHARES, lang="en")
    texts = _texts(fig)
    plt.close(fig)
    assert "Car, alone" in texts and "50%" in texts


def test_png_is_deterministic_and_not_blank():
    a = charts.render_png(charts.mode_share_chart(SHARES, lang="nb"))
    b = charts.render_png(charts.mode_share_chart(SHARES, lang="nb"))
    assert a == b
    image = np.asarray(Image.open(io.BytesIO(a)).convert("L"))
    assert (image < 200).mean() > 0.02
    assert b"Software" not in a[:200]


def test_svg_has_no_date_and_is_deterministic():
    a = charts.render_svg(charts.bar_chart({"Før": 3.0, "Etter": 2.5}, lang="nn", xlabel_key="report.chart.respondents"))
    b = charts.render_svg(charts.bar_chart({"Før": 3.0, "Etter": 2.5}, lang="nn", xlabel_key="report.chart.respondents"))
    assert a == b
    assert "<dc:date>" not in a


def test_render_closes_pyplot_figures():
    fig, _ = plt.subplots()
    before = len(plt.get_fignums())
    charts.render_png(fig)
    assert len(plt.get_fignums()) == before - 1


def test_timeline_and_scenarios_render():
    steps = [("Mandat", dt.date(2027, 1, 4), dt.date(2027, 1, 29)), ("Pilot", dt.date(2027, 5, 3), dt.date(2027, 10, 29))]
    png = charts.render_png(charts.timeline_chart(steps, lang="nn"))
    assert png.startswith(b"\x89PNG")
    fig = charts.scenario_chart([("I dag", 100.0, 90.0, 110.0), ("Ambisiøst", 60.0, 50.0, 70.0)], lang="nn")
    texts = _texts(fig)
    plt.close(fig)
    assert "Ambisiøst" in texts and "100,0" in texts


@pytest.mark.parametrize("lang", ["nn", "nb", "en"])
def test_axis_labels_come_from_catalogue(lang):
    fig = charts.bar_chart({"a": 1.0}, lang=lang, xlabel_key="report.chart.tonnes_per_year")
    label = fig.axes[0].get_xlabel()
    plt.close(fig)
    assert label == t("report.chart.tonnes_per_year", lang)
