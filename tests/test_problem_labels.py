"""Every problem code the import and geo stages can write to quality.csv has a label in all languages."""

from __future__ import annotations

import re
from pathlib import Path

from grontur.i18n import has

SOURCES = ("clean.py", "importing.py", "geo.py", "privacy.py", "mapping.py")
PREFIXES = ("report.problem", "geo.problem", "import.problem", "clean.problem")


def emitted_codes() -> set[str]:
    root = Path(__file__).resolve().parents[1] / "grontur"
    codes: set[str] = set()
    for name in SOURCES:
        text = (root / name).read_text(encoding="utf-8")
        for line in text.splitlines():
            if "_issue" in line:
                codes |= set(re.findall(r'"([a-z0-9_]+)",\s*"[a-z0-9_]+"\)', line))
        codes |= set(re.findall(r'"problem":\s*"([a-z0-9_]+)"', text))
        codes |= set(re.findall(r'problem="([a-z0-9_]+)"', text))
    return codes


def test_codes_are_found():
    assert {"unknown_answer", "distance_over_300km", "identifier_in_answer"} <= emitted_codes()


def test_every_problem_code_has_a_label():
    missing = sorted(code for code in emitted_codes() if not any(has(f"{p}.{code}") for p in PREFIXES))
    assert not missing, f"add labels for these problem codes to grontur/locale/report.yaml: {missing}"
