"""Running a compiled workflow: top-level runs, streamed runs and the sub-runs of ``call`` steps."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from opentelemetry import context as otel_context

from engine.context import TenantContext
from engine.errors import AuthError, RunError, RunFailure, TenantflowError
from engine.identity.credentials import UserCredential, credential_scope
from engine.ids import require_id
from engine.inputs import check_input
from engine.ir import GUARD_INPUT
from engine.kinds.base import RunContext, Services
from engine.policy.authorizer import Authorizer
from engine.run.graphs import CompiledWorkflow, GraphCache
from engine.run.observe import RunPart, new_run_id
from engine.state import fresh_run
from engine.telemetry.ledger import Ledger
from engine.usage import Meter


class NothingToResume(TenantflowError):
    """A resume asked of a session with no unfinished run, or one that stopped before its input guard."""

    code = "nothing-to-resume"


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
    #: Set when the run paused at an ``ask`` step: the question, the answer's schema, who asked, until when.
    pending: dict[str, Any] | None = None

    @classmethod
    def of(cls, workflow: str, ctx: TenantContext, state: dict[str, Any], started: float) -> RunResult:
        return cls(
            workflow=workflow, tenant_id=ctx.tenant_id, thread_id=ctx.thread_id,
            output=dict(state.get("output") or {}), usage=list(state.get("usage") or []),
            guard=list(state.get("guard") or []), errors=list(state.get("errors") or []),
            steps=dict(state.get("steps") or {}), blocked=state.get("blocked") or None,
            duration_ms=(time.perf_counter() - started) * 1000, pending=_pending(state),
        )

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
        } | ({"status": "waiting", "pending": self.pending} if self.pending is not None else {})


def _pending(state: dict[str, Any]) -> dict[str, Any] | None:
    """The question a paused run waits on (LangGraph's ``__interrupt__``), or None."""
    interrupts = state.get("__interrupt__") or ()
    return dict(interrupts[0].value) if interrupts else None


@dataclass(frozen=True)
class StepEvent:
    """A step of a streamed run finished: its node id and kind, never its output."""

    step: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "step", "step": self.step, "kind": self.kind}


@dataclass(frozen=True)
class TokenEvent:
    """Text of an ``llm`` step with ``stream: true``, one checked sentence at a time (``attempt`` counts retries)."""

    step: str
    text: str
    attempt: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"type": "token", "step": self.step, "text": self.text, "attempt": self.attempt}


#: What a streamed run yields: steps as they finish, checked text as it is written, the result last.
RunEvent = StepEvent | TokenEvent | RunResult


def run_config(workflow: str, ctx: TenantContext) -> dict[str, Any]:
    """The LangGraph config of a run of ``workflow`` on ``ctx``'s session: its thread, and the workflow's
    name in the checkpoints' metadata (listing a tenant's runs reads it)."""
    return {"configurable": {"thread_id": ctx.thread_id}, "metadata": {"workflow": workflow}}


