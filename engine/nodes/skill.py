"""Skill and tool steps: render inputs, then call through the bridge chain."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from engine.compile.ir import IRNode
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.errors import AuthError, TemplateError
from engine.nodes.base import Build, NodeFn, context_of, failure_record, handle_failure, succeeded, variables
from engine.skills.bridge import SkillCall
from engine.skills.registry import Kind
from engine.templating import render_value


def build(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None
    kind: Kind = "skill" if step.skill is not None else "tool"
    name = step.skill if step.skill is not None else step.tool
    assert name is not None
    inputs = b.template(node, ("with",), step.with_ or {})
    services, workflow = b.services, b.ir.name

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        ctx = context_of(runtime)
        started = time.perf_counter()
        call = SkillCall(kind=kind, name=name, step=node.id, workflow=workflow, ctx=ctx, inputs={},
                         retry=step.retry, timeout_s=step.timeout_s)
        try:
            call.inputs = render_value(inputs, variables(state, ctx))
            output = await services.call_skill(call)
        except (AuthError, TemplateError):
            raise  # closed by default, and an author's mistake: never routed around by on_error
        except Exception as exc:
            return handle_failure(node, b.ir, failure_record(node, exc, max(call.attempts, 1), started))
        return succeeded(node, output, usage=call.annotations.get("usage", []))

    return run
