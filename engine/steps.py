"""A yield point before every step of every run: where a scheduler may make a run wait its turn.

The engine itself never waits here. A host sets a gate for the runs it starts
(the runtime server's fair-share gate, :mod:`engine.runtime.fairness`) and
every step of those runs awaits it before its work; runs started elsewhere
(CLI, tests, an embedding application) carry no gate and pay one context
variable lookup per step.

>>> with step_gate(my_gate):                  # doctest: +SKIP
...     await engine.run("support-triage", ctx, payload)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Gate = Callable[[], Awaitable[None]]

#: Copied into the tasks LangGraph starts for a run's steps, like every context variable.
STEP_GATE: ContextVar[Gate | None] = ContextVar("tenantflow_step_gate", default=None)


@contextmanager
def step_gate(gate: Gate | None) -> Iterator[None]:
    """Every step of the runs started inside the block awaits ``gate()`` first."""
    token = STEP_GATE.set(gate)
    try:
        yield
    finally:
        STEP_GATE.reset(token)
