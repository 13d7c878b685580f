"""``skill:`` steps: render ``with``, then call the skill through the bridge chain.

The bridge resolves, per run, the tenant's own implementation or the shared one.
"""

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
from engine.kinds.models import check_model
from engine.skills.bridge import SkillCall
from engine.skills.registry import Kind, SkillRegistry
from engine.spec.hints import did_you_mean
from engine.spec.workflow import Step
from engine.templating import render_value
from engine.tenancy import TenantSettings

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class Skill(StepKind):
    name = "skill"
    calls_model = True
    spec = str
    work = True

    def bind(self, node: IRNode, b: Binding) -> Iterable[Problem]:
        assert node.step is not None
        written: str = node.step.body
        path = (*node.path, "skill")
        name, _, version = written.partition("@")
        tenant = b.tenant
        impl = b.skills.resolve("skill", name, tenant.tenant_id, version or None)
        problems: list[Problem] = []
        if impl is not None and impl.prompt is not None:
            # A prompt skill's model obeys the same tier rules as an llm step.
            problems += check_model(b, path, impl.prompt.llm.model)
        if impl is None:
            problems.append(b.problem(path, f"unknown skill '{written}' for tenant '{tenant.tenant_id}'",
                                      hint=did_you_mean(name, b.skills.names("skill", tenant.tenant_id)),
                                      code="unknown-skill"))
        elif not tenant.entitlements.allows("skill", name):
            problems.append(b.problem(path, f"tenant '{tenant.tenant_id}' is not entitled to skill '{name}'",
                                      hint="add it to entitlements.skills in the tenant file", code="not-entitled"))
        return problems

    def bound_outputs(self, step: Step, b: Binding) -> frozenset[str] | None:
        return call_outputs("skill", step.body, b)

    def describe(self, node: IRNode, body: Any, tenant: TenantSettings, skills: SkillRegistry) -> dict[str, Any]:
        return describe_call("skill", body, tenant, skills)

    def label(self, described: dict[str, Any]) -> str:
        return call_label("skill", described)

    def build(self, node: IRNode, b: Build) -> NodeFn:
        return build_call(node, b, "skill")


def call_outputs(kind: Kind, written: str, b: Binding) -> frozenset[str] | None:
    """The keys the tenant's implementation of a skill or tool answers with, where its type says
    (a pydantic model or TypedDict, a prompt skill's ``output:``); None when any key may come back."""
    name, _, version = written.partition("@")
    impl = b.skills.resolve(kind, name, b.tenant.tenant_id, version or None)
    return impl.output_keys if impl is not None else None


def describe_call(kind: Kind, name: str, tenant: TenantSettings, skills: SkillRegistry) -> dict[str, Any]:
    """The name as written, and which implementation serves this tenant."""
    base, _, version = name.partition("@")
    out: dict[str, Any] = {kind: name}
    impl = skills.resolve(kind, base, tenant.tenant_id, version or None)
    if impl is not None:
        out["implementation"] = {"scope": impl.scope, "version": impl.version, "source": impl.source}
    return out


def call_label(kind: str, described: dict[str, Any]) -> str:
    scope = described.get("implementation", {}).get("scope")
    return f"{kind}: {described[kind]}" + (f" ({scope})" if scope and scope != "shared" else "")


def build_call(node: IRNode, b: Build, kind: Kind) -> NodeFn:
    """A node that calls a skill or tool through the bridge chain, for the run's tenant."""
    step = node.step
    assert step is not None
    name: str = step.body
    inputs = b.template(node, ("with",), step.with_ or {})
    workflow = b.ir.name

    async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run_ctx = run_context(runtime)
        ctx = run_ctx.tenant
        started = time.perf_counter()
        call = SkillCall(kind=kind, name=name, step=node.id, workflow=workflow, ctx=ctx, inputs={},
                         retry=step.retry, timeout_s=step.timeout_s)
        try:
            call.inputs = render_value(inputs, variables(state, ctx))
            output = await run_ctx.services.call_skill(call)
        except (AuthError, TemplateError):
            raise  # closed by default, and an author's mistake: never routed around by on_error
        except Exception as exc:
            return handle_failure(node, failure_record(node, exc, max(call.attempts, 1), started))
        return succeeded(node, output, usage=call.annotations.get("usage", []))

    return run


