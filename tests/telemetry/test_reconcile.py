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


class Totals(dict[str, list[float]]):
    """Tokens in, tokens out and cost, per tenant."""

    def add(self, tenant: str, tokens_in: float, tokens_out: float, cost: float) -> None:
        found = self.setdefault(tenant, [0, 0, 0.0])
        found[0] += tokens_in
        found[1] += tokens_out
        found[2] += cost


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

    from_ledger, from_spans, run_spans, from_metrics = (Totals(), Totals(), Totals(), Totals())
    models: dict[str, set[str]] = defaultdict(set)
    for row in ledger.rows():
        from_ledger.add(row.tenant, row.input_tokens, row.output_tokens, row.cost_usd)
        models[row.tenant].add(row.model)
    assert models == {"alpha": {"small-v1"}, "beta": {"large-v1", "medium-v1", "small-v1"}}
    for prefix, totals in (("chat ", from_spans), ("invoke_agent ", run_spans)):
        for span in captured.spans(prefix):
            attrs = dict(span.attributes or {})
            totals.add(attrs["tenant.id"], attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"],
                       attrs["tenantflow.cost_usd"])
    for attrs, point in captured.points("gen_ai.client.token.usage"):
        is_input = attrs["gen_ai.token.type"] == "input"
        from_metrics.add(attrs["tenant.id"], point.sum if is_input else 0, 0 if is_input else point.sum, 0.0)
    for attrs, point in captured.points("tenantflow.cost"):
        from_metrics.add(attrs["tenant.id"], 0, 0, point.value)

    assert set(from_ledger) == {"alpha", "beta"}
    for tenant, (tokens_in, tokens_out, cost) in from_ledger.items():
        assert tokens_in > 0 and tokens_out > 0 and cost > 0
        for source in (from_spans, run_spans, from_metrics):
            assert source[tenant][:2] == [tokens_in, tokens_out], (tenant, source)  # to the token
            assert source[tenant][2] == pytest.approx(cost, abs=1e-9), (tenant, source)
    # Twelve runs, each its own ledger record and run span.
    assert len({r.run_id for r in ledger.rows()}) == len(captured.spans("invoke_agent ")) == 12
    await ledger.close()
