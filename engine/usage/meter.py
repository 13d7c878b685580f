"""What one tenant has used, counted once, and the limits checked against it.

A :class:`Meter` counts per tenant what Cedar policies read as
``context.quota`` (requests and tool calls in the last minute, model tokens
since midnight UTC) and holds what the runtime's request limiter needs
besides (each tenant's token bucket and its requests in flight). The limiter
refuses a tenant over its daily token budget from the very count that
policies read as ``tokens_today``: a run's tokens are recorded once, by the
engine, and both see them.

A request is admitted (:meth:`Meter.enter`) only if the tenant's daily
tokens, its bucket and its concurrency all allow it, and then takes one
token from the bucket and one concurrency slot, atomically: a refused
request changes nothing. Refusals say when to retry.

Two backends: :class:`~engine.usage.local.LocalMeter` counts in this
process; :class:`~engine.usage.redis.RedisMeter` shares the counts between
workers and replicas through Redis.
"""

from __future__ import annotations

import math
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from engine.errors import TenantflowError
from engine.spec.project import Quotas

#: Requests and tool calls are counted over a sliding window this long; tokens per UTC day.
WINDOW_S = 60
DAY_S = 86400
#: Used where neither the tenant nor its tier sets a quota: closed by default, never unlimited.
DEFAULT_REQUESTS_PER_MINUTE = 60
DEFAULT_CONCURRENCY = 4
#: A bucket holds this many seconds of a tenant's rate: the burst it may send at once. Small on purpose:
#: a tenant that has been quiet may not then take ten seconds' worth of capacity from its neighbours at once.
BURST_SECONDS = 2
#: ...but never fewer than this many requests, unless the tenant's `quotas.burst` says so: two seconds of
#: 30 requests a minute is one request, and a person in a chat sends a few in a row.
MIN_DEFAULT_BURST = 5


@dataclass(frozen=True)
class Limits:
    """One tenant's limits, as :meth:`Meter.enter` enforces them."""

    rate_per_s: float
    burst: int
    concurrency: int
    #: None: no daily token budget.
    tokens_per_day: int | None
    #: None: no monthly cost budget (engine/usage/budget.py).
    cost_per_month_usd: float | None = None

    @classmethod
    def from_quotas(cls, quotas: Quotas) -> Limits:
        """The tenant's effective quotas, with the defaults where neither the tenant nor its tier sets one.

        >>> Limits.from_quotas(Quotas(requests_per_minute=90))
        Limits(rate_per_s=1.5, burst=5, concurrency=4, tokens_per_day=None, cost_per_month_usd=None)
        >>> Limits.from_quotas(Quotas(requests_per_minute=30, burst=2)).burst
        2
        """
        rpm = quotas.requests_per_minute or DEFAULT_REQUESTS_PER_MINUTE
        burst = quotas.burst or max(MIN_DEFAULT_BURST, math.ceil(rpm * BURST_SECONDS / 60))
        return cls(rate_per_s=rpm / 60, burst=burst,
                   concurrency=quotas.concurrency or DEFAULT_CONCURRENCY, tokens_per_day=quotas.tokens_per_day,
                   cost_per_month_usd=quotas.cost_per_month_usd)


class OverLimit(TenantflowError):
    """A tenant is over one of its limits; ``retry_after_s`` says when a retry may succeed."""

    code = "limit"

    def __init__(self, reason: str, retry_after_s: int):
        self.reason, self.retry_after_s = reason, max(1, retry_after_s)
        super().__init__(f"over {reason} limit, retry after {self.retry_after_s} s")


class LimiterUnavailable(TenantflowError):
    """The shared meter cannot be reached: requests are refused rather than let through unlimited."""

    code = "limiter"


@dataclass(frozen=True)
class Lease:
    """One admitted request's concurrency slot; give it back with :meth:`Meter.leave`."""

    tenant: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def seconds_to_midnight_utc(now: float) -> int:
    return int(DAY_S - now % DAY_S) + 1


class Meter(ABC):
    """Per-tenant usage: recorded by the engine, read by policies (:meth:`snapshot`) and the limiter (:meth:`enter`).

    Recording and reading are synchronous and do no I/O (a policy decides in the middle of a run); admitting
    and leaving are awaited. Every method takes the tenant whose usage it touches, and touches no other's.
    """

    @abstractmethod
    def record_request(self, tenant: str) -> None:
        """One run of ``tenant`` started."""

    @abstractmethod
    def record_tool_call(self, tenant: str) -> None:
        """One tool call of ``tenant`` was authorized."""

    @abstractmethod
    def record_tokens(self, tenant: str, tokens: int) -> None:
        """A run of ``tenant`` used ``tokens`` model tokens: they count into today's, for policies and the limiter."""

    @abstractmethod
    def record_cost(self, tenant: str, usd: float) -> None:
        """A model call of ``tenant`` cost ``usd``: it counts into this month's spend (UTC), for its budget."""

    @abstractmethod
    def cost_this_month(self, tenant: str) -> float:
        """What ``tenant``'s model calls cost this month (UTC), as far as this meter has seen."""

    @abstractmethod
    def usage(self, tenant: str) -> dict[str, int]:
        """Requests and tool calls in the last minute, model tokens today."""

    def snapshot(self, tenant: str, limits: Quotas) -> dict[str, int]:
        """The tenant's usage and, where set, its limits: ``context.quota`` of one decision."""
        found = self.usage(tenant)
        for name in ("requests_per_minute", "tokens_per_day", "concurrency"):
            value = getattr(limits, name)
            if value is not None:
                found[name] = int(value)
        return found

    @abstractmethod
    async def enter(self, tenant: str, limits: Limits) -> Lease:
        """Admit one request of ``tenant`` or raise OverLimit (LimiterUnavailable if the meter is out of reach)."""

    @abstractmethod
    async def leave(self, lease: Lease) -> None:
        """Give the request's concurrency slot back (the tokens its run used were recorded by then)."""

    @abstractmethod
    def reset(self) -> None:
        """Forget what this process counted, as a new process would (benchmarks, tests)."""

    @abstractmethod
    async def run(self) -> None:
        """Exchange counts with the other processes sharing them, until cancelled (the runtime runs it)."""

    @abstractmethod
    async def close(self) -> None:
        """Hand on what is still to be shared and release connections."""
