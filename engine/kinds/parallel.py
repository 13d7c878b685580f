"""``parallel:`` steps: branches run side by side; the join waits for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model

from engine.ir import IRNode
from engine.kinds.base import Build, Goto, Lowerer, NodeFn, NodeKind, RunContext, Scope, StepKind, context_of
from engine.spec.common import Ident, Strict
from engine.spec.source import DocPath
from engine.spec.workflow import Step

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class Join(NodeKind):
    """Runs once every branch has finished: the parallel step's output is each branch's last output."""

    name = "join"
    joins = True

    def build(self, node: IRNode, b: Build) -> NodeFn:
        step = node.step
        assert step is not None
        branches = {name: [s.id for s in steps if s.id] for name, steps in step.body.branches.items()}
        step_id = step.id

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            outputs = state.get("steps", {})
            joined = {name: outputs.get(ids[-1]) if ids else None for name, ids in branches.items()}
            return {"steps": {str(step_id): joined}}

        return run


class Parallel(StepKind):
    name = "parallel"
    in_branch = False
    helper_nodes = (Join(),)

    def spec_type(self, step: Any) -> Any:
        return create_model("ParallelSpec", __base__=Strict, __module__=__name__,
                            branches=(dict[Ident, list[step]], Field(min_length=2)))

    def children(self, body: Any) -> Iterator[tuple[DocPath, list[Step]]]:
        for name, steps in body.branches.items():
            yield ("branches", name), steps

    def raw_children(self, value: Any) -> Iterator[DocPath]:
        branches = value.get("branches") if isinstance(value, dict) else None
        if isinstance(branches, dict):
            for name in branches:
                yield "branches", name

    def outputs(self, step: Step) -> frozenset[str] | None:
        # The join's output: each branch's last output, by branch name.
        return frozenset(step.body.branches)

    def lower(self, lw: Lowerer, node: IRNode, follow: str, nxt: str | Goto, scope: Scope) -> None:
        assert node.step is not None
        join = f"{node.id}.join"
        lw.ir.add(IRNode(join, "join", node.step, node.path, scope))
        for name, branch in node.step.body.branches.items():
            inner: Scope = (*scope, ("branch", f"{node.id}/{name}"))
            entry = lw.sequence(branch, (*node.path, "parallel", "branches", name), join, inner)
            lw.ir.connect(node.id, entry)
        lw.exit(join, nxt, "", node.path, scope)

    def view(self, body: Any) -> Any:
        return {"branches": sorted(body.branches)}

    def build(self, node: IRNode, b: Build) -> NodeFn:
        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            context_of(runtime)
            return {}

        return run
