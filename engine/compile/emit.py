"""Emit: the checked IR becomes a LangGraph ``StateGraph``, and nothing else.

Each node is built by its kind (:mod:`engine.kinds`); run-time services
reach nodes through the run context (:class:`engine.kinds.base.RunContext`),
so emitting needs no engine: LangGraph's own split between the builder and
the Pregel runtime.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from langgraph.graph import END as LG_END
from langgraph.graph import START as LG_START
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

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
    # A branching node (its edges labelled: ok/blocked, a switch's cases, ok/error) goes where the label it
    # wrote in ``route`` says, by returning a Command: a conditional edge would copy every channel of the
    # state to call a router after the node (LangGraph's fresh read), once per branching node per run.
    routes = {source: {e.label: _lg(e.target) for e in edges} for source in ir.nodes
              if (edges := ir.outgoing(source)) and any(e.label != "" for e in edges)}
    for node in ir.nodes.values():
        goto = routes.get(node.id)
        graph.add_node(node.id, _Node(kinds.node(node.kind).build(node, build), node.id, node.kind, goto),
                       destinations=tuple(dict.fromkeys(goto.values())) if goto else None)

    joins: dict[str, list[str]] = defaultdict(list)
    for source in [START, *ir.nodes]:
        edges = ir.outgoing(source)
        if not edges or source in routes:
            continue
        for edge in edges:
            if edge.target in ir.nodes and kinds.node(ir.nodes[edge.target].kind).joins:
                joins[edge.target].append(source)
            else:
                graph.add_edge(_lg(source), _lg(edge.target))
    for join, sources in joins.items():
        # LangGraph waits for every branch before it runs the join node.
        graph.add_edge(sources, join)
    return graph


class _Node:
    """A node function behind a plain callable object, with the step's span while telemetry is on.

    LangGraph disassembles the bytecode of function nodes to find subgraphs
    they close over; ours close over none (``call`` steps invoke their graph
    through the run context), and skipping that makes compiling about 6x faster.
    A branching node (``goto``: label -> next node) goes to the node its label names.
    """

    __slots__ = ("fn", "step", "kind", "goto")

    def __init__(self, fn: NodeFn, step: str, kind: str, goto: dict[str, str] | None = None):
        self.fn, self.step, self.kind, self.goto = fn, step, kind, goto

    async def __call__(self, state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any] | Command[str]:
        gate = STEP_GATE.get()
        if gate is not None:  # the host's scheduler (engine/steps.py)
            await gate()
        telemetry = active()
        if telemetry is None:  # off: one call and a comparison per step
            update = await self.fn(state, runtime)
        else:
            with telemetry.step_span(run_context(runtime).tenant, self.step, self.kind):
                update = await self.fn(state, runtime)
        if self.goto is None:
            return update
        # The label as the route channel holds it once this update is applied (merge_dicts).
        label = {**(state.get("route") or {}), **(update.get("route") or {})}[self.step]
        return Command(update=update, goto=self.goto[label])
