"""``set:`` steps: a transform whose rendered values become the step's output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.ir import IRNode
from engine.kinds.base import Build, NodeFn, RunContext, StepKind, TemplateRef, context_of, variables
from engine.spec.workflow import Step
from engine.templating import render_value

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class Set(StepKind):
    name = "set"
    spec = dict[str, Any]

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        yield TemplateRef(("set",), step.body)

    def outputs(self, step: Step) -> frozenset[str] | None:
        return frozenset(step.body)

    def build(self, node: IRNode, b: Build) -> NodeFn:
        assert node.step is not None
        values = b.template(node, ("set",), node.step.body)

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            return {"steps": {node.id: render_value(values, variables(state, context_of(runtime)))}}

        return run
