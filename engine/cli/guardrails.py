"""Guardrail commands: ``tenantflow guardrails eval``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.common import fail
from engine.cli.group import main

_DATA = Path("tests/data/guardrails")
#: The independent corpus (tests/data/guardrails/build_independent.py): development and held-out splits.
DEFAULT_CORPORA = (_DATA / "independent-dev.jsonl", _DATA / "independent-heldout.jsonl")


@main.group()
def guardrails() -> None:
    """Inspect and evaluate the guardrail detectors."""


@guardrails.command("eval")
@click.option("--corpus", "corpora", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              default=[str(path) for path in DEFAULT_CORPORA], show_default=True,
              help="Labeled corpus, JSON lines; repeat for side-by-side columns (default: the independent "
                   "corpus's development and held-out splits, see tests/data/guardrails/build_independent.py).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=0.5, show_default=True,
              help="Injection score from which a text counts as an attack.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
@click.option("--misses", is_flag=True, help="Also list the ids of the cases each type missed or wrongly found.")
def evaluate_command(corpora: tuple[Path, ...], threshold: float, as_json: bool, misses: bool) -> None:
    """Precision and recall of the PII, secret and injection detectors, per type, on labeled corpora."""
    from engine.guardrails.evaluate import evaluate, load_corpus, render, render_splits

    reports = {}
    for corpus in corpora:
        if not corpus.is_file():
            fail(f"error: no corpus at {corpus} (run from the repository root, or pass --corpus PATH)")
        try:
            cases = load_corpus(corpus)
        except (ValueError, KeyError) as error:
            fail(f"error: {error}")
        name = corpus.stem.removeprefix("independent-")
        reports[name if name not in reports else str(corpus)] = evaluate(cases, threshold=threshold)
    if as_json:
        data = {name: report.to_json() | ({"misses": report.misses} if misses else {})
                for name, report in reports.items()}
        click.echo(json.dumps(data if len(reports) > 1 else next(iter(data.values())), indent=2, sort_keys=True))
        return
    click.echo(render(next(iter(reports.values()))) if len(reports) == 1 else render_splits(reports))
    if misses:
        for name, report in reports.items():
            for key, ids in sorted(report.misses.items()):
                click.echo(f"{name} {key}: {', '.join(ids)}" if len(reports) > 1 else f"{key}: {', '.join(ids)}")
