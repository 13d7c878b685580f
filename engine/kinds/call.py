"""``call:`` steps: run another workflow for the same tenant, as a sub-run."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from engine.errors import AuthError, Problem, TemplateError
from engine.ir import IRNode
from engine.kinds.base import (
    Binding,
    Build,
    NodeFn,
    RunContext,
    StepKind,
    failure_record,
    handle_failure,
    run_context,
    succeeded,
    variables,
)
from engine.skills.registry import SkillRegistry
from engine.skills.retry import Attempts, run_with_policy
from engine.spec.hints import did_you_mean
from engine.spec.workflow import Step
from engine.templating import render_value
from engine.tenancy import TenantSettings

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class Call(StepKind):
    name = "call"
    spec = str
    work = True
    shape = ("[[", "]]")

    def bind(self, node: IRNode, b: Binding) -> Iterable[Problem]:
        assert node.step is not None
        callee: str = node.step.body
        path = (*node.path, "call")
        if callee not in b.workflows:
            return [b.problem(path, f"unknown workflow '{callee}'", hint=did_you_mean(callee, b.workflows),
                              code="unknown-workflow")]
        if not b.tenant.runs(callee):
            return [b.problem(path, f"tenant '{b.tenant.tenant_id}' does not run workflow '{callee}'",
                              code="workflow-not-enabled")]
        return []

    def bound_outputs(self, step: Step, b: Binding) -> frozenset[str] | None:
        # The called workflow's declared `output:`; without one (or when the callee is unknown, reported
        # by bind) any key.
        return b.workflow_outputs.get(step.body)

    def describe(self, node: IRNode, body: Any, tenant: TenantSettings, skills: SkillRegistry) -> dict[str, Any]:
        return {"call": body}

    def label(self, described: dict[str, Any]) -> str:
        return f"call: {described['call']}"

    def build(self, node: IRNode, b: Build) -> NodeFn:
        step = node.step
        assert step is not None
        callee: str = step.body
        payload = b.template(node, ("with",), step.with_ or {})

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            run_ctx = run_context(runtime)
            ctx = run_ctx.tenant
            started, attempts = time.perf_counter(), Attempts()
            try:
                rendered = render_value(payload, variables(state, ctx))

                async def once() -> dict[str, Any]:
                    return await run_ctx.services.invoke_workflow(callee, rendered, ctx)

                result = await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
            except (AuthError, TemplateError):
                raise  # closed by default, and an author's mistake: never routed around by on_error
            except Exception as exc:
                return handle_failure(node, failure_record(node, exc, max(attempts.count, 1), started))
            # The callee's usage and guard records belong to this run too.
            return succeeded(node, result.get("output", {}), usage=result.get("usage", []),
                             guard=result.get("guard", []))

        return run
