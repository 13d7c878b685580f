"""Monthly cost budgets: tier defaults, tenant overrides, refused before the model call, a warning before that,
shared across replicas through Redis, 429 at the server and a clear message in the CLI."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.engine import Engine
from engine.project import load_project
from engine.runtime.config import RuntimeConfig
from engine.spec.project import Quotas
from engine.usage import BudgetExceeded, Limits
from engine.usage.redis import RedisMeter
from tests.conftest import tenant_yaml
from tests.runtime.support import (
    REDIS_URL,
    SESSION,
    Tokens,
    captured_logs,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    running,
    write_project,
)
from tests.telemetry import project
from tests.telemetry.support import Captured, captured

__all__ = ["captured"]

# One run of `obs` for a basic tenant costs about $0.00008 (two calls to small-v1): a tier default of
# $0.0001 is spent by the second run, so the third is refused.
TIERS = ("basic: {model: small}", "basic: {model: small, quotas: {cost_per_month_usd: 0.0001, "
                                  "budget_warning_at: 0.5}}")


def _engine(make_project) -> Engine:  # type: ignore[no-untyped-def]
    root = project.make(make_project, {
        "alpha": tenant_yaml("alpha", "basic", project.TOOLS),  # the tier's default budget
        "gamma": tenant_yaml("gamma", "basic", project.TOOLS + "quotas: {cost_per_month_usd: 5}\n"),  # its own
        "beta": tenant_yaml("beta", "premium", project.TOOLS),  # no budget at all
    })
    yaml = root / "tenantflow.yaml"
    yaml.write_text(yaml.read_text().replace(*TIERS))
    return Engine(load_project(root))


async def test_a_spent_budget_refuses_the_next_model_call_and_no_one_elses(make_project, captured: Captured) -> None:
    engine = _engine(make_project)
    assert engine.settings("alpha").quotas.cost_per_month_usd == 0.0001
    assert engine.settings("gamma").quotas.cost_per_month_usd == 5
    alpha = engine.dev_context("alpha", "u1", "s1")
    with captured_logs() as logs:
        while engine.quotas.cost_this_month("alpha") < 0.0001:
            await engine.run("obs", alpha, {"text": "hi"})
        calls = len(captured.spans("chat "))
        with pytest.raises(BudgetExceeded) as refused:
            await engine.run("obs", alpha, {"text": "hi"})
    assert len(captured.spans("chat ")) == calls  # refused before the model was called
    spent = engine.quotas.cost_this_month("alpha")
    assert str(refused.value) == (
        f"tenant 'alpha' has used its monthly model budget: ${spent:.6f}".rstrip("0") + " spent of $0.0001 this "
        "month (UTC); no model call runs until the month ends or quotas.cost_per_month_usd is raised")
    assert [r["tenant_id"] for r in logs.records("budget.warning")] == ["alpha"]  # once, at half the budget
    assert [r["tenant_id"] for r in logs.records("budget.exceeded")] == ["alpha"]
    refusals = {(a["tenant.id"], a["tenantflow.limit"]): p.value for a, p in captured.points("tenantflow.quota.refusals")}
    assert refusals == {("alpha", "cost_per_month"): 1}
    [run] = [s for s in captured.spans("invoke_agent") if dict(s.attributes or {}).get("tenantflow.outcome") == "refused"]
    assert dict(run.attributes or {})["tenant.id"] == "alpha"
    # Another tenant of the same tier, and one of another tier, are not touched by alpha's spend.
    for other in ("gamma", "beta"):
        result = await engine.run("obs", engine.dev_context(other, "u1", "s1"), {"text": "hi"})
        assert result.output["reply"]


def test_the_monthly_budget_is_checked_at_admission_too() -> None:
    from engine.usage import LocalMeter

    meter = LocalMeter()
    limits = Limits.from_quotas(Quotas(cost_per_month_usd=1.0))
    meter.record_cost("acme", 1.25)
    with pytest.raises(BudgetExceeded, match=r"\$1\.25 spent of \$1\.00 this month"):
        asyncio.run(meter.enter("acme", limits))
    asyncio.run(meter.enter("globex", limits))  # another tenant's spend is its own


async def test_two_replicas_share_a_tenants_month_spend_through_redis() -> None:
    await redis_or_skip()
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    first, second = RedisMeter.from_url(REDIS_URL, prefix=prefix), RedisMeter.from_url(REDIS_URL, prefix=prefix)
    limits = Limits.from_quotas(Quotas(cost_per_month_usd=0.5, requests_per_minute=600))
    try:
        lease = await first.enter("acme", limits)
        first.record_cost("acme", 0.375)
        first.record_cost("acme", 0.125)
        await first.leave(lease)  # the slot given back adds the spend to Redis
        with pytest.raises(BudgetExceeded) as refused:
            await second.enter("acme", limits)
        assert (refused.value.spent_usd, refused.value.budget_usd) == (0.5, 0.5)
        assert second.cost_this_month("acme") == 0.5  # the admission told the other replica
        await second.leave(await second.enter("globex", limits))
        await second.sync()
        assert second.cost_this_month("globex") == 0.0
    finally:
        await first.close()
        await second.close()
        await delete_redis_keys(prefix)


def test_the_server_answers_429_with_a_clear_body_on_either_replica(tmp_path: Path) -> None:
    asyncio.run(redis_or_skip())
    with dev_secret():
        root = write_project(tmp_path / "proj", tenants={
            "alpha": tenant_yaml("alpha", "basic", "quotas: {requests_per_minute: 6000, cost_per_month_usd: 0.00001}\n"),
            "beta": tenant_yaml("beta", "basic", "quotas: {requests_per_minute: 6000}\n")})
        tokens = Tokens(root)
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    config = RuntimeConfig(root=root, watch_interval_s=0, redis_url=REDIS_URL, redis_prefix=prefix)
    body = json.dumps({"workflow": "hello", "input": {"text": "hi"}})

    def invoke(url: str, tenant: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens(tenant)}", SESSION: "s-1"}
        return httpx.post(f"{url}/invocations", content=body, headers=headers, timeout=30)

    try:
        with dev_secret(), running(config) as first, running(config) as second:
            assert invoke(first, "alpha").status_code == 200  # spends more than its $0.00001
            refused = invoke(second, "alpha")
            neighbour = invoke(second, "beta")
    finally:
        asyncio.run(delete_redis_keys(prefix))
    assert refused.status_code == 429 and neighbour.status_code == 200
    found = refused.json()
    assert (found["error"], found["code"], found["budget_usd"]) == ("Monthly budget exhausted", "budget", 0.00001)
    assert found["spent_usd"] > 0.00001 and found["details"].startswith("tenant 'alpha' has used its monthly")
    assert int(refused.headers["retry-after"]) == found["retry_after_s"] >= 1


def test_the_cli_refuses_with_a_clear_message_across_invocations(make_project) -> None:  # type: ignore[no-untyped-def]
    root = _engine(make_project).root
    yaml = root / "tenantflow.yaml"
    yaml.write_text(yaml.read_text().replace("stores: {checkpointer: memory, store: memory}",
                                             "stores: {checkpointer: sqlite, store: sqlite}"))
    args = ["run", "obs", "--tenant", "alpha", "--input", '{"text": "hi"}', "-p", str(root)]
    outcomes = [CliRunner().invoke(main, args) for _ in range(3)]
    # Each invocation is a new engine: it starts from the ledger's spend this month.
    assert [o.exit_code for o in outcomes] == [0, 0, 1], [o.output for o in outcomes]
    assert outcomes[2].stderr.startswith("error: tenant 'alpha' has used its monthly model budget: $0.000")
    assert "Traceback" not in outcomes[2].output
