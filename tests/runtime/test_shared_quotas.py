"""The quota counts Cedar policies see (``context.quota``), shared by workers and replicas through Redis.

Two :class:`RedisQuotaUsage` on one Redis stand for two worker processes;
their clock is the test's. Then the runtime started with ``--redis`` counts
there too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis import asyncio as aioredis

from engine.engine import Engine
from engine.policy.authorizer import AccessDenied
from engine.policy.quotas import DAY_S
from engine.project import load_project
from engine.runtime.config import RuntimeConfig
from engine.runtime.redis_quotas import RedisQuotaUsage
from engine.spec.project import Quotas
from tests.policy.test_policies import TENANTS, _files, _run
from tests.runtime.support import (
    REDIS_URL,
    SESSION,
    Tokens,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    serving,
    write_project,
)

NO_LIMITS = Quotas()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def counts(usage: RedisQuotaUsage, tenant: str) -> tuple[int, int, int]:
    found = usage.snapshot(tenant, NO_LIMITS)
    return found["requests_last_minute"], found["tool_calls_last_minute"], found["tokens_today"]


@pytest.fixture
async def workers() -> AsyncIterator[tuple[RedisQuotaUsage, RedisQuotaUsage, Clock]]:
    await redis_or_skip()
    prefix, clock = f"tftest-{uuid.uuid4().hex[:8]}", Clock()
    # The counters' seconds and days follow the test's clock.
    one = RedisQuotaUsage(aioredis.Redis.from_url(REDIS_URL), prefix=prefix, wall=clock)
    two = RedisQuotaUsage(aioredis.Redis.from_url(REDIS_URL), prefix=prefix, wall=clock)
    try:
        yield one, two, clock
    finally:
        await one.client.aclose()
        await two.client.aclose()
        await delete_redis_keys(prefix)


async def test_two_workers_see_one_count_per_tenant(workers: tuple[RedisQuotaUsage, RedisQuotaUsage, Clock]) -> None:
    one, two, _ = workers
    for _ in range(3):
        one.record_request("acme")
    one.record_tool_call("acme")
    one.record_tool_call("acme")
    one.record_tokens("acme", 100)
    two.record_request("acme")
    for _ in range(5):
        two.record_request("globex")
    # Before they exchange counts, each sees what it recorded itself.
    assert counts(one, "acme") == (3, 2, 100) and counts(two, "acme") == (1, 0, 0)
    await one.sync()
    await two.sync()
    await one.sync()
    assert counts(one, "acme") == counts(two, "acme") == (4, 2, 100)
    # Each tenant's counts are its own: globex's requests never show in acme's, nor the other way round.
    assert counts(two, "globex") == (5, 0, 0)
    one.record_request("globex")
    await one.sync()
    assert counts(one, "globex") == (6, 0, 0)
    await two.sync()
    assert counts(two, "globex") == (6, 0, 0) and counts(two, "acme") == (4, 2, 100)
    # Records made after an exchange count at once, and once only after the next.
    two.record_request("acme")
    assert counts(two, "acme") == (5, 2, 100)
    await two.sync()
    assert counts(two, "acme") == (5, 2, 100)


async def test_the_window_slides_and_tokens_start_again_each_day(
        workers: tuple[RedisQuotaUsage, RedisQuotaUsage, Clock]) -> None:
    one, two, clock = workers
    one.record_request("acme")
    one.record_tokens("acme", 40)
    await one.sync()
    clock.now += 30
    two.record_request("acme")
    await two.sync()
    assert counts(two, "acme") == (2, 0, 40)
    clock.now += 31  # the first request is now more than a minute old
    await two.sync()
    assert counts(two, "acme") == (1, 0, 40)
    clock.now = (clock.now // DAY_S + 1) * DAY_S + 5  # the next UTC day
    two.record_request("acme")
    await two.sync()
    assert counts(two, "acme") == (1, 0, 0)


async def test_without_redis_the_counts_are_this_processs_and_wait_for_it(
        caplog: pytest.LogCaptureFixture) -> None:
    usage = RedisQuotaUsage.from_url("redis://127.0.0.1:1/0", timeout_s=0.2)
    try:
        usage.record_request("acme")
        usage.record_tokens("acme", 7)
        with caplog.at_level(logging.ERROR, logger="tenantflow.runtime"):
            await usage.sync()
            await usage.sync()
        assert counts(usage, "acme") == (1, 0, 7)  # kept, to be added when Redis answers
        assert [r.message for r in caplog.records] == ["runtime.quota_sync_failed"]  # once per outage
    finally:
        await usage.client.aclose()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path / "proj")


def test_the_runtime_with_redis_counts_policy_quotas_there(project: Path) -> None:
    asyncio.run(redis_or_skip())
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    tokens = Tokens(project)
    try:
        with serving(RuntimeConfig(root=project, watch_interval_s=0, redis_url=REDIS_URL,
                                   redis_prefix=prefix)) as (url, app):
            quotas = app.state.service.holder.engine.quotas
            assert isinstance(quotas, RedisQuotaUsage)
            answer = httpx.post(f"{url}/invocations", json={"workflow": "hello", "input": {"text": "hi"}},
                                headers={"Authorization": f"Bearer {tokens('alpha')}", SESSION: "s-1"}, timeout=30)
            assert answer.status_code == 200, answer.text
            # Within a sync interval the run's request is in Redis, under alpha's keys only.
            keys: list[bytes] = []
            deadline = time.monotonic() + 5
            while not keys and time.monotonic() < deadline:
                keys = asyncio.run(_keys(prefix))
                time.sleep(0.1)
            assert keys and all(key.startswith(f"{prefix}:{{alpha}}:quota:".encode()) for key in keys)
    finally:
        asyncio.run(delete_redis_keys(prefix))


async def _keys(prefix: str) -> list[bytes]:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        return [key async for key in client.scan_iter(f"{prefix}:*:quota:*")]
    finally:
        await client.aclose()


async def test_a_policy_threshold_holds_for_the_tenant_across_workers(make_project) -> None:
    """The platform's token-budget policy forbids beta's tool calls once its tokens reach 1,000 today: tokens
    spent through one worker close the tools on the other. Alpha's budget is its own."""
    await redis_or_skip()
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    project = load_project(make_project(_files(), tenants=TENANTS))
    one = Engine(project, quotas=RedisQuotaUsage.from_url(REDIS_URL, prefix=prefix))
    two = Engine(load_project(project.root), quotas=RedisQuotaUsage.from_url(REDIS_URL, prefix=prefix))
    shared_one, shared_two = one.quotas, two.quotas
    assert isinstance(shared_one, RedisQuotaUsage) and isinstance(shared_two, RedisQuotaUsage)
    try:
        assert (await _run(two, "read", "beta")).steps["call"] == {"key": "k1"}
        shared_one.record_tokens("beta", 1000)  # spent through the first worker
        await shared_one.sync()
        await shared_two.sync()
        with pytest.raises(AccessDenied) as caught:
            await _run(two, "read", "beta")
        assert caught.value.reasons == ("policies/platform.cedar:17",)
        assert (await _run(two, "read", "alpha")).steps["call"] == {"key": "k1"}
    finally:
        await shared_one.client.aclose()
        await shared_two.client.aclose()
        await delete_redis_keys(prefix)
