"""Ledger = spans = metrics: tokens and cost per tenant agree to the token, for two tenants and three models."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.project import load_project
from engine.telemetry.ledger import SqliteLedger
from tests.telemetry import project
from tests.telemetry.support import Captured, captured

__all__ = ["captured"]


async def test_ledger_spans_and_metrics_agree_per_tenant(make_project, captured: Captured, tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "usage.sqlite")
    engine = Engine(load_project(project.make(make_project)), ledger=ledger)
    texts = ["where is my refund", "reset my password please", "invoice 7 is wrong", "hello"]
    for i, text in enumerate(texts):
        await engine.run("obs", engine.dev_context("alpha", f"a{i}", f"s{i}"), {"text": text})  # small, small
        await engine.run("obs", engine.dev_context("beta", f"b{i}", f"s{i}"), {"text": text * (i + 1)})  # large, small
        await engine.run("obs_medium", engine.dev_context("beta", f"b{i}", f"m{i}"), {"text": text})  # medium
    await ledger.close()
    ledger = SqliteLedger(tmp_path / "usage.sqlite")

    from_ledger: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    models: dict[str, set[str]] = defaultdict(set)
    for row in ledger.rows():
        found = from_ledger[row.tenant]
        found[0] += row.input_tokens
        found[1] += row.output_tokens
        found[2] += row.cost_usd
        models[row.tenant].add(row.model)
    assert models == {"alpha": {"small-v1"}, "beta": {"large-v1", "medium-v1", "small-v1"}}

    from_spans: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for span in captured.spans("chat "):
        attrs = dict(span.attributes or {})
        found = from_spans[attrs["tenant.id"]]
        found[0] += attrs["gen_ai.usage.input_tokens"]
        found[1] += attrs["gen_ai.usage.output_tokens"]
        found[2] += attrs["tenantflow.cost_usd"]
    run_spans: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for span in captured.spans("invoke_agent "):
        attrs = dict(span.attributes or {})
        found = run_spans[attrs["tenant.id"]]
        found[0] += attrs["gen_ai.usage.input_tokens"]
        found[1] += attrs["gen_ai.usage.output_tokens"]
        found[2] += attrs["tenantflow.cost_usd"]

    from_metrics: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for attrs, point in captured.points("gen_ai.client.token.usage"):
        from_metrics[attrs["tenant.id"]][0 if attrs["gen_ai.token.type"] == "input" else 1] += point.sum
    for attrs, point in captured.points("tenantflow.cost"):
        from_metrics[attrs["tenant.id"]][2] += point.value

    assert set(from_ledger) == {"alpha", "beta"}
    for tenant, (tokens_in, tokens_out, cost) in from_ledger.items():
        assert tokens_in > 0 and tokens_out > 0 and cost > 0
        for source in (from_spans, run_spans, from_metrics):
            assert source[tenant][:2] == [tokens_in, tokens_out], (tenant, source)  # to the token
            assert source[tenant][2] == pytest.approx(cost, abs=1e-9), (tenant, source)
    # Twelve runs, each its own ledger record and run span.
    assert len({r.run_id for r in ledger.rows()}) == len(captured.spans("invoke_agent ")) == 12
    await ledger.close()
