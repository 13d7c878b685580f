"""Per-tenant usage, counted once: what Cedar policies read as ``context.quota`` and the request limiter checks.

:class:`Meter` is the interface, :class:`LocalMeter` counts in this process;
``engine.usage.redis.RedisMeter`` shares the counts between workers and
replicas (imported where used: it needs a Redis client). The engine records
into the meter, the authorizer reads it, and the runtime admits requests
through it; this package imports none of them.
"""

from engine.usage.budget import BudgetExceeded
from engine.usage.local import LocalMeter
from engine.usage.meter import Lease, LimiterUnavailable, Limits, Meter, OverLimit

__all__ = ["Meter", "LocalMeter", "Limits", "Lease", "OverLimit", "LimiterUnavailable", "BudgetExceeded"]
