"""The translation catalogue: every key in all three languages; no untranslated text in a report."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
import yaml

from grontur.i18n import LANGUAGES, catalogue, t
from grontur.report.build import build_document
from grontur.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "report_results_sample.json"
REPORT_LOCALE = ROOT / "grontur" / "locale" / "report.yaml"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_non_empty_text_in_every_language():
    empty = [(key, lang) for key, texts in catalogue().items() for lang in LANGUAGES if not texts[lang].strip()]
    assert not empty


def test_placeholders_agree_across_languages():
    wrong = [key for key, texts in catalogue().items() if len({frozenset(_fields(texts[lang])) for lang in LANGUAGES}) != 1]
    assert not wrong


def test_report_file_lists_each_language_explicitly():
    data = yaml.safe_load(REPORT_LOCALE.read_text(encoding="utf-8"))
    assert all(set(texts) == set(LANGUAGES) for texts in data.values())
    assert all(key.startswith("report.") for key in data)


def test_nynorsk_is_not_bokmaal():
    data = yaml.safe_load(REPORT_LOCALE.read_text(encoding="utf-8"))
    differ = sum(texts["nn"] != texts["nb"] for texts in data.values())
    assert differ / len(data) > 0.4
    # a few words that mark the written standard
    nn = " ".join(texts["nn"] for texts in data.values())
    nb = " ".join(texts["nb"] for texts in data.values())
    for nynorsk, bokmaal in (("ikkje", "ikke"), ("tilsette", "ansatte"), ("utslepp", "utslipp"), ("kva", "hva")):
        assert re.search(rf"\b{nynorsk}\b", nn, re.IGNORECASE) and not re.search(rf"\b{nynorsk}\b", nb, re.IGNORECASE)
        assert re.search(rf"\b{bokmaal}\b", nb, re.IGNORECASE) and not re.search(rf"\b{bokmaal}\b", nn, re.IGNORECASE)


def test_every_key_used_in_report_code_exists():
    used: set[str] = set()
    for path in list((ROOT / "grontur" / "report").glob("*.py")) + list((ROOT / "grontur" / "report" / "templates").glob("*.j2")):
        if path.name.startswith("comparison"):
            continue
        used |= set(re.findall(r"""["'](report\.[a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""", path.read_text(encoding="utf-8")))
    used = {k for k in used if not k.endswith((".html", ".docx", ".pdf", ".css", ".j2"))}
    missing = sorted(k for k in used if k not in catalogue())
    assert not missing
    assert len(used) > 150


@pytest.mark.parametrize("kind,codes", [
    ("actor", "hr property management unions amu municipality_road_owner county_transit_operator employees it"),
    ("cost", "low medium high"),
    ("time", "short medium long"),
    ("family", "parking cycling walking transit carpool remote_work working_time information_campaign business_travel vehicles policy"),
    ("scenario", "moderate ambitious"),
])
def test_code_families_from_the_contracts_are_translated(kind, codes):
    for code in codes.split():
        assert f"report.{kind}.{code}" in catalogue()


def _visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.DOTALL)
    # citations are quoted as published, in their own language
    html = re.sub(r'<ul class="references">.*?</ul>', " ", html, flags=re.DOTALL)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html.replace("&nbsp;", " "))


@pytest.fixture(scope="module")
def report_texts() -> dict[str, str]:
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return {lang: _visible_text(render_html(build_document(results, lang=lang))) for lang in ("nn", "en")}


@pytest.fixture(scope="module")
def nynorsk_text(report_texts) -> str:
    return report_texts["nn"]


@pytest.mark.parametrize("lang", ["nn", "en"])
def test_no_catalogue_text_of_another_language_in_a_report(report_texts, lang):
    """A nynorsk report holds no bokmål or English sentence from the catalogue, and so on."""
    text = report_texts[lang]
    leaks = []
    for key, texts in catalogue().items():
        for other in LANGUAGES:
            foreign = texts[other]
            if other == lang or foreign == texts[lang] or len(foreign) < 12 or _fields(foreign):
                continue
            if foreign in text:
                leaks.append((key, other, foreign))
    assert not leaks


def test_no_raw_keys_or_codes_in_a_report(nynorsk_text):
    for lang in ("nn",):
        assert "report." not in nynorsk_text
        assert "code." not in nynorsk_text
    # codes are snake_case; outside file names and the schema tag nothing visible may look like one
    allowed = {"results.json", "quality.csv", "grontur.results/1"}
    stripped = nynorsk_text
    for ok in allowed:
        stripped = stripped.replace(ok, "")
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", stripped)


def test_english_report_has_no_nynorsk_section_titles():
    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    text = _visible_text(render_html(build_document(results, lang="en")))
    for section in ("summary", "habits", "barriers", "emissions", "measures"):
        assert t(f"report.section.{section}", "nn") not in text
        assert t(f"report.section.{section}", "en") in text


