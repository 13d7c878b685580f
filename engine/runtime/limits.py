"""Noisy-neighbour protection: per-tenant request rate, concurrency and daily tokens.

Each tenant's limits come from its effective quotas (the tenant file over its
tier's), with the runtime's defaults where neither sets one. A request is
admitted only if all three allow it, and then takes one token from the
tenant's bucket and one concurrency slot, atomically: a refused request
changes nothing. Refusals are fast (no run starts) and say when to retry.

:class:`LocalLimiter` counts in this process (one replica, one worker);
:class:`~engine.runtime.redis_limits.RedisLimiter` shares the same counts
between replicas through Redis.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import TenantflowError
from engine.spec.project import Quotas

#: Used where neither the tenant nor its tier sets a quota: closed by default, never unlimited.
DEFAULT_REQUESTS_PER_MINUTE = 60
DEFAULT_CONCURRENCY = 4
#: A bucket holds this many seconds of a tenant's rate: the burst it may send at once. Small on purpose:
#: a tenant that has been quiet may not then take ten seconds' worth of capacity from its neighbours at once.
BURST_SECONDS = 2
DAY_S = 86400


@dataclass(frozen=True)
class Limits:
    """One tenant's limits, as the limiter enforces them."""

    rate_per_s: float
    burst: int
    concurrency: int
    #: None: no daily token budget.
    tokens_per_day: int | None

    @classmethod
    def from_quotas(cls, quotas: Quotas) -> Limits:
        rpm = quotas.requests_per_minute or DEFAULT_REQUESTS_PER_MINUTE
        return cls(rate_per_s=rpm / 60, burst=max(1, math.ceil(rpm * BURST_SECONDS / 60)),
                   concurrency=quotas.concurrency or DEFAULT_CONCURRENCY, tokens_per_day=quotas.tokens_per_day)


class OverLimit(TenantflowError):
    """A tenant is over one of its limits; ``retry_after_s`` says when a retry may succeed."""

    code = "limit"

    def __init__(self, reason: str, retry_after_s: int):
        self.reason, self.retry_after_s = reason, max(1, retry_after_s)
        super().__init__(f"over {reason} limit, retry after {self.retry_after_s} s")


class LimiterUnavailable(TenantflowError):
    """The shared limiter cannot be reached: requests are refused rather than let through unlimited."""

    code = "limiter"


@dataclass(frozen=True)
class Lease:
    """One admitted request's concurrency slot; give it back with :meth:`Limiter.leave`."""

    tenant: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class Limiter(Protocol):
    async def enter(self, tenant: str, limits: Limits) -> Lease:
        """Admit one request of ``tenant`` or raise OverLimit (or LimiterUnavailable)."""
        ...

    async def leave(self, lease: Lease, tokens: int = 0) -> None:
        """Free the request's slot and add the model tokens its run used to the tenant's day."""
        ...

    async def close(self) -> None: ...


def seconds_to_midnight_utc(now: float) -> int:
    return int(DAY_S - now % DAY_S) + 1


@dataclass
class _Tenant:
    tokens: float
    updated: float
    in_flight: set[str] = field(default_factory=set)
    day: int = -1
    used_today: int = 0


class LocalLimiter:
    """Limits counted in this process. All of it runs on the event loop, so each check-and-take is atomic."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self._clock, self._wall = clock, wall
        self._tenants: dict[str, _Tenant] = {}

    def _state(self, tenant: str, limits: Limits) -> _Tenant:
        found = self._tenants.get(tenant)
        if found is None:
            found = self._tenants[tenant] = _Tenant(tokens=float(limits.burst), updated=self._clock())
        day = int(self._wall() // DAY_S)
        if found.day != day:
            found.day, found.used_today = day, 0
        return found

    async def enter(self, tenant: str, limits: Limits) -> Lease:
        state = self._state(tenant, limits)
        if limits.tokens_per_day is not None and state.used_today >= limits.tokens_per_day:
            raise OverLimit("tokens_per_day", seconds_to_midnight_utc(self._wall()))
        now = self._clock()
        tokens = min(float(limits.burst), state.tokens + (now - state.updated) * limits.rate_per_s)
        if tokens < 1:
            raise OverLimit("requests_per_minute", math.ceil((1 - tokens) / limits.rate_per_s))
        if len(state.in_flight) >= limits.concurrency:
            raise OverLimit("concurrency", 1)
        state.tokens, state.updated = tokens - 1, now
        lease = Lease(tenant)
        state.in_flight.add(lease.id)
        return lease

    async def leave(self, lease: Lease, tokens: int = 0) -> None:
        state = self._tenants.get(lease.tenant)
        if state is not None:
            state.in_flight.discard(lease.id)
            state.used_today += max(0, tokens)

    async def close(self) -> None:
        self._tenants.clear()

    def in_flight(self, tenant: str) -> int:
        state = self._tenants.get(tenant)
        return len(state.in_flight) if state else 0
