"""Guardrail commands: ``tenantflow guardrails eval``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.common import fail
from engine.cli.group import main

DEFAULT_CORPUS = Path("tests/data/guardrails/corpus.jsonl")


@main.group()
def guardrails() -> None:
    """Inspect and evaluate the guardrail detectors."""


@guardrails.command("eval")
@click.option("--corpus", type=click.Path(dir_okay=False, path_type=Path), default=str(DEFAULT_CORPUS),
              show_default=True, help="Labeled corpus, JSON lines (see tests/data/guardrails/build_corpus.py).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=0.5, show_default=True,
              help="Injection score from which a text counts as an attack.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@click.option("--misses", is_flag=True, help="Also list the ids of the cases each type missed or wrongly found.")
def evaluate_command(corpus: Path, threshold: float, as_json: bool, misses: bool) -> None:
    """Precision and recall of the PII, secret and injection detectors on a labeled corpus."""
    from engine.guardrails.evaluate import evaluate, load_corpus, render

    if not corpus.is_file():
        fail(f"error: no corpus at {corpus} (run from the repository root, or pass --corpus PATH)")
    try:
        cases = load_corpus(corpus)
    except (ValueError, KeyError) as error:
        fail(f"error: {error}")
    report = evaluate(cases, threshold=threshold)
    if as_json:
        data = report.to_json()
        if misses:
            data["misses"] = report.misses
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    click.echo(render(report))
    if misses:
        for key, ids in sorted(report.misses.items()):
            click.echo(f"{key}: {', '.join(ids)}")
