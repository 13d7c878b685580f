"""Bridge: auth. The caller's tenant context is present, entitled, and allowed by policy.

Closed by default: no context, no implementation for this tenant, no
entitlement, or no Cedar policy permitting the call (a forbid always wins)
means the call is refused before any implementation runs.
"""

from __future__ import annotations

from typing import Any

from engine.errors import AuthError
from engine.skills.bridge import Handler, SkillCall


async def bridge(call: SkillCall, call_next: Handler) -> Any:
    if call.ctx is None:
        raise AuthError(f"{call.kind} '{call.name}' called without a tenant context")
    if not call.entitled(call.ctx, call.kind, call.name):
        raise AuthError(f"tenant '{call.ctx.tenant_id}' is not entitled to {call.kind} '{call.name}'")
    if call.implementation is None:
        raise AuthError(f"{call.kind} '{call.name}' has no implementation for tenant '{call.ctx.tenant_id}'")
    if call.implementation.scope not in ("shared", call.ctx.tenant_id):
        # Defense in depth: never run another tenant's own implementation.
        raise AuthError(f"{call.kind} '{call.name}' resolved outside tenant '{call.ctx.tenant_id}'")
    call.authorize(call)  # Cedar: principal, action, resource, context (tier, flags, quota, input)
    return await call_next(call)
