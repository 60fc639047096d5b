"""The publication audit (issue 15): nothing hidden can be worked out from everything published.

For the six demo municipalities at k = 5 and k = 10 and for the real exports in ../shared/data,
every published figure of a municipality (results.json, comparison.json, measures.xlsx,
report.docx, report.html and the network overview) is collected, the respondents behind each are
rebuilt from cleaned.csv with plain pandas (tests/publication_audit.py), and the union of all
published figures is checked: hidden cells in the row space of the published ones, published set
differences, whole groups' answers, figures hidden in one place and shown in another, and numbers
in sentences that no published figure gives.

Tests marked ``xfail(strict=True)`` describe a leak of today's outputs; once the publication gate
closes it the test passes, strict makes that an error, and the mark must go.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from grontur.pipeline import analyse_file
from grontur.resources import data_dir
from tests.conftest import SHARED_DATA
from tests.publication_audit import (
    EVERYONE,
    Ledger,
    Respondents,
    audit,
    audit_folder,
    known,
    mode,
    parse_numbers,
    unmatched_sentence_numbers,
)

pytestmark = pytest.mark.slow

DEMO = ("al", "fla", "gol", "hemsedal", "hol", "nesbyen")
REAL = {"salisbury": ("salisbury_md_commuter_survey_2025_googleforms.csv", "example_salisbury_googleforms"),
        "exeter": ("exeter_staff_travel_survey_2023.xlsx", "example_exeter_staff_survey")}


@pytest.fixture(scope="session")
def demo_k5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit-demo") / "demo"
    subprocess.run([sys.executable, "-m", "grontur", "demo", "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def demo_k10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo projects analysed one by one with the project's k set to 10."""
    root = tmp_path_factory.mktemp("audit-demo-k10")
    projects = root / "demo"
    shutil.copytree(data_dir("surveys") / "demo", projects)
    out = root / "out"
    for slug in DEMO:
        config = projects / slug / "grontur.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace("\nk: 5\n", "\nk: 10\n"), encoding="utf-8")
        analysis = analyse_file(project=projects / slug, out_dir=out / slug, formats=("html", "docx", "xlsx"))
        assert analysis.project.k == 10
    return out


@pytest.fixture(scope="session")
def real_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, (file, mapping) in REAL.items():
        path = SHARED_DATA / "real" / file
        if not path.is_file():
            continue
        folder = tmp_path_factory.mktemp(f"audit-{name}")
        analyse_file(path, municipality="Gol", mapping=data_dir("surveys") / "mappings" / f"{mapping}.yaml",
                     out_dir=folder, formats=("html", "docx", "xlsx"), k=5)
        out[name] = folder
    return out


_AUDITS: dict[tuple[str, int], Any] = {}


def audited(request: pytest.FixtureRequest, name: str, k: int) -> Any:
    """(published, ledger, findings) of one municipality (demo slug or real export name) at k."""
    if (name, k) not in _AUDITS:
        if name in REAL:
            folders = request.getfixturevalue("real_outputs")
            if name not in folders:
                pytest.skip(f"real export {name} is absent (tests read it from ../shared/data)")
            folder, index = folders[name], None
        else:
            root = request.getfixturevalue("demo_k5" if k == 5 else "demo_k10")
            folder, index = root / name, root / "index.html"
        _AUDITS[name, k] = audit_folder(folder, k, network_index=index)
    return _AUDITS[name, k]


