"""``loop:`` steps: a body of steps repeated until a condition holds, at most ``max_iterations`` times."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model

from engine.errors import Problem
from engine.ir import IRNode, WorkflowIR
from engine.kinds.base import (
    Build,
    Goto,
    Locate,
    Lowerer,
    NodeFn,
    NodeKind,
    RunContext,
    Scope,
    StepKind,
    TemplateRef,
    context_of,
    problem,
    variables,
)
from engine.spec.common import Strict
from engine.spec.source import DocPath
from engine.spec.workflow import Step

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class LoopNext(NodeKind):
    """After the body: go again, or leave once ``until`` holds or the bound is reached."""

    name = "loop_next"

    def build(self, node: IRNode, b: Build) -> NodeFn:
        step = node.step
        assert step is not None and step.id is not None
        spec = step.body
        loop_id, limit = step.id, spec.max_iterations or 1
        until = b.expression(node, ("loop", "until"), spec.until) if spec.until else None

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            count = state.get("loops", {}).get(loop_id, 1)
            done = count >= limit or (until is not None and bool(until.render(variables(state, context_of(runtime)))))
            if done:
                return {"route": {node.id: "done"}, "steps": {loop_id: {"iterations": count}}}
            return {"route": {node.id: "again"}, "loops": {loop_id: count + 1}}

        return run


class Loop(StepKind):
    name = "loop"
    in_branch = False
    helper_nodes = (LoopNext(),)

    def spec_type(self, step: Any) -> Any:
        return create_model(
            "LoopSpec", __base__=Strict, __module__=__name__,
            # Required: every loop is bounded.
            max_iterations=(int | None, Field(default=None, ge=1, le=1000)),
            until=(str | None, None),
            steps=(list[step], Field(min_length=1)),
        )

    def children(self, body: Any) -> Iterator[tuple[DocPath, list[Step]]]:
        yield ("steps",), body.steps

    def raw_children(self, value: Any) -> Iterator[DocPath]:
        if isinstance(value, dict) and "steps" in value:
            yield ("steps",)

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        if step.body.until is not None:
            yield TemplateRef(("loop", "until"), step.body.until, expression=True)

    def lower(self, lw: Lowerer, node: IRNode, follow: str, nxt: str | Goto, scope: Scope) -> None:
        assert node.step is not None
        tail = f"{node.id}.next"
        inner: Scope = (*scope, ("loop", node.id))
        body = lw.sequence(node.step.body.steps, (*node.path, "loop", "steps"), tail, inner)
        lw.ir.add(IRNode(tail, "loop_next", node.step, node.path, scope))
        lw.ir.connect(node.id, body)
        lw.ir.connect(tail, body, "again", back=True)
        lw.exit(tail, nxt, "done", node.path, scope)

    def outputs(self, step: Step) -> frozenset[str] | None:
        return frozenset({"iterations"})

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        assert node.step is not None
        if node.step.body.max_iterations is None:
            return [problem(locate, (*node.path, "loop"), f"unbounded loop '{node.id}': max_iterations is required",
                            hint="add max_iterations: N", code="unbounded-loop")]
        return []

    def describe(self, node: IRNode, body: Any, tenant: Any, skills: Any) -> dict[str, Any]:
        return {"max_iterations": body.max_iterations}

    def view(self, body: Any) -> Any:
        return body.model_dump(mode="json", exclude_none=True, exclude={"steps"})

    def build(self, node: IRNode, b: Build) -> NodeFn:
        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            context_of(runtime)
            return {"loops": {node.id: 1}}

        return run
