"""A tenant's own pattern runs only on strings holding what every one of its matches starts with."""

from __future__ import annotations

import json
import re

import pytest

from engine.guardrails.literals import required_prefixes
from engine.guardrails.pii import PiiDetector
from tests.conftest import REPO

ACME_MRN = r"\b(?:MRN-\d{7}|AH\d{7})\b"


@pytest.mark.parametrize(("pattern", "prefixes"), [
    (ACME_MRN, ("AH", "MRN-")),
    (r"MRN\d+", ("MRN",)),
    (r"(MRN|PT)-\d+", ("MRN", "PT")),
    (r"^\bH(?:AB|CD)", ("H",)),
    # No gate where a match may start with anything, or where case folding decides.
    (r"\d{7}", None),
    (r"(?:AB|CD)?X", None),
    (r"A|\d", None),
    (r"(?i)\bmrn-\d+", None),
    (r"(?i:ab)c", None),
])
def test_the_prefixes_every_match_starts_with(pattern: str, prefixes: tuple[str, ...] | None) -> None:
    assert required_prefixes(re.compile(pattern)) == prefixes


def corpus_texts() -> list[str]:
    lines = (REPO / "tests" / "data" / "guardrails" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    return [case["text"] for case in cases if "text" in case]  # the first line describes the corpus


@pytest.mark.parametrize("pattern", [ACME_MRN, r"(MRN|PT)-\d{4,}", r"\bH(?:AB|CD)\d+"])
def test_the_gate_changes_no_finding(pattern: str) -> None:
    gated = PiiDetector(["medical_record_number"], mrn_pattern=pattern)
    ungated = PiiDetector(["medical_record_number"], mrn_pattern=pattern)
    ungated._mrn_gate = None
    texts = [*corpus_texts(), "Patient AH1234567 was seen", "see MRN-7654321.", "PT-12345 and HAB99, HCD1",
             "mrn-1234567 (lower case: no match)", "AH123456 (six digits)", "xAH1234567 (no boundary)"]
    found = 0
    for text in texts:
        expected = ungated.scan(text)
        assert gated.scan(text) == expected, text
        found += len(expected)
    assert found >= 3  # the crafted texts hold matches: the comparison is not of empty lists only
