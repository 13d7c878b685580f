"""The engine: a loaded project, its compiled-graph cache, and the services graphs use at run time."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from engine.compile.check import check, check_bindings
from engine.compile.emit import emit
from engine.compile.ir import WorkflowIR
from engine.compile.lower import lower
from engine.compile.resolve import EffectiveWorkflow, TenantSettings, resolve_tenant, resolve_workflow
from engine.compile.state import RunState, fresh_run
from engine.context import TenantContext
from engine.errors import AuthError, CompileError, ModelError, Problem, RunError, SpecError
from engine.guardrails.chain import GuardChain, chain_for
from engine.inputs import check_input
from engine.memory.backends import StoresConfig, TenantStores, open_backends
from engine.memory.checkpoints import TenantCheckpointer
from engine.models.base import ChatRequest, ModelProvider, ToolSpec
from engine.models.registry import Providers
from engine.project import Project, load_project
from engine.skills.bridge import SkillCall, SkillContext, build_chain
from engine.skills.registry import Kind, SkillDef, call_implementation
from engine.spec.hints import did_you_mean
from engine.spec.project import ModelEntry
from engine.templating import compile_value, render_value

DEFAULT_GRAPH_CACHE = 256


Graph = CompiledStateGraph[RunState, TenantContext, RunState, RunState]


@dataclass
class CompiledWorkflow:
    """One compiled graph, shared by every tenant whose effective workflow has its digest."""

    name: str
    digest: str
    ir: WorkflowIR
    builder: StateGraph[RunState, TenantContext, RunState, RunState] = field(repr=False)
    #: For top-level runs: with the engine's checkpointer and store.
    graph: Graph = field(repr=False)
    _subgraph: Graph | None = field(default=None, repr=False)

    @property
    def subgraph(self) -> Graph:
        """For ``call`` steps: no checkpointer of its own, it runs inside the caller's (compiled on first use)."""
        if self._subgraph is None:
            self._subgraph = self.builder.compile(store=self.graph.store, name=self.name)
        return self._subgraph


@dataclass
class RunResult:
    """What a run returns: the output and the records a caller or a bill needs."""

    workflow: str
    tenant_id: str
    thread_id: str
    output: dict[str, Any]
    usage: list[dict[str, Any]]
    guard: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    steps: dict[str, Any]
    blocked: str | None = None
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        tokens_in = sum(u["input_tokens"] for u in self.usage)
        tokens_out = sum(u["output_tokens"] for u in self.usage)
        return {
            "workflow": self.workflow,
            "tenant": self.tenant_id,
            "session": self.thread_id.rsplit(":", 1)[-1],
            "output": self.output,
            "blocked": self.blocked,
            "usage": {
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "cost_usd": round(sum(u["cost_usd"] for u in self.usage), 8),
                "models": sorted({u["model"] for u in self.usage}),
                "calls": self.usage,
            },
            "guardrails": self.guard,
            "errors": self.errors,
            "duration_ms": round(self.duration_ms, 3),
        }


