"""The meter shared through Redis: one bucket, one set of slots and one count per tenant for every worker.

Two :class:`RedisMeter` on one Redis stand for two worker processes (or
replicas); the seconds and days of their counters follow the test's clock,
their buckets and slots Redis's own. The tests use the Redis at
127.0.0.1:6379 under a key prefix of their own. They skip when it cannot be
reached, unless TENANTFLOW_REQUIRE_SERVICES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from redis import asyncio as aioredis

from engine.spec.project import Quotas
from engine.usage.meter import DAY_S, Lease, LimiterUnavailable, Limits, OverLimit
from engine.usage.redis import RedisMeter
from tests.runtime.support import REDIS_URL, delete_redis_keys, redis_or_skip

NO_LIMITS = Quotas()
ROOMY = Limits(rate_per_s=1000, burst=1000, concurrency=100, tokens_per_day=None)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def counts(meter: RedisMeter, tenant: str) -> tuple[int, int, int]:
    found = meter.snapshot(tenant, NO_LIMITS)
    return found["requests_last_minute"], found["tool_calls_last_minute"], found["tokens_today"]


@pytest.fixture
async def workers() -> AsyncIterator[tuple[RedisMeter, RedisMeter, Clock]]:
    await redis_or_skip()
    prefix, clock = f"tftest-{uuid.uuid4().hex[:8]}", Clock()
    one = RedisMeter(aioredis.Redis.from_url(REDIS_URL), prefix=prefix, wall=clock)
    two = RedisMeter(aioredis.Redis.from_url(REDIS_URL), prefix=prefix, wall=clock)
    try:
        yield one, two, clock
    finally:
        await one.close()
        await two.close()
        await delete_redis_keys(prefix)


# -- admission --------------------------------------------------------------------------------

async def test_replicas_share_one_bucket_through_redis(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
    one, two, _ = workers
    limits = Limits(rate_per_s=0.5, burst=3, concurrency=10, tokens_per_day=None)
    admitted = 0
    for meter in (one, two, one, two, one, two):
        try:
            await meter.leave(await meter.enter("acme", limits))
            admitted += 1
        except OverLimit as exc:
            assert exc.reason == "requests_per_minute" and exc.retry_after_s == 2
    assert admitted == 3  # the burst, across both replicas
    await one.leave(await one.enter("globex", limits))  # another tenant, another bucket


async def test_replicas_share_concurrency_and_the_daily_budget(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
    one, two, _ = workers
    limits = Limits(rate_per_s=100, burst=100, concurrency=2, tokens_per_day=1000)
    held = [await one.enter("acme", limits), await two.enter("acme", limits)]
    with pytest.raises(OverLimit, match="concurrency"):
        await one.enter("acme", limits)
    # Each run's engine records its tokens before the runtime gives the slot back: the leave adds them.
    two.record_tokens("acme", 600)
    await two.leave(held.pop())
    one.record_tokens("acme", 600)
    await one.leave(held.pop())
    with pytest.raises(OverLimit) as refused:
        await two.enter("acme", limits)  # at once, with no exchange in between
    assert refused.value.reason == "tokens_per_day" and refused.value.retry_after_s > 0


async def test_many_concurrent_requests_never_exceed_the_limit(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
    one, two, _ = workers
    limits = Limits(rate_per_s=0.001, burst=25, concurrency=1000, tokens_per_day=None)

    async def attempt(meter: RedisMeter) -> bool:
        try:
            await meter.enter("acme", limits)
        except OverLimit:
            return False
        return True

    results = await asyncio.gather(*(attempt(one if i % 2 else two) for i in range(80)))
    assert sum(results) == 25  # atomic check-and-take: not one more than the bucket held


async def test_a_slot_of_a_replica_that_died_expires(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
    one, two, _ = workers
    dying = RedisMeter(one.client, prefix=one.prefix, lease_ttl_ms=200)
    limits = Limits(rate_per_s=100, burst=100, concurrency=1, tokens_per_day=None)
    await dying.enter("acme", limits)
    assert dying._heartbeat is not None
    dying._heartbeat.cancel()  # the replica dies: its slot is neither given back nor refreshed
    with pytest.raises(OverLimit, match="concurrency"):
        await two.enter("acme", limits)
    await asyncio.sleep(0.3)
    await two.leave(await two.enter("acme", limits))


async def test_a_live_replica_keeps_its_slots_past_their_ttl(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
    one, two, _ = workers
    live = RedisMeter(one.client, prefix=one.prefix, lease_ttl_ms=300)
    limits = Limits(rate_per_s=100, burst=100, concurrency=1, tokens_per_day=None)
    held = await live.enter("acme", limits)
    await asyncio.sleep(0.6)  # twice the TTL: the heartbeat refreshed it
    with pytest.raises(OverLimit, match="concurrency"):
        await two.enter("acme", limits)
    await live.leave(held)
    await two.leave(await two.enter("acme", limits))
    assert live._heartbeat is not None
    live._heartbeat.cancel()


async def test_an_unreachable_redis_refuses_rather_than_lets_through() -> None:
    meter = RedisMeter.from_url("redis://127.0.0.1:1/0", timeout_s=0.2)
    with pytest.raises(LimiterUnavailable):
        await meter.enter("acme", Limits(rate_per_s=1, burst=1, concurrency=1, tokens_per_day=None))
    with pytest.raises(LimiterUnavailable, match="Redis is unreachable"):
        await meter.ping()
    await meter.close()


# -- counts -----------------------------------------------------------------------------------

async def test_two_workers_see_one_count_per_tenant(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
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
        workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
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


async def test_a_leave_adds_its_tenants_records_at_once(workers: tuple[RedisMeter, RedisMeter, Clock]) -> None:
    one, two, _ = workers
    lease = await one.enter("acme", ROOMY)
    one.record_request("acme")
    one.record_tool_call("acme")
    one.record_tokens("acme", 70)
    one.record_tokens("globex", 5)  # another tenant's records wait for the exchange
    await one.leave(lease)
    assert counts(one, "acme") == (1, 1, 70)  # still seen here, once
    client = one.client
    assert int(await client.get(one.key("acme", "tokens", int(one._wall()) // DAY_S)) or 0) == 70
    assert await client.get(one.key("globex", "tokens", int(one._wall()) // DAY_S)) is None
    await two.sync()
    two.record_request("acme")  # two has seen acme now: the next exchange reads its totals
    await two.sync()
    assert counts(two, "acme") == (2, 1, 70)
    await one.sync()
    assert counts(one, "acme") == (2, 1, 70) and counts(one, "globex") == (0, 0, 5)


@pytest.mark.parametrize("leave_first", [False, True])
async def test_an_exchange_and_a_leave_at_once_neither_lose_nor_double_a_count(
        workers: tuple[RedisMeter, RedisMeter, Clock], leave_first: bool) -> None:
    one, _, _ = workers
    for n in range(1, 11):
        lease = await one.enter("acme", ROOMY)
        one.record_request("acme")
        one.record_tokens("acme", 1)
        both = [one.leave(lease), one.sync()] if leave_first else [one.sync(), one.leave(lease)]
        await asyncio.gather(*both)
        assert counts(one, "acme") == (n, 0, n)
    await one.sync()
    assert counts(one, "acme") == (10, 0, 10)


async def test_without_redis_the_counts_are_this_processs_and_wait_for_it(
        caplog: pytest.LogCaptureFixture) -> None:
    meter = RedisMeter.from_url("redis://127.0.0.1:1/0", timeout_s=0.2)
    try:
        meter.record_request("acme")
        meter.record_tokens("acme", 7)
        with caplog.at_level(logging.ERROR, logger="tenantflow.runtime"):
            await meter.sync()
            await meter.sync()
            await meter.leave(Lease("acme"))  # its records go back to wait too
        assert counts(meter, "acme") == (1, 0, 7)  # kept, to be added when Redis answers
        assert [r.message for r in caplog.records] == ["runtime.quota_sync_failed",  # once per outage
                                                       "runtime.limiter_release_failed"]
    finally:
        await meter.close()
