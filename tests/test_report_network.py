"""The network overview: key figures per municipality, shared measures, suppression, links."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from grontur.i18n import t
from grontur.report import network_summary, write_network_overview
from grontur.report.network import shared_measures

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "report_results_sample.json"


def municipality(name: str, number: str, *, kept: int, top: list[str]) -> dict:
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    results = copy.deepcopy(results)
    results["municipality"] = {"number": number, "name": name, "language": "nn"}
    results["respondents"]["kept"] = kept
    results["measures"] = [{"id": mid, "rank": i, "name": None} for i, mid in enumerate(top, 1)]
    return results


@pytest.fixture
def network() -> list[dict]:
    return [
        municipality("Gol", "3324", kept=400, top=["carpool-matching", "parking-daily-fee", "ebike-pool", "showers-lockers", "drying-room"]),
        municipality("Ål", "3328", kept=300, top=["parking-daily-fee", "ebike-pool", "bike-service", "home-office-policy", "carpool-matching"]),
        municipality("Flå", "3320", kept=4, top=["parking-daily-fee", "ebike-pool"]),  # below k: suppressed
    ]


def test_summary_reads_shares_from_results():
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    summary = network_summary(results)
    assert summary["slug"] == "gol"
    assert summary["respondents"] == results["respondents"]["kept"]
    assert summary["car_driver_share"]["winter"] == results["habits"]["seasons"]["winter"]["car_driver"]["share"]
    assert summary["drive_alone_rate"]["winter"] == results["habits"]["drive_alone_rate"]["winter"]["rate"]
    assert summary["emissions_per_employee"] == results["emissions"]["per_employee"]["central"]
    assert summary["suppressed_cells"] == 0


def test_small_municipality_is_suppressed(network):
    summary = network_summary(network[2])
    assert summary["respondents"] is None
    assert summary["car_driver_share"] == {"summer": None, "winter": None}
    assert summary["emissions_per_employee"] is None and summary["top_measures"] == []
    # respondents, two car shares, two drive-alone rates and emissions per employee
    assert summary["suppressed_cells"] == 6


def test_shared_measures_counted_by_hand(network):
    summaries = [network_summary(r) for r in network]
    shared = shared_measures(summaries)
    # Flå is suppressed, so only Gol and Ål count: three measures are in both top-5 lists
    assert [e["id"] for e in shared] == ["parking-daily-fee", "ebike-pool", "carpool-matching"]
    assert shared[0]["count"] == 2 and shared[0]["mean_rank"] == pytest.approx((2 + 1) / 2)
    assert shared[2]["mean_rank"] == pytest.approx((1 + 5) / 2)


def test_index_links_every_municipality_and_hides_small_ones(network, tmp_path):
    path = write_network_overview(network, out_dir=tmp_path, lang="nn")
    html = path.read_text(encoding="utf-8")
    assert path.name == "index.html"
    for slug in ("gol", "al", "fla"):
        assert f'href="{slug}/report.html"' in html
    flaa = re.search(r'<tr><td><a href="fla/report.html">Flå</a></td>(.*?)</tr>', html).group(1)
    assert re.findall(r">([^<]*)</td>", flaa) == ["–"] * 5
    assert t("report.table.shared_measures", "nn") in html
    assert "Dagleg parkeringsavgift for tilsette" in html  # name from the catalogue, in nynorsk
    assert t("report.network.note", "nn", k=5, suppressed=6) in html


def test_pilots_section_is_a_hook(network, tmp_path):
    pilots = [{"measure": "ebike-pool", "municipality": {"name": "Ål"}, "participants": {"n_reached": 42},
               "estimate": -0.12, "ci_low": -0.21, "ci_high": -0.03},
              {"measure": "ebike-pool", "municipality": {"name": "Hol"}, "participants": {"n_reached": 3},
               "estimate": -0.5, "ci_low": -0.9, "ci_high": -0.1}]
    html = write_network_overview(network, out_dir=tmp_path, lang="en", pilots=pilots).read_text(encoding="utf-8")
    assert t("report.network.section_pilots", "en") in html
    assert "\u221212.0" in html and "\u221221.0 – \u22123.0" in html
    assert "50.0" not in html  # three participants: hidden
