"""The meter of one process: a tenant's counts, bucket and slots in memory, for one worker and ``tenantflow run``."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.spec.project import Quotas
from engine.usage.budget import check_budget, month_of
from engine.usage.meter import DAY_S, WINDOW_S, Lease, Limits, Meter, OverLimit, seconds_to_midnight_utc


@dataclass
class _Tenant:
    requests: deque[float] = field(default_factory=deque)
    tool_calls: deque[float] = field(default_factory=deque)
    day: int = -1
    tokens: int = 0
    #: The token bucket, full until the tenant's first request (its size is the tenant's burst).
    bucket: float | None = None
    updated: float = 0.0
    in_flight: set[str] = field(default_factory=set)
    month: int = -1
    cost_usd: float = 0.0


class LocalMeter(Meter):
    """Counts in this process. All of it runs on the event loop, so each check-and-take is atomic.

    >>> meter = LocalMeter()
    >>> meter.record_request("acme"); meter.record_tokens("acme", 120)
    >>> meter.usage("acme"), meter.usage("globex")["tokens_today"]
    ({'requests_last_minute': 1, 'tool_calls_last_minute': 0, 'tokens_today': 120}, 0)
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self._clock, self._wall = clock, wall
        self._tenants: dict[str, _Tenant] = {}

    def _get(self, tenant: str) -> _Tenant:
        found = self._tenants.get(tenant)
        if found is None:
            found = self._tenants[tenant] = _Tenant()
        day = int(self._wall() // DAY_S)
        if found.day != day:
            found.day, found.tokens = day, 0
        return found

    def _trim(self, window: deque[float]) -> int:
        cutoff = self._clock() - WINDOW_S
        while window and window[0] <= cutoff:
            window.popleft()
        return len(window)

    def record_request(self, tenant: str) -> None:
        self._get(tenant).requests.append(self._clock())

    def record_tool_call(self, tenant: str) -> None:
        self._get(tenant).tool_calls.append(self._clock())

    def record_tokens(self, tenant: str, tokens: int) -> None:
        self._get(tenant).tokens += max(0, int(tokens))

    def _month(self, tenant: str) -> _Tenant:
        state = self._get(tenant)
        month = month_of(self._wall())
        if state.month != month:
            state.month, state.cost_usd = month, 0.0
        return state

    def record_cost(self, tenant: str, usd: float) -> None:
        self._month(tenant).cost_usd += max(0.0, float(usd))

    def cost_this_month(self, tenant: str) -> float:
        return self._month(tenant).cost_usd

    def usage(self, tenant: str) -> dict[str, int]:
        state = self._get(tenant)
        return {"requests_last_minute": self._trim(state.requests),
                "tool_calls_last_minute": self._trim(state.tool_calls), "tokens_today": state.tokens}

    async def enter(self, tenant: str, limits: Limits) -> Lease:
        state = self._month(tenant)
        if limits.cost_per_month_usd is not None:
            check_budget(tenant, state.cost_usd, Quotas(cost_per_month_usd=limits.cost_per_month_usd), self._wall())
        if limits.tokens_per_day is not None and state.tokens >= limits.tokens_per_day:
            raise OverLimit("tokens_per_day", seconds_to_midnight_utc(self._wall()))
        now = self._clock()
        held = float(limits.burst) if state.bucket is None else state.bucket + (now - state.updated) * limits.rate_per_s
        bucket = min(float(limits.burst), held)
        if bucket < 1:
            raise OverLimit("requests_per_minute", math.ceil((1 - bucket) / limits.rate_per_s))
        if len(state.in_flight) >= limits.concurrency:
            raise OverLimit("concurrency", 1)
        state.bucket, state.updated = bucket - 1, now
        lease = Lease(tenant)
        state.in_flight.add(lease.id)
        return lease

    async def leave(self, lease: Lease) -> None:
        state = self._tenants.get(lease.tenant)
        if state is not None:
            state.in_flight.discard(lease.id)

    def in_flight(self, tenant: str) -> int:
        state = self._tenants.get(tenant)
        return len(state.in_flight) if state else 0

    def reset(self) -> None:
        self._tenants.clear()

    async def run(self) -> None:
        """Nothing to exchange: no other process shares these counts."""

    async def close(self) -> None:
        """Nothing to release: the counts go with the process."""
