"""``return:`` steps: render the workflow's output and go to the output guard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.ir import GUARD_OUTPUT, IRNode
from engine.kinds.base import (
    Build,
    Goto,
    Lowerer,
    NodeFn,
    RunContext,
    Scope,
    StepKind,
    TemplateRef,
    context_of,
    variables,
)
from engine.spec.workflow import Step
from engine.templating import render_value

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class Return(StepKind):
    name = "return"
    needs_id = False
    field_name = "return_"
    spec = dict[str, Any]
    allows_next = False
    in_branch = False
    shape = ("([", "])")

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        yield TemplateRef(("return",), step.body)

    def lower(self, lw: Lowerer, node: IRNode, follow: str, nxt: str | Goto, scope: Scope) -> None:
        lw.ir.connect(node.id, GUARD_OUTPUT)

    def build(self, node: IRNode, b: Build) -> NodeFn:
        assert node.step is not None
        values = b.template(node, ("return",), node.step.body)

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            return {"output": render_value(values, variables(state, context_of(runtime)))}

        return run
