"""The meter every worker and replica shares through Redis.

Admission is one Lua script: it checks the tenant's tokens today, its token
bucket and its concurrency slots and, only if all allow it, takes a token
and a slot. Atomic across replicas, one round trip per request, on Redis's
own clock (``TIME``), so replicas with skewed clocks agree. Concurrency
slots are leases with an expiry, refreshed while the request runs, so a
replica that dies does not hold its slots for ever. If Redis cannot be
reached, requests are refused (LimiterUnavailable, 503), never let through
unlimited.

Counts (requests and tool calls per second, summed over the last 60; model
tokens per UTC day) are recorded without I/O, since a policy reads them in
the middle of a run: each process keeps what it recorded and adds it to
Redis in two ways. A request's leave adds what this process recorded of its
tenant (the run's tokens among it) in the same script that frees its slot,
so the next admission on any replica checks the budget against them. Every
``interval_s`` (:meth:`RedisMeter.run`) the rest is added and the totals of
the tenants this process has admitted or recorded in the last two minutes
are read back. A decision sees the last totals plus what this process
recorded since: other processes' records reach it at most ``interval_s``
late (half a second by default), except the tokens today, which the
admission script returns: the policies of a run decide on the count the
limiter admitted it on. If Redis cannot be reached, the counts are what this
process saw (logged once per outage) and its records wait to be added when
Redis answers again.

A tenant's keys share a hash tag, ``<prefix>:{<tenant>}:bucket``,
``:inflight``, ``:req:<second>``, ``:tool:<second>``, ``:tokens:<day>``, ``:cost:<month>``,
so each script touches one hash slot and runs on Redis Cluster too. The
daily budget the limiter checks and the ``tokens_today`` policies read are
one key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.errors import MissingExtra

try:
    from redis import asyncio as aioredis
    from redis.exceptions import RedisError
except ImportError as missing:  # an optional part: name the extra that brings it
    raise MissingExtra("redis", "--redis (limits shared in Redis)", missing.name or "redis") from None

from engine.usage.budget import BudgetExceeded, month_of, seconds_to_next_month
from engine.usage.meter import (
    DAY_S,
    WINDOW_S,
    Lease,
    LimiterUnavailable,
    Limits,
    Meter,
    OverLimit,
    seconds_to_midnight_utc,
)

# The runtime's logger: these events are the runtime's, whichever module notices them.
log = logging.getLogger("tenantflow.runtime")

#: A concurrency slot expires this long after its last refresh (a replica that died gives its slots back).
LEASE_TTL_MS = 60_000
#: Cost is counted in Redis in micro-USD (integers: INCRBY is exact, INCRBYFLOAT is not).
MICRO = 1_000_000
#: A tenant's totals are read back while this process has recorded something of it this recently.
ACTIVE_S = 120

_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local budget = tonumber(ARGV[4])
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
local spent = tonumber(redis.call('GET', KEYS[4]) or '0')
local monthly = tonumber(ARGV[7])
if monthly > 0 and spent >= monthly then return {0, 'cost_per_month', 0, used, spent} end
if budget > 0 and used >= budget then return {0, 'tokens_per_day', 0, used, spent} end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if tokens < 1 then return {0, 'requests_per_minute', math.ceil((1 - tokens) / rate), used, spent} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {0, 'concurrency', 1000, used, spent} end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]) * 2)
return {1, 'ok', 0, used, spent}
"""

# KEYS[1] the slots, ARGV[1] the lease; then each further key is a counter, ARGV a count and a TTL (s) per key.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], tonumber(ARGV[2 * i - 2]))
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[2 * i - 1]))
end
return 1
"""

_REFRESH = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_ms, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 1
"""


