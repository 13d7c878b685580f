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
from engine.guardrails.leakage import LeakageIndex, marks_from_layers
from engine.identity.authenticate import Caller, authenticate
from engine.identity.credentials import DelegatedToken, UserCredential, credential_scope, current_credential
from engine.identity.exchange import (
    BuiltinExchanger,
    Delegation,
    Exchanger,
    HttpExchanger,
    TokenService,
    WorkloadIdentity,
)
from engine.identity.verify import TokenVerifier
from engine.inputs import check_input
from engine.memory.backends import StoresConfig, TenantStores, open_backends
from engine.memory.checkpoints import TenantCheckpointer
from engine.models.base import ChatRequest, ModelProvider, ToolSpec
from engine.models.registry import Providers
from engine.policy.authorizer import AccessItem, Authorizer, TenantFacts, static_entities
from engine.policy.quotas import QuotaUsage
from engine.project import Project, load_project
from engine.skills.bridge import SkillCall, SkillContext, build_chain
from engine.skills.registry import Kind, SkillDef, call_implementation
from engine.spec.hints import did_you_mean
from engine.spec.project import ModelEntry
from engine.templating import compile_value, render_value
from engine.tools.arguments import check_arguments
from engine.tools.gateway import ToolGateway, ToolRequest

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
                 providers: Providers | None = None, graph_cache_size: int = DEFAULT_GRAPH_CACHE,
                 quotas: QuotaUsage | None = None):
        self.project = project
        # Every run's reads and writes of checkpoints stay in its own tenant's threads, and a tenant whose
        # memory is siloed keeps its checkpoints in its own checkpointer too.
        self.checkpointer = TenantCheckpointer(checkpointer, stores=stores, silo=self._silo_memory) \
            if checkpointer is not None else None
        self.store, self.stores = store, stores
        self.providers = providers or Providers()
        self._graphs: OrderedDict[str, CompiledWorkflow] = OrderedDict()
        self._graph_cache_size = graph_cache_size
        self._settings: dict[str, TenantSettings] = {}
        self._effective: dict[tuple[str, str], EffectiveWorkflow] = {}
        self._bound: set[tuple[str, str, str]] = set()
        self._models: dict[tuple[str, str], tuple[ModelEntry, ModelProvider]] = {}
        self._chains: dict[str, GuardChain] = {}
        self._leakage: LeakageIndex | None = None
        self._chain = build_chain(project.bridges, self._call_implementation)
        self.compile_count = 0
        self._facts: dict[str, TenantFacts] = {}
        #: Current quota usage per tenant, read by policies as context.quota; a runtime passes its
        #: engine's counters on to the engine a reload builds, so a reload resets no tenant's quota.
        self.quotas = quotas if quotas is not None else QuotaUsage()
        self.gateway = ToolGateway(project.tools)
        self.authorizer = self._build_authorizer()
        identity = project.spec.identity
        self.verifier = TokenVerifier(identity, project.root) if identity is not None else None
        self.workload = WorkloadIdentity(project.spec.metadata.name)
        self.token_service: TokenService | None = None
        self.delegation: Delegation | None = None
        if identity is not None and self.verifier is not None:
            exchange = identity.exchange
            exchanger: Exchanger
            if exchange.service == "builtin":
                audiences = {a.audience for a in self._tool_access()}
                self.token_service = TokenService(self.verifier, self.workload, issuer=exchange.issuer,
                                                  ttl_s=exchange.ttl_s, audiences=audiences)
                exchanger = BuiltinExchanger(self.token_service)
            else:
                import os

                secret = os.environ.get(exchange.client_secret_env, "") if exchange.client_secret_env else None
                assert exchange.endpoint is not None  # the spec requires it for service: http
                exchanger = HttpExchanger(exchange.endpoint, client_id=exchange.client_id, client_secret=secret,
                                          timeout_s=exchange.timeout_s)
            self.delegation = Delegation(exchanger, self.workload)

    # -- services used by compiled graphs -------------------------------------------------

    @property
    def root(self) -> Path:
        return self.project.root

    def _silo_memory(self, tenant_id: str) -> bool:
        """Whether ``tenant_id``'s memory and checkpoints live apart (False for a tenant this project lacks)."""
        return tenant_id in self.project.tenants and self.settings(tenant_id).isolation.memory == "silo"

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
        """The tenant's guard chain (shared by every tenant with the same guardrail settings).

        Its output guard looks for the other tenants' marks with the
        project's leakage index; the tenant's own marks do not split the cache.
        """
        found = self._chains.get(tenant_id)
        if found is None:
            found = self._chains[tenant_id] = chain_for(self.settings(tenant_id).guardrails, self.leakage_index())
        return found

    def leakage_index(self) -> LeakageIndex:
        """Every tenant's identifying marks (id, name, markers, canaries), built once per engine."""
        if self._leakage is None:
            project = self.project.spec
            self._leakage = LeakageIndex(
                marks_from_layers(tenant_id, tenant.spec.metadata.name, [
                    project.guardrails,
                    tier.guardrails if (tier := project.tiers.get(tenant.spec.tier)) is not None else {},
                    tenant.spec.guardrails,
                ])
                for tenant_id, tenant in self.project.tenants.items()
            )
        return self._leakage

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

    def tool_specs(self, tenant: TenantSettings, names: list[str], ctx: TenantContext | None = None) -> list[ToolSpec]:
        """The tools an LLM step's model may see: resolved, entitled and allowed by policy, in one batch.

        ``ctx`` defaults to the context of the run in progress (inside a graph node).
        """
        ctx = ctx if ctx is not None else _run_context()
        if ctx is None or ctx.tenant_id != tenant.tenant_id:
            raise AuthError("listing tools needs the tenant context of the run")
        candidates: list[SkillDef] = []
        for name in names:
            definition = self.project.registry.resolve("tool", name, tenant.tenant_id)
            if definition is not None and self.entitled(tenant, "tool", name):
                candidates.append(definition)  # a tool the tenant may not use is never shown to the model
        items = [AccessItem.of(d, None, self.project.tools.source(d.name)) for d in candidates]
        decisions = self.authorizer.decide(ctx, self.facts(tenant.tenant_id), items, stage="list", workflow="",
                                           step=_run_step())
        specs = []
        for definition, decision in zip(candidates, decisions, strict=True):
            if decision.allowed or self.authorizer.mode == "log_only":
                schema = self.project.tools.input_schema(definition)
                specs.append(ToolSpec(definition.name, definition.description or definition.name, schema))
        return specs

    def entitled(self, tenant: TenantSettings, kind: Kind, name: str) -> bool:
        return tenant.entitlements.allows(kind, name)

    def facts(self, tenant_id: str) -> TenantFacts:
        """What policies read about a tenant: tier, feature flags (tier's and tenant's), quotas, entitlements."""
        found = self._facts.get(tenant_id)
        if found is None:
            settings = self.settings(tenant_id)
            tier = self.project.spec.tiers.get(settings.tier)
            features = frozenset([*(tier.features if tier else []), *settings.entitlements.features])
            found = self._facts[tenant_id] = TenantFacts(tenant_id, settings.tier, features, settings.quotas,
                                                         settings.entitlements.allows)
        return found

    async def call_skill(self, call: SkillCall) -> Any:
        """Run a skill or tool call through the bridge chain, for the caller's tenant."""
        if call.ctx is not None:
            settings = self.settings(call.ctx.tenant_id)
            name, _, version = call.name.partition("@")
            call.implementation = self.project.registry.resolve(call.kind, name, settings.tenant_id, version or None)
            call.entitled = lambda ctx, kind, n: self.entitled(self.settings(ctx.tenant_id), kind, n.partition("@")[0])
            call.authorize = self._authorize
        return await self._chain(call)

    def _authorize(self, call: SkillCall) -> None:
        """Decide ``call`` by policy, on the arguments it will run with; raise AccessDenied if denied."""
        definition, ctx = call.implementation, call.ctx
        if definition is None or ctx is None:
            raise AuthError(f"{call.kind} '{call.name}' has no implementation for this tenant")
        inputs = call.inputs
        source = self.project.tools.source(definition.name) if definition.kind == "tool" else "python"
        if definition.kind == "tool":
            inputs = self.gateway.rewrite(definition.name, ctx, inputs)
        if source == "python":
            inputs = definition.validate_inputs(inputs)
        else:
            inputs = check_arguments(definition.name, self.project.tools.input_schema(definition), inputs)
        self.authorizer.check(ctx, self.facts(ctx.tenant_id), AccessItem.of(definition, inputs, source),
                              stage="call", workflow=call.workflow, step=call.step)
        call.inputs, call.authorized = inputs, True
        if definition.kind == "tool":
            self.quotas.record_tool_call(ctx.tenant_id)

    async def _call_implementation(self, call: SkillCall) -> Any:
        definition = call.implementation
        if definition is None or call.ctx is None:
            raise AuthError(f"{call.kind} '{call.name}' has no implementation for this tenant")
        if not call.authorized:
            self._authorize(call)  # a bridge chain that did not ask: the engine never runs an undecided call
        if definition.kind == "tool":
            inputs = definition.validate_inputs(call.inputs)
            token = await self._delegated_token(call, definition)
            request = self.gateway.before(ToolRequest(definition.name, call.ctx, inputs, token))
            skill_ctx = SkillContext(call.ctx, call.workflow, call.step, token=request.token)
            result = await call_implementation(definition, request.arguments, skill_ctx)
            return self.gateway.after(request, definition.dump_output(result))
        if definition.prompt is not None:
            return await self._run_prompt_skill(definition, definition.validate_inputs(call.inputs), call)
        # call_implementation validates the inputs against the signature as it types them.
        skill_ctx = SkillContext(call.ctx, call.workflow, call.step)
        return definition.dump_output(await call_implementation(definition, call.inputs, skill_ctx))

    async def _delegated_token(self, call: SkillCall, definition: SkillDef) -> DelegatedToken | None:
        """The token exchanged for this tool's resource server, or None for a tool that calls none."""
        access = self.project.tools.access(definition.name)
        if access is None:
            return None
        ctx = call.ctx
        assert ctx is not None
        credential = current_credential()
        if credential is None:
            raise AuthError(f"tool '{definition.name}' acts on behalf of the user and needs the run's user token; "
                            "this run has none (run it with a verified token)")
        if (credential.tenant_id, credential.user_id) != (ctx.tenant_id, ctx.user_id):
            raise AuthError("the run's user token is not the tenant context's user")
        if self.delegation is None:
            raise AuthError(f"tool '{definition.name}' needs token exchange: add an identity: section")
        return await self.delegation.token_for(credential, call.workflow, definition.name, access)

    def _tool_access(self) -> list[Any]:
        found = [self.project.tools.access(d.name) for d in self.project.registry.all() if d.kind == "tool"]
        return [a for a in found if a is not None]

    def _build_authorizer(self) -> Authorizer:
        bundle = self.project.policies
        if bundle is None:
            from engine.policy.bundle import load_policies

            # A project put together without load_project: load its policies now, closed on any problem.
            bundle, problems = load_policies(self.root, self.project.spec.policy.folder,
                                             self.project.spec.paths.tenants, self.project.tenants,
                                             self.project.registry.all(), self.project.tools.schemas())
            if bundle is None:
                raise SpecError(problems)
            self.project.policies = bundle
        tiers = {t: loaded.spec.tier for t, loaded in self.project.tenants.items()}
        sources = {d.name: self.project.tools.source(d.name) for d in self.project.registry.all() if d.kind == "tool"}
        entities = static_entities(bundle, tiers, list(self.project.registry.all()), sources)
        return Authorizer(bundle, entities, self.quotas, mode=self.project.spec.policy.mode)

    # -- identity --------------------------------------------------------------------------

    def authenticate(self, token: str, *, session_id: str, request_id: str = "") -> Caller:
        """Verify a user's token and build the run's context; raise TokenRejected (an AuthError) on any doubt.

        >>> caller = engine.authenticate(token, session_id="s1")          # doctest: +SKIP
        >>> await engine.run("support-triage", caller.context, payload, credential=caller.credential)  # doctest: +SKIP
        """
        if self.verifier is None:
            raise AuthError("this project trusts no token issuer: add an identity: section to tenantflow.yaml")
        return authenticate(self.verifier, token, tenants=self.project.tenants,
                            tier_of=lambda t: self.settings(t).tier, session_id=session_id, request_id=request_id)

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

    async def run(self, workflow: str, ctx: TenantContext, payload: Any, *,
                  credential: UserCredential | None = None) -> RunResult:
        """Run ``workflow`` for the tenant in ``ctx``; raise a TenantflowError on failure.

        ``credential`` (from :meth:`authenticate`) travels beside the run, never in
        its state: tools that act for the user get a token exchanged from it.
        """
        started = time.perf_counter()
        compiled, data, config, durability = self._prepare_run(workflow, ctx, payload, credential)
        self.quotas.record_request(ctx.tenant_id)
        with credential_scope(credential):
            state = await compiled.graph.ainvoke(fresh_run(data), config=config,  # type: ignore[call-overload]
                                                 context=ctx, **durability)
        self.quotas.record_tokens(ctx.tenant_id, sum(u["input_tokens"] + u["output_tokens"]
                                                     for u in state.get("usage") or []))
        return RunResult(
            workflow=workflow, tenant_id=ctx.tenant_id, thread_id=ctx.thread_id,
            output=dict(state.get("output") or {}), usage=list(state.get("usage") or []),
            guard=list(state.get("guard") or []), errors=list(state.get("errors") or []),
            steps=dict(state.get("steps") or {}), blocked=state.get("blocked") or None,
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    def stream(self, workflow: str, ctx: TenantContext, payload: Any, *,
               credential: UserCredential | None = None) -> AsyncIterator[StepEvent | RunResult]:
        """Run ``workflow`` as :meth:`run` does, yielding a :class:`StepEvent` as each step
        finishes and the :class:`RunResult` last.

        The checks that refuse a run (credential, unknown workflow, input) raise
        here, before anything runs; an error of the run itself is raised by the
        iteration. Events carry step ids only: no step output leaves the run
        before the output guard has seen it.

        >>> async for event in engine.stream("support-triage", ctx, payload):   # doctest: +SKIP
        ...     print(event)
        """
        started = time.perf_counter()
        compiled, data, config, options = self._prepare_run(workflow, ctx, payload, credential)
        return self._stream(compiled, workflow, ctx, data, config, options, credential, started)

    def _prepare_run(self, workflow: str, ctx: TenantContext, payload: Any, credential: UserCredential | None,
                     ) -> tuple[CompiledWorkflow, dict[str, Any], dict[str, Any], dict[str, Any]]:
        """What :meth:`run` and :meth:`stream` check and build before a run, in this order."""
        if credential is not None and (credential.tenant_id, credential.user_id, credential.issuer) != (
                ctx.tenant_id, ctx.user_id, ctx.issuer):
            raise AuthError("the credential does not belong to the run's tenant context")
        if credential is not None and credential.expires_at <= time.time():
            raise AuthError("the user's token has expired")
        compiled = self.compile(workflow, ctx.tenant_id)
        data = check_input(workflow, compiled.ir.spec.input, payload)
        config = {"configurable": {"thread_id": ctx.thread_id}}
        # Checkpoint at the end of the run only: the raw input a guard blocks or
        # redacts is never written, and a run costs a third of per-step writes.
        options = {"durability": "exit"} if self.checkpointer is not None else {}
        return compiled, data, config, options

    async def _stream(self, compiled: CompiledWorkflow, workflow: str, ctx: TenantContext, data: dict[str, Any],
                      config: dict[str, Any], options: dict[str, Any], credential: UserCredential | None,
                      started: float) -> AsyncIterator[StepEvent | RunResult]:
        import asyncio
        import contextlib

        # The graph runs in its own task: the user's credential is set in that
        # task's context only, never in the consumer's between two events.
        queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()

        async def drive() -> None:
            with credential_scope(credential):
                async for item in compiled.graph.astream(  # type: ignore[call-overload]
                        fresh_run(data), config=config, context=ctx, stream_mode=["updates", "values"], **options):
                    queue.put_nowait(item)

        self.quotas.record_request(ctx.tenant_id)
        task = asyncio.create_task(drive())
        task.add_done_callback(lambda _: queue.put_nowait(None))
        kinds = {node.id: node.kind for node in compiled.ir.nodes.values()}
        state: dict[str, Any] = {}
        try:
            while (item := await queue.get()) is not None:
                mode, chunk = item
                if mode == "values":
                    state = chunk  # the last one is the final state, as ainvoke returns it
                    continue
                for node in chunk or {}:
                    if not node.startswith("__"):
                        yield StepEvent(node, kinds.get(node, "engine"))
            await task  # raises the run's error, if it failed
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.quotas.record_tokens(ctx.tenant_id, sum(u["input_tokens"] + u["output_tokens"]
                                                     for u in state.get("usage") or []))
        yield RunResult(
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
        if project.spec.gateway.mcp:
            from engine.tools.mcp import discover

            await discover(project.tools)  # the allow-listed MCP tools' input schemas, from their servers
            project.policies = None  # validated again, with those schemas typing context.input
        async with open_backends(config, project.root) as backends:
            yield cls(project, checkpointer=backends.checkpointer, store=backends.store, stores=backends.stores,
                      **kwargs)


@dataclass(frozen=True)
class StepEvent:
    """A step of a streamed run finished: its node id and kind, never its output."""

    step: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "step", "step": self.step, "kind": self.kind}


class UnknownWorkflow(SpecError):
    def __init__(self, name: str, known: Any, tenant: str | None = None):
        self.name = name
        whose = f" for tenant '{tenant}'" if tenant else ""
        super().__init__([Problem("", 0, 0, "", f"unknown workflow '{name}'{whose}", did_you_mean(name, known),
                                  code="unknown-workflow")])


def _run_context() -> TenantContext | None:
    """The tenant context of the graph run in progress, if called from inside one."""
    from langgraph.runtime import get_runtime

    try:
        ctx = get_runtime().context
    except RuntimeError:
        return None
    return ctx if isinstance(ctx, TenantContext) else None


def _run_step() -> str:
    from langgraph.config import get_config

    try:
        return str(get_config().get("metadata", {}).get("langgraph_node", ""))
    except RuntimeError:
        return ""


def _blocked_error(workflow: str, message: str) -> RunError:
    from engine.errors import RunFailure

    return RunError(RunFailure(workflow, "blocked", message))
