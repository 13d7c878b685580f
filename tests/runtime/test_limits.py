"""Per-tenant limits: the token bucket, concurrency and daily tokens, in process and shared through Redis.

The Redis tests use the Redis at 127.0.0.1:6379. They skip when it cannot be
reached, unless TENANTFLOW_REQUIRE_SERVICES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from engine.runtime.config import RuntimeConfig
from engine.runtime.limits import (
    DEFAULT_CONCURRENCY,
    DEFAULT_REQUESTS_PER_MINUTE,
    Limiter,
    Limits,
    LocalLimiter,
    OverLimit,
)
from engine.spec.project import Quotas
from tests.runtime.support import (
    REDIS_URL,
    SESSION,
    Tokens,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    running,
    write_project,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_come_from_the_quotas_with_defaults_where_none_is_set() -> None:
    assert Limits.from_quotas(Quotas(requests_per_minute=600, concurrency=3, tokens_per_day=9)) == Limits(
        rate_per_s=10.0, burst=20, concurrency=3, tokens_per_day=9)
    assert Limits.from_quotas(Quotas()) == Limits(rate_per_s=DEFAULT_REQUESTS_PER_MINUTE / 60, burst=2,
                                                  concurrency=DEFAULT_CONCURRENCY, tokens_per_day=None)
    assert Limits.from_quotas(Quotas(requests_per_minute=1)).burst == 1


async def test_the_bucket_refills_at_the_tenants_rate() -> None:
    clock = Clock()
    limiter = LocalLimiter(clock=clock)
    limits = Limits(rate_per_s=2.0, burst=2, concurrency=10, tokens_per_day=None)
    for _ in range(2):
        await limiter.leave(await limiter.enter("a", limits))
    with pytest.raises(OverLimit) as refused:
        await limiter.enter("a", limits)
    assert (refused.value.reason, refused.value.retry_after_s) == ("requests_per_minute", 1)
    clock.now += 0.5  # one token back
    await limiter.leave(await limiter.enter("a", limits))
    with pytest.raises(OverLimit):
        await limiter.enter("a", limits)
    clock.now += 100  # never more than the burst
    for _ in range(2):
        await limiter.leave(await limiter.enter("a", limits))
    with pytest.raises(OverLimit):
        await limiter.enter("a", limits)
    await limiter.enter("b", limits)  # another tenant has its own bucket


async def test_concurrency_refusal_takes_no_token_and_a_slot_comes_back() -> None:
    clock = Clock()
    limiter = LocalLimiter(clock=clock)
    limits = Limits(rate_per_s=1.0, burst=3, concurrency=1, tokens_per_day=None)
    held = await limiter.enter("a", limits)
    for _ in range(5):
        with pytest.raises(OverLimit, match="concurrency"):
            await limiter.enter("a", limits)
    await limiter.leave(held)
    assert limiter.in_flight("a") == 0
    await limiter.leave(await limiter.enter("a", limits))
    await limiter.leave(await limiter.enter("a", limits))  # 3 admitted in all: the refusals took nothing


async def test_the_daily_token_budget_resets_at_midnight_utc() -> None:
    wall = Clock()
    wall.now = 86400 * 20000 + 86000.0
    limiter = LocalLimiter(wall=wall)
    limits = Limits(rate_per_s=100, burst=100, concurrency=10, tokens_per_day=500)
    await limiter.leave(await limiter.enter("a", limits), tokens=499)
    await limiter.leave(await limiter.enter("a", limits), tokens=10)
    with pytest.raises(OverLimit) as refused:
        await limiter.enter("a", limits)
    assert (refused.value.reason, refused.value.retry_after_s) == ("tokens_per_day", 401)
    wall.now += 401
    await limiter.enter("a", limits)


# -- Redis ------------------------------------------------------------------------------------

@pytest.fixture
async def replicas() -> AsyncIterator[tuple[Limiter, Limiter, str]]:
    """Two limiters on one Redis, as two replicas have; a key prefix of their own per test."""
    from engine.runtime.redis_limits import RedisLimiter

    await redis_or_skip()
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    one, two = RedisLimiter.from_url(REDIS_URL, prefix=prefix), RedisLimiter.from_url(REDIS_URL, prefix=prefix)
    try:
        yield one, two, prefix
    finally:
        await one.close()
        await two.close()
        await delete_redis_keys(prefix)


async def test_replicas_share_one_bucket_through_redis(replicas: tuple[Limiter, Limiter, str]) -> None:
    one, two, _ = replicas
    limits = Limits(rate_per_s=0.5, burst=3, concurrency=10, tokens_per_day=None)
    admitted = 0
    for limiter in (one, two, one, two, one, two):
        try:
            await limiter.leave(await limiter.enter("acme", limits))
            admitted += 1
        except OverLimit as exc:
            assert exc.reason == "requests_per_minute" and exc.retry_after_s == 2
    assert admitted == 3  # the burst, across both replicas
    await one.leave(await one.enter("globex", limits))  # another tenant, another bucket


async def test_replicas_share_concurrency_and_the_daily_budget(replicas: tuple[Limiter, Limiter, str]) -> None:
    one, two, _ = replicas
    limits = Limits(rate_per_s=100, burst=100, concurrency=2, tokens_per_day=1000)
    held = [await one.enter("acme", limits), await two.enter("acme", limits)]
    with pytest.raises(OverLimit, match="concurrency"):
        await one.enter("acme", limits)
    await two.leave(held.pop(), tokens=600)
    await one.leave(held.pop(), tokens=600)
    with pytest.raises(OverLimit) as refused:
        await two.enter("acme", limits)
    assert refused.value.reason == "tokens_per_day" and refused.value.retry_after_s > 0


async def test_many_concurrent_requests_never_exceed_the_limit(replicas: tuple[Limiter, Limiter, str]) -> None:
    one, two, _ = replicas
    limits = Limits(rate_per_s=0.001, burst=25, concurrency=1000, tokens_per_day=None)

    async def attempt(limiter: Limiter) -> bool:
        try:
            await limiter.enter("acme", limits)
        except OverLimit:
            return False
        return True

    results = await asyncio.gather(*(attempt(one if i % 2 else two) for i in range(80)))
    assert sum(results) == 25  # atomic check-and-take: not one more than the bucket held


async def test_a_slot_of_a_replica_that_died_expires(replicas: tuple[Limiter, Limiter, str]) -> None:
    from engine.runtime.redis_limits import RedisLimiter

    one, two, prefix = replicas
    assert isinstance(one, RedisLimiter)
    dying = RedisLimiter(one.client, prefix=prefix, lease_ttl_ms=200)
    limits = Limits(rate_per_s=100, burst=100, concurrency=1, tokens_per_day=None)
    await dying.enter("acme", limits)
    assert dying._heartbeat is not None
    dying._heartbeat.cancel()  # the replica dies: its slot is neither given back nor refreshed
    with pytest.raises(OverLimit, match="concurrency"):
        await two.enter("acme", limits)
    await asyncio.sleep(0.3)
    await two.leave(await two.enter("acme", limits))


async def test_a_live_replica_keeps_its_slots_past_their_ttl(replicas: tuple[Limiter, Limiter, str]) -> None:
    from engine.runtime.redis_limits import RedisLimiter

    one, two, prefix = replicas
    assert isinstance(one, RedisLimiter)
    live = RedisLimiter(one.client, prefix=prefix, lease_ttl_ms=300)
    limits = Limits(rate_per_s=100, burst=100, concurrency=1, tokens_per_day=None)
    held = await live.enter("acme", limits)
    await asyncio.sleep(0.6)  # twice the TTL: the heartbeat refreshed it
    with pytest.raises(OverLimit, match="concurrency"):
        await two.enter("acme", limits)
    await live.leave(held)
    await two.leave(await two.enter("acme", limits))


async def test_an_unreachable_redis_refuses_rather_than_lets_through() -> None:
    from engine.runtime.limits import LimiterUnavailable
    from engine.runtime.redis_limits import RedisLimiter

    limiter = RedisLimiter.from_url("redis://127.0.0.1:1/0", timeout_s=0.2)
    with pytest.raises(LimiterUnavailable):
        await limiter.enter("acme", Limits(rate_per_s=1, burst=1, concurrency=1, tokens_per_day=None))
    await limiter.close()


# -- two servers, one Redis --------------------------------------------------------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("limits") / "proj")


def test_two_runtime_replicas_enforce_one_rate_limit_over_http(project: Path) -> None:
    asyncio.run(redis_or_skip())
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    config = RuntimeConfig(root=project, watch_interval_s=0, redis_url=REDIS_URL, redis_prefix=prefix)
    token = Tokens(project)("trickle")  # a bucket of 1
    body = json.dumps({"workflow": "hello", "input": {"text": "hi"}})
    headers = {"Authorization": f"Bearer {token}", SESSION: "s-1"}
    try:
        with running(config) as first, running(config) as second:
            assert httpx.post(f"{first}/invocations", content=body, headers=headers, timeout=30).status_code == 200
            refused = httpx.post(f"{second}/invocations", content=body, headers=headers, timeout=30)
    finally:
        asyncio.run(delete_redis_keys(prefix))
    assert refused.status_code == 429
    assert refused.json()["code"] == "requests_per_minute"
    assert int(refused.headers["retry-after"]) >= 1
