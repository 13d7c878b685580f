"""The same limits as :class:`~engine.runtime.limits.LocalLimiter`, shared by every replica through Redis.

One Lua script checks the daily tokens, the token bucket and the
concurrency slots of a tenant and, only if all allow it, takes a token and
a slot: atomic across replicas, one round trip per request. Time is
Redis's own clock (``TIME``), so replicas with skewed clocks agree.
Concurrency slots are leases with an expiry, refreshed while the request
runs, so a replica that dies does not hold its slots for ever. A tenant's
keys share a hash tag (``{tenant}``), so the scripts also run on Redis
Cluster.

If Redis cannot be reached, requests are refused (503), never let through
unlimited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from engine.runtime.limits import DAY_S, Lease, LimiterUnavailable, Limits, OverLimit, seconds_to_midnight_utc

log = logging.getLogger("tenantflow.runtime")

#: A concurrency slot expires this long after its last refresh (a replica that died gives its slots back).
LEASE_TTL_MS = 60_000

_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local budget = tonumber(ARGV[4])
if budget > 0 then
  local used = tonumber(redis.call('GET', KEYS[3]) or '0')
  if used >= budget then return {0, 'tokens_per_day', 0} end
end
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if tokens < 1 then return {0, 'requests_per_minute', math.ceil((1 - tokens) / rate)} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {0, 'concurrency', 1000} end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]) * 2)
return {1, 'ok', 0}
"""

_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
local n = tonumber(ARGV[2])
if n > 0 then
  redis.call('INCRBY', KEYS[2], n)
  redis.call('EXPIRE', KEYS[2], 2 * 86400)
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


class RedisLimiter:
    """Per-tenant limits shared through Redis (``redis.asyncio``), with Lua for atomic check-and-take."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = "tenantflow", lease_ttl_ms: int = LEASE_TTL_MS):
        self.client, self.prefix, self.lease_ttl_ms = client, prefix, lease_ttl_ms
        self._enter = client.register_script(_ENTER)
        self._leave = client.register_script(_LEAVE)
        self._refresh = client.register_script(_REFRESH)
        self._leases: dict[str, set[str]] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tenantflow", timeout_s: float = 1.0) -> RedisLimiter:
        client = aioredis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        return cls(client, prefix=prefix)

    def keys(self, tenant: str, day: int | None = None) -> tuple[str, str, str]:
        day = int(time.time() // DAY_S) if day is None else day
        base = f"{self.prefix}:{{{tenant}}}"
        return f"{base}:bucket", f"{base}:inflight", f"{base}:tokens:{day}"

    async def ping(self) -> None:
        """Raise LimiterUnavailable unless Redis answers (checked at startup)."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise LimiterUnavailable(f"Redis is unreachable: {exc.__class__.__name__}: {exc}") from None

    async def enter(self, tenant: str, limits: Limits) -> Lease:
        lease = Lease(tenant)
        args: list[Any] = [limits.rate_per_s, limits.burst, limits.concurrency, limits.tokens_per_day or 0, lease.id,
                           self.lease_ttl_ms]
        try:
            allowed, reason, retry_ms = await self._enter(keys=list(self.keys(tenant)), args=args)
        except (RedisError, OSError) as exc:
            raise LimiterUnavailable(f"{exc.__class__.__name__}: {exc}") from None
        if not int(allowed):
            why = reason.decode() if isinstance(reason, bytes) else str(reason)
            retry = seconds_to_midnight_utc(time.time()) if why == "tokens_per_day" else -(-int(retry_ms) // 1000)
            raise OverLimit(why, retry)
        self._leases.setdefault(tenant, set()).add(lease.id)
        self._start_heartbeat()
        return lease

    async def leave(self, lease: Lease, tokens: int = 0) -> None:
        held = self._leases.get(lease.tenant)
        if held is not None:
            held.discard(lease.id)
            if not held:
                del self._leases[lease.tenant]
        _, inflight, used = self.keys(lease.tenant)
        try:
            await self._leave(keys=[inflight, used], args=[lease.id, max(0, tokens)])
        except (RedisError, OSError) as exc:
            # The slot expires by itself; the tokens of this run are not counted.
            log.error("runtime.limiter_release_failed", extra={"tenant_id": lease.tenant,
                                                               "error_type": exc.__class__.__name__})

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
                    await self._refresh(keys=[self.keys(tenant)[1]], args=[self.lease_ttl_ms, *held])
                except (RedisError, OSError) as exc:
                    log.error("runtime.limiter_refresh_failed", extra={"tenant_id": tenant,
                                                                       "error_type": exc.__class__.__name__})

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self.client.aclose()
