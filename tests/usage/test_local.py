"""The meter of one process: the token bucket, concurrency and daily tokens, and the counts policies read."""

from __future__ import annotations

import pytest

from engine.usage.local import LocalMeter
from engine.usage.meter import DAY_S, Limits, OverLimit


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_the_bucket_refills_at_the_tenants_rate() -> None:
    clock = Clock()
    meter = LocalMeter(clock=clock)
    limits = Limits(rate_per_s=2.0, burst=2, concurrency=10, tokens_per_day=None)
    for _ in range(2):
        await meter.leave(await meter.enter("a", limits))
    with pytest.raises(OverLimit) as refused:
        await meter.enter("a", limits)
    assert (refused.value.reason, refused.value.retry_after_s) == ("requests_per_minute", 1)
    clock.now += 0.5  # one token back
    await meter.leave(await meter.enter("a", limits))
    with pytest.raises(OverLimit):
        await meter.enter("a", limits)
    clock.now += 100  # never more than the burst
    for _ in range(2):
        await meter.leave(await meter.enter("a", limits))
    with pytest.raises(OverLimit):
        await meter.enter("a", limits)
    await meter.enter("b", limits)  # another tenant has its own bucket


async def test_a_tenant_recorded_before_its_first_request_starts_with_a_full_bucket() -> None:
    clock = Clock()
    meter = LocalMeter(clock=clock)
    meter.record_tool_call("a")  # the engine records outside the runtime too (tenantflow run)
    limits = Limits(rate_per_s=1.0, burst=3, concurrency=10, tokens_per_day=None)
    for _ in range(3):
        await meter.leave(await meter.enter("a", limits))
    with pytest.raises(OverLimit, match="requests_per_minute"):
        await meter.enter("a", limits)


async def test_concurrency_refusal_takes_no_token_and_a_slot_comes_back() -> None:
    clock = Clock()
    meter = LocalMeter(clock=clock)
    limits = Limits(rate_per_s=1.0, burst=3, concurrency=1, tokens_per_day=None)
    held = await meter.enter("a", limits)
    for _ in range(5):
        with pytest.raises(OverLimit, match="concurrency"):
            await meter.enter("a", limits)
    await meter.leave(held)
    assert meter.in_flight("a") == 0
    await meter.leave(await meter.enter("a", limits))
    await meter.leave(await meter.enter("a", limits))  # 3 admitted in all: the refusals took nothing


async def test_the_daily_token_budget_resets_at_midnight_utc() -> None:
    wall = Clock(DAY_S * 20000 + 86000.0)
    meter = LocalMeter(wall=wall)
    limits = Limits(rate_per_s=100, burst=100, concurrency=10, tokens_per_day=500)
    lease = await meter.enter("a", limits)
    meter.record_tokens("a", 499)  # as the engine does when a run ends, before the runtime gives the slot back
    await meter.leave(lease)
    lease = await meter.enter("a", limits)
    meter.record_tokens("a", 10)
    await meter.leave(lease)
    with pytest.raises(OverLimit) as refused:
        await meter.enter("a", limits)
    assert (refused.value.reason, refused.value.retry_after_s) == ("tokens_per_day", 401)
    assert meter.usage("a")["tokens_today"] == 509
    wall.now += 401
    assert meter.usage("a")["tokens_today"] == 0
    await meter.enter("a", limits)


def test_requests_and_tool_calls_count_over_the_last_minute() -> None:
    clock = Clock()
    meter = LocalMeter(clock=clock)
    meter.record_request("a")
    meter.record_tool_call("a")
    clock.now += 30
    meter.record_request("a")
    meter.record_tokens("a", -5)  # nothing is ever taken off
    assert meter.usage("a") == {"requests_last_minute": 2, "tool_calls_last_minute": 1, "tokens_today": 0}
    clock.now += 30  # the first request and the tool call are a minute old
    assert meter.usage("a") == {"requests_last_minute": 1, "tool_calls_last_minute": 0, "tokens_today": 0}


async def test_a_person_on_30_requests_a_minute_can_send_a_few_messages_in_a_row() -> None:
    from engine.spec.project import Quotas

    meter = LocalMeter(clock=Clock())
    limits = Limits.from_quotas(Quotas(requests_per_minute=30))
    for _ in range(5):
        await meter.leave(await meter.enter("chat", limits))
    with pytest.raises(OverLimit) as refused:
        await meter.enter("chat", limits)
    assert refused.value.retry_after_s == 2  # then one every two seconds
    tight = Limits.from_quotas(Quotas(requests_per_minute=30, burst=1))
    await meter.leave(await meter.enter("strict", tight))
    with pytest.raises(OverLimit):
        await meter.enter("strict", tight)
