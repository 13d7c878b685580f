"""The labeled corpus, the acceptance numbers on it, and the command that prints them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.guardrails.evaluate import evaluate, load_corpus

DATA = Path(__file__).resolve().parent.parent / "data" / "guardrails"
CORPUS = DATA / "corpus.jsonl"


@pytest.fixture(scope="module")
def cases() -> list[dict[str, object]]:
    return load_corpus(CORPUS)


def test_the_corpus_is_large_and_varied(cases: list[dict[str, object]]) -> None:
    kinds = [case["kind"] for case in cases]
    assert len(cases) >= 400
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {"pii": 260, "secret": 50, "injection": 136,
                                                                "benign": 145}
    meta = json.loads(CORPUS.read_text(encoding="utf-8").splitlines()[0])
    assert len(meta["locales"]) >= 5


def test_acceptance_numbers(cases: list[dict[str, object]]) -> None:
    report = evaluate(cases)
    pii, secret, injection = (report.categories[c] for c in ("pii", "secret", "injection"))
    assert pii.recall >= 0.98 and pii.precision >= 0.95
    assert secret.recall >= 0.95 and secret.precision >= 0.95
    assert injection.recall >= 0.90
    assert report.benign_false_positive_rate <= 0.05


def test_the_eval_command_prints_precision_and_recall() -> None:
    result = CliRunner().invoke(main, ["guardrails", "eval", "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "591 cases; injection threshold 0.5"
    assert lines[2].split() == ["category", "/", "type", "tp", "fp", "fn", "precision", "recall"]
    assert any(line.startswith("injection ") for line in lines)
    assert "benign cases flagged as injection:" in result.output
    data = json.loads(CliRunner().invoke(main, ["guardrails", "eval", "--corpus", str(CORPUS), "--json"]).output)
    assert set(data["categories"]) == {"pii", "secret", "injection"}
    assert data["types"]["iban"]["recall"] >= 0.95


def test_the_eval_command_explains_a_missing_or_bad_corpus(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["guardrails", "eval", "--corpus", str(tmp_path / "none.jsonl")])
    assert (missing.exit_code, missing.output.strip()) == (
        1, f"error: no corpus at {tmp_path / 'none.jsonl'} (run from the repository root, or pass --corpus PATH)")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "pii", "text": "ok", "labels": []}\n{oops\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["guardrails", "eval", "--corpus", str(bad)])
    assert (result.exit_code, result.output.strip()) == (
        1, f"error: {bad}:2: not a JSON object (Expecting property name enclosed in double quotes)")


def test_the_corpus_is_what_the_builder_makes() -> None:
    faker = pytest.importorskip("faker")
    meta = json.loads(CORPUS.read_text(encoding="utf-8").splitlines()[0])
    if meta["faker"] != faker.VERSION:
        pytest.skip(f"corpus built with Faker {meta['faker']}, {faker.VERSION} installed: its output may differ")
    check = subprocess.run([sys.executable, str(DATA / "build_corpus.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