class Runner:
    """Starts runs on the graph cache's graphs, with the run context every node reads its services from."""

    def __init__(self, graphs: GraphCache, quotas: Meter, ledger: Ledger | None = None):
        self.graphs, self.quotas, self.ledger = graphs, quotas, ledger
        self.services: Services | None = None
        self.authorizer: Authorizer | None = None

    def _context(self, ctx: TenantContext, payload: dict[str, Any] | None = None) -> RunContext:
        assert self.services is not None, "the engine sets the runner's services"
        return RunContext(ctx, self.services, payload)

    async def run(self, workflow: str, ctx: TenantContext, payload: Any, credential: UserCredential | None,
                  ) -> RunResult:
        started = time.perf_counter()
        compiled, data, config, options = self._prepare(workflow, ctx, payload, credential)
        self.quotas.record_request(ctx.tenant_id)
        part = self._part(compiled, ctx, config, "run")
        try:
            with credential_scope(credential), part.running():
                state = await compiled.graph.ainvoke(fresh_run(), config=config,  # type: ignore[call-overload]
                                                     context=self._context(ctx, data), **options)
        except BaseException as exc:
            await self._failed(part, compiled, config, exc)
            raise
        await part.finished(state)
        return RunResult.of(workflow, ctx, state, started)

    async def resume(self, workflow: str, ctx: TenantContext, credential: UserCredential | None) -> RunResult:
        """Go on with the session's unfinished run from its last checkpoint (after a crash or a failed step).

        Steps whose results were checkpointed do not run again; the step that
        was in flight runs again, under its retry policy. A run that stopped
        before its input guard finished cannot be resumed (its input was never
        kept): send the request again.
        """
        started = time.perf_counter()
        compiled, _, config, options = self._prepare(workflow, ctx, {}, credential, check=False)
        saved = await compiled.graph.aget_state(config)  # type: ignore[arg-type]
        if not saved.next or (saved.metadata or {}).get("workflow", workflow) != workflow:
            raise NothingToResume(f"session '{ctx.session_id}' has no unfinished run of '{workflow}' to resume")
        if saved.interrupts:
            raise NothingToResume(f"the run of '{workflow}' on session '{ctx.session_id}' waits for an answer: "
                                  "answer it (Engine.answer, a resume body with an answer)")
        if GUARD_INPUT not in (saved.values.get("route") or {}):
            raise NothingToResume(f"the run on session '{ctx.session_id}' stopped before its input guard "
                                  "finished, so its input was never kept: send the request again")
        self.quotas.record_request(ctx.tenant_id)
        part = self._part(compiled, ctx, config, "resume", saved)
        try:
            with credential_scope(credential), part.running():
                state = await compiled.graph.ainvoke(None, config=config,  # type: ignore[call-overload]
                                                     context=self._context(ctx), **options)
        except BaseException as exc:
            await self._failed(part, compiled, config, exc)
            raise
        await part.finished(state)
        return RunResult.of(workflow, ctx, state, started)

    def stream(self, workflow: str, ctx: TenantContext, payload: Any, credential: UserCredential | None,
               ) -> AsyncIterator[RunEvent]:
        started = time.perf_counter()
        compiled, data, config, options = self._prepare(workflow, ctx, payload, credential)
        # The caller's trace context now, while it is current: the stream is iterated later, elsewhere.
        return self._stream(compiled, workflow, ctx, data, config, options, credential, started,
                            otel_context.get_current())

    async def answer(self, workflow: str, ctx: TenantContext, requester: str, answer: Any,
                     credential: UserCredential | None) -> RunResult:
        """Answer the question ``requester``'s run of ``workflow`` waits on, in ``ctx``'s session, as ``ctx``'s user.

        The thread is ``<ctx tenant>:<requester>:<ctx session>``: the tenant always comes from the
        answering caller, so no answer reaches another tenant's run. Cedar decides whether the caller
        may answer (action ``answer``; the step's scope, else the requester only, is ``context.entitled``);
        the answer must match the step's ``answer:`` fields. Past ``expires_s`` the step takes its
        ``on_expiry`` outcome instead of the answer given. The run goes on as the requester's, with no
        scopes: the answering user's rights do not flow into it.
        """
        started = time.perf_counter()
        compiled, _, _, options = self._prepare(workflow, ctx, {}, credential, check=False)
        try:
            owner = replace(ctx, user_id=require_id("user id", requester), scopes=frozenset(), attributes=())
        except ValueError as exc:
            raise AuthError(str(exc)) from None
        config = run_config(workflow, owner)
        saved = await compiled.graph.aget_state(config)  # type: ignore[arg-type]
        waiting = [i.value for task in saved.tasks for i in task.interrupts]
        if not waiting or (saved.metadata or {}).get("workflow", workflow) != workflow:
            raise NothingToResume(f"no run of '{workflow}' by user '{requester}' on session '{ctx.session_id}' "
                                  "is waiting for an answer")
        pending = waiting[0]
        spec = compiled.ir.nodes[pending["step"]].step.body  # type: ignore[union-attr]
        expired = pending.get("expires_at") is not None and time.time() >= pending["expires_at"]
        entitled = spec.scope in ctx.scopes if spec.scope else ctx.user_id == requester
        assert self.authorizer is not None, "the engine sets the runner's authorizer"
        self.authorizer.check_answer(ctx, self.graphs.tenants.facts(ctx.tenant_id), workflow=workflow,
                                     step=pending["step"], requester=requester, entitled=entitled, expired=expired)
        reply: dict[str, Any] = {"expired": True} if expired else {
            "answer": check_input(workflow, spec.answer, answer), "by": ctx.user_id}
        self.quotas.record_request(ctx.tenant_id)
        from langgraph.types import Command

        part = self._part(compiled, owner, config, "answer", saved)
        try:
            with part.running():
                state = await compiled.graph.ainvoke(Command(resume=reply), config=config,  # type: ignore[call-overload]
                                                     context=self._context(owner), **options)
        except BaseException as exc:
            await self._failed(part, compiled, config, exc)
            raise
        await part.finished(state)
        return RunResult.of(workflow, owner, state, started)

    async def invoke_workflow(self, workflow: str, payload: dict[str, Any], ctx: TenantContext) -> dict[str, Any]:
        """A ``call`` step's sub-run: same tenant, same run, the callee's own guards."""
        compiled = self.graphs.get(workflow, ctx.tenant_id)
        data = check_input(workflow, compiled.ir.spec.input, payload)
        state = await compiled.subgraph.ainvoke(fresh_run(), context=self._context(ctx, data))  # type: ignore[call-overload]
        if state.get("blocked"):
            raise RunError(RunFailure(workflow, "blocked", state["blocked"]))
        return dict(state)

    def _prepare(self, workflow: str, ctx: TenantContext, payload: Any, credential: UserCredential | None,
                 check: bool = True) -> tuple[CompiledWorkflow, dict[str, Any], dict[str, Any], dict[str, Any]]:
        """What :meth:`run` and :meth:`stream` check and build before a run, in this order."""
        if credential is not None and (credential.tenant_id, credential.user_id, credential.issuer) != (
                ctx.tenant_id, ctx.user_id, ctx.issuer):
            raise AuthError("the credential does not belong to the run's tenant context")
        if credential is not None and credential.expired():
            raise AuthError("the user's token has expired")
        compiled = self.graphs.get(workflow, ctx.tenant_id)
        data = check_input(workflow, compiled.ir.spec.input, payload) if check else {}
        config = run_config(workflow, ctx)
        if check:  # a new run: its id goes into every checkpoint it writes (a resumption reads it back)
            config["metadata"]["run_id"] = new_run_id()
        options = {"durability": self.durability(compiled, ctx.tenant_id)} \
            if self.graphs.checkpointer is not None else {}
        return compiled, data, config, options

    def durability(self, compiled: CompiledWorkflow, tenant_id: str) -> str:
        """When the run writes checkpoints: the workflow's choice, else its tenant's tier's, else ``exit``."""
        chosen = compiled.ir.spec.durability
        if chosen is None:
            tier = self.graphs.project.spec.tiers.get(self.graphs.tenants.settings(tenant_id).tier)
            chosen = tier.durability if tier is not None else None
        return chosen or "exit"

    def _part(self, compiled: CompiledWorkflow, ctx: TenantContext, config: dict[str, Any], mode: str,
              saved: Any = None, parent: Any = None) -> RunPart:
        """Observe one part of a run; a later part (``saved``: the checkpoint it goes on from) keeps the run's id,
        and its tokens already counted are not counted again."""
        metadata = config["metadata"]
        seen = 0
        if saved is not None:
            metadata["run_id"] = (saved.metadata or {}).get("run_id") or new_run_id()
            seen = len(saved.values.get("usage") or [])
        spec = compiled.ir.spec
        return RunPart(workflow=compiled.name, version=f"{spec.metadata.version}@{compiled.digest[:12]}", ctx=ctx,
                       run_id=metadata["run_id"], mode=mode, meter=self.quotas, ledger=self.ledger, seen_usage=seen,
                       parent=parent)

    async def _failed(self, part: RunPart, compiled: CompiledWorkflow, config: dict[str, Any],
                      exc: BaseException) -> None:
        """A part of a run raised: what its checkpoints kept of the run's usage goes to the ledger."""
        usage = None
        if self.graphs.checkpointer is not None and not isinstance(exc, asyncio.CancelledError):
            with contextlib.suppress(Exception):  # the run's own error is the one to raise
                usage = list((await compiled.graph.aget_state(config)).values.get("usage") or [])  # type: ignore[arg-type]
        await part.failed(exc, usage)

    async def _stream(self, compiled: CompiledWorkflow, workflow: str, ctx: TenantContext, data: dict[str, Any],
                      config: dict[str, Any], options: dict[str, Any], credential: UserCredential | None,
                      started: float, parent: Any) -> AsyncIterator[RunEvent]:
        # The graph runs in its own task: the user's credential (and the run's span and tally) are set in that
        # task's context only, never in the consumer's between two events.
        queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()
        context = self._context(ctx, data)
        part = self._part(compiled, ctx, config, "stream", parent=parent)

        async def drive() -> None:
            with credential_scope(credential), part.running():
                async for item in compiled.graph.astream(  # type: ignore[call-overload]
                        fresh_run(), config=config, context=context, stream_mode=["updates", "values", "custom"],
                        **options):
                    queue.put_nowait(item)

        self.quotas.record_request(ctx.tenant_id)
        task = asyncio.create_task(drive())
        task.add_done_callback(lambda _: queue.put_nowait(None))
        kinds = {node.id: node.kind for node in compiled.ir.nodes.values()}
        state: dict[str, Any] = {}
        paused: Any = None
        try:
            while (item := await queue.get()) is not None:
                mode, chunk = item
                if mode == "values":
                    state = chunk  # the last one is the final state, as ainvoke returns it
                    continue
                if mode == "custom":
                    if isinstance(chunk, dict) and chunk.get("type") == "token":
                        yield TokenEvent(chunk["step"], chunk["text"], chunk.get("attempt", 0))
                    continue
                if "__interrupt__" in (chunk or {}):
                    paused = chunk["__interrupt__"]  # an ask step: the run waits for an answer
                for node in chunk or {}:
                    if not node.startswith("__"):
                        yield StepEvent(node, kinds.get(node, "engine"))
            await task  # raises the run's error, if it failed
        except BaseException as exc:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._failed(part, compiled, config, exc)
            raise
        await part.finished(state, paused=paused is not None)
        yield RunResult.of(workflow, ctx, {**state, "__interrupt__": paused} if paused else state, started)
