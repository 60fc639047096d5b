"""Catalogue and configuration files: invalid YAML or a wrong field gives grontur's own error, on
one line, naming the file and the field (and, from the command line, exit status 2 without a
traceback).

Each case starts from a valid file (a shipped measure, ``measures/weights.yaml``,
``measures/anchoring.yaml``, the example evidence record, a small mapping, a project's
``grontur.yaml``), breaks one thing, and names the words the message must contain.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from grontur import anchoring, catalogue, evidence, mapping, rank
from grontur.cli import main
from grontur.config import load_project
from grontur.errors import CatalogueError, ConfigError, GronturError
from grontur.resources import data_path

MEASURE = data_path("measures", "catalogue", "showers-lockers.yaml")
WEIGHTS = data_path("measures", "weights.yaml")
ANCHORING = data_path("measures", "anchoring.yaml")
EVIDENCE = data_path("measures", "evidence", "examples", "ebike-pool-example.yaml")
MAPPING = {
    "name": "my-export",
    "title": "A tool's export",
    "id_columns": ["^ID$"],
    "meta_columns": [{"pattern": "^Start time$", "reason": "timestamp"}],
    "columns": [
        {"target": "mode", "header": "How do you get to work?", "values": {"By car": "car_alone", "Walking": "walk"}},
        {"target": "distance_km", "header": "Distance", "unit": "miles"},
    ],
}
PROJECT = {
    "municipality": "3324",
    "language": "nn",
    "k": 5,
    "employees": 420,
    "survey": "baseline.csv",
    "wave": "2025-03",
    "run_date": "2026-11-29",
    "context": {"transit_service": "poor", "parking_at_work": "free", "facilities": {"showers": False}},
    "workplaces": [{"name": "Gol rådhus", "lat": 60.7026, "lon": 8.9424, "postcode": "3550"}],
    "pilots": [{"measure": "ebike-pool", "start": "2025-04-01", "end": "2025-10-31",
                "participants": {"workplace": "Gol rådhus"}}],
    "weights": {},
}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _set(data: Any, dotted: str, value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if value is _DELETE:
        if isinstance(target, list):
            del target[int(last)]
        else:
            del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return data


_DELETE = object()
BROKEN_YAML = "key: [unclosed\n  - item: {\n"


# ---------------------------------------------------------------------------------------------
# the cases: (id, kind, how to break the file, expected error, words the message must contain)

Case = tuple[str, str, Callable[[Any], Any] | str, type, tuple[str, ...]]

CASES: list[Case] = [
    # catalogue entries (a project's own measure folder)
    ("measure-yaml", "measure", BROKEN_YAML, CatalogueError, ("line",)),
    ("measure-unknown-field", "measure", lambda d: {**d, "efect": d["effect"]}, CatalogueError, ("efect",)),
    ("measure-effect-text", "measure", lambda d: _set(d, "effect.low", "high"), CatalogueError, ("effect.low",)),
    ("measure-family", "measure", lambda d: _set(d, "family", "flying"), CatalogueError, ("family", "flying")),
    ("measure-missing-english", "measure", lambda d: _set(d, "name.en", _DELETE), CatalogueError, ("name.en",)),
    ("measure-id-file", "measure", lambda d: _set(d, "id", "showers"), CatalogueError, ("id", "showers")),
    ("measure-cost-class", "measure", lambda d: _set(d, "cost.class", "cheap"), CatalogueError, ("cost.class",)),
    ("measure-mode-code", "measure", lambda d: _set(d, "targets.modes", ["car_alone", "hovercraft"]),
     CatalogueError, ("targets.modes", "hovercraft")),
    ("measure-source-url", "measure", lambda d: _set(d, "sources.0.url", "www.example"), CatalogueError, ("url",)),
    ("measure-not-mapping", "measure", "- just\n- a list\n", CatalogueError, ("mapping",)),
    # ranking weights
    ("weights-yaml", "weights", BROKEN_YAML, CatalogueError, ("line",)),
    ("weights-negative", "weights", lambda d: _set(d, "score.trips", -1), ConfigError, ("score.trips",)),
    ("weights-text", "weights", lambda d: _set(d, "score.cost", "a lot"), ConfigError, ("score.cost",)),
    ("weights-missing-section", "weights", lambda d: _set(d, "match", _DELETE), ConfigError, ("match",)),
    ("weights-not-mapping", "weights", "- just\n- a list\n", CatalogueError, ("mapping",)),
    ("weights-package", "weights", lambda d: _set(d, "packages.default", "mega"), ConfigError, ("packages.default",)),
    # anchoring template
    ("anchoring-yaml", "anchoring", BROKEN_YAML, CatalogueError, ("line",)),
    ("anchoring-title", "anchoring", lambda d: _set(d, "steps.0.title.en", _DELETE), CatalogueError, ("title",)),
    ("anchoring-depends", "anchoring", lambda d: _set(d, "steps.0.depends_on", ["nowhere"]), CatalogueError,
     ("depends_on", "nowhere")),
    ("anchoring-weeks", "anchoring", lambda d: _set(d, "steps.1.weeks", -2), CatalogueError, ("weeks",)),
    ("anchoring-timing", "anchoring", lambda d: _set(d, "steps.1.timing", "whenever"), CatalogueError, ("timing",)),
    ("anchoring-calendar", "anchoring", lambda d: _set(d, "calendar", _DELETE), CatalogueError, ("calendar",)),
    ("anchoring-not-mapping", "anchoring", "- just\n- a list\n", CatalogueError, ("mapping",)),
    # evidence records
    ("evidence-yaml", "evidence", BROKEN_YAML, CatalogueError, ("yaml", "line")),
    ("evidence-share", "evidence", lambda d: _set(d, "before", 1.4), CatalogueError, ("before",)),
    ("evidence-period", "evidence", lambda d: _set(d, "period.end", dt.date(2025, 1, 1)), CatalogueError, ("period.end",)),
    ("evidence-method", "evidence", lambda d: _set(d, "method", "vibes"), CatalogueError, ("method", "vibes")),
    ("evidence-count", "evidence", lambda d: _set(d, "participants.n_reached", -1), CatalogueError,
     ("participants.n_reached",)),
    ("evidence-measure", "evidence", lambda d: _set(d, "measure", _DELETE), CatalogueError, ("measure",)),
    ("evidence-text", "evidence", "just a sentence\n", CatalogueError, ("mapping",)),
    ("evidence-date", "evidence", lambda d: _set(d, "period.start", "spring"), CatalogueError, ("period.start",)),
    # mapping files
    ("mapping-yaml", "mapping", BROKEN_YAML, ConfigError, ("yaml", "line")),
    ("mapping-target", "mapping", lambda d: _set(d, "columns.0.target", "happiness"), ConfigError,
     ("column rule 1", "happiness")),
    ("mapping-unit", "mapping", lambda d: _set(d, "columns.1.unit", "furlongs"), ConfigError, ("unit", "furlongs")),
    ("mapping-code", "mapping", lambda d: _set(d, "columns.0.values.By car", "hovercraft"), ConfigError,
     ("hovercraft",)),
    ("mapping-pattern", "mapping", lambda d: _set(d, "columns.1", {"target": "distance_km", "pattern": "(("}),
     ConfigError, ("pattern",)),
    ("mapping-no-name", "mapping", lambda d: _set(d, "name", _DELETE), ConfigError, ("name",)),
    ("mapping-meta-pattern", "mapping", lambda d: _set(d, "meta_columns.0", {"reason": "timestamp"}), ConfigError,
     ("meta_columns",)),
    ("mapping-min-signature", "mapping", lambda d: {**d, "min_signature": "two"}, ConfigError, ("min_signature",)),
    # project configuration
    ("project-yaml", "project", "municipality: Gol\nk: [5\n", ConfigError, ("line",)),
    ("project-unknown-field", "project", lambda d: {**d, "kommune": "Gol"}, ConfigError, ("kommune",)),
    ("project-k", "project", lambda d: _set(d, "k", 3), ConfigError, ("'k'",)),
    ("project-k-text", "project", lambda d: _set(d, "k", "five"), ConfigError, ("'k'",)),
    ("project-language", "project", lambda d: _set(d, "language", "de"), ConfigError, ("'language'",)),
    ("project-run-date", "project", lambda d: _set(d, "run_date", "2025-13-01"), ConfigError, ("run_date",)),
    ("project-employees", "project", lambda d: _set(d, "employees", -4), ConfigError, ("employees",)),
    ("project-transit", "project", lambda d: _set(d, "context.transit_service", "sometimes"), ConfigError,
     ("context.transit_service",)),
    ("project-context", "project", lambda d: _set(d, "context", "poor"), ConfigError, ("'context'",)),
    ("project-workplace-outside", "project", lambda d: _set(d, "workplaces.0.lon", 200), ConfigError,
     ("workplaces[0]",)),
    ("project-workplace-text", "project", lambda d: _set(d, "workplaces.0.lat", "north"), ConfigError,
     ("workplaces[0]",)),
    ("project-pilot-dates", "project", lambda d: _set(d, "pilots.0.end", "2025-01-01"), ConfigError, ("pilots[0]",)),
    ("project-municipality", "project", lambda d: _set(d, "municipality", "Atlantis"), ConfigError,
     ("'municipality'", "Atlantis")),
    ("project-plan-start", "project", lambda d: _set(d, "plan_start", "soon"), ConfigError, ("plan_start",)),
    ("project-not-mapping", "project", "- municipality: Gol\n", ConfigError, ("mapping",)),
    # a key given twice: plain YAML keeps the last one silently, grontur refuses every data file
    ("project-key-twice", "project", "municipality: Gol\nk: 5\nk: 7\n", ConfigError, ("line 3", "'k'", "twice")),
    ("weights-key-twice", "weights", "score:\n  trips: 1\n  trips: 2\n", CatalogueError, ("line 3", "twice")),
    ("evidence-key-twice", "evidence", "measure: ebike-pool\nmeasure: showers-lockers\n", CatalogueError,
     ("line 2", "twice")),
    ("mapping-key-twice", "mapping", "name: a\nname: b\n", ConfigError, ("line 2", "'name'", "twice")),
]

KNOWN_BUGS: dict[str, str] = {}  # none open

SOURCES = {"measure": MEASURE, "weights": WEIGHTS, "anchoring": ANCHORING, "evidence": EVIDENCE}
FILE_NAMES = {"measure": "showers-lockers.yaml", "weights": "weights.yaml", "anchoring": "anchoring.yaml",
              "evidence": "pilot-2025.yaml", "mapping": "my-export.yaml", "project": "grontur.yaml"}


def write_case(folder: Path, kind: str, how: Callable[[Any], Any] | str) -> Path:
    """Write the broken file of one case into ``folder`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAMES[kind]
    if isinstance(how, str):
        path.write_text(how, encoding="utf-8")
        return path
    if kind in SOURCES:
        data = _load(SOURCES[kind])
    elif kind == "mapping":
        data = MAPPING
    else:
        data = PROJECT
    path.write_text(yaml.safe_dump(how(data), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_case(kind: str, path: Path) -> Any:
    if kind == "measure":
        catalogue.clear_cache()
        return catalogue.load_catalogue(path.parent)
    if kind == "weights":
        return rank.load_weights(path)
    if kind == "anchoring":
        return anchoring.load_template(path)
    if kind == "evidence":
        return evidence.load_evidence(path.parent)
    if kind == "mapping":
        return mapping.load_mapping(path)
    return load_project(path.parent)


def _params() -> list:
    return [
        pytest.param(*case, id=case[0],
                     marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case[0]])] if case[0] in KNOWN_BUGS else [])
        for case in CASES
    ]


def test_the_unbroken_files_load(tmp_path: Path) -> None:
    """Control: every starting file is valid, so each case breaks exactly one thing."""
    for kind in ("measure", "weights", "anchoring", "evidence", "mapping", "project"):
        path = write_case(tmp_path / kind, kind, lambda d: d)
        load_case(kind, path)


@pytest.mark.parametrize(("case_id", "kind", "how", "error", "words"), _params())
def test_broken_file_names_file_and_field(case_id: str, kind: str, how: Any, error: type, words: tuple[str, ...],
                                          tmp_path: Path) -> None:
    path = write_case(tmp_path / "files", kind, how)
    with pytest.raises(GronturError) as caught:
        load_case(kind, path)
    assert isinstance(caught.value, error), type(caught.value)
    message = str(caught.value)
    assert "\n" not in message, message
    assert path.name in message, message
    for word in words:
        assert word.lower() in message.lower(), (word, message)


PROJECT_CLI_CASES = ["project-yaml", "project-unknown-field", "project-k", "project-transit", "project-pilot-dates",
                     "project-workplace-text", "project-catalogue", "project-evidence", "project-weights",
                     "project-mapping"]
CLI_BUGS: dict[str, str] = {}  # none open


def _project_folder(folder: Path, case_id: str) -> Path:
    """A project folder whose grontur.yaml, catalogue, evidence, weights or mapping is broken."""
    folder.mkdir(parents=True)
    shutil.copy(data_path("surveys", "demo", "gol", "baseline.csv"), folder / "baseline.csv")
    data = copy.deepcopy(PROJECT)
    if case_id == "project-catalogue":
        write_case(folder / "measures", "measure", lambda d: _set(d, "effect.low", "high"))
        data["catalogue"] = "measures"
    elif case_id == "project-evidence":
        write_case(folder / "evidence", "evidence", lambda d: _set(d, "before", 1.4))
    elif case_id == "project-weights":
        data["weights"] = {"speed": 1}
    elif case_id == "project-mapping":
        write_case(folder, "mapping", lambda d: _set(d, "columns.0.target", "happiness"))
        data["mapping"] = "my-export.yaml"
    else:
        case = next(c for c in CASES if c[0] == case_id)
        return write_case(folder, "project", case[2]).parent
    (folder / "grontur.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


EXPECTED_FILE = {"project-catalogue": "showers-lockers.yaml", "project-evidence": "pilot-2025.yaml",
                 "project-mapping": "my-export.yaml"}


@pytest.mark.parametrize("case_id", [
    pytest.param(c, id=c, marks=[pytest.mark.xfail(strict=True, reason=CLI_BUGS[c])] if c in CLI_BUGS else [])
    for c in PROJECT_CLI_CASES
])
def test_cli_reports_a_broken_project_in_one_line(case_id: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``grontur analyse --project DIR``: exit status 2, one line naming the file, nothing written."""
    project = _project_folder(tmp_path / "project", case_id)
    before = {p.name: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    catalogue.clear_cache()
    status = main(["analyse", "--project", str(project), "--out", str(out), "--format", "none"])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    assert captured.err.startswith("grontur: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
    assert EXPECTED_FILE.get(case_id, "grontur.yaml") in captured.err, captured.err
    assert not out.exists()
    assert {p.name: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


# ---------------------------------------------------------------------------------------------
# property: any single wrong value anywhere in a valid file gives a grontur error or a valid load


#: Examples per kind of file; the sum is in docs/reliability.md.
MUTATION_EXAMPLES = {"measure": 150, "weights": 60, "anchoring": 60, "evidence": 100, "mapping": 100, "project": 100}

_WRONG = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                        st.integers(), max_size=2),
    st.dates(), st.just(_DELETE),
)


def _paths(data: Any, prefix: str = "") -> list[str]:
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.append(path)
            out.extend(_paths(value, path))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            path = f"{prefix}.{index}" if prefix else str(index)
            out.append(path)
            out.extend(_paths(value, path))
    return out


def _starting_data(kind: str) -> Any:
    if kind in SOURCES:
        return _load(SOURCES[kind])
    return MAPPING if kind == "mapping" else PROJECT


MUTATION_BUGS: dict[str, str] = {}  # none open


@pytest.mark.parametrize("kind", [
    pytest.param(kind, id=kind, marks=[pytest.mark.xfail(strict=True, reason=MUTATION_BUGS[kind])]
                 if kind in MUTATION_BUGS else [])
    for kind in MUTATION_EXAMPLES
])
def test_any_wrong_value_gives_a_grontur_error(kind: str, tmp_path: Path) -> None:
    start = _starting_data(kind)
    paths = _paths(start)
    calls = {"n": 0, "errors": 0}

    @settings(derandomize=True, database=None, deadline=None, max_examples=MUTATION_EXAMPLES[kind],
              phases=(Phase.explicit, Phase.generate),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(paths), _WRONG)
    def run(path: str, value: Any) -> None:
        calls["n"] += 1
        folder = tmp_path / f"case{calls['n']}"
        try:
            broken = _set(start, path, value)
        except (KeyError, IndexError, TypeError):
            return  # the path vanished with an earlier part of it
        written = write_case(folder, kind, lambda _d: broken)
        try:
            load_case(kind, written)
        except GronturError as error:
            calls["errors"] += 1
            message = str(error)
            assert "\n" not in message and written.name in message, message

    run()
    assert calls["n"] == MUTATION_EXAMPLES[kind]
    assert calls["errors"] > 0
