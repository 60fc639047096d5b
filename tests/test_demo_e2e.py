"""End to end: ``grontur demo`` writes six municipality folders and the network overview."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from grontur.publish import is_small
from grontur.results import RESULTS_FORMAT
from grontur.results_schema import problems

pytestmark = pytest.mark.slow

SLUGS = {"3320": "fla", "3322": "nesbyen", "3324": "gol", "3326": "hemsedal", "3328": "al", "3330": "hol"}
REQUIRED = ("report.html", "report.docx", "measures.xlsx", "results.json", "quality.csv", "cleaned.csv")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "grontur", "demo", "--out", str(out)],
                            check=False, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_six_folders_with_every_output(demo):
    for slug in SLUGS.values():
        for name in REQUIRED:
            assert (demo / slug / name).is_file(), f"{slug}/{name} missing"


def test_overview_links_every_municipality(demo):
    index = (demo / "index.html").read_text(encoding="utf-8")
    for slug in SLUGS.values():
        assert f'href="{slug}/report.html"' in index


@pytest.mark.parametrize("slug", sorted(SLUGS.values()))
def test_results_and_comparison_fit_the_shipped_schemas(demo, slug):
    results = json.loads((demo / slug / "results.json").read_text(encoding="utf-8"))
    comparison = json.loads((demo / slug / "comparison.json").read_text(encoding="utf-8"))
    assert results["schema"] == RESULTS_FORMAT
    assert problems(results) == []
    assert problems(comparison, "comparison") == []
    assert results["comparison"] == comparison


@pytest.mark.parametrize("number", sorted(SLUGS))
def test_results_carry_the_required_keys(demo, number):
    results = json.loads((demo / SLUGS[number] / "results.json").read_text(encoding="utf-8"))
    assert results["schema"].startswith("grontur.results/")
    assert results["municipality"]["number"] == number
    account = results["respondents"]
    assert account["input_rows"] == account["kept"] + account["quarantined"]
    cleaned = pd.read_csv(demo / SLUGS[number] / "cleaned.csv", dtype=str)
    for season in ("summer", "winter"):
        answered = cleaned[f"mode_{season}"].dropna()
        counts = answered.value_counts()
        hidden = []
        for mode, share in results["mode_share"][season].items():
            n = int(counts.get(mode, 0))
            if share is None:
                hidden.append(n)
            else:
                assert share == pytest.approx(n / len(answered)), (season, mode)
        # Hidden cells are people, never "nobody"; together they are none or at least k, so the
        # total minus the shown cells reveals no small group (complementary cells may be hidden
        # for that, and for the "drives a car" subtotal: see suppression.suppress_with_totals).
        k = results["privacy"]["k"]
        assert all(n > 0 for n in hidden)
        assert not is_small(sum(hidden), k)
    assert results["emissions"]["tonnes_co2e_per_year"] > 0
    assert results["segments"] and all({"id", "label", "size"} <= set(s) for s in results["segments"])
    # a segment's size is at least k, or hidden by the gate (Flå: beside the comparison's counts
    # of the same baseline respondents, registered with the same gate)
    assert all(s["size"] is None or s["size"] >= results["privacy"]["k"] for s in results["segments"])
    ranks = [m["rank"] for m in results["measures"]]
    assert ranks == list(range(1, len(ranks) + 1))
    assert all(m["reasons"] for m in results["measures"])
    assert all({"step", "owner", "start", "end"} <= set(s) for s in results["anchoring_plan"])
    assert results["privacy"]["k"] == 5 and results["privacy"]["suppressed_cells"] >= 0


@pytest.mark.parametrize("number", sorted(SLUGS))
def test_cleaned_table_keeps_source_row_and_segment(demo, number):
    results = json.loads((demo / SLUGS[number] / "results.json").read_text(encoding="utf-8"))
    cleaned = pd.read_csv(demo / SLUGS[number] / "cleaned.csv", dtype=str)
    assert len(cleaned) == results["respondents"]["kept"]
    assert cleaned["source_row"].notna().all() and cleaned["segment"].notna().all()
    assert cleaned["source_row"].is_unique
    quality = pd.read_csv(demo / SLUGS[number] / "quality.csv", dtype=str)
    assert list(quality.columns[:5]) == ["source_row", "column", "raw_value", "problem", "action"]


def test_second_run_is_byte_identical(demo, tmp_path):
    result = subprocess.run([sys.executable, "-m", "grontur", "demo", "--out", str(tmp_path), "--format", "none"],
                            check=False, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    for slug in SLUGS.values():
        for name in ("results.json", "quality.csv", "cleaned.csv"):
            assert (tmp_path / slug / name).read_bytes() == (demo / slug / name).read_bytes(), f"{slug}/{name} differs"


def test_every_x_of_n_in_a_reason_is_the_count_of_its_named_base(demo) -> None:
    """'29 of 43 who commute by car': the 43 is the count of a base population named in the
    reason and listed under results.json's bases, the same figure wherever it is used."""
    for folder in sorted(p for p in demo.iterdir() if (p / "results.json").is_file()):
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        seen = 0
        for measure in results["measures"]:
            for reason in measure["reasons"]:
                if "n_of" in reason:
                    assert reason["n_of"] == results["bases"][reason["base"]]["n"], (folder.name, reason)
                    seen += 1
        assert seen > 0, folder.name
