"""The compiled-graph cache: one LangGraph graph per structure, shared by every tenant whose workflow has it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from engine.compile.emit import Builder
from engine.compile.pipeline import Checked, compile_workflow
from engine.errors import Problem, SpecError
from engine.ir import WorkflowIR
from engine.kinds.base import RunContext
from engine.kinds.registry import StepKinds
from engine.project import Project
from engine.run.tenants import TenantDirectory
from engine.spec.hints import did_you_mean
from engine.state import RunState

DEFAULT_GRAPH_CACHE = 256

Graph = CompiledStateGraph[RunState, RunContext, RunState, RunState]


@dataclass
class CompiledWorkflow:
    """One compiled graph, shared by every tenant whose effective workflow has its digest."""

    name: str
    digest: str
    ir: WorkflowIR
    builder: Builder = field(repr=False)
    #: For top-level runs: with the engine's checkpointer and store.
    graph: Graph = field(repr=False)
    _subgraph: Graph | None = field(default=None, repr=False)

    @property
    def subgraph(self) -> Graph:
        """For ``call`` steps: no checkpointer of its own, it runs inside the caller's (compiled on first use)."""
        if self._subgraph is None:
            self._subgraph = self.builder.compile(store=self.graph.store, name=self.name)
        return self._subgraph


class UnknownWorkflow(SpecError):
    """A workflow the project does not have, or (``tenant`` given) one the tenant does not run; ``hint``
    says how to fix it (for a tenant: the tenant file's ``workflows:``)."""

    def __init__(self, name: str, known: Any, tenant: str | None = None, hint: str = ""):
        self.name = name
        whose = f" for tenant '{tenant}'" if tenant else ""
        super().__init__([Problem("", 0, 0, "", f"unknown workflow '{name}'{whose}",
                                  hint or did_you_mean(name, known), code="unknown-workflow")])


class GraphCache:
    """Compiles (workflow, tenant) pairs through the pipeline and keeps the most recently used structures."""

    def __init__(self, project: Project, tenants: TenantDirectory, kinds: StepKinds, *,
                 checkpointer: BaseCheckpointSaver[Any] | None, store: BaseStore | None,
                 size: int = DEFAULT_GRAPH_CACHE):
        self.project, self.tenants, self.kinds = project, tenants, kinds
        self.checkpointer, self.store, self.size = checkpointer, store, size
        self._graphs: OrderedDict[str, CompiledWorkflow] = OrderedDict()
        #: (workflow, tenant) -> the digest it compiled to and was bound for.
        self._pairs: dict[tuple[str, str], str] = {}
        self._checked = Checked()
        self.compile_count = 0

    def __len__(self) -> int:
        return len(self._graphs)

    def get(self, workflow: str, tenant_id: str) -> CompiledWorkflow:
        """The compiled graph ``tenant_id`` runs for ``workflow``."""
        digest = self._pairs.get((workflow, tenant_id))
        if digest is not None and digest in self._graphs:
            self._graphs.move_to_end(digest)
            return self._graphs[digest]
        if workflow not in self.project.workflows:
            raise UnknownWorkflow(workflow, self.project.workflows)
        settings = self.tenants.settings(tenant_id)
        if not settings.runs(workflow):
            raise UnknownWorkflow(workflow, (), tenant_id, self.project.not_run_hint(tenant_id, workflow))
        compiled = compile_workflow(self.project, workflow, settings, checked=self._checked, kinds=self.kinds)
        self._pairs[(workflow, tenant_id)] = compiled.digest
        found = self._graphs.get(compiled.digest)
        if found is not None:
            self._graphs.move_to_end(compiled.digest)
            return found
        builder = compiled.emit()
        found = CompiledWorkflow(workflow, compiled.digest, compiled.ir, builder,
                                 builder.compile(checkpointer=self.checkpointer, store=self.store, name=workflow))
        self.compile_count += 1
        self._graphs[compiled.digest] = found
        while len(self._graphs) > self.size:
            evicted, _ = self._graphs.popitem(last=False)
            self._checked.entries.pop(evicted, None)
        return found