class Engine:
    """Compiles workflows per tenant structure and runs them.

    >>> engine = Engine(load_project(Path("examples/demo")))            # doctest: +SKIP
    >>> result = await engine.run("support-triage", engine.dev_context("acme", "u1", "s1"),
    ...                           {"ticket": "I was charged twice"})     # doctest: +SKIP
    """

    def __init__(self, project: Project, *, checkpointer: BaseCheckpointSaver[Any] | None = None,
                 store: BaseStore | None = None, stores: TenantStores | None = None,
                 providers: Providers | None = None, graph_cache_size: int = DEFAULT_GRAPH_CACHE):
        self.project = project
        # Every run's reads and writes of checkpoints stay in its own tenant's threads.
        self.checkpointer = TenantCheckpointer(checkpointer) if checkpointer is not None else None
        self.store, self.stores = store, stores
        self.providers = providers or Providers()
        self._graphs: OrderedDict[str, CompiledWorkflow] = OrderedDict()
        self._graph_cache_size = graph_cache_size
        self._settings: dict[str, TenantSettings] = {}
        self._effective: dict[tuple[str, str], EffectiveWorkflow] = {}
        self._bound: set[tuple[str, str, str]] = set()
        self._models: dict[tuple[str, str], tuple[ModelEntry, ModelProvider]] = {}
        self._chains: dict[str, GuardChain] = {}
        self._chain = build_chain(project.bridges, self._call_implementation)
        self.compile_count = 0

    # -- services used by compiled graphs -------------------------------------------------

    @property
    def root(self) -> Path:
        return self.project.root

    def settings(self, tenant_id: str) -> TenantSettings:
        found = self._settings.get(tenant_id)
        if found is None:
            if tenant_id not in self.project.tenants:
                hint = did_you_mean(tenant_id, self.project.tenants)
                raise AuthError(f"unknown tenant '{tenant_id}'" + (f" ({hint})" if hint.startswith("did") else ""))
            found = self._settings[tenant_id] = resolve_tenant(self.project, tenant_id)
        return found

    def model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]:
        """The catalog entry and provider for a step's model choice, for this tenant."""
        key = (tenant.tenant_id, alias)
        found = self._models.get(key)
        if found is None:
            found = self._models[key] = self._resolve_model(tenant, alias)
        return found

    def guard_chain(self, tenant_id: str) -> GuardChain:
        """The tenant's guard chain (shared by every tenant with the same guardrail settings)."""
        found = self._chains.get(tenant_id)
        if found is None:
            found = self._chains[tenant_id] = chain_for(self.settings(tenant_id).guardrails)
        return found

    def _resolve_model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]:
        chosen = tenant.default_model if alias == "tier" else alias
        if chosen not in tenant.allowed_models or chosen not in tenant.catalog:
            raise ModelError(f"model '{chosen}' is not allowed for tenant '{tenant.tenant_id}'")
        entry = tenant.catalog[chosen]
        settings = self.project.spec.models.providers.get(entry.provider)
        fixtures = None
        if settings is not None and settings.fixtures is not None:
            fixtures = str(self.root / settings.fixtures)
        provider = self.providers.get(entry.provider, fixtures=fixtures,
                                      region_name=settings.region if settings else None)
        return entry, provider

    async def memory_store(self, ctx: TenantContext, default: BaseStore | None) -> BaseStore | None:
        """The store holding this tenant's memory: its own if its memory is siloed, else the shared one."""
        if self.stores is None:
            return default
        return await self.stores.for_tenant(ctx.tenant_id, self.settings(ctx.tenant_id).isolation.memory)

    def tool_specs(self, tenant: TenantSettings, names: list[str]) -> list[ToolSpec]:
        specs = []
        for name in names:
            definition = self.project.registry.resolve("tool", name, tenant.tenant_id)
            if definition is None or not self.entitled(tenant, "tool", name):
                continue  # a tool the tenant may not use is never shown to the model
            schema = definition.input_model.model_json_schema() if definition.input_model else {"type": "object"}
            specs.append(ToolSpec(name, definition.description or name, schema))
        return specs

    def entitled(self, tenant: TenantSettings, kind: Kind, name: str) -> bool:
        return tenant.entitlements.allows(kind, name)

    async def call_skill(self, call: SkillCall) -> Any:
        """Run a skill or tool call through the bridge chain, for the caller's tenant."""
        if call.ctx is not None:
            settings = self.settings(call.ctx.tenant_id)
            name, _, version = call.name.partition("@")
            call.implementation = self.project.registry.resolve(call.kind, name, settings.tenant_id, version or None)
            call.entitled = lambda ctx, kind, n: self.entitled(self.settings(ctx.tenant_id), kind, n.partition("@")[0])
        return await self._chain(call)

    async def _call_implementation(self, call: SkillCall) -> Any:
        definition = call.implementation
        if definition is None or call.ctx is None:
            raise AuthError(f"{call.kind} '{call.name}' has no implementation for this tenant")
        inputs = definition.validate_inputs(call.inputs)
        skill_ctx = SkillContext(call.ctx, call.workflow, call.step)
        if definition.prompt is not None:
            return await self._run_prompt_skill(definition, inputs, call)
        return definition.dump_output(await call_implementation(definition, inputs, skill_ctx))

    async def _run_prompt_skill(self, definition: SkillDef, inputs: dict[str, Any], call: SkillCall) -> Any:
        from engine.nodes.llm import parse_output, usage_record

        assert definition.prompt is not None and call.ctx is not None
        spec = definition.prompt.llm
        settings = self.settings(call.ctx.tenant_id)
        entry, provider = self.model(settings, spec.model)
        prompt = compile_value(spec.prompt, file=definition.source, line=0)
        scope = {"input": inputs, "user": {"id": call.ctx.user_id},
                 "tenant": {"id": settings.tenant_id, "tier": settings.tier, "name": settings.name}}
        text = str(render_value(prompt, scope))
        t0 = time.perf_counter()
        response = await provider.converse(ChatRequest(
            model_id=entry.model_id, messages=[{"role": "user", "content": [{"text": text}]}],
            system=spec.system, max_tokens=spec.max_tokens or entry.max_tokens, temperature=spec.temperature,
            workflow=call.workflow, step=call.step, tenant_id=settings.tenant_id))
        record = usage_record(call.step, spec.model, entry, response, call.ctx, t0)
        call.annotations.setdefault("usage", []).append(record)
        return parse_output(spec, response.text)

    async def invoke_workflow(self, workflow: str, payload: dict[str, Any], ctx: TenantContext) -> dict[str, Any]:
        compiled = self.compile(workflow, ctx.tenant_id)
        data = check_input(workflow, compiled.ir.spec.input, payload)
        state = await compiled.subgraph.ainvoke(fresh_run(data), context=ctx)  # type: ignore[call-overload]
        if state.get("blocked"):
            raise _blocked_error(workflow, state["blocked"])
        return dict(state)

    # -- compiling -------------------------------------------------------------------------

    def effective(self, workflow: str, tenant_id: str) -> EffectiveWorkflow:
        key = (workflow, tenant_id)
        found = self._effective.get(key)
        if found is None:
            if workflow not in self.project.workflows:
                raise UnknownWorkflow(workflow, self.project.workflows)
            settings = self.settings(tenant_id)
            if not settings.runs(workflow):
                raise UnknownWorkflow(workflow, [w for w in self.project.workflows if settings.runs(w)], tenant_id)
            found = self._effective[key] = resolve_workflow(self.project, workflow, tenant_id)
        return found

    def compile(self, workflow: str, tenant_id: str) -> CompiledWorkflow:
        """The compiled graph ``tenant_id`` runs for ``workflow`` (shared across equal structures)."""
        eff = self.effective(workflow, tenant_id)
        compiled = self._graphs.get(eff.digest)
        if compiled is None:
            ir = lower(eff)
            problems: list[Problem] = []
            # Structural and per-tenant problems are reported together, in one round.
            try:
                check(ir, eff.source)
            except CompileError as exc:
                problems += exc.problems
            try:
                self._bind(ir, eff, tenant_id)
            except CompileError as exc:
                problems += exc.problems
            if problems:
                raise CompileError(problems)
            builder = emit(ir, self, eff.source)
            compiled = CompiledWorkflow(
                workflow, eff.digest, ir, builder,
                builder.compile(checkpointer=self.checkpointer, store=self.store, name=workflow),
            )
            self.compile_count += 1
            self._graphs[eff.digest] = compiled
            while len(self._graphs) > self._graph_cache_size:
                self._graphs.popitem(last=False)
        else:
            self._graphs.move_to_end(eff.digest)
            self._bind(compiled.ir, eff, tenant_id)
        return compiled

    def _bind(self, ir: WorkflowIR, eff: EffectiveWorkflow, tenant_id: str) -> None:
        key = (eff.name, tenant_id, eff.digest)
        if key not in self._bound:
            check_bindings(ir, eff, self.settings(tenant_id), self.project.registry, self.project.workflows,
                           str(self.root))
            self._bound.add(key)

    def graph_count(self) -> int:
        return len(self._graphs)

    # -- running ---------------------------------------------------------------------------

    def dev_context(self, tenant_id: str, user_id: str = "dev-user", session_id: str = "dev-session",
                    request_id: str = "") -> TenantContext:
        """A context vouched for by the local developer (CLI, tests), with the tenant file's tier."""
        settings = self.settings(tenant_id)
        return TenantContext(tenant_id=tenant_id, tier=settings.tier, user_id=user_id, session_id=session_id,
                             request_id=request_id, issuer="dev")

    async def run(self, workflow: str, ctx: TenantContext, payload: Any) -> RunResult:
        """Run ``workflow`` for the tenant in ``ctx``; raise a TenantflowError on failure."""
        started = time.perf_counter()
        compiled = self.compile(workflow, ctx.tenant_id)
        data = check_input(workflow, compiled.ir.spec.input, payload)
        config = {"configurable": {"thread_id": ctx.thread_id}}
        # Checkpoint at the end of the run only: the raw input a guard blocks or
        # redacts is never written, and a run costs a third of per-step writes.
        durability = {"durability": "exit"} if self.checkpointer is not None else {}
        state = await compiled.graph.ainvoke(fresh_run(data), config=config, context=ctx,  # type: ignore[call-overload]
                                             **durability)
        return RunResult(
            workflow=workflow, tenant_id=ctx.tenant_id, thread_id=ctx.thread_id,
            output=dict(state.get("output") or {}), usage=list(state.get("usage") or []),
            guard=list(state.get("guard") or []), errors=list(state.get("errors") or []),
            steps=dict(state.get("steps") or {}), blocked=state.get("blocked") or None,
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    @classmethod
    @asynccontextmanager
    async def open(cls, root: Path, **kwargs: Any) -> AsyncIterator[Engine]:
        """Load the project at ``root`` and open its configured checkpointer and store."""
        project = load_project(root)
        config = StoresConfig.model_validate(project.spec.stores.model_dump())
        async with open_backends(config, project.root) as backends:
            yield cls(project, checkpointer=backends.checkpointer, store=backends.store, stores=backends.stores,
                      **kwargs)


class UnknownWorkflow(SpecError):
    def __init__(self, name: str, known: Any, tenant: str | None = None):
        self.name = name
        whose = f" for tenant '{tenant}'" if tenant else ""
        super().__init__([Problem("", 0, 0, "", f"unknown workflow '{name}'{whose}", did_you_mean(name, known),
                                  code="unknown-workflow")])


def _blocked_error(workflow: str, message: str) -> RunError:
    from engine.errors import RunFailure

    return RunError(RunFailure(workflow, "blocked", message))
