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


def hidden_in_results(results: dict) -> dict:
    """A municipality whose own results hide its car shares and winter drive-alone rate (as the
    publication gate of its run decided)."""
    for season in ("summer", "winter"):
        results["habits"]["seasons"][season]["car_driver"]["share"] = None
        results["mode_share"][season] = {mode: None for mode in results["mode_share"][season]}
    results["habits"]["drive_alone_rate"]["winter"]["rate"] = None
    return results


@pytest.fixture
def network() -> list[dict]:
    return [
        municipality("Gol", "3324", kept=400, top=["carpool-matching", "parking-daily-fee", "ebike-pool", "showers-lockers", "drying-room"]),
        municipality("Ål", "3328", kept=300, top=["parking-daily-fee", "ebike-pool", "bike-service", "home-office-policy", "carpool-matching"]),
        hidden_in_results(municipality("Flå", "3320", kept=40, top=["parking-daily-fee", "ebike-pool"])),
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


def test_a_municipality_shows_what_its_own_results_show(network):
    """No threshold of its own: a figure its results hide is hidden, one they show is shown (40
    respondents are no reason to hide anything; the old overview hid Flå's figures as "fewer
    than 5 answers")."""
    summary = network_summary(network[2])
    assert summary["respondents"] == 40
    assert summary["car_driver_share"] == {"summer": None, "winter": None}
    assert summary["drive_alone_rate"]["winter"] is None
    assert summary["drive_alone_rate"]["summer"] == network[2]["habits"]["drive_alone_rate"]["summer"]["rate"]
    assert summary["emissions_per_employee"] == network[2]["emissions"]["per_employee"]["central"]
    assert [m["id"] for m in summary["top_measures"]] == ["parking-daily-fee", "ebike-pool"]
    # the overview's table: two car shares and the winter drive-alone rate are hidden
    assert summary["suppressed_cells"] == 3


def test_shared_measures_counted_by_hand(network):
    summaries = [network_summary(r) for r in network]
    shared = shared_measures(summaries)
    # parking-daily-fee and ebike-pool are in all three top lists, carpool-matching in two
    assert [e["id"] for e in shared] == ["parking-daily-fee", "ebike-pool", "carpool-matching"]
    assert shared[0]["count"] == 3 and shared[0]["mean_rank"] == pytest.approx((2 + 1 + 1) / 3)
    assert shared[2]["mean_rank"] == pytest.approx((1 + 5) / 2)


def test_index_links_every_municipality_and_states_what_is_hidden(network, tmp_path):
    path = write_network_overview(network, out_dir=tmp_path, lang="nn")
    html = path.read_text(encoding="utf-8")
    assert path.name == "index.html"
    for slug in ("gol", "al", "fla"):
        assert f'href="{slug}/report.html"' in html
    flaa = re.search(r'<tr><td><a href="fla/report.html">Flå</a></td>(.*?)</tr>', html).group(1)
    assert re.findall(r">([^<]*)</td>", flaa)[:4] == ["40", "–", "–", "–"]
    assert t("report.table.shared_measures", "nn") in html
    assert "Dagleg parkeringsavgift for tilsette" in html  # name from the catalogue, in nynorsk
    # the footnote gives the true reason and the true count of cells shown as –
    assert t("report.network.note", "nn", k=5, suppressed=3) in html
    assert "færre enn 5 svar" not in html


def test_pilots_section_is_a_hook(network, tmp_path):
    pilots = [{"measure": "ebike-pool", "municipality": {"name": "Ål"}, "participants": {"n_reached": 42},
               "estimate": -0.12, "ci_low": -0.21, "ci_high": -0.03},
              # as Hol's comparison publishes it: hidden there, hidden here
              {"measure": "ebike-pool", "municipality": {"name": "Hol"}, "participants": {"n_reached": None},
               "estimate": None, "ci_low": None, "ci_high": None}]
    html = write_network_overview(network, out_dir=tmp_path, lang="en", pilots=pilots).read_text(encoding="utf-8")
    assert t("report.network.section_pilots", "en") in html
    assert "\u221212.0" in html and "\u221221.0 – \u22123.0" in html
    hol = re.search(r"<tr><td>Hol</td>(.*?)</tr>", html).group(1)
    assert re.findall(r">([^<]*)</td>", hol)[1:] == ["–", "–", "–"]