def findings_of(request: pytest.FixtureRequest, names: tuple[str, ...], k: int, kind: str,
                prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for name in names:
        _, _, findings = audited(request, name, k)
        out += [(name, item) for item in findings.leaks[kind] if str(item[0]).startswith(prefix)]
    return out


# ---------------------------------------------------------------------------------------------
# the audit's own parts


def test_numbers_are_read_in_every_language() -> None:
    assert [(n.value, n.percent) for n in parse_numbers("29 av 43 som køyrer bil, 12,5 % og 1 234 km")] == [
        (29, False), (43, False), (12.5, True), (1234, False)]
    assert [n.value for n in parse_numbers("1\u00a0234 tonn og 0,65")] == [1234, 0.65]
    assert [n.value for n in parse_numbers("1,234 people, 0.65 of them, 71%", "en")] == [1234, 0.65, 71]


def test_rank_test_finds_a_hidden_cell_the_total_gives_back() -> None:
    """Total 9, walk 5 shown, bike hidden: bike is 4, and the audit says so; with two modes
    hidden beside each other neither is found."""
    table = pd.DataFrame({"mode_summer": ["walk"] * 5 + ["bike"] * 3 + ["bus"], "mode_winter": ["walk"] * 9})
    who = Respondents(table)
    led = Ledger(who, modes=("walk", "bike", "bus"))
    led.count("total", EVERYONE, 9, completeness=True)
    led.count("summer.n", known("summer"), 9, completeness=True)
    led.count("walk", mode("summer", "walk"), 5)
    led.count("bike", mode("summer", "bike"), None)
    led.count("bus", mode("summer", "bus"), None)
    findings = audit(led, 5, {"habits": {"seasons": {s: {"modes": {"walk": 0, "bike": 0, "bus": 0}}
                                                     for s in ("summer", "winter")}}})
    assert findings.recoverable == []
    led.count("driver", mode("summer", ("walk", "bike")), 8)
    findings = audit(led, 5, {"habits": {"seasons": {s: {"modes": {"walk": 0, "bike": 0, "bus": 0}}
                                                     for s in ("summer", "winter")}}})
    assert sorted(findings.leaks["recoverable"]) == [("bike", 3), ("bus", 1)]


@pytest.mark.parametrize("name", DEMO)
def test_rebuilt_respondents_agree_with_the_published_counts(request: pytest.FixtureRequest, name: str) -> None:
    """The audit maps hundreds of figures to respondents and rebuilds nearly all alike (a few
    segment features it cannot define are left out), so what it checks is what is published."""
    published, led, findings = audited(request, name, 5)
    # (Flå, 40 respondents, publishes 122 counts since breakdown columns and the comparison's strata
    # became equations of the gate; about 150 before.)
    assert findings.published_counts >= 100 and findings.hidden >= 100
    assert len(led.mismatched) <= 6, led.mismatched
    assert published.docx and published.xlsx and published.html and published.network


def test_audit_counts(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    """The before/after record: hidden figures and what can be worked out, per municipality and k."""
    rows = []
    for k in (5, 10):
        for name in DEMO:
            rows.append({"municipality": name, **audited(request, name, k)[2].summary()})
    for name in REAL:
        try:
            rows.append({"municipality": name, **audited(request, name, 5)[2].summary()})
        except pytest.skip.Exception:
            continue
    with capsys.disabled():
        print()
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    assert sum(row["hidden"] for row in rows) > 0


# ---------------------------------------------------------------------------------------------
# the findings of issue 15, one test each


def test_segment_shares_give_no_hidden_cell_back(request: pytest.FixtureRequest) -> None:
    assert findings_of(request, DEMO, 5, "recoverable", "results:segments.") == []


def test_totals_give_no_hidden_cell_back(request: pytest.FixtureRequest) -> None:
    found = [item for item in findings_of(request, ("salisbury",), 5, "recoverable")
             if "seasons" in item[1][0] or "mode_share." in item[1][0]]
    found += [item for item in findings_of(request, ("salisbury",), 5, "difference")
              if "n_car_drivers" in str(item) or "n_of" in str(item)]
    assert found == []


def test_no_group_answer_is_shown_for_every_member(request: pytest.FixtureRequest) -> None:
    assert findings_of(request, DEMO, 5, "whole_group") == []


def test_no_figure_is_hidden_in_one_place_and_shown_in_another(request: pytest.FixtureRequest) -> None:
    assert findings_of(request, DEMO, 5, "inconsistent") == []


@pytest.mark.parametrize("k", [
    5,
    10,
])
def test_no_hidden_cell_can_be_worked_out_from_all_published_figures(request: pytest.FixtureRequest, k: int) -> None:
    assert findings_of(request, DEMO, k, "recoverable") == []


@pytest.mark.parametrize("name", [
    pytest.param("exeter"),  # 37 of its figures are not mapped (see the counts)
    pytest.param("salisbury"),
])
def test_no_hidden_cell_can_be_worked_out_in_real_exports(request: pytest.FixtureRequest, name: str) -> None:
    assert findings_of(request, (name,), 5, "recoverable") == []


@pytest.mark.parametrize("k", [5, 10])
def test_no_two_published_groups_differ_by_fewer_than_k(request: pytest.FixtureRequest, k: int) -> None:
    assert findings_of(request, DEMO, k, "difference") == []


@pytest.mark.parametrize("k", [5, 10])
def test_no_published_count_below_k(request: pytest.FixtureRequest, k: int) -> None:
    assert findings_of(request, DEMO, k, "small") == []


def test_every_number_in_a_sentence_is_a_published_figure(request: pytest.FixtureRequest) -> None:
    found = []
    for name in DEMO:
        published, _, _ = audited(request, name, 5)
        found += [(name, sentence, number) for sentence, number in unmatched_sentence_numbers(published)]
    assert found == []
