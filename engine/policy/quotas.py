"""Current quota usage per tenant, as Cedar policies see it in ``context.quota``.

Counted in this process: requests and tool calls in the last minute (a
sliding window) and model tokens since midnight UTC. A runtime started with
Redis (``--redis``) uses :class:`~engine.runtime.redis_quotas.RedisQuotaUsage`
instead, which every worker and replica shares.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.spec.project import Quotas

WINDOW_S = 60.0
DAY_S = 86400


@dataclass
class _Tenant:
    requests: deque[float] = field(default_factory=deque)
    tool_calls: deque[float] = field(default_factory=deque)
    day: int = -1
    tokens: int = 0


class QuotaUsage:
    """Per-tenant counters; ``snapshot`` is what one decision reads."""

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

    def reset(self) -> None:
        """Forget every counter, as a new process would (benchmarks, tests)."""
        self._tenants.clear()

    def record_request(self, tenant: str) -> None:
        self._get(tenant).requests.append(self._clock())

    def record_tool_call(self, tenant: str) -> None:
        self._get(tenant).tool_calls.append(self._clock())

    def record_tokens(self, tenant: str, tokens: int) -> None:
        self._get(tenant).tokens += max(0, int(tokens))

    def snapshot(self, tenant: str, limits: Quotas) -> dict[str, int]:
        """The tenant's usage and, where set, its limits: ``context.quota`` of one decision."""
        found = self.usage(tenant)
        for name in ("requests_per_minute", "tokens_per_day", "concurrency"):
            value = getattr(limits, name)
            if value is not None:
                found[name] = int(value)
        return found

    def usage(self, tenant: str) -> dict[str, int]:
        """Requests and tool calls in the last minute, model tokens today."""
        state = self._get(tenant)
        return {"requests_last_minute": self._trim(state.requests),
                "tool_calls_last_minute": self._trim(state.tool_calls), "tokens_today": state.tokens}
