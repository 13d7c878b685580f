"""The name engine/engine.py knows the in-process meter by, for ``Engine(quotas=...)`` and ``engine.quotas``.

Usage is counted in :mod:`engine.usage`, once for policies and the request
limiter. This module goes when engine.py imports ``LocalMeter`` and ``Meter``
from there and types its parameter ``quotas: Meter | None``.
"""

from engine.usage.local import LocalMeter as QuotaUsage

__all__ = ["QuotaUsage"]
