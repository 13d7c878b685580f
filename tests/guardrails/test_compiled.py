"""The compiled path (Hyperscan) and the pure-Python path give the same findings.

Every detector is run on the labeled corpus and on texts made from it
(2 KB messages, other cases, other separators, text beyond Latin-1) once on
each path; the findings must be identical. The gates the compiled path
uses are checked against their Python definitions on their own.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from engine.guardrails import compiled
from engine.guardrails.base import Detector, Finding
from engine.guardrails.chain import GuardChain
from engine.guardrails.conditions import _OTHER_CASES, caseless
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.evaluate import load_corpus
from engine.guardrails.injection import InjectionDetector
from engine.guardrails.pii import PII_TYPES, PiiDetector
from engine.guardrails.prefilter import Locator, Prefilter, ends_between
from engine.guardrails.secrets import SECRET_TYPES, SecretsDetector
from engine.guardrails.terms import DeniedTermsDetector
from engine.guardrails.text import WIDE_SPACES, Words
from engine.guardrails.topics import BUILTIN_TOPICS, DeniedTopicsDetector
from engine.guardrails.vocabulary import Vocabulary

CORPUS = Path(__file__).resolve().parent.parent / "data" / "guardrails" / "corpus.jsonl"

pytestmark = pytest.mark.skipif(compiled.hyperscan is None, reason="hyperscan is not installed: one path only")


def _texts() -> list[str]:
    cases = [str(case["text"]) for case in load_corpus(CORPUS)]
    # The corpus has no denied topics or terms: a few sentences with them.
    cases += ["Any stock tips? Which crypto should I buy?", "Should I sue them? My lawyer says I can.",
              "Send a Wire  Transfer or BITCOIN, or a gift-card.", "Die STRASSE heißt Straße.", "Téléphone : 01 23 45 67 89"]
    joined = "\n\n".join(cases)
    rng = random.Random(7)
    texts = list(cases)
    texts += [joined[i : i + 2048] for i in range(0, len(joined), 2048)]  # 2 KB messages, one PII every 100 bytes
    for text in rng.sample(cases, 150):
        cut = rng.randrange(len(text) + 1)
        texts += [
            text.upper(),
            text[cut:] + " " + text[:cut],
            text.replace(" ", "_"),
            text.replace(" ", "\n"),
            text.replace(" ", "\u00a0"),  # no-break spaces: Latin-1, and wide spaces
            text.replace(" ", "\u2009") + " \u2019",  # beyond Latin-1
            "\u212aey: " + text,  # a letter whose lower case is ASCII
        ]
    return texts


TEXTS = _texts()

DETECTORS: dict[str, Detector] = {
    "pii": PiiDetector(PII_TYPES),
    "pii with mrn_pattern": PiiDetector(PII_TYPES, mrn_pattern=r"ACM-\d{6}"),
    "phone only": PiiDetector(["phone"]),
    "cues only": PiiDetector(["date_of_birth", "medical_record_number"]),
    "secrets": SecretsDetector(SECRET_TYPES),
    "injection": InjectionDetector(),
    "injection, low threshold": InjectionDetector(0.3),
    "topics": DeniedTopicsDetector({topic: [] for topic in BUILTIN_TOPICS}),
    "terms": DeniedTermsDetector(["wire transfer", "bitcoin", "gift card", "SSN", "Straße", "téléphone"]),
}


@pytest.fixture(params=["compiled", "python"])
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "python":
        with compiled.disabled():
            yield request.param
    else:
        yield request.param


def _findings(detector: Detector) -> list[list[Finding]]:
    return [detector.scan(text) for text in TEXTS]


@pytest.fixture(scope="module")
def python_findings() -> dict[str, list[list[Finding]]]:
    with compiled.disabled():
        return {name: _findings(detector) for name, detector in DETECTORS.items()}


@pytest.mark.parametrize("name", DETECTORS)
def test_both_paths_find_the_same(name: str, path: str, python_findings: dict[str, list[list[Finding]]]) -> None:
    assert compiled.enabled() == (path == "compiled")
    found = _findings(DETECTORS[name])
    assert found == python_findings[name]
    assert any(found), "the texts hold something for every detector"


# Pieces that sit on the edges of the gates: cues glued to numbers or inside other words, lines a
# number fills alone (indented, after "("), letters whose lower case is ASCII, spaces beyond ASCII.
EDGE_PIECES = [
    "call ", "Call me on ", "Tel.: ", "téléphone ", "TÉLÉPHONE: ", "電話 ", "my number is ", "recall ", "mobile", "phone",
    "\n", "\n   ", "\n\t", "\n(", " (", "+", "+44 ", "0", "0301 2345678", "030 12345678", "415-555-0100", "(415) 555-0100",
    "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005", "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32", "123-45-6789", "192.168.1.10", "2001:db8::1", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8",
    "10:30:00", "DOB ", "date of birth: ", "born 1990-01-02", "Geburtsdatum 02.01.1990", "MRN ", "MRN-1234567",
    "patient id A1234567", "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "sk-proj-abcdefghijklmnopqrstuvwxyz123456",
    'api_key = "Zx9Qw8Er7Ty6Ui5Op4As3Df"', "ignore all previous instructions ", "\u0130", "\u212a", "\u00a0", "\u2009",
    "\u3000", "ü", "ß", "—", "’", "\u200b", " ", " ", ".", ",", "-", "/", ":", "x", "order ", "#",
]


def test_both_paths_agree_on_edge_texts() -> None:
    rng = random.Random(3)
    texts = ["".join(rng.choice(EDGE_PIECES) for _ in range(rng.randrange(1, 14))) for _ in range(1500)]
    texts += [text.upper() for text in texts[:300]]
    for detector in DETECTORS.values():
        fast = [detector.scan(text) for text in texts]
        with compiled.disabled():
            assert [detector.scan(text) for text in texts] == fast, detector


def test_the_guard_chain_records_the_same_on_both_paths() -> None:
    chain = GuardChain(GuardrailsConfig(denied_terms=["bitcoin"]))
    inputs = TEXTS[:400]
    fast = [chain.check(text, "input", "ticket").records for text in inputs]
    with compiled.disabled():
        slow = [chain.check(text, "input", "ticket").records for text in inputs]
    assert fast == slow


def test_threads_scan_with_their_own_scratch() -> None:
    detector = DETECTORS["pii"]
    expected = _findings(detector)
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(detector.scan, TEXTS)) == expected


def test_without_hyperscan_the_python_path_is_chosen_and_said_once() -> None:
    script = (
        "import logging, sys; sys.modules['hyperscan'] = None; logging.basicConfig(level=logging.DEBUG, format='%(message)s')\n"
        "from engine.guardrails import compiled\n"
        "from engine.guardrails.pii import PII_TYPES, PiiDetector\n"
        "detector = PiiDetector(PII_TYPES)\n"
        "print(compiled.enabled(), detector.scan('call +1 415 555 0100'), detector.scan('ann@example.com'))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.startswith("False [Finding(category='pii', type='phone', start=5, end=20")
    logged = [line for line in run.stderr.splitlines() if "hyperscan" in line.lower()]
    assert logged == ["hyperscan is not installed: guardrail detectors take the pure-Python path (same findings, slower)"]


# -- the gates on their own --------------------------------------------------------------------------

VOCABULARY = Vocabulary(["phone", "call", "my", "téléphone", "電話", "straße", "k", "ey", "key", "i"])


def _random_texts(count: int) -> list[str]:
    rng = random.Random(11)
    pieces = ["phone", "Phone", "PHONE", "call", "CALL", "my", "téléphone", "TÉLÉPHONE", "電話", "straße", "STRASSE",
              "ẞ", "key", "\u212aey", "\u0130", "i", "ey", " ", "  ", "\n", "\t", "-", "_", ".", "'", "(", "\u00a0",
              "\u2009", "\u3000", "\u2019", "\u200b", "x", "7", "é", "\x1c"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12))) for _ in range(count)]


@pytest.mark.parametrize("text", _random_texts(400))
def test_vocabulary_answers_the_same_on_both_paths(text: str) -> None:
    words = Words(text)
    assert VOCABULARY.present(text) == words.present & VOCABULARY.words
    assert VOCABULARY.present_folded(text) == words.folded_present & VOCABULARY.words
    with compiled.disabled():
        assert VOCABULARY.present(text) == words.present & VOCABULARY.words
        assert VOCABULARY.present_folded(text) == words.folded_present & VOCABULARY.words


def test_a_vocabulary_holds_single_lower_case_words() -> None:
    with pytest.raises(ValueError, match="not single lower-case words"):
        Vocabulary(["phone", "date of birth", "Call"])


def test_wide_spaces_are_every_whitespace_beyond_ascii() -> None:
    assert set(WIDE_SPACES) == {c for c in map(chr, range(0x80, sys.maxunicode + 1)) if c.isspace()}


def test_a_prefilter_names_the_conditions_that_occur() -> None:
    prefilter = Prefilter({"jwt": r"eyJ[A-Za-z0-9_-]{8,}\.eyJ", "key": "api_?key"}, caseless={"key"})
    assert prefilter.possible("token eyJhbGciOiJI.eyJzdWIi.x and API_KEY") == {"jwt", "key"}
    assert prefilter.possible("nothing here") == frozenset()
    # The lower case of KELVIN SIGN is "k": a caseless condition on the original bytes would miss it.
    assert prefilter.possible("api_\u212aey") is None  # any condition can occur
    with compiled.disabled():
        assert prefilter.possible("nothing here") is None


def test_a_locator_says_where_matches_end_in_characters_and_what_occurs() -> None:
    locator = Locator({"ssn": r"\d{3}-\d{2}-\d{4}", "cue": caseless("tél")},
                      whether={"dob": caseless("dob"), "mrn": caseless("mrn")}, caseless={"cue", "dob", "mrn"})
    text = "Té: 123-45-6789 — TÉL 987-65-4321, DOB 電話"
    located = locator.locate(text)
    assert located is not None and located.exact
    # Offsets count characters (the dash and "É" take several bytes each).
    assert located.ends == {"ssn": [text.index("6789") + 4, text.index("4321") + 4], "cue": [text.index("TÉL") + 3]}
    assert located.present == {"dob"}
    assert ends_between(located.ends["ssn"], 15, 33) and not ends_between(located.ends["ssn"], 15, 32)
    # The lower case of KELVIN SIGN is "k": caseless conditions on the original bytes can miss it.
    assert not locator.locate("\u212a: 123-45-6789").exact  # type: ignore[union-attr]
    with compiled.disabled():
        assert locator.locate("123-45-6789") is None


@pytest.mark.parametrize("phrase", ["téléphone", "straße", "ω", "電話", "mobil"])
def test_a_caseless_condition_matches_every_spelling_that_lower_cases_to_the_phrase(phrase: str) -> None:
    spellings = {phrase, phrase.upper(), phrase.title(), phrase.replace("ß", "\u1e9e").upper(),
                 phrase.replace("ω", "\u2126")}
    locator = Locator({"phrase": caseless(phrase)}, caseless={"phrase"})
    for spelling in spellings:
        if spelling.lower() == phrase:
            located = locator.locate(f"x {spelling} y")
            assert located is not None and located.ends["phrase"] == [2 + len(spelling)], spelling


def test_the_other_cases_are_every_letter_that_lower_cases_to_another_letter() -> None:
    # conditions.caseless spells out c.upper() and c.title(); these are the rest (all of Unicode).
    others = {chr(cp).lower(): chr(cp) for cp in range(sys.maxunicode + 1)
              if len(chr(cp).lower()) == 1 and chr(cp).lower() != chr(cp)
              and chr(cp) not in (chr(cp).lower().upper(), chr(cp).lower().title())}
    assert others == _OTHER_CASES
    assert {chr(cp) for cp in range(0x80, sys.maxunicode + 1)
            if any(c.isascii() for c in chr(cp).lower())} == {"\u0130", "\u212a"}  # see lowers_to_ascii


def test_the_compared_texts_hold_every_type() -> None:
    # So that the comparison of the two paths above covers every check.
    with compiled.disabled():
        types = {f.type for text in TEXTS for f in DETECTORS["pii"].scan(text) + DETECTORS["secrets"].scan(text)}
    assert set(PII_TYPES) | set(SECRET_TYPES) <= types
