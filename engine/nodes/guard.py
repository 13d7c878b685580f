"""Guard nodes: the tenant's guard chain on the input (first) and the output (last).

The input guard is also where a run proves it belongs to its tenant: the
thread id must be the context tenant's own.
"""

from __future__ import annotations

from typing import Any

from langgraph.config import get_config
from langgraph.runtime import Runtime

from engine.compile.ir import GUARD_INPUT, IRNode
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.errors import AuthError
from engine.guardrails.chain import GuardChain
from engine.ids import thread_owner
from engine.nodes.base import Build, NodeFn, Services, context_of


def _chain(services: Services, ctx: TenantContext) -> GuardChain:
    return services.guard_chain(ctx.tenant_id)


def build_input(node: IRNode, b: Build) -> NodeFn:
    services = b.services

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        ctx = context_of(runtime)
        thread = get_config().get("configurable", {}).get("thread_id")
        if thread is not None and thread_owner(str(thread)) != ctx.tenant_id:
            raise AuthError(f"thread '{thread}' does not belong to tenant '{ctx.tenant_id}'")
        result = _chain(services, ctx).check_value(state.get("input", {}), "input")
        records = [dict(r) for r in result.records]
        if result.blocked:
            # The raw input never stays in state when the guard blocks it.
            return {"input": {}, "guard": records, "blocked": result.message, "route": {GUARD_INPUT: "blocked"}}
        return {"input": result.value, "guard": records, "route": {GUARD_INPUT: "ok"}}

    return run


def build_output(node: IRNode, b: Build) -> NodeFn:
    services = b.services

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        ctx = context_of(runtime)
        if state.get("blocked"):
            return {"output": {}}
        result = _chain(services, ctx).check_value(state.get("output", {}), "output")
        records = [dict(r) for r in result.records]
        if result.blocked:
            return {"output": {}, "guard": records, "blocked": result.message}
        return {"output": result.value, "guard": records}

    return run