@dataclass
class _Counts:
    """Counts of one tenant: requests and tool calls by second, model tokens by UTC day, model cost (micro-USD)
    by UTC month (:func:`engine.usage.budget.month_of`)."""

    requests: dict[int, int] = field(default_factory=dict)
    tool_calls: dict[int, int] = field(default_factory=dict)
    tokens: dict[int, int] = field(default_factory=dict)
    cost: dict[int, int] = field(default_factory=dict)

    def kinds(self) -> tuple[tuple[str, dict[int, int], int], ...]:
        """Each kind's key name, counts and TTL in Redis (s): kept a while past the window, the day or the month."""
        return (("req", self.requests, 2 * WINDOW_S), ("tool", self.tool_calls, 2 * WINDOW_S),
                ("tokens", self.tokens, 2 * DAY_S), ("cost", self.cost, 62 * DAY_S))

    def add(self, other: _Counts) -> None:
        for (_, mine, _), (_, theirs, _) in zip(self.kinds(), other.kinds(), strict=True):
            for unit, count in theirs.items():
                mine[unit] = mine.get(unit, 0) + count

    def usage(self, now: int) -> tuple[int, int, int]:
        since = now - WINDOW_S
        return (sum(n for s, n in self.requests.items() if s > since),
                sum(n for s, n in self.tool_calls.items() if s > since), self.tokens.get(now // DAY_S, 0))


class RedisMeter(Meter):
    """A :class:`Meter` shared through Redis (``redis.asyncio``); call :meth:`run` in the background."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "tenantflow", interval_s: float = 0.5,
                 lease_ttl_ms: int = LEASE_TTL_MS, wall: Callable[[], float] = time.time):
        self.client, self.prefix, self.interval_s, self.lease_ttl_ms = client, prefix, interval_s, lease_ttl_ms
        self._wall = wall
        self._enter = client.register_script(_ENTER)
        self._leave = client.register_script(_LEAVE)
        self._refresh = client.register_script(_REFRESH)
        #: What this process recorded and has not added to Redis yet.
        self._pending: dict[str, _Counts] = {}
        #: The totals Redis last gave, plus what this process added since.
        self._shared: dict[str, _Counts] = {}
        self._seen: dict[str, float] = {}
        self._down = False
        #: This process's slots in flight, refreshed by the heartbeat.
        self._leases: dict[str, set[str]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        #: Leaves adding a tenant's records now; per read of totals in flight, the tenants a leave added to meanwhile.
        self._leaving: Counter[str] = Counter()
        self._reads: list[set[str]] = []

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tenantflow", timeout_s: float = 1.0) -> RedisMeter:
        return cls(aioredis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s),
                   prefix=prefix)

    def key(self, tenant: str, kind: str, unit: int | None = None) -> str:
        """One of ``tenant``'s keys: ``bucket``, ``inflight``, or a counter of ``req``, ``tool`` or ``tokens``."""
        base = f"{self.prefix}:{{{tenant}}}:{kind}"
        return base if unit is None else f"{base}:{unit}"

    async def ping(self) -> None:
        """Raise LimiterUnavailable unless Redis answers (checked at startup)."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise LimiterUnavailable(f"Redis is unreachable: {exc.__class__.__name__}: {exc}") from None

    # -- recording and reading (synchronous, no I/O) ----------------------------------------------
    def _mark(self, tenant: str) -> tuple[_Counts, int]:
        now = self._wall()
        self._seen[tenant] = now
        return self._pending.setdefault(tenant, _Counts()), int(now)

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

    def record_cost(self, tenant: str, usd: float) -> None:
        pending, _ = self._mark(tenant)
        month = month_of(self._wall())
        pending.cost[month] = pending.cost.get(month, 0) + max(0, round(usd * MICRO))

    def cost_this_month(self, tenant: str) -> float:
        month, none = month_of(self._wall()), _Counts()
        return ((self._shared.get(tenant) or none).cost.get(month, 0)
                + (self._pending.get(tenant) or none).cost.get(month, 0)) / MICRO

    def usage(self, tenant: str) -> dict[str, int]:
        now, none = int(self._wall()), _Counts()
        shared = (self._shared.get(tenant) or none).usage(now)
        pending = (self._pending.get(tenant) or none).usage(now)
        return {"requests_last_minute": shared[0] + pending[0], "tool_calls_last_minute": shared[1] + pending[1],
                "tokens_today": shared[2] + pending[2]}

    def reset(self) -> None:
        self._pending.clear()
        self._shared.clear()
        self._seen.clear()

    # -- admission (one script each way) ----------------------------------------------------------
    async def enter(self, tenant: str, limits: Limits) -> Lease:
        """Admit one request; the tokens today the script checked become this process's view of them at once."""
        lease = Lease(tenant)
        now = self._wall()
        self._seen[tenant] = now
        day, month = int(now) // DAY_S, month_of(now)
        keys = [self.key(tenant, "bucket"), self.key(tenant, "inflight"), self.key(tenant, "tokens", day),
                self.key(tenant, "cost", month)]
        monthly = round((limits.cost_per_month_usd or 0) * MICRO)
        args: list[Any] = [limits.rate_per_s, limits.burst, limits.concurrency, limits.tokens_per_day or 0, lease.id,
                           self.lease_ttl_ms, monthly]
        with self._reading() as racing:
            try:
                allowed, reason, retry_ms, used, spent = await self._enter(keys=keys, args=args)
            except (RedisError, OSError) as exc:
                raise LimiterUnavailable(f"{exc.__class__.__name__}: {exc}") from None
        if tenant not in racing:
            # A total Redis gave is never above today's true one, nor is the view (a read plus what was added
            # since): the larger of the two loses nothing and counts nothing twice.
            shared = self._shared.setdefault(tenant, _Counts())
            shared.tokens[day] = max(shared.tokens.get(day, 0), int(used))
            shared.cost[month] = max(shared.cost.get(month, 0), int(spent))
        if not int(allowed):
            why = reason.decode() if isinstance(reason, bytes) else str(reason)
            if why == "cost_per_month":
                raise BudgetExceeded(tenant, int(spent) / MICRO, limits.cost_per_month_usd or 0.0,
                                     seconds_to_next_month(now))
            retry = seconds_to_midnight_utc(self._wall()) if why == "tokens_per_day" else -(-int(retry_ms) // 1000)
            raise OverLimit(why, retry)
        self._leases.setdefault(tenant, set()).add(lease.id)
        self._start_heartbeat()
        return lease

    async def leave(self, lease: Lease) -> None:
        tenant = lease.tenant
        held = self._leases.get(tenant)
        if held is not None:
            held.discard(lease.id)
            if not held:
                del self._leases[tenant]
        taken = self._pending.pop(tenant, None) or _Counts()
        keys: list[str] = [self.key(tenant, "inflight")]
        args: list[Any] = [lease.id]
        for counter, count, ttl in self._increments(tenant, taken):
            keys.append(counter)
            args += [count, ttl]
        self._leaving[tenant] += 1
        for racing in self._reads:
            racing.add(tenant)
        try:
            await self._leave(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            # The slot expires by itself; the records wait for the next exchange.
            self._restore({tenant: taken})
            log.error("runtime.limiter_release_failed", extra={"tenant_id": tenant,
                                                               "error_type": exc.__class__.__name__})
        else:
            if tenant in self._seen:
                self._shared.setdefault(tenant, _Counts()).add(taken)
        finally:
            self._leaving[tenant] -= 1
            if not self._leaving[tenant]:
                del self._leaving[tenant]

    @contextlib.contextmanager
    def _reading(self) -> Iterator[set[str]]:
        """While a read of totals is in flight, the tenants a leave adds records of: Redis may have run that leave
        before or after the read, so the read cannot replace what this process has added for them since."""
        racing = set(self._leaving)
        self._reads.append(racing)
        try:
            yield racing
        finally:
            self._reads = [other for other in self._reads if other is not racing]

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._refresh_leases())

    async def _refresh_leases(self) -> None:
        """Keep this replica's slots alive while their requests run (runs may outlast a lease's TTL)."""
        while self._leases:
            await asyncio.sleep(self.lease_ttl_ms / 3000)
            for tenant, held in list(self._leases.items()):
                if not held:
                    continue
                try:
                    await self._refresh(keys=[self.key(tenant, "inflight")], args=[self.lease_ttl_ms, *held])
                except (RedisError, OSError) as exc:
                    log.error("runtime.limiter_refresh_failed", extra={"tenant_id": tenant,
                                                                       "error_type": exc.__class__.__name__})

    # -- the exchange of counts -------------------------------------------------------------------
    def _increments(self, tenant: str, counts: _Counts) -> list[tuple[str, int, int]]:
        """Each counter ``counts`` adds to: its key, the count, the key's TTL (s)."""
        return [(self.key(tenant, kind, unit), count, ttl)
                for kind, by_unit, ttl in counts.kinds() for unit, count in by_unit.items()]

    async def sync(self) -> None:
        """Add what this process recorded to Redis, then read back the totals of the recently active tenants."""
        now = self._wall()
        second, day, month = int(now), int(now) // DAY_S, month_of(now)
        for tenant in [t for t, seen in self._seen.items() if seen < now - ACTIVE_S]:
            del self._seen[tenant]
            self._shared.pop(tenant, None)
        taken, self._pending = self._pending, {}
        tenants = sorted(self._seen)
        pipe = self.client.pipeline(transaction=False)
        for tenant, counts in taken.items():
            for counter, count, ttl in self._increments(tenant, counts):
                pipe.incrby(counter, count)
                pipe.expire(counter, ttl)
        seconds = list(range(second - WINDOW_S + 1, second + 1))
        for tenant in tenants:
            pipe.mget([self.key(tenant, "req", s) for s in seconds])
            pipe.mget([self.key(tenant, "tool", s) for s in seconds])
            pipe.get(self.key(tenant, "tokens", day))
            pipe.get(self.key(tenant, "cost", month))
        with self._reading() as racing:
            try:
                answers = await pipe.execute()
            except (RedisError, OSError) as exc:
                self._restore(taken)
                if not self._down:
                    self._down = True
                    log.error("runtime.quota_sync_failed", extra={"error_type": exc.__class__.__name__})
                return
        self._down = False
        reads = answers[len(answers) - 4 * len(tenants):]
        for index, tenant in enumerate(tenants):
            if tenant in racing:
                # A leave added this tenant's records while these reads were under way, before or after them:
                # keep the last totals plus what was added since, and read again at the next exchange.
                self._shared.setdefault(tenant, _Counts()).add(taken.get(tenant) or _Counts())
                continue
            requests, tool_calls, tokens, cost = reads[4 * index : 4 * index + 4]
            self._shared[tenant] = _Counts(requests=_by_second(seconds, requests),
                                           tool_calls=_by_second(seconds, tool_calls), tokens={day: int(tokens or 0)},
                                           cost={month: int(cost or 0)})

    def _restore(self, taken: dict[str, _Counts]) -> None:
        """Put records that could not be added back in front of the ones made meanwhile."""
        since = int(self._wall()) - WINDOW_S
        for tenant, counts in taken.items():
            current = self._pending.setdefault(tenant, _Counts())
            current.add(counts)
            # Records older than the window would never count again: drop them rather than grow without bound.
            current.requests = {s: n for s, n in current.requests.items() if s > since}
            current.tool_calls = {s: n for s, n in current.tool_calls.items() if s > since}

    async def run(self) -> None:
        """Exchange counts with Redis every ``interval_s`` until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            await self.sync()

    async def close(self) -> None:
        """Stop refreshing slots, add what is still pending, then close the connection."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self.sync()
        await self.client.aclose()


def _by_second(seconds: list[int], values: list[bytes | None]) -> dict[int, int]:
    return {second: int(value) for second, value in zip(seconds, values, strict=True) if value}
