"""``tenantflow run --trace``: what a run did, step by step, in the order the steps finished.

Each line: the step, its kind, the time since the previous step finished, the
route it took (a switch's goto, an ``ok``/``error`` branch), the attempts of a
step that failed and was handled, the model each LLM call resolved to, and the
step's output as the tenant's output guard would let it out: redacted by its
rules, or withheld when a rule would block it. Outputs are shortened to one
line. A step that ran several times (in a loop) shows the output of its last
run each time, and every model call it made.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.engine import Engine, RunResult

MAX_SHOWN = 160


@dataclass
class TraceStep:
    step: str
    kind: str
    elapsed_ms: float


@dataclass
class Trace:
    workflow: str
    tenant: str
    steps: list[TraceStep] = field(default_factory=list)


async def traced_run(engine: Engine, workflow: str, ctx: Any, payload: Any, credential: Any = None,
                     ) -> tuple[Trace, RunResult]:
    """Run through :meth:`Engine.stream`, timing each step event; return the trace and the result."""
    from engine.engine import RunResult, StepEvent

    trace = Trace(workflow, ctx.tenant_id)
    last = time.perf_counter()
    async for event in engine.stream(workflow, ctx, payload, credential=credential):
        if isinstance(event, RunResult):
            return trace, event
        if not isinstance(event, StepEvent):
            continue  # a streamed step's text: the trace shows the step's whole output when it finishes
        now = time.perf_counter()
        trace.steps.append(TraceStep(event.step, event.kind, (now - last) * 1000))
        last = now
    raise AssertionError("a stream ends with its result")


def render_trace(engine: Engine, trace: Trace, result: RunResult) -> str:
    chain = engine.guard_chain(trace.tenant)
    models: dict[str, list[str]] = {}
    for call in result.usage:
        models.setdefault(call["step"], []).append(f"{call.get('model_alias', '?')} ({call['model']})")
    errors = {e["step"]: e for e in result.errors}
    lines = [f"trace: {trace.workflow} for tenant {trace.tenant}, {result.duration_ms:.1f} ms"]
    width = max((len(s.step) for s in trace.steps), default=4)
    for i, step in enumerate(trace.steps, 1):
        parts = [f"{i:>3}. {step.step:<{width}}  {step.kind:<12} {step.elapsed_ms:8.1f} ms"]
        output = result.steps.get(step.step)
        if isinstance(output, dict) and "goto" in output and step.kind == "switch":
            parts.append(f"route: {output['goto']}")
        if step.step in errors:
            error = errors[step.step]
            parts.append(f"failed after {error['attempts']} attempt{'s' if error['attempts'] != 1 else ''}: "
                         f"{error['error']}, handled by on_error")
        if step.step in models:
            parts.append("model: " + ", ".join(models[step.step]))
        if output is not None and step.step not in errors:
            parts.append("-> " + _shown(chain, output))
        lines.append("  ".join(parts))
    if result.blocked:
        lines.append(f"     blocked: {result.blocked}")
    return "\n".join(lines)


def _shown(chain: Any, value: Any) -> str:
    checked = chain.check_value(value, "output", tenant=None)
    if any(getattr(r, "action", None) == "block" or (isinstance(r, dict) and r.get("action") == "block")
           for r in checked.records):
        return "[withheld: the output guard would block it]"
    text = json.dumps(checked.value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"
