"""One part of a run, observed: its span, its tokens in the meter, its record in the usage ledger.

A run may come in parts: a new run, then after a pause at an ``ask`` step its
answer, or after a crash or a failed step its resumption. Each part is one
:class:`RunPart`; they share the run's id (kept in the checkpoints'
metadata), so the ledger keeps one record per run and the meter counts each
model call's tokens once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from engine.context import TenantContext
from engine.telemetry import logs
from engine.telemetry.instruments import Telemetry, active
from engine.telemetry.ledger import Ledger, RunRecord
from engine.telemetry.users import user_hash
from engine.usage import Meter, OverLimit


@dataclass
class RunTally:
    """What a part of a run did that its state does not keep."""

    tool_calls: int = 0


#: The tally of the run part in progress (the dispatcher counts its authorized tool calls into it).
RUN_TALLY: ContextVar[RunTally | None] = ContextVar("tenantflow_run_tally", default=None)


def new_run_id() -> str:
    return uuid.uuid4().hex


class RunPart:
    """Observe one part of a run: :meth:`running` around the graph, then :meth:`finished` or :meth:`failed`."""

    def __init__(self, *, workflow: str, version: str, ctx: TenantContext, run_id: str, mode: str, meter: Meter,
                 ledger: Ledger | None, seen_usage: int = 0, parent: Any = None):
        self.workflow, self.version, self.ctx, self.run_id, self.mode = workflow, version, ctx, run_id, mode
        self.meter, self.ledger, self.seen_usage = meter, ledger, seen_usage
        self.tally = RunTally()
        self.started_wall, self.started = time.time(), time.perf_counter()
        self.telemetry: Telemetry | None = active()
        self.span = self.telemetry.start_run(ctx, workflow, run_id, mode, parent) if self.telemetry else None

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """In the task that runs the graph: its tool calls count here, its spans are children of the run's."""
        tally = RUN_TALLY.set(self.tally)
        attached = otel_context.attach(trace.set_span_in_context(self.span)) if self.span is not None else None
        try:
            yield
        finally:
            if attached is not None:
                otel_context.detach(attached)
            RUN_TALLY.reset(tally)

    async def finished(self, state: dict[str, Any], paused: bool = False) -> None:
        """The part ended with ``state`` (the run's whole usage so far): meter, span and ledger."""
        usage = list(state.get("usage") or [])
        new = usage[self.seen_usage:]
        self.meter.record_tokens(self.ctx.tenant_id, sum(u["input_tokens"] + u["output_tokens"] for u in new))
        outcome = "waiting" if paused or state.get("__interrupt__") else "blocked" if state.get("blocked") \
            else "completed"
        if self.telemetry is not None and self.span is not None:
            self.telemetry.run_ended(self.span, self.ctx, self.workflow, outcome, new)
        await self._record(outcome, usage)

    async def failed(self, exc: BaseException, usage: list[dict[str, Any]] | None) -> None:
        """The part raised ``exc``; ``usage`` is what its checkpoints kept of the run (None: nothing kept)."""
        outcome = "refused" if isinstance(exc, OverLimit) else "cancelled" if isinstance(
            exc, (GeneratorExit, asyncio.CancelledError)) else "failed"
        if self.telemetry is not None and self.span is not None:
            self.telemetry.run_failed(self.span, self.ctx, self.workflow, outcome, exc)
        await self._record(outcome, usage or [])

    async def _record(self, outcome: str, usage: list[dict[str, Any]]) -> None:
        if self.ledger is None:
            return
        try:
            await self.ledger.write(self._record_of(outcome, usage))
        except Exception as exc:
            # The run happened: failing its request now would have the client run it again. The ledger's
            # outage is logged (an operator reconciles from the spans and the meter meanwhile).
            logs.event("ledger.write_failed", logging.ERROR, **{"tenant.id": self.ctx.tenant_id},
                       run_id=self.run_id, outcome=outcome, error_type=exc.__class__.__name__)

    def _record_of(self, outcome: str, usage: list[dict[str, Any]]) -> RunRecord:
        return RunRecord(
            run_id=self.run_id, tenant=self.ctx.tenant_id, tier=self.ctx.tier,
            user_hash=user_hash(self.ctx.tenant_id, self.ctx.user_id),
            workflow=self.workflow, version=self.version, session=self.ctx.session_id, started_at=self.started_wall,
            duration_ms=round((time.perf_counter() - self.started) * 1000, 3), outcome=outcome,
            tool_calls=self.tally.tool_calls, models=RunRecord.models_of(usage))
