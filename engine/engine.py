"""The Engine: a loaded project, put together from the run layer's parts (:mod:`engine.run`).

- :class:`~engine.run.tenants.TenantDirectory`: every tenant's settings, models and guard chains;
- :class:`~engine.run.dispatch.Dispatch`: skill and tool calls through the bridge chain and policy;
- :class:`~engine.run.graphs.GraphCache`: one compiled graph per structure, through
  :func:`engine.compile.pipeline.compile_workflow`;
- :class:`~engine.run.runner.Runner`: runs, streamed runs and sub-runs, with the run context
  (tenant context and services) every node reads.
"""

from __future__ import annotations

import calendar
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from engine.context import TenantContext
from engine.errors import AuthError, SpecError
from engine.guardrails.chain import GuardChain
from engine.guardrails.leakage import LeakageIndex
from engine.identity.authenticate import Caller, authenticate
from engine.identity.credentials import UserCredential
from engine.identity.exchange import WorkloadIdentity
from engine.identity.verify import TokenVerifier
from engine.inputs import check_input
from engine.kinds.base import RunContext
from engine.kinds.registry import StepKinds, step_kinds
from engine.knowledge.stores import KnowledgeStores, open_knowledge
from engine.memory.backends import StoresConfig, TenantStores, data_path, open_backends
from engine.memory.checkpoints import TenantCheckpointer
from engine.models.registry import Providers
from engine.policy.bundle import load_policies
from engine.project import Project, load_project
from engine.run.access import build_authorizer, build_delegation
from engine.run.dispatch import Dispatch
from engine.run.graphs import DEFAULT_GRAPH_CACHE_MB, CompiledWorkflow, GraphCache, UnknownWorkflow
from engine.run.runner import NothingToResume, RunEvent, Runner, RunResult, StepEvent, TokenEvent, run_config
from engine.run.services import RunServices
from engine.run.sessions import SessionDirectory, Sessions
from engine.run.tenants import TenantDirectory
from engine.telemetry.ledger import Ledger, PostgresLedger, SqliteLedger
from engine.telemetry.users import use_key
from engine.tenancy import TenantSettings
from engine.tools.gateway import ToolGateway
from engine.usage import LocalMeter, Meter

__all__ = ["CompiledWorkflow", "Engine", "NothingToResume", "RunEvent", "RunResult", "StepEvent", "TokenEvent",
           "UnknownWorkflow"]


