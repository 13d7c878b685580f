"""Guard nodes: the tenant's guard chain on the input (first) and the output (last).

The input guard is also where a run proves it belongs to its tenant: the
thread id must be the context tenant's own.

The output guard checks the workflow's output (every detector, the
declared output schema, leakage across tenants), the outputs of LLM steps
that declare a schema, and looks for other tenants' marks in everything
the run gathered (step results, tool results, retrieved text, memory): a
mark found there is masked in state too, so no checkpoint keeps it.

Both nodes count what they did as OpenTelemetry metrics
(:mod:`engine.telemetry.metrics`) and keep redaction placeholders
consistent within a run (:mod:`engine.guardrails.redact`).
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from engine.context import TenantContext
from engine.errors import AuthError
from engine.guardrails.chain import GuardRecord, verdict
from engine.guardrails.redact import RunPlaceholders
from engine.guardrails.schema import FormatCheck
from engine.ids import thread_owner
from engine.ir import GUARD_INPUT, IRNode
from engine.kinds.base import Build, NodeFn, NodeKind, RunContext, run_context
from engine.spec.llm import LlmSpec
from engine.telemetry.metrics import guard_metrics

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState

#: Placeholders of the runs in flight, shared by the input and output guard of each run.
RUN_PLACEHOLDERS = RunPlaceholders()


def _configurable() -> Mapping[str, Any]:
    """The run's ``configurable`` (thread id, checkpoint namespace); LangGraph is imported by runs, not by loads."""
    from langgraph.config import get_config

    configurable: Mapping[str, Any] = get_config().get("configurable", {})
    return configurable


def run_key(ctx: TenantContext) -> Hashable:
    """The key of the run's redaction placeholders, from inside one of its nodes."""
    return _run_key(ctx, _configurable())


def _run_key(ctx: TenantContext, configurable: Mapping[str, Any]) -> Hashable:
    # A called sub-workflow runs its own guards inside the caller's run: the
    # checkpoint namespace above the guard node tells the two apart.
    namespace = str(configurable.get("checkpoint_ns", ""))
    parent = namespace.rpartition("|")[0]
    return ctx.tenant_id, str(configurable.get("thread_id", "")), ctx.request_id, parent


class GuardInput(NodeKind):
    """The first node of every graph: the thread's owner, then the tenant's input guard."""

    name = "guard_input"
    shape = ("{{", "}}")

    def build(self, node: IRNode, b: Build) -> NodeFn:
        return _build_input()


class GuardOutput(NodeKind):
    """The last node before END: the tenant's output guard, format checks and leakage."""

    name = "guard_output"
    shape = ("{{", "}}")

    def build(self, node: IRNode, b: Build) -> NodeFn:
        return _build_output(b)


def _build_input() -> NodeFn:
    async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run_ctx = run_context(runtime)
        ctx = run_ctx.tenant
        configurable = _configurable()
        thread = configurable.get("thread_id")
        if thread is not None and not _owns(ctx, str(thread)):
            raise AuthError(f"thread '{thread}' does not belong to tenant '{ctx.tenant_id}'")
        placeholders = RUN_PLACEHOLDERS.start(_run_key(ctx, configurable))
        chain = run_ctx.services.guard_chain(ctx.tenant_id)
        raw = run_ctx.payload if run_ctx.payload is not None else state.get("input", {})
        result = await chain.acheck_value(raw, "input", tenant=ctx.tenant_id, placeholders=placeholders)
        records = [dict(r) for r in result.records]
        guard_metrics().record(tenant=ctx.tenant_id, tier=ctx.tier, stage="input", records=records,
                               blocked=result.blocked)
        if result.blocked:
            # The raw input never stays in state when the guard blocks it.
            return {"input": {}, "guard": records, "blocked": result.message, "route": {GUARD_INPUT: "blocked"}}
        return {"input": result.value, "guard": records, "route": {GUARD_INPUT: "ok"}}

    return run


