"""``GET /ping``: Healthy, or HealthyBusy while runs are in flight, and since when."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

Status = Literal["Healthy", "HealthyBusy"]


class Health:
    """Counts runs in flight; the status changes, and its timestamp with it, as the count leaves or reaches 0."""

    def __init__(self, wall: Callable[[], float] = time.time):
        self._wall = wall
        self.in_flight = 0
        self.last_update = int(wall())
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def status(self) -> Status:
        return "HealthyBusy" if self.in_flight else "Healthy"

    def ping(self) -> dict[str, object]:
        """The body AgentCore Runtime reads: ``{"status": ..., "time_of_last_update": epoch seconds}``."""
        return {"status": self.status, "time_of_last_update": self.last_update}

    def started(self) -> None:
        if self.in_flight == 0:
            self.last_update = int(self._wall())
            self._idle.clear()
        self.in_flight += 1

    def finished(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self.last_update = int(self._wall())
            self._idle.set()

    async def drained(self, timeout_s: float) -> bool:
        """Wait until no run is in flight; False if some still were after ``timeout_s``."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True
