"""Fair share between tenants: the admitted runs of a tenant over its limits step aside for everyone else's.

Limits refuse a noisy tenant's excess requests, but the runs it is still
allowed share the worker's CPU with its neighbours' runs. A tenant whose
request was refused (rate or concurrency) in the last ``penalty_s`` seconds
is *over*; before each step of an over tenant's run, the run waits while a
run of any tenant that is not over is in flight, at most ``max_wait_s`` per
step. The well-behaved tenant's run then goes through almost as if alone,
and the noisy tenant still progresses: at worst its runs take
``max_wait_s`` longer per step, only while it keeps exceeding its limits.

The gate runs at step boundaries (:mod:`engine.steps`); a step already
running is never interrupted. Each worker process keeps its own view (the
refusals it made itself), which is enough: the limits behind it are shared.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from engine.steps import Gate

#: How long a refusal marks a tenant as over its limits.
PENALTY_S = 2.0
#: The longest an over tenant's run waits before one step.
MAX_WAIT_S = 0.05


class Fairness:
    """Who is over their limits now, and how many runs of tenants who are not are in flight."""

    def __init__(self, *, penalty_s: float = PENALTY_S, max_wait_s: float = MAX_WAIT_S,
                 clock: Callable[[], float] = time.monotonic):
        self.penalty_s, self.max_wait_s, self._clock = penalty_s, max_wait_s, clock
        self._over_until: dict[str, float] = {}
        #: Runs in flight of tenants that were not over when the run started.
        self.calm_in_flight = 0
        self._no_calm = asyncio.Event()
        self._no_calm.set()
        #: Waits that ended because every calm run had finished / because ``max_wait_s`` ran out.
        self.yielded = 0
        self.timed_out = 0

    def refused(self, tenant: str) -> None:
        """A request of ``tenant`` was refused for its rate or concurrency: it is over its limits for a while."""
        self._over_until[tenant] = self._clock() + self.penalty_s

    def is_over(self, tenant: str) -> bool:
        until = self._over_until.get(tenant)
        if until is None:
            return False
        if until <= self._clock():
            del self._over_until[tenant]
            return False
        return True

    def start(self, tenant: str) -> FairRun:
        """A run of ``tenant`` starts: if its tenant is over now, it gets a gate its steps await; if not, it
        counts as a calm run that over tenants' runs wait for. Call :meth:`FairRun.finish` when it ends."""
        if self.is_over(tenant):
            return FairRun(self, self._gate_for(tenant), calm=False)
        self.calm_in_flight += 1
        self._no_calm.clear()
        return FairRun(self, None, calm=True)

    @contextmanager
    def running(self, tenant: str) -> Iterator[Gate | None]:
        """:meth:`start` and :meth:`FairRun.finish` around a block; gives the gate (None: the run waits for no one)."""
        run = self.start(tenant)
        try:
            yield run.gate
        finally:
            run.finish()

    def _calm_run_ended(self) -> None:
        self.calm_in_flight -= 1
        if self.calm_in_flight == 0:
            self._no_calm.set()

    def _gate_for(self, tenant: str) -> Gate:
        async def gate() -> None:
            if not self.calm_in_flight or not self.is_over(tenant):
                return
            try:
                await asyncio.wait_for(self._no_calm.wait(), self.max_wait_s)
                self.yielded += 1
            except TimeoutError:
                self.timed_out += 1

        return gate


class FairRun:
    """One run as the fair-share scheduler sees it: its gate (None for a calm run) and its end."""

    __slots__ = ("_fairness", "gate", "_calm")

    def __init__(self, fairness: Fairness, gate: Gate | None, *, calm: bool):
        self._fairness, self.gate, self._calm = fairness, gate, calm

    def finish(self) -> None:
        """The run has ended (idempotent)."""
        if self._calm:
            self._calm = False
            self._fairness._calm_run_ended()
