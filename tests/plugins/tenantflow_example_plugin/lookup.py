"""``lookup:`` steps: map a rendered key through a table written in the workflow.

    - id: route
      lookup:
        key: "{{ input.region }}"
        table: {eu: team-berlin, us: team-austin}
        default: team-global
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import Problem
from engine.ir import IRNode, WorkflowIR
from engine.kinds import Build, NodeFn, RunContext, StepKind, TemplateRef, context_of, problem, succeeded, variables
from engine.spec.workflow import Step
from engine.templating import render_value


class LookupSpec(BaseModel):
    """Map ``key`` through ``table``; ``default`` when it has no entry."""

    model_config = ConfigDict(extra="forbid")

    key: str
    table: dict[str, str] = Field(min_length=1)
    default: str | None = None


class Lookup(StepKind):
    name = "lookup"
    spec = LookupSpec
    shape = ("[/", "\\]")

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        yield TemplateRef(("lookup", "key"), step.body.key)

    def check(self, node: IRNode, ir: WorkflowIR, locate: Any) -> Iterable[Problem]:
        spec: LookupSpec = node.step.body  # type: ignore[union-attr]
        if spec.default is not None and spec.default in spec.table:
            return [problem(locate, (*node.path, "lookup", "default"),
                            f"default '{spec.default}' is also a key of the table", code="lookup-default")]
        return []

    def describe(self, node: IRNode, body: Any, tenant: Any, skills: Any) -> dict[str, Any]:
        return {"lookup": {"entries": len(body.table), "default": body.default}}

    def label(self, described: dict[str, Any]) -> str:
        return f"lookup: {described['lookup']['entries']} entries"

    def build(self, node: IRNode, b: Build) -> NodeFn:
        spec: LookupSpec = node.step.body  # type: ignore[union-attr]
        key = b.template(node, ("lookup", "key"), spec.key)

        async def run(state: Any, runtime: Runtime[RunContext]) -> dict[str, Any]:
            ctx = context_of(runtime)
            wanted = str(render_value(key, variables(state, ctx)))
            return succeeded(node, {"key": wanted, "value": spec.table.get(wanted, spec.default),
                                    "tenant": ctx.tenant_id})

        return run
