"""Control-flow nodes: switch, parallel fork and join, loop start and loop next."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from engine.compile.ir import IRNode
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.nodes.base import Build, NodeFn, context_of, variables


def build_switch(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.switch is not None
    cases = [(f"case{i}", b.expression(node, ("switch", i, "when"), c.when), c.goto)
             for i, c in enumerate(step.switch) if c.when is not None]
    default = next(e.target for e in b.ir.outgoing(node.id) if e.label == "default")

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        scope = variables(state, context_of(runtime))
        for label, condition, target in cases:
            if condition.render(scope):
                return {"route": {node.id: label}, "steps": {node.id: {"goto": target}}}
        return {"route": {node.id: "default"}, "steps": {node.id: {"goto": default}}}

    return run


def build_fork(node: IRNode, b: Build) -> NodeFn:
    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        context_of(runtime)
        return {}

    return run


def build_join(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.parallel is not None
    branches = {name: [s.id for s in steps if s.id] for name, steps in step.parallel.branches.items()}
    step_id = step.id

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        outputs = state.get("steps", {})
        # The parallel step's output: each branch's last step output, by branch name.
        joined = {name: outputs.get(ids[-1]) if ids else None for name, ids in branches.items()}
        return {"steps": {str(step_id): joined}}

    return run


def build_loop_start(node: IRNode, b: Build) -> NodeFn:
    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        context_of(runtime)
        return {"loops": {node.id: 1}}

    return run


def build_loop_next(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.loop is not None and step.id is not None
    loop_id, limit = step.id, step.loop.max_iterations or 1
    until = b.expression(node, ("loop", "until"), step.loop.until) if step.loop.until else None

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        count = state.get("loops", {}).get(loop_id, 1)
        done = count >= limit or (until is not None and bool(until.render(variables(state, context_of(runtime)))))
        if done:
            return {"route": {node.id: "done"}, "steps": {loop_id: {"iterations": count}}}
        return {"route": {node.id: "again"}, "loops": {loop_id: count + 1}}

    return run
