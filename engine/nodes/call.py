"""Call steps: run another workflow for the same tenant, as a sub-run."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from engine.compile.ir import IRNode
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.errors import AuthError, TemplateError
from engine.nodes.base import Build, NodeFn, context_of, failure_record, handle_failure, succeeded, variables
from engine.skills.policy import Attempts, run_with_policy
from engine.templating import render_value


def build(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.call is not None
    callee = step.call
    payload = b.template(node, ("with",), step.with_ or {})
    services = b.services

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        ctx = context_of(runtime)
        started, attempts = time.perf_counter(), Attempts()
        try:
            rendered = render_value(payload, variables(state, ctx))

            async def once() -> dict[str, Any]:
                return await services.invoke_workflow(callee, rendered, ctx)

            result = await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
        except (AuthError, TemplateError):
            raise  # closed by default, and an author's mistake: never routed around by on_error
        except Exception as exc:
            return handle_failure(node, b.ir, failure_record(node, exc, max(attempts.count, 1), started))
        # The callee's usage and guard records belong to this run too.
        return succeeded(node, result.get("output", {}), usage=result.get("usage", []), guard=result.get("guard", []))

    return run
