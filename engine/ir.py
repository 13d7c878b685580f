"""The intermediate representation: nodes and labelled edges, before LangGraph.

Node ids are step ids, plus engine nodes whose names contain a ``.`` (which
step ids cannot), so they never collide: ``guard.input``, ``guard.output``,
``memory.load``, ``<loop>.next``, ``<parallel>.join``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.spec.source import DocPath
from engine.spec.workflow import Step, WorkflowSpec

START = "__start__"
END = "__end__"
GUARD_INPUT = "guard.input"
GUARD_OUTPUT = "guard.output"
MEMORY_LOAD = "memory.load"

@dataclass
class IRNode:
    id: str
    #: The node kind (a step kind's key, or a node kind of the engine or of a step kind, e.g. ``loop_next``).
    kind: str
    #: The step this node runs (None for engine nodes).
    step: Step | None = None
    #: Where the step sits in the effective workflow document.
    path: DocPath = ()
    #: Enclosing loops and parallel branches, outermost first: ("loop", id) / ("branch", "id/name").
    scope: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IREdge:
    source: str
    target: str
    #: "" for an unconditional edge; otherwise the route a node picks at run time.
    label: str = ""
    #: A loop's edge back to its body: the only kind of edge a cycle may use.
    back: bool = False
    #: Where the edge was written (a goto, next or on_error), for error messages.
    path: DocPath = ()


@dataclass
class WorkflowIR:
    name: str
    spec: WorkflowSpec
    nodes: dict[str, IRNode] = field(default_factory=dict)
    edges: list[IREdge] = field(default_factory=list)

    #: Project-relative template files the workflow reads, with their text (read once, at resolve).
    files: dict[str, str] = field(default_factory=dict)
    #: Templates and expressions compiled at check time, by document path: build reads them, never recompiles.
    compiled: dict[DocPath, Any] = field(default_factory=dict, repr=False)
    #: References to the output keys of steps whose keys depend on the tenant (a skill's or tool's
    #: implementation): checked per tenant, once the implementation is known (engine.compile.references).
    pending_references: list[Any] = field(default_factory=list, repr=False)
    #: Problems worth a look that never fail a compile (a number compared with a string): ``validate`` reports
    #: them as warnings (engine.compile.references).
    warnings: list[Any] = field(default_factory=list, repr=False)

    def add(self, node: IRNode) -> IRNode:
        self.nodes[node.id] = node
        return node

    def connect(self, source: str, target: str, label: str = "", *, back: bool = False, path: DocPath = ()) -> None:
        self.edges.append(IREdge(source, target, label, back, path))

    def outgoing(self, node: str) -> list[IREdge]:
        return [e for e in self.edges if e.source == node]

    def successors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {START: []}
        for node in self.nodes:
            out.setdefault(node, [])
        for edge in self.edges:
            out.setdefault(edge.source, []).append(edge.target)
        return out