def _owns(ctx: TenantContext, thread: str) -> bool:
    """The thread is the tenant's: ``tenant:user:session``, or a server's own thread id that is this run's
    session (LangGraph Platform's UUIDs, owned per tenant and user by engine.platform.auth; the engine's
    thread for it is ``tenant:user:<uuid>``)."""
    return thread_owner(thread) == ctx.tenant_id or (thread == ctx.session_id and _is_uuid(thread))


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _build_output(b: Build) -> NodeFn:
    workflow_output = FormatCheck(b.ir.spec.output)
    keep_messages = b.ir.spec.conversation.keep_messages
    # Steps whose kind declares their output (an llm step's ``output:``): their answers are checked against it too.
    step_outputs = {n.id: FormatCheck(n.step.body.output) for n in b.ir.nodes.values()
                    if n.step is not None and n.kind == n.step.kind and isinstance(n.step.body, LlmSpec)
                    and n.step.body.output}

    async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run_ctx = run_context(runtime)
        ctx = run_ctx.tenant
        if state.get("blocked"):
            return {"output": {}}
        chain = run_ctx.services.guard_chain(ctx.tenant_id)
        placeholders = RUN_PLACEHOLDERS.get(_run_key(ctx, _configurable()))
        output = state.get("output", {})
        result = await chain.acheck_value(output, "output", tenant=ctx.tenant_id, placeholders=placeholders)
        records: list[GuardRecord] = [*result.records, *chain.check_format(output, workflow_output)]
        steps = state.get("steps", {})
        for step_id, fields in step_outputs.items():
            answer = steps.get(step_id)
            if isinstance(answer, dict) and "error" not in answer:  # a failed step was handled by on_error
                records += chain.check_format(answer, fields, f"steps.{step_id}")
        update: dict[str, Any] = {}
        turns = list(state.get("turns") or [])
        if chain.leakage is not None:
            gathered: dict[str, Any] = {"steps": steps, "memory": state.get("memory", {}), "turns": turns}
            # The output's strings are often step results themselves: if the output was clean of
            # other tenants' marks, those same objects need no second look.
            clean = frozenset() if any(r["category"] == "leakage" for r in result.records) else _string_ids(output)
            leak = chain.check_leakage(gathered, tenant=ctx.tenant_id, placeholders=placeholders, clean=clean)
            if leak.records:
                records += leak.records
                update = {"steps": leak.value["steps"], "memory": leak.value["memory"]}
                turns = leak.value["turns"]
        if turns:
            # Every answer that would join the conversation passes the output rules, as the output does.
            answers = [i for i, t in enumerate(turns) if t["role"] == "assistant"]
            checked = await chain.acheck_value([turns[i]["text"] for i in answers], "output", "conversation",
                                               tenant=ctx.tenant_id, placeholders=placeholders)
            records += checked.records
            turns = [dict(t) for t in turns]
            for i, text in zip(answers, checked.value, strict=True):
                turns[i]["text"] = text
        blocked, message = verdict("output", records)
        guard_metrics().record(tenant=ctx.tenant_id, tier=ctx.tier, stage="output", records=records, blocked=blocked)
        rows = [dict(r) for r in records]
        if turns:
            from langgraph.types import Overwrite

            # The turns were this run's scratch: emptied, so no checkpoint keeps an unchecked or blocked answer.
            update["turns"] = Overwrite([])
        if blocked:
            return {**update, "output": {}, "guard": rows, "blocked": message}
        if turns:
            update["messages"] = _commit(state.get("messages") or [], turns, keep_messages)
        return {**update, "output": result.value, "guard": rows}

    return run


def _commit(kept: list[Any], turns: list[dict[str, str]], keep: int) -> list[Any]:
    """The messages update that adds this run's guarded turns and trims the session to ``keep`` messages.

    Trimming drops the oldest messages (``conversation.when_full: trim``), then
    any answer left at the front, so the kept conversation opens with a user turn.
    """
    from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage

    new: list[Any] = [HumanMessage(t["text"]) if t["role"] == "user" else AIMessage(t["text"]) for t in turns]
    everything = [*kept, *new]
    drop = max(0, len(everything) - keep)
    while drop < len(everything) and getattr(everything[drop], "type", "") != "human":
        drop += 1
    removed = [RemoveMessage(id=m.id) for m in kept[:drop] if m.id]
    return [*removed, *new[max(0, drop - len(kept)):]]


def _string_ids(value: object) -> frozenset[int]:
    """Ids of the string objects in a JSON-like value."""
    if isinstance(value, str):
        return frozenset((id(value),))
    if isinstance(value, dict):
        return frozenset().union(*(_string_ids(v) for v in value.values()))
    if isinstance(value, (list, tuple)):
        return frozenset().union(*(_string_ids(v) for v in value))
    return frozenset()
