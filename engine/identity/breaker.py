"""A circuit breaker for one dependency: after a failure, no call until a backoff has passed.

Each consecutive failure opens the breaker for twice as long as the one
before (``base_s``, ``2 * base_s``, ... at most ``max_s``): the failure is
remembered (negative caching) instead of being tried again on every request.
When the backoff has passed the breaker is half-open: the next call is a
trial; its success closes the breaker, its failure opens it for longer.

>>> now = [0.0]
>>> breaker = Breaker(base_s=1, max_s=4, clock=lambda: now[0])
>>> breaker.failed(); breaker.failed(); breaker.state, breaker.retry_in()
('open', 2.0)
>>> now[0] = 2.0; breaker.state, breaker.allows()
('half-open', True)
>>> breaker.succeeded(); breaker.state
'closed'
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Breaker:
    """Not thread-safe on its own: its owner calls it under its lock."""

    def __init__(self, *, base_s: float = 1.0, max_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.base_s, self.max_s, self._clock = base_s, max_s, clock
        #: Consecutive failures since the last success.
        self.failures = 0
        self._retry_at = 0.0

    @property
    def state(self) -> str:
        if not self.failures:
            return "closed"
        return "half-open" if self.allows() else "open"

    def allows(self) -> bool:
        """Whether a call may be tried now."""
        return self._clock() >= self._retry_at

    def retry_in(self) -> float:
        """Seconds until the next call may be tried (0: now)."""
        return max(0.0, self._retry_at - self._clock())

    def failed(self) -> None:
        self.failures += 1
        self._retry_at = self._clock() + min(self.max_s, self.base_s * 2 ** (self.failures - 1))

    def succeeded(self) -> None:
        self.failures, self._retry_at = 0, 0.0
