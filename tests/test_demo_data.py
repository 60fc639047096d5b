"""The synthetic Hallingdal demo exports: reproducible, realistic in shape and structure.

The raw files are read here with pandas and the questionnaire alone (not with grontur's
importer), so these checks are independent of the code that will import them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from grontur.demo import generate_demo

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "surveys" / "demo"
# the demo surveys ran with version 1 of the questionnaire (no question added later)
QUESTIONS = [q for q in yaml.safe_load((ROOT / "surveys" / "standard" / "questionnaire.yaml").read_text("utf-8"))["questions"]
             if q.get("added_in", 1) == 1]
# Respondents per municipality the demo is meant to have in the baseline wave (about 40 to 400).
DESIGN_SIZES = {"fla": 40, "hemsedal": 110, "nesbyen": 150, "hol": 260, "al": 300, "gol": 400}
SLUGS = tuple(DESIGN_SIZES)
WAVES = ("baseline", "followup")
DRIVER = {"car_alone", "car_shared"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def config(slug: str) -> dict:
    return yaml.safe_load((DEMO / slug / "grontur.yaml").read_text("utf-8"))


def lang(slug: str) -> str:
    return config(slug)["language"]


def raw(slug: str, wave: str) -> pd.DataFrame:
    csv_path = DEMO / slug / f"{wave}.csv"
    if csv_path.exists():
        return pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return pd.read_excel(DEMO / slug / f"{wave}.xlsx", dtype=str).fillna("")


def question(column: str) -> dict:
    return next(q for q in QUESTIONS if q["column"] == column)


def labels(column: str, language: str) -> dict[str, str]:
    """label -> option key as written in the questionnaire."""
    return {v[language]: str(k) for k, v in (question(column).get("options") or {}).items()}


def split_against(cell: str, options: list[str]) -> list[str] | None:
    """Split a multi-select cell by matching whole option labels (they may contain commas)."""
    rest, found = cell.strip().rstrip(";"), []
    ordered = sorted(options, key=len, reverse=True)
    while rest:
        match = next((o for o in ordered if rest.startswith(o)), None)
        if match is None:
            return None
        found.append(match)
        rest = rest[len(match):].lstrip(";").removeprefix(", ").lstrip()
    return found


def modes(slug: str, wave: str) -> pd.DataFrame:
    df, lg = raw(slug, wave), lang(slug)
    out = pd.DataFrame({s: df[question(f"mode_{s}")["text"][lg]].map(labels(f"mode_{s}", lg))
                        for s in ("summer", "winter")})
    return out


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return generate_demo(out)


def test_regeneration_reproduces_the_committed_files_byte_for_byte(regenerated):
    assert len(regenerated.files) == 6 * 3 + 2  # three files per municipality, postcodes.csv, truth.yaml
    for path in regenerated.files:
        committed = DEMO / path.relative_to(regenerated.out_dir)
        assert committed.read_bytes() == path.read_bytes(), f"{committed} differs from a fresh generation"


def test_another_seed_gives_other_data(tmp_path):
    other = generate_demo(tmp_path, seed=7)
    assert (tmp_path / "gol" / "baseline.csv").read_bytes() != (DEMO / "gol" / "baseline.csv").read_bytes()
    assert other.truth["seed"] == 7


@pytest.mark.parametrize("slug", SLUGS)
def test_sizes_and_response_rates_are_realistic(slug):
    base, follow = (raw(slug, w) for w in WAVES)
    n_base, n_follow = len(base) - 1, len(follow) - 1  # one duplicated submission per file
    assert abs(n_base - DESIGN_SIZES[slug]) <= 0.05 * DESIGN_SIZES[slug]
    assert abs(n_follow - n_base) <= math.ceil(0.1 * n_base) + 1
    for n in (n_base, n_follow):
        assert 0.55 <= n / config(slug)["employees"] <= 0.75


@pytest.mark.parametrize("slug", SLUGS)
def test_exports_look_like_the_survey_tool_wrote_them(slug):
    lg = lang(slug)
    for wave in WAVES:
        df = raw(slug, wave)
        texts = [q["text"][lg] for q in QUESTIONS]
        assert set(texts) <= set(df.columns)
        if slug == "hemsedal":
            assert list(df.columns[:5]) == ["ID", "Start time", "Completion time", "Email", "Name"]
            assert set(df["Email"]) == {"anonymous"}
        else:
            assert list(df.columns[:2]) == ["$submission_id", "$created"]
            data = (DEMO / slug / f"{wave}.csv").read_bytes()
            assert data.startswith(b"\xef\xbb\xbf")
            header = data[3:].split(b"\n", 1)[0].decode("utf-8")
            assert header.startswith('"$submission_id","$created",')
    assert ("Flå" in config(slug)["workplaces"][0]["name"]) == (lg == "nb")


@pytest.mark.parametrize("slug", SLUGS)
def test_single_choice_answers_are_questionnaire_labels(slug):
    lg = lang(slug)
    for wave in WAVES:
        df = raw(slug, wave)
        for q in QUESTIONS:
            if q["kind"] in ("single", "bool"):
                values = set(df[q["text"][lg]]) - {""}
                assert values <= set(labels(q["column"], lg)), (slug, wave, q["id"], values - set(labels(q["column"], lg)))
        names = {w["name"] for w in config(slug)["workplaces"]}
        assert set(df[question("workplace")["text"][lg]]) <= names


@pytest.mark.parametrize("slug", SLUGS)
def test_multi_select_cells_split_against_the_option_list(slug):
    lg = lang(slug)
    comma_labels_seen = 0
    for wave in WAVES:
        df = raw(slug, wave)
        for column in ("barriers", "would_consider", "would_help"):
            options = list(labels(column, lg))
            for cell in df[question(column)["text"][lg]]:
                if cell:
                    parts = split_against(cell, options)
                    assert parts is not None, (slug, column, cell)
                    assert len(parts) == len(set(parts))
                    comma_labels_seen += any("," in p for p in parts)
                    if slug == "hemsedal":
                        assert cell.endswith(";")
    assert comma_labels_seen > 0


@pytest.mark.parametrize("slug", SLUGS)
def test_winter_brings_more_driving_than_summer(slug):
    for wave in WAVES:
        m = modes(slug, wave)
        assert m["winter"].isin(DRIVER).mean() > m["summer"].isin(DRIVER).mean()
        cycling = m.isin({"bike", "ebike"}).mean()
        assert cycling["winter"] < cycling["summer"]


def _distance(text: str) -> float:
    cleaned = text.lower().replace("ca.", "").replace("km", "").replace(",", ".").strip()
    return float(cleaned) if cleaned else np.nan


def _haversine(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * np.arcsin(np.sqrt(a))


def test_distances_agree_with_postcode_points_and_a_detour_factor():
    postcodes = yaml.safe_load((DEMO / "places.yaml").read_text("utf-8"))["postcodes"]
    ratios, short = [], []
    for slug in SLUGS:
        lg = lang(slug)
        sites = {w["name"]: w for w in config(slug)["workplaces"]}
        df = raw(slug, "baseline")
        dist = df[question("distance_km")["text"][lg]].map(_distance)
        home = df[question("home_postcode")["text"][lg]]
        site = df[question("workplace")["text"][lg]].map(sites)
        for d, h, s in zip(dist, home, site):
            if np.isnan(d) or not h:
                continue
            if h == s["postcode"]:
                short.append(d)
            else:
                straight = _haversine(postcodes[h]["lat"], postcodes[h]["lon"], s["lat"], s["lon"])
                ratios.append(d / straight)
    ratios = np.array(ratios)
    assert len(ratios) > 150
    assert 1.2 <= np.median(ratios) <= 1.6
    assert np.mean((ratios > 0.9) & (ratios < 2.5)) > 0.95
    short = np.array(short)
    assert 0.4 < np.mean(short <= 3) < 0.8  # many near the centre, a tail up the valley
    assert short.max() > 10


@pytest.mark.parametrize("slug", SLUGS)
def test_planted_input_problems_are_there(slug):
    lg = lang(slug)
    for wave in WAVES:
        df = raw(slug, wave)
        meta = 5 if slug == "hemsedal" else 2
        answers = df.iloc[:, meta:]
        assert answers.duplicated().sum() == 1
        dist = df[question("distance_km")["text"][lg]]
        assert (dist == "").sum() >= 1
        assert dist.str.contains(",").any() and dist.str.contains("km").any() and dist.str.startswith("ca.").any()
        m = modes(slug, wave)
        walking_far = (m["summer"] == "walk") & (m["winter"] == "walk") & (dist.map(_distance) >= 30)
        assert walking_far.sum() == 2
        question_texts = {q["text"][lg] for q in QUESTIONS}
        free_text = [c for c in df.columns[meta:] if c not in question_texts]
        free_text = [c for c in free_text if c != "Anonym svarkode"]
        assert len(free_text) == 2  # the "other" wish and the comment
        for column in free_text:
            assert df[column].str.contains(EMAIL).any(), (slug, wave, column)
        assert df[free_text].apply(lambda col: col.str.contains(r"\d{3} \d{2} \d{3}")).to_numpy().any()
        for text in question_texts:
            assert not df[text].str.contains(EMAIL).any()


def test_panel_codes_link_about_sixty_percent_in_gol_and_al_only():
    for slug in SLUGS:
        df = raw(slug, "followup")
        if slug not in ("gol", "al"):
            assert "Anonym svarkode" not in df.columns
            continue
        base = raw(slug, "baseline").drop_duplicates(subset=["Anonym svarkode"])
        follow = df.drop_duplicates(subset=["Anonym svarkode"])
        codes = follow["Anonym svarkode"][follow["Anonym svarkode"] != ""]
        assert codes.str.fullmatch(r"[A-Z0-9]{6}").all()
        linked = codes.isin(set(base["Anonym svarkode"]) - {""}).sum()
        assert 0.5 <= linked / len(follow) <= 0.65


def test_structure_barriers_follow_distance_site_and_job():
    places = yaml.safe_load((DEMO / "places.yaml").read_text("utf-8"))["workplaces"]
    rows = []
    for slug in SLUGS:
        lg = lang(slug)
        df = raw(slug, "baseline")
        number = config(slug)["municipality"]
        showers = {w["name"]: w["showers"] for w in places[number]}
        barrier_options = list(labels("barriers", lg))
        inverse = labels("barriers", lg)
        frame = pd.DataFrame({
            "job": df[question("job_group")["text"][lg]].map(labels("job_group", lg)),
            "shift": df[question("shift_work")["text"][lg]].map(labels("shift_work", lg)),
            "distance": df[question("distance_km")["text"][lg]].map(_distance),
            "showers": df[question("workplace")["text"][lg]].map(showers),
            "barriers": [{inverse[p] for p in (split_against(c, barrier_options) or [])} if c else set()
                         for c in df[question("barriers")["text"][lg]]],
        })
        rows.append(frame)
    data = pd.concat(rows, ignore_index=True)
    has = lambda code: data["barriers"].map(lambda b: code in b)
    assert (data["shift"] == "true")[data["job"] == "health_care"].mean() > 0.5
    assert (data["shift"] == "true")[data["job"] == "administration"].mean() < 0.1
    assert has("too_far")[data["distance"] > 10].mean() > 0.5
    assert has("too_far")[data["distance"] < 3].mean() < 0.1
    no_shower = has("no_shower_changing")
    assert no_shower[~data["showers"]].mean() > 3 * no_shower[data["showers"]].mean()
    assert has("transit_times_mismatch")[data["shift"] == "true"].mean() > 2 * has("transit_times_mismatch")[data["shift"] == "false"].mean()
    assert (data["barriers"].map(len) == 0).mean() < 0.2
