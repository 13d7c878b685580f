"""Worker threads for blocking (plain ``def``) skills and tools: a small pool per tenant.

asyncio's default executor is one queue for everyone (6 threads on a
2-core machine): a tenant whose skills block fills it, and every other
tenant's blocking calls wait behind them (200 runs blocking 0.5 s took
33.6 s, issue 18). Here each tenant has its own pool of at most
:data:`THREADS_PER_TENANT` threads: a tenant's blocking calls queue behind its
own only. Pools are made on a tenant's first blocking call and kept for the
:data:`MAX_POOLS` tenants that used one last; an evicted pool finishes what it
was given and its threads end.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

THREADS_PER_TENANT = 4
MAX_POOLS = 256


class TenantThreads:
    def __init__(self, *, per_tenant: int = THREADS_PER_TENANT, max_pools: int = MAX_POOLS):
        self.per_tenant, self.max_pools = per_tenant, max_pools
        self._pools: OrderedDict[str, ThreadPoolExecutor] = OrderedDict()
        self._lock = threading.Lock()

    def pool(self, tenant: str) -> ThreadPoolExecutor:
        with self._lock:
            found = self._pools.get(tenant)
            if found is not None:
                self._pools.move_to_end(tenant)
                return found
            made = self._pools[tenant] = ThreadPoolExecutor(self.per_tenant, thread_name_prefix=f"skill-{tenant}")
            while len(self._pools) > self.max_pools:
                _, evicted = self._pools.popitem(last=False)
                evicted.shutdown(wait=False)
            return made

    async def run(self, tenant: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in one of ``tenant``'s threads, with the caller's context variables (as
        :func:`asyncio.to_thread` passes them)."""
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.pool(tenant), call)


#: The process's pools: every engine in it shares them, as they shared asyncio's default executor.
tenant_threads = TenantThreads()
