"""Emit: the checked IR becomes a LangGraph ``StateGraph``, and nothing else.

Each node is built by its kind (:mod:`engine.kinds`); run-time services
reach nodes through the run context (:class:`engine.kinds.base.RunContext`),
so emitting needs no engine: LangGraph's own split between the builder and
the Pregel runtime.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from engine.ir import END, START, WorkflowIR
from engine.kinds.base import Build, NodeFn, RunContext, run_context
from engine.kinds.registry import StepKinds, step_kinds
from engine.spec.source import DocPath, Source
from engine.state import RunState
from engine.steps import STEP_GATE
from engine.telemetry.instruments import active

Builder = StateGraph[RunState, RunContext, RunState, RunState]


def _lg(name: str) -> str:
    return {START: LG_START, END: LG_END}.get(name, name)


def emit(ir: WorkflowIR, locate: Callable[[DocPath], Source], kinds: StepKinds | None = None) -> Builder:
    """Build the (uncompiled) graph; the caller compiles it with its checkpointer and store."""
    kinds = kinds or step_kinds()
    graph: Builder = StateGraph(RunState, context_schema=RunContext)
    build = Build(ir, locate)
    for node in ir.nodes.values():
        graph.add_node(node.id, _Node(kinds.node(node.kind).build(node, build), node.id, node.kind))

    joins: dict[str, list[str]] = defaultdict(list)
    for source in [START, *ir.nodes]:
        edges = ir.outgoing(source)
        if not edges:
            continue
        if all(e.label == "" for e in edges):
            for edge in edges:
                if edge.target in ir.nodes and kinds.node(ir.nodes[edge.target].kind).joins:
                    joins[edge.target].append(source)
                else:
                    graph.add_edge(_lg(source), _lg(edge.target))
        else:
            routes = {e.label: _lg(e.target) for e in edges}
            graph.add_conditional_edges(source, _router(source), routes)  # type: ignore[arg-type]
    for join, sources in joins.items():
        # LangGraph waits for every branch before it runs the join node.
        graph.add_edge(sources, join)
    return graph


class _Node:
    """A node function behind a plain callable object, with the step's span while telemetry is on.

    LangGraph disassembles the bytecode of function nodes to find subgraphs
    they close over; ours close over none (``call`` steps invoke their graph
    through the run context), and skipping that makes compiling about 6x faster.
    """

    __slots__ = ("fn", "step", "kind")

    def __init__(self, fn: NodeFn, step: str, kind: str):
        self.fn, self.step, self.kind = fn, step, kind

    async def __call__(self, state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        gate = STEP_GATE.get()
        if gate is not None:  # the host's scheduler (engine/steps.py)
            await gate()
        telemetry = active()
        if telemetry is None:  # off: one call and a comparison per step
            return await self.fn(state, runtime)
        with telemetry.step_span(run_context(runtime).tenant, self.step, self.kind):
            return await self.fn(state, runtime)


def _router(node: str) -> Callable[[RunState], Awaitable[str]]:
    # Async although it awaits nothing: in an async run LangGraph calls a sync router in a worker
    # thread: a hop per conditional edge, 13 % of a run's CPU time (docs/benchmarks.md, section 1).
    async def route(state: RunState) -> str:
        return state.get("route", {})[node]

    route.__name__ = f"route_{node.replace('.', '_')}"
    return route
