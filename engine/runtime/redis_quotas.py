"""Quota usage as Cedar policies see it (``context.quota``), counted across every worker and replica in Redis.

A policy decision reads the counts synchronously, in the middle of a run,
so they are not fetched per decision: each process counts what it records
(as :class:`~engine.policy.quotas.QuotaUsage` does) and, every
``interval_s``, adds it to per-second counters in Redis and reads back the
totals of the tenants it has seen recently. A decision sees the shared
totals of the last exchange plus what this process recorded since: other
processes' requests reach it at most ``interval_s`` late (half a second by
default).

Counters: requests and tool calls per tenant per second (summed over the
last 60), model tokens per tenant per UTC day. A tenant's keys share a hash
tag (``{tenant}``), as the limiter's do. If Redis cannot be reached, the
counts are what this process saw (logged once per outage) and its records
wait to be added when Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from engine.policy.quotas import DAY_S, QuotaUsage

log = logging.getLogger("tenantflow.runtime")

WINDOW_S = 60
#: A tenant's totals are read back while this process has recorded something of it this recently.
ACTIVE_S = 120


@dataclass
class _Pending:
    """What this process recorded for one tenant and has not added to Redis yet, by second."""

    requests: dict[int, int] = field(default_factory=dict)
    tool_calls: dict[int, int] = field(default_factory=dict)
    tokens: dict[int, int] = field(default_factory=dict)  # by UTC day


@dataclass
class _Shared:
    """One tenant's totals as Redis last gave them: per-second counts of the window, and today's tokens."""

    requests: dict[int, int] = field(default_factory=dict)
    tool_calls: dict[int, int] = field(default_factory=dict)
    day: int = -1
    tokens: int = 0


class RedisQuotaUsage(QuotaUsage):
    """:class:`QuotaUsage` whose counts every process shares through Redis; call :meth:`run` in the background."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "tenantflow", interval_s: float = 0.5,
                 wall: Callable[[], float] = time.time):
        super().__init__(wall=wall)
        self.client, self.prefix, self.interval_s = client, prefix, interval_s
        self._pending: dict[str, _Pending] = {}
        self._shared: dict[str, _Shared] = {}
        self._seen: dict[str, float] = {}
        self._down = False

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tenantflow", timeout_s: float = 1.0) -> RedisQuotaUsage:
        return cls(aioredis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s),
                   prefix=prefix)

    # -- recording (synchronous, no I/O) ----------------------------------------------------------
    def _mark(self, tenant: str) -> tuple[_Pending, int]:
        now = self._wall()
        self._seen[tenant] = now
        return self._pending.setdefault(tenant, _Pending()), int(now)

    def record_request(self, tenant: str) -> None:
        pending, second = self._mark(tenant)
        pending.requests[second] = pending.requests.get(second, 0) + 1

    def record_tool_call(self, tenant: str) -> None:
        pending, second = self._mark(tenant)
        pending.tool_calls[second] = pending.tool_calls.get(second, 0) + 1

    def record_tokens(self, tenant: str, tokens: int) -> None:
        pending, second = self._mark(tenant)
        day = second // DAY_S
        pending.tokens[day] = pending.tokens.get(day, 0) + max(0, int(tokens))

    def reset(self) -> None:
        self._pending.clear()
        self._shared.clear()
        self._seen.clear()

    # -- reading (synchronous: the last totals from Redis plus what is not there yet; see snapshot) ---
    def usage(self, tenant: str) -> dict[str, int]:
        now = int(self._wall())
        since, day = now - WINDOW_S, now // DAY_S
        shared = self._shared.get(tenant) or _Shared()
        pending = self._pending.get(tenant) or _Pending()
        return {
            "requests_last_minute": _window(shared.requests, since) + _window(pending.requests, since),
            "tool_calls_last_minute": _window(shared.tool_calls, since) + _window(pending.tool_calls, since),
            "tokens_today": (shared.tokens if shared.day == day else 0) + pending.tokens.get(day, 0),
        }

    # -- the exchange with Redis ------------------------------------------------------------------
    def _key(self, tenant: str, kind: str, unit: int) -> str:
        return f"{self.prefix}:{{{tenant}}}:quota:{kind}:{unit}"

    async def sync(self) -> None:
        """Add what this process recorded to Redis, then read back the totals of the recently active tenants."""
        now = self._wall()
        second, day = int(now), int(now) // DAY_S
        for tenant in [t for t, seen in self._seen.items() if seen < now - ACTIVE_S]:
            del self._seen[tenant]
            self._shared.pop(tenant, None)
        taken, self._pending = self._pending, {}
        tenants = sorted(self._seen)
        try:
            pipe = self.client.pipeline(transaction=False)
            for tenant, pending in taken.items():
                for kind, counts, ttl in (("req", pending.requests, 2 * WINDOW_S),
                                          ("tool", pending.tool_calls, 2 * WINDOW_S),
                                          ("tokens", pending.tokens, 2 * DAY_S)):
                    for unit, count in counts.items():
                        key = self._key(tenant, kind, unit)
                        pipe.incrby(key, count)
                        pipe.expire(key, ttl)
            seconds = list(range(second - WINDOW_S + 1, second + 1))
            for tenant in tenants:
                pipe.mget([self._key(tenant, "req", s) for s in seconds])
                pipe.mget([self._key(tenant, "tool", s) for s in seconds])
                pipe.get(self._key(tenant, "tokens", day))
            answers = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._restore(taken)
            if not self._down:
                self._down = True
                log.error("runtime.quota_sync_failed", extra={"error_type": exc.__class__.__name__})
            return
        self._down = False
        reads = answers[len(answers) - 3 * len(tenants):]
        for index, tenant in enumerate(tenants):
            requests, tool_calls, tokens = reads[3 * index : 3 * index + 3]
            self._shared[tenant] = _Shared(requests=_counts(seconds, requests), tool_calls=_counts(seconds, tool_calls),
                                           day=day, tokens=int(tokens or 0))

    def _restore(self, taken: dict[str, _Pending]) -> None:
        """Put records that could not be added back in front of the ones made meanwhile."""
        for tenant, pending in taken.items():
            current = self._pending.setdefault(tenant, _Pending())
            for mine, theirs in ((pending.requests, current.requests), (pending.tool_calls, current.tool_calls),
                                 (pending.tokens, current.tokens)):
                for unit, count in mine.items():
                    theirs[unit] = theirs.get(unit, 0) + count
            # Records older than the window would never count again: drop them rather than grow without bound.
            since = int(self._wall()) - WINDOW_S
            current.requests = {s: n for s, n in current.requests.items() if s > since}
            current.tool_calls = {s: n for s, n in current.tool_calls.items() if s > since}

    async def run(self) -> None:
        """Exchange counts with Redis every ``interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.sync()

    async def close(self) -> None:
        """Add what is still pending, then close the connection."""
        with contextlib.suppress(RedisError, OSError):
            await self.sync()
        await self.client.aclose()


def _window(counts: dict[int, int], since: int) -> int:
    return sum(count for second, count in counts.items() if second > since)


def _counts(seconds: list[int], values: list[bytes | None]) -> dict[int, int]:
    return {second: int(value) for second, value in zip(seconds, values, strict=True) if value}
