"""The benchmark harness: a small run works end to end, and its tables judge the budget right."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def run_module():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("grontur_bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(BENCH))


def _row(size: int, stage: str, seconds: float, **extra: float) -> dict:
    result = {"seconds": seconds, "cpu_seconds": seconds, "peak_mb": 100.0, **extra}
    return {"size": size, "stage": stage, "result": result}


def test_budget_verdicts_follow_the_limits(run_module) -> None:
    rows = [_row(1_000, "render_one", 2.0, rows=1000, analysis_seconds=0.5, analysis_cpu_seconds=0.5),
            _row(1_000, "analyse_cli", 1.4, rows=1000),
            _row(500_000, "read_csv", 1.0),
            _row(500_000, "minimal", 4.0),
            {**_row(500_000, "read_clean", 3.2), "ratio": 3.2},
            {**_row(500_000, "end_to_end", 16.0, import_seconds=3.0, municipalities=357, failed=0, slowest="0301 1 s",
                    peak_pss_mb=1400.0), "ratio_minimal": 4.0}]
    rows[-1]["result"]["peak_mb"] = 2100.0  # RSS counts shared pages twice: the budget reads PSS
    verdicts = {name: (measured, limit) for name, measured, limit in run_module.budget_checks(rows)}
    ratio = next(v for k, v in verdicts.items() if k.startswith("read-and-clean"))
    national = next(v for k, v in verdicts.items() if k.startswith("500,000 over 357"))
    memory = next(v for k, v in verdicts.items() if k.startswith("500,000 peak memory"))
    minimal = next(v for k, v in verdicts.items() if k.startswith("whole analysis / minimal"))
    cli = next(v for k, v in verdicts.items() if k.startswith("1,000: grontur analyse"))
    assert ratio == (3.2, 2.5) and national == (16.0, 15.0) and memory == (1400.0, 1536)
    assert minimal == (4.0, 4.0) and cli == (1.4, 1.5)
    summary = run_module.summary_markdown(rows, {"date": "d", "cores": 2, "commit": "c"})
    assert "| read-and-clean / read_csv <= 2.5 (largest file, 500,000 rows) | 3.20 | OVER |" in summary
    assert "| whole analysis / minimal script <= 4 (largest file, 500,000 rows) | 4.00 | within |" in summary
    assert "| 1,000: grontur analyse with HTML, DOCX, XLSX (whole command) < 1.5 s | 1.40 | within |" in summary
    assert "| 500,000 peak memory (PSS) < 1536 MB | 1400.00 | within |" in summary
    assert "3.20 (3.2x read_csv)" in summary and "16.00 (1,400 MB) (4.0x minimal)" in summary


def test_pss_of_this_process_is_below_its_resident_set_and_above_zero(run_module) -> None:
    import os

    pss, rss = run_module._tree_pss(os.getpid()), run_module._tree_rss(os.getpid())
    assert 0 < pss <= rss


def test_summary_replaces_only_the_marked_block(run_module, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n", encoding="utf-8")
    run_module._replace_between(readme, "bench", "new table")
    assert readme.read_text(encoding="utf-8") == "before\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\nafter\n"


def test_a_small_run_measures_and_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "latest.md"
    result = subprocess.run([sys.executable, str(BENCH / "run.py"), "--sizes", "1000", "--stages", "read_csv",
                             "read_clean", "--workdir", str(tmp_path / "work"), "--out", str(out)],
                            check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    table = out.read_text(encoding="utf-8")
    assert "| 1,000 |  | read_clean |" in table and "x read_csv" in table
    assert out.with_suffix(".json").is_file()


def test_fixed_cost_is_the_intercept_of_cpu_seconds_over_municipality_sizes(run_module) -> None:
    # 40 ms a municipality and 20 ms per 1,000 respondents, as the line through three sizes.
    each = [(100, 0.042), (1_000, 0.060), (5_000, 0.140)]
    fitted = run_module.fixed_cost(each)
    assert fitted["fixed_ms"] == pytest.approx(40.0, abs=0.1)
    assert fitted["ms_per_1000_rows"] == pytest.approx(20.0, abs=0.1)
    assert fitted["smallest_ms"] == pytest.approx(42.0)
    assert "cpu_seconds" not in fitted  # (the stage's own clock gives that, not the fit)
    assert run_module.fixed_cost([(100, 0.1), (100, 0.2)]) == {}  # one size: no line
    rows = [_row(500_000, "analyse", 30.0, municipalities=357, **fitted)]
    verdicts = {name: (measured, limit) for name, measured, limit in run_module.budget_checks(rows)}
    fixed = next(v for k, v in verdicts.items() if k.startswith("fixed CPU cost"))
    assert fixed == (pytest.approx(40.0, abs=0.1), 15.0)
    assert "OVER" in run_module.summary_markdown(rows, {"date": "d", "cores": 2, "commit": "c"})


def test_the_gate_clock_adds_up_the_gates_cpu_and_puts_decide_back(run_module) -> None:
    import numpy as np

    from grontur import publish

    decide = publish.Ledger.decide
    ledger = publish.Ledger(40, 5)
    small = np.zeros(40, dtype=bool)
    small[:3] = True
    ledger.partition(ledger.base(np.ones(40, dtype=bool)), [ledger.count(small), ledger.count(~small)])
    with run_module._gate_clock() as spent:
        assert publish.Ledger.decide is not decide
        before = time.process_time()
        published = ledger.decide()
        around = time.process_time() - before
    assert publish.Ledger.decide is decide
    assert 0 < spent[0] <= around
    assert published.hidden == decide(ledger).hidden  # timed, not changed


def test_the_split_says_what_the_gate_and_the_rest_cost(run_module) -> None:
    # a gate of 30 ms a municipality, the rest 10 ms + 20 ms per 1,000 respondents
    sizes = [100, 1_000, 5_000]
    each = [(n, 0.040 + 0.00002 * n) for n in sizes]
    gate = [(n, 0.030) for n in sizes]
    rest = [(n, s - g) for (n, s), (_, g) in zip(each, gate)]
    fitted = {**run_module.fixed_cost(each), **run_module.fixed_cost(gate, prefix="gate_"),
              **run_module.fixed_cost(rest, prefix="rest_")}
    assert fitted["gate_fixed_ms"] == pytest.approx(30.0, abs=0.1)
    assert fitted["rest_fixed_ms"] == pytest.approx(10.0, abs=0.1)
    assert fitted["rest_ms_per_1000_rows"] == pytest.approx(20.0, abs=0.1)
    assert fitted["gate_total_cpu_seconds"] == pytest.approx(0.09)
    rows = [_row(500_000, "analyse", 30.0, municipalities=3, **fitted)]
    summary = run_module.summary_markdown(rows, {"date": "d", "cores": 2, "commit": "c"})
    assert "the publication gate takes 30 ms and the rest of the analysis 10 ms" in summary
    assert run_module.split_markdown([_row(500_000, "analyse", 30.0, municipalities=3)]) == []


@pytest.mark.parametrize("stage", ["enrich", "segment", "rank"])
def test_a_stage_row_times_the_stage_not_a_gate_of_its_own(run_module, tmp_path: Path, stage: str) -> None:
    # the analysis decides once for all sections (timed in the analyse row): a stage's row that ran
    # a gate over its own counts would count gate work twice over and call it the stage's
    import generate

    path = generate.write_export(generate.generate_export(400, municipalities=3, seed=1), tmp_path / "survey.csv")
    with run_module._gate_clock() as spent:
        timed = run_module._stage(stage, path, 1, tmp_path)
    assert timed["municipalities"] == 3
    assert spent[0] == 0.0


def test_the_gate_counts_as_a_stage_in_the_growth_summary(run_module) -> None:
    rows = [_row(500_000, "segment", 10.0), _row(500_000, "rank", 10.0),
            _row(500_000, "analyse", 100.0, municipalities=357, gate_total_cpu_seconds=60.0)]
    summary = "\n".join(run_module.growth_markdown(rows))
    assert "**publication gate**" in summary and "publication gate 75%" in summary