# ---------------------------------------------------------------------------------------------
# Plural fields: {n:one|other}

def test_plural_field_agrees_with_the_count() -> None:
    from grontur.i18n import plural_count, plural_form

    assert plural_form(1, "person", "personar") == "person"
    assert plural_form(2, "person", "personar") == "personar"
    assert plural_form(0, "person", "personar") == "personar"
    # counts arrive formatted by the report ("1 234" with a no-break space) or hidden ("–")
    assert plural_count("1") == 1 and plural_count("1\u00a0234") == 1234 and plural_count("1,234") == 1234
    assert plural_count("–") is None and plural_count("færre enn 5") is None and plural_count(1.5) is None
    assert plural_form("–", "person", "personar") == "personar"


def _plural_fields(text: str) -> list[str]:
    return [spec for _, name, spec, _ in string.Formatter().parse(text) if name and spec and "|" in spec]


def test_every_plural_field_has_two_forms() -> None:
    for key, texts in catalogue().items():
        for lang in LANGUAGES:
            for spec in _plural_fields(texts[lang]):
                assert spec.count("|") == 1, (key, lang, spec)


@pytest.mark.parametrize(("key", "values", "wrong"), [
    ("report.emissions.not_estimated", {"n": "1"}, ("1 personar", "1 personer", "1 people")),
    ("report.method.rows", {"input": "401", "kept": "400", "quarantined": "1"}, ("1 vart sette", "1 were set")),
    ("report.method.geo", {"estimated": "1", "flagged": "1"}, ("1 personar", "1 personer", "1 people", "vart merkte", "1 disagreed and were")),
    ("report.method.dropped", {"n": 1, "kinds": "e-post"}, ("1 kolonnar", "1 kolonner", "1 columns")),
    ("report.method.mapping", {"dialect": "Nettskjema", "n": 1}, ("1 kolonnar", "1 kolonner", "1 columns")),
    ("report.method.privacy", {"k": 5, "suppressed": "1"}, ("1 celler", "1 cells")),
    ("cli.analyse.done", {"name": "Gol", "kept": 400, "input_rows": 401, "quarantined": 1, "folder": "out"}, ("1 lagde",)),
    ("cli.analyse.many_done", {"municipalities": 1, "seconds": "2.0", "kept": 1, "input_rows": 1, "quarantined": 0,
                               "folder": "out"}, ("1 kommunar", "1 kommuner", "1 municipalities", "1 responses", "svar brukte")),
    ("cli.analyse.many_unassigned", {"n": 1}, ("1 responses",)),
])
def test_messages_with_a_count_of_one_agree(key, values, wrong) -> None:
    for lang in LANGUAGES:
        text = t(key, lang, **values)
        assert not any(w in text for w in wrong), (lang, text)


def test_messages_with_larger_counts_keep_their_plural() -> None:
    assert t("report.emissions.not_estimated", "nn", n="3").startswith("For 3 personar ")
    assert t("report.emissions.not_estimated", "en", n="1\u00a0234").startswith("Distance or mode is missing for 1\u00a0234 people")
    assert "2 vart sette til side" in t("report.method.rows", "nn", input="10", kept="8", quarantined="2")
    assert "1 vart sett til side" in t("report.method.rows", "nn", input="10", kept="9", quarantined="1")


# ---------------------------------------------------------------------------------------------
# Sentences that must agree with the tables next to them

def test_row_account_does_not_claim_one_reason_for_every_row_set_aside() -> None:
    for lang, claim in (("nn", "ikkje hadde brukande svar"), ("nb", "ikke hadde brukbare svar"), ("en", "had no usable answers")):
        assert claim not in t("report.method.rows", lang, input="401", kept="400", quarantined="1")
    reasons = t("report.quarantine.duplicate_submission", "nn", n="1")
    assert reasons.startswith("1 var ein kopi")
    text = t("report.method.rows_reasons", "nn", input="401", kept="400", quarantined="1", reasons=reasons)
    assert text == "Fila hadde 401 rader: 400 er med i analysen, og 1 vart sett til side: 1 var ein kopi av svar som alt var sende inn."


def test_geo_flags_are_told_apart_from_the_walking_and_cycling_flags() -> None:
    for lang, word in (("nn", "postnummer"), ("nb", "postnummer"), ("en", "postcode")):
        text = t("report.method.geo", lang, estimated="14", flagged="0")
        # the count is the postcode check only; long walking and cycling distances are a separate check
        assert text.count(word) >= 2 and ("sykle" in text or "cycling" in text)


def test_measures_lead_does_not_call_every_ranked_measure_recommended() -> None:
    for lang, word in (("nn", "tilrådde"), ("nb", "anbefalt"), ("en", "recommended")):
        assert word not in t("report.measures.more", lang, shown=10, n=45)
        both = t("report.measures.lead_counts", lang, ranked=45, recommended=44)
        assert "45" in both and "44" in both and word in both