class Engine:
    """Compiles workflows per tenant structure and runs them.

    >>> engine = Engine(load_project(Path("examples/demo")))            # doctest: +SKIP
    >>> result = await engine.run("support-triage", engine.dev_context("acme", "u1", "s1"),
    ...                           {"ticket": "I was charged twice"})     # doctest: +SKIP
    """

    def __init__(self, project: Project, *, checkpointer: BaseCheckpointSaver[Any] | None = None,
                 store: BaseStore | None = None, stores: TenantStores | None = None,
                 providers: Providers | None = None, graph_cache_mb: float = DEFAULT_GRAPH_CACHE_MB,
                 quotas: Meter | None = None, kinds: StepKinds | None = None, ledger: Ledger | None = None,
                 knowledge: KnowledgeStores | None = None):
        if project.policies is None:
            project = replace(project, policies=_load_policies(project))
        self.project = project
        self.providers = providers or Providers()
        self.tenants = TenantDirectory(project, self.providers, stores, knowledge)
        self.knowledge = knowledge
        # Every run's reads and writes of checkpoints stay in its own tenant's threads, and a tenant whose
        # memory is siloed keeps its checkpoints in its own checkpointer too.
        self.checkpointer = TenantCheckpointer(checkpointer, stores=stores, silo=self.tenants.silo_memory) \
            if checkpointer is not None else None
        self.store, self.stores = store, stores
        #: Current quota usage per tenant, read by policies as context.quota; a runtime passes its
        #: engine's counters on to the engine a reload builds, so a reload resets no tenant's quota.
        self.quotas: Meter = quotas if quotas is not None else LocalMeter()
        assert project.policies is not None
        self.authorizer = build_authorizer(project, project.policies, self.quotas)
        identity = project.spec.identity
        self.verifier = TokenVerifier(identity, project.root) if identity is not None else None
        self.workload = WorkloadIdentity(project.spec.metadata.name)
        self.token_service, self.delegation = build_delegation(project, self.verifier, self.workload)
        self.dispatch = Dispatch(project, self.tenants, self.authorizer, self.quotas, self.delegation)
        self.graphs = GraphCache(project, self.tenants, kinds or step_kinds(), checkpointer=self.checkpointer,
                                 store=store, max_mb=graph_cache_mb)
        #: Where each run's usage record goes (None: nowhere); Engine.open opens the project's.
        self.ledger = ledger
        self.runner = Runner(self.graphs, self.quotas, ledger)
        telemetry = project.spec.telemetry
        use_key(os.environ.get(telemetry.user_hash_key_env, "").encode() or project.spec.metadata.name.encode())
        self.runner.authorizer = self.authorizer
        self.services = self.runner.services = RunServices(self.tenants, self.dispatch, self.runner)
        self._sessions = SessionDirectory(self.tenants, self.checkpointer, self._unfinished)

    @property
    def root(self) -> Path:
        return self.project.root

    @property
    def gateway(self) -> ToolGateway:
        return self.dispatch.gateway

    @property
    def compile_count(self) -> int:
        return self.graphs.compile_count

    def graph_count(self) -> int:
        return len(self.graphs)

    # -- tenants -------------------------------------------------------------------------

    def settings(self, tenant_id: str) -> TenantSettings:
        return self.tenants.settings(tenant_id)

    def guard_chain(self, tenant_id: str) -> GuardChain:
        return self.tenants.guard_chain(tenant_id)

    def leakage_index(self) -> LeakageIndex:
        return self.tenants.leakage_index()

    def dev_context(self, tenant_id: str, user_id: str = "dev-user", session_id: str = "dev-session",
                    request_id: str = "") -> TenantContext:
        """A context vouched for by the local developer (CLI, tests), with the tenant file's tier."""
        settings = self.settings(tenant_id)
        return TenantContext(tenant_id=tenant_id, tier=settings.tier, user_id=user_id, session_id=session_id,
                             request_id=request_id, issuer="dev")

    def authenticate(self, token: str, *, session_id: str, request_id: str = "", wait: bool = True) -> Caller:
        """Verify a user's token and build the run's context; raise TokenRejected (an AuthError) on any doubt.

        >>> caller = engine.authenticate(token, session_id="s1")          # doctest: +SKIP
        >>> await engine.run("support-triage", caller.context, payload, credential=caller.credential)  # doctest: +SKIP
        """
        if self.verifier is None:
            raise AuthError("this project trusts no token issuer: add an identity: section to tenantflow.yaml")
        return authenticate(self.verifier, token, tenants=self.project.tenants,
                            tier_of=lambda t: self.settings(t).tier, session_id=session_id, request_id=request_id,
                            wait=wait)

    def sessions(self, tenant_id: str) -> Sessions:
        """One tenant's sessions, to list, read or delete; AuthError for no tenant or an unknown one.

        >>> for info in await engine.sessions("acme").list(user_id="u1"):   # doctest: +SKIP
        ...     print(info.session_id, info.updated)
        """
        return self._sessions.of(tenant_id)

    async def _unfinished(self, workflow: str, tenant_id: str, config: Any) -> bool:
        try:
            graph = self.graphs.get(workflow, tenant_id).graph
        except SpecError:  # a workflow since removed or no longer enabled: its run cannot go on
            return False
        return bool((await graph.aget_state(config)).next)

    # -- compiling and running ---------------------------------------------------------------

    def compile(self, workflow: str, tenant_id: str) -> CompiledWorkflow:
        """The compiled graph ``tenant_id`` runs for ``workflow`` (shared across equal structures)."""
        return self.graphs.get(workflow, tenant_id)

    def run_context(self, workflow: str, ctx: TenantContext, payload: Any) -> RunContext:
        """The LangGraph run context to run ``workflow``'s compiled graph with, from another runtime.

        ``ctx``'s tenant, the engine's services, and ``payload`` checked against the workflow's
        input (InputError naming the field if it does not fit). Give the graph
        :func:`engine.state.fresh_run` as input: the payload enters state only through the input guard.
        """
        compiled = self.graphs.get(workflow, ctx.tenant_id)
        return RunContext(ctx, self.services, check_input(workflow, compiled.ir.spec.input, payload))

    def run_config(self, workflow: str, ctx: TenantContext) -> dict[str, Any]:
        """The LangGraph config of a run of ``workflow`` on ``ctx``'s session: its thread, and the
        workflow's name in the checkpoints' metadata (session listings read it)."""
        return run_config(workflow, ctx)

    async def run(self, workflow: str, ctx: TenantContext, payload: Any, *,
                  credential: UserCredential | None = None) -> RunResult:
        """Run ``workflow`` for the tenant in ``ctx``; raise a TenantflowError on failure.

        ``credential`` (from :meth:`authenticate`) travels beside the run, never in
        its state: tools that act for the user get a token exchanged from it.
        """
        return await self.runner.run(workflow, ctx, payload, credential)

    async def resume(self, workflow: str, ctx: TenantContext, *,
                     credential: UserCredential | None = None) -> RunResult:
        """Go on with the unfinished run of ``workflow`` on ``ctx``'s session from its last checkpoint.

        A run leaves something to resume when its process died mid-way or a step
        failed, and its durability (``sync`` or ``async``) checkpointed the steps
        before. Completed steps do not run again. NothingToResume if there is nothing.
        """
        return await self.runner.resume(workflow, ctx, credential)

    async def answer(self, workflow: str, ctx: TenantContext, requester: str, answer: Any, *,
                     credential: UserCredential | None = None) -> RunResult:
        """Answer the question (an ``ask`` step) that ``requester``'s run waits on in ``ctx``'s session.

        ``ctx`` is the answering user's (the same tenant by construction); Cedar decides whether they
        may answer (AccessDenied if not); the answer is checked against the step's ``answer:`` fields
        (InputError). Past the step's ``expires_s`` its ``on_expiry`` outcome is taken instead.

        >>> paused = await engine.run("refund", engine.dev_context("acme", "u1", "s1"), payload)   # doctest: +SKIP
        >>> paused.pending["question"]                                                            # doctest: +SKIP
        >>> await engine.answer("refund", boss_ctx, "u1", {"approved": True})                      # doctest: +SKIP
        """
        return await self.runner.answer(workflow, ctx, requester, answer, credential)

    def stream(self, workflow: str, ctx: TenantContext, payload: Any, *,
               credential: UserCredential | None = None) -> AsyncIterator[RunEvent]:
        """Run ``workflow`` as :meth:`run` does, yielding a :class:`StepEvent` as each step
        finishes and the :class:`RunResult` last.

        The checks that refuse a run (credential, unknown workflow, input) raise
        here, before anything runs; an error of the run itself is raised by the
        iteration. Step events carry ids only; the text of an ``llm`` step with
        ``stream: true`` comes as :class:`TokenEvent` events, each a sentence the
        tenant's output rules have checked (docs/decisions.md, "Streaming").

        >>> async for event in engine.stream("support-triage", ctx, payload):   # doctest: +SKIP
        ...     print(event)
        """
        return self.runner.stream(workflow, ctx, payload, credential)

    @classmethod
    @asynccontextmanager
    async def open(cls, root: Path, **kwargs: Any) -> AsyncIterator[Engine]:
        """Load the project at ``root`` and open its configured checkpointer and store."""
        project = load_project(root)
        config = StoresConfig.model_validate(project.spec.stores.model_dump())
        if project.spec.gateway.mcp:
            from engine.tools.mcp import discover

            await discover(project.tools)  # the allow-listed MCP tools' input schemas, from their servers
            # Validated again, with those schemas typing context.input.
            project = replace(project, policies=_load_policies(project))
        async with open_backends(config, project.root) as backends, open_ledger(project) as ledger, \
                open_knowledge(config, data_path(config, project.root), backends.stores.keyring) as knowledge:
            engine = cls(project, checkpointer=backends.checkpointer, store=backends.store, stores=backends.stores,
                         ledger=kwargs.pop("ledger", ledger), knowledge=knowledge, **kwargs)
            if "quotas" not in kwargs and engine.ledger is not None:
                seed_month_spend(engine.quotas, engine.ledger)
            yield engine


