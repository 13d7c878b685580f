"""Bridge: logging. A structured log line per call.

It carries tenant id, tier, workflow and step, and the implementation that
served the call (shared or the tenant's own); never inputs or outputs. The
call's span (``execute_tool {tool}`` / ``skill {name}``) is the engine's own,
around the whole chain (engine/telemetry/instruments.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from engine.skills.bridge import Handler, SkillCall
from engine.telemetry import logs


async def bridge(call: SkillCall, call_next: Handler) -> Any:
    # Runs before auth, so refused calls are logged too.
    impl = call.implementation
    attributes = {
        "tenant.id": call.ctx.tenant_id if call.ctx else "",
        "tenant.tier": call.ctx.tier if call.ctx else "",
        "gen_ai.workflow.name": call.workflow,
        "tenantflow.step": call.step,
        "tenantflow.kind": call.kind,
        "tenantflow.skill": call.name,
        "tenantflow.skill.version": impl.version if impl else "",
        "tenantflow.skill.scope": impl.scope if impl else "",
        "request.id": call.ctx.request_id if call.ctx else "",
    }
    started = time.perf_counter()
    try:
        result = await call_next(call)
    except Exception as exc:
        logs.event("skill.failed", logging.WARNING, **attributes, error=exc.__class__.__name__,
                   attempts=call.attempts, duration_ms=round((time.perf_counter() - started) * 1000, 3))
        raise
    logs.event("skill.called", **attributes, attempts=call.attempts,
               duration_ms=round((time.perf_counter() - started) * 1000, 3))
    return result
