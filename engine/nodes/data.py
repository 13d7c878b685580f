"""Data steps: ``set`` (transform into a step output) and ``return`` (the workflow output)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from engine.compile.ir import IRNode
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.nodes.base import Build, NodeFn, context_of, variables
from engine.templating import render_value


def build_set(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.set is not None
    values = b.template(node, ("set",), step.set)

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        return {"steps": {node.id: render_value(values, variables(state, context_of(runtime)))}}

    return run


def build_return(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.return_ is not None
    values = b.template(node, ("return",), step.return_)

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        return {"output": render_value(values, variables(state, context_of(runtime)))}

    return run