@asynccontextmanager
async def open_ledger(project: Project) -> AsyncIterator[Ledger | None]:
    """The project's usage ledger (``telemetry.ledger``), open while the block runs; None with ``store: none``."""
    spec, store = project.spec.telemetry.ledger, project.spec.ledger_store()
    ledger: Ledger | None = None
    if store == "sqlite":
        ledger = SqliteLedger(project.root / project.spec.stores.data_dir / spec.path)
    elif store == "postgres":
        from engine.memory.postgres import database_url

        postgres = project.spec.stores.postgres
        ledger = await PostgresLedger(database_url(postgres), postgres.db_schema).open()
    try:
        yield ledger
    finally:
        if ledger is not None:
            await ledger.close()


def seed_month_spend(meter: Meter, ledger: Ledger) -> None:
    """A meter of this process alone starts from the ledger's spend this month (a command-line run sees what
    earlier runs spent); a shared meter (Redis) keeps the month's spend itself."""
    if not isinstance(meter, LocalMeter):
        return
    now = time.time()
    start = calendar.timegm((*time.gmtime(now)[:2], 1, 0, 0, 0))
    spent: dict[str, float] = {}
    for row in ledger.rows(since=start):
        spent[row.tenant] = spent.get(row.tenant, 0.0) + row.cost_usd
    for tenant, usd in spent.items():
        meter.record_cost(tenant, usd)


def _load_policies(project: Project) -> Any:
    """A project's policies, closed on any problem (for a project put together without load_project)."""
    bundle, problems = load_policies(project.root, project.spec.policy.folder, project.spec.paths.tenants,
                                     project.tenants, project.registry.all(), project.tools.schemas())
    if bundle is None:
        raise SpecError(problems)
    return bundle
