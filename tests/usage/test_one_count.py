"""One count per tenant: what the request limiter admits on is what Cedar policies read as ``context.quota``.

Each test runs on both meters: in process (one meter, as one worker has)
and through Redis (two meters on one Redis, as two workers have; the Redis
at 127.0.0.1:6379, skipped when it cannot be reached unless
TENANTFLOW_REQUIRE_SERVICES=1). Requests go as the runtime sends them:
admitted by the meter, run by an engine recording into that meter, then
given back. Two tenants, delta and echo, have the same small limits: what
one uses is never the other's to use up, nor to see.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine, RunResult
from engine.policy.authorizer import AccessDenied
from engine.project import load_project
from engine.usage.local import LocalMeter
from engine.usage.meter import Limits, Meter, OverLimit
from engine.usage.redis import RedisMeter
from tests.conftest import tenant_yaml
from tests.policy.test_policies import ALL_TOOLS, _files
from tests.runtime.support import REDIS_URL, delete_redis_keys, redis_or_skip

QUOTAS = "quotas: {requests_per_minute: 600, concurrency: 1, tokens_per_day: 5}\n"
TENANTS = {tenant: tenant_yaml(tenant, "basic", ALL_TOOLS % "[]" + QUOTAS) for tenant in ("delta", "echo")}


@dataclass
class Workers:
    """Two workers of one runtime: each an engine and the meter it records into and admits through."""

    one: Engine
    two: Engine

    async def exchange(self) -> None:
        """What each worker recorded reaches the other (in process there is nothing to exchange)."""
        for _ in range(2):
            for engine in (self.one, self.two):
                if isinstance(engine.quotas, RedisMeter):
                    await engine.quotas.sync()


def meter_of(engine: Engine) -> Meter:
    meter = engine.quotas
    assert isinstance(meter, Meter)
    return meter


def limits(engine: Engine, tenant: str) -> Limits:
    return Limits.from_quotas(engine.settings(tenant).quotas)


def quota(engine: Engine, tenant: str) -> dict[str, int]:
    """What the policies of ``tenant``'s next decision on this worker read as ``context.quota``."""
    return engine.authorizer.usage.snapshot(tenant, engine.settings(tenant).quotas)


async def request(engine: Engine, workflow: str, tenant: str, payload: dict[str, Any]) -> RunResult:
    """One request as the runtime serves it: admitted, run, its slot given back."""
    meter = meter_of(engine)
    lease = await meter.enter(tenant, limits(engine, tenant))
    try:
        return await engine.run(workflow, engine.dev_context(tenant, "u1", "s1"), payload)
    finally:
        await meter.leave(lease)


@pytest.fixture(params=["local", "redis"])
async def workers(request: pytest.FixtureRequest, make_project: Any) -> AsyncIterator[Workers]:
    root: Path = make_project(_files(), tenants=TENANTS)
    if request.param == "local":
        meter = LocalMeter()
        yield Workers(Engine(load_project(root), quotas=meter), Engine(load_project(root), quotas=meter))
        return
    await redis_or_skip()
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    one, two = RedisMeter.from_url(REDIS_URL, prefix=prefix), RedisMeter.from_url(REDIS_URL, prefix=prefix)
    try:
        yield Workers(Engine(load_project(root), quotas=one), Engine(load_project(root), quotas=two))
    finally:
        await one.close()
        await two.close()
        await delete_redis_keys(prefix)


async def test_a_runs_tokens_close_the_tenants_day_for_the_limiter_and_its_policies_alike(workers: Workers) -> None:
    result = await request(workers.one, "hello", "delta", {"text": "hi"})
    spent = sum(u["input_tokens"] + u["output_tokens"] for u in result.usage)
    assert spent > 5  # over delta's budget, recorded once: by the engine, when the run ended
    # The limiter of the other worker refuses delta at once, on that count ...
    with pytest.raises(OverLimit) as refused:
        await meter_of(workers.two).enter("delta", limits(workers.two, "delta"))
    assert refused.value.reason == "tokens_per_day"
    # ... and delta's policies on that worker read the same count: the token budget forbids its tool calls.
    assert quota(workers.two, "delta")["tokens_today"] == spent
    with pytest.raises(AccessDenied) as denied:
        await workers.two.run("read", workers.two.dev_context("delta", "u1", "s1"), {})
    assert denied.value.reasons == ("policies/platform.cedar:17",)
    # echo, with the same limits, neither pays for delta's tokens nor sees them.
    assert (await request(workers.two, "read", "echo", {})).steps["call"] == {"key": "k1"}
    await workers.exchange()
    for engine in (workers.one, workers.two):
        assert quota(engine, "delta") == {"requests_last_minute": 2, "tool_calls_last_minute": 0,
                                          "tokens_today": spent, "requests_per_minute": 600, "tokens_per_day": 5,
                                          "concurrency": 1}
    assert quota(workers.two, "echo") == {"requests_last_minute": 1, "tool_calls_last_minute": 1, "tokens_today": 0,
                                          "requests_per_minute": 600, "tokens_per_day": 5, "concurrency": 1}


async def test_tokens_recorded_through_one_worker_are_the_limiters_and_the_policies_on_the_other(
        workers: Workers) -> None:
    one, two = meter_of(workers.one), meter_of(workers.two)
    lease = await one.enter("delta", limits(workers.one, "delta"))
    one.record_tokens("delta", 4)
    await one.leave(lease)
    # Under the budget: admitted, and the tool call its policy decides is permitted (4 < 5).
    assert (await request(workers.two, "read", "delta", {})).steps["call"] == {"key": "k1"}
    assert quota(workers.two, "delta")["tokens_today"] == 4
    lease = await two.enter("delta", limits(workers.two, "delta"))
    two.record_tokens("delta", 1)
    await two.leave(lease)
    assert quota(workers.two, "delta")["tokens_today"] == 5
    with pytest.raises(AccessDenied):
        await workers.two.run("read", workers.two.dev_context("delta", "u1", "s1"), {})
    for meter in (one, two):
        with pytest.raises(OverLimit, match="tokens_per_day"):
            await meter.enter("delta", limits(workers.one, "delta"))
        await meter.leave(await meter.enter("echo", limits(workers.one, "echo")))
    assert quota(workers.one, "echo")["tokens_today"] == quota(workers.two, "echo")["tokens_today"] == 0


async def test_one_tenants_slots_are_not_anothers(workers: Workers) -> None:
    one, two = meter_of(workers.one), meter_of(workers.two)
    held = await one.enter("delta", limits(workers.one, "delta"))  # delta's one concurrency slot
    with pytest.raises(OverLimit, match="concurrency"):
        await two.enter("delta", limits(workers.two, "delta"))
    echo = await two.enter("echo", limits(workers.two, "echo"))  # echo's own slot is free
    await two.leave(echo)
    await one.leave(held)
    await two.leave(await two.enter("delta", limits(workers.two, "delta")))
