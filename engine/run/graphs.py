"""The compiled-graph cache: one LangGraph graph per structure, shared by every tenant whose workflow has it.

Bounded by memory, not by a count: each structure is weighed when it is
compiled (the interpreter's allocated blocks before and after, times the mean
block size measured on the demo's graphs), and the least recently used
structures go once the total passes the budget. A count bound thrashed: with
more structures in rotation than the count, every request recompiled. The
support-triage graph weighs about 0.36 MB, so 1 GB holds about 2,800 such
structures (docs/benchmarks.md, "Many tenants on one machine").

Hits, misses, evictions and compile time are counted (:class:`CacheStats`)
and reported as OpenTelemetry metrics ``tenantflow.graph_cache.lookups``
(tagged ``result``: ``hit`` or ``miss``) and ``tenantflow.graph_cache.compile.duration``.
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from opentelemetry import metrics

from engine.compile.emit import Builder
from engine.compile.pipeline import Checked, compile_workflow
from engine.compile.resolve import resolve_workflow
from engine.errors import Problem, SpecError
from engine.ir import WorkflowIR
from engine.kinds.base import RunContext
from engine.kinds.registry import StepKinds
from engine.project import Project
from engine.run.tenants import TenantDirectory
from engine.spec.hints import did_you_mean
from engine.state import RunState

#: The default budget of compiled graphs, in MB (about 1,400 structures the size of support-triage).
DEFAULT_GRAPH_CACHE_MB = 512.0
#: Mean size of an allocated block in a compiled graph, measured with tracemalloc on the demo's workflows
#: (363 KB in 1,645 blocks for support-triage): turns the allocated-block count into bytes.
BYTES_PER_BLOCK = 220

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
    #: Estimated memory it holds, in bytes (allocated while it compiled).
    weight: int = 0

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


@dataclass
class CacheStats:
    """What the graph cache did since the engine was built."""

    hits: int = 0
    misses: int = 0
    compiles: int = 0
    evictions: int = 0
    compile_seconds: float = 0.0
    #: Estimated bytes the cached graphs hold now.
    held_bytes: int = 0


class GraphCache:
    """Compiles (workflow, tenant) pairs through the pipeline and keeps the most recently used structures
    within a memory budget."""

    def __init__(self, project: Project, tenants: TenantDirectory, kinds: StepKinds, *,
                 checkpointer: BaseCheckpointSaver[Any] | None, store: BaseStore | None,
                 max_mb: float = DEFAULT_GRAPH_CACHE_MB, meter_provider: metrics.MeterProvider | None = None):
        self.project, self.tenants, self.kinds = project, tenants, kinds
        self.checkpointer, self.store = checkpointer, store
        self.max_bytes = int(max_mb * 1024 * 1024)
        self._graphs: OrderedDict[str, CompiledWorkflow] = OrderedDict()
        #: (workflow, tenant) -> the digest it compiled to and was bound for.
        self._pairs: dict[tuple[str, str], str] = {}
        self._checked = Checked()
        self.stats = CacheStats()
        # The application's meter provider (OpenTelemetry's no-op one if it installs none).
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("tenantflow")
        self._lookups = meter.create_counter("tenantflow.graph_cache.lookups", unit="{lookup}",
                                             description="Compiled-graph lookups, by result (hit or miss)")
        self._compile_time = meter.create_histogram("tenantflow.graph_cache.compile.duration", unit="s",
                                                    description="Time to compile a structure on a cache miss")

    def __len__(self) -> int:
        return len(self._graphs)

    @property
    def compile_count(self) -> int:
        return self.stats.compiles

    def get(self, workflow: str, tenant_id: str) -> CompiledWorkflow:
        """The compiled graph ``tenant_id`` runs for ``workflow``."""
        digest = self._pairs.get((workflow, tenant_id))
        if digest is not None and digest in self._graphs:
            self._graphs.move_to_end(digest)
            self.stats.hits += 1
            self._lookups.add(1, {"result": "hit"})
            return self._graphs[digest]
        if workflow not in self.project.workflows:
            raise UnknownWorkflow(workflow, self.project.workflows)
        settings = self.tenants.settings(tenant_id)
        if not settings.runs(workflow):
            raise UnknownWorkflow(workflow, (), tenant_id, self.project.not_run_hint(tenant_id, workflow))
        started = time.perf_counter()
        effective = resolve_workflow(self.project, workflow, tenant_id, self.kinds)
        # Weighed on a miss only: counting the allocated blocks walks the allocator's arenas (about 0.1 ms
        # with 10,000 tenants loaded), too slow for every tenant's first lookup of a cached structure.
        blocks = sys.getallocatedblocks() if effective.digest not in self._graphs else 0
        compiled = compile_workflow(self.project, workflow, settings, checked=self._checked, kinds=self.kinds,
                                    effective=effective)
        self._pairs[(workflow, tenant_id)] = compiled.digest
        found = self._graphs.get(compiled.digest)
        if found is not None:  # a tenant new to a cached structure: its bindings were checked, nothing compiled
            self._graphs.move_to_end(compiled.digest)
            self.stats.hits += 1
            self._lookups.add(1, {"result": "hit"})
            return found
        builder = compiled.emit()
        graph = builder.compile(checkpointer=self.checkpointer, store=self.store, name=workflow)
        elapsed = time.perf_counter() - started
        weight = max(0, sys.getallocatedblocks() - blocks) * BYTES_PER_BLOCK
        found = CompiledWorkflow(workflow, compiled.digest, compiled.ir, builder, graph, weight=weight)
        self.stats.misses += 1
        self.stats.compiles += 1
        self.stats.compile_seconds += elapsed
        self._lookups.add(1, {"result": "miss"})
        self._compile_time.record(elapsed, {"workflow": workflow})
        self._graphs[compiled.digest] = found
        self.stats.held_bytes += weight
        # The newest structure stays even if it alone passes the budget: the request needs it.
        while self.stats.held_bytes > self.max_bytes and len(self._graphs) > 1:
            evicted, old = self._graphs.popitem(last=False)
            self._checked.entries.pop(evicted, None)
            self.stats.held_bytes -= old.weight
            self.stats.evictions += 1
        return found
