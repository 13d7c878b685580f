"""What every node builder gets, and helpers every node kind shares."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore

from engine.compile.ir import IRNode, WorkflowIR
from engine.compile.resolve import TenantSettings
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.errors import AuthError, RunError, RunFailure, TenantflowError
from engine.guardrails.chain import GuardChain
from engine.models.base import ModelProvider, ToolSpec
from engine.skills.bridge import SkillCall
from engine.spec.project import ModelEntry
from engine.spec.source import Source
from engine.templating import compile_tree

NodeFn = Callable[[RunState, Runtime[TenantContext]], Awaitable[dict[str, Any]]]


class Services(Protocol):
    """Run-time services a compiled graph uses; shared by every tenant of a structure.

    Everything tenant-specific is looked up here from the run's context, so
    one compiled graph serves many tenants.
    """

    def settings(self, tenant_id: str) -> TenantSettings: ...

    def guard_chain(self, tenant_id: str) -> GuardChain: ...

    def model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]: ...

    async def call_skill(self, call: SkillCall) -> Any: ...

    def tool_specs(self, tenant: TenantSettings, names: list[str]) -> list[ToolSpec]: ...

    async def memory_store(self, ctx: TenantContext, default: BaseStore | None) -> BaseStore | None: ...

    async def invoke_workflow(self, workflow: str, payload: dict[str, Any], ctx: TenantContext) -> dict[str, Any]: ...

    @property
    def root(self) -> Path: ...


def context_of(runtime: Runtime[TenantContext]) -> TenantContext:
    ctx = runtime.context
    if not isinstance(ctx, TenantContext):
        # Closed by default: a graph never runs without a tenant context.
        raise AuthError("no tenant context: run the workflow with context=TenantContext(...)")
    return ctx


def variables(state: RunState, ctx: TenantContext, settings: TenantSettings | None = None) -> dict[str, Any]:
    """What templates and expressions can see: data and ids, nothing else."""
    return {
        "input": state.get("input", {}),
        "steps": state.get("steps", {}),
        "memory": state.get("memory", {}),
        "loop": state.get("loops", {}),
        "tenant": {"id": ctx.tenant_id, "tier": ctx.tier, "name": settings.name if settings else ctx.tenant_id},
        "user": {"id": ctx.user_id},
    }


def failure_record(node: IRNode, exc: BaseException, attempts: int, started: float) -> dict[str, Any]:
    """A clean error record for state: kind and safe message, never a traceback."""
    message = str(exc) if isinstance(exc, (TenantflowError, TimeoutError)) else f"{exc.__class__.__name__}: {exc}"
    return {
        "step": node.id,
        "kind": node.kind,
        "error": exc.__class__.__name__,
        "message": message[:500],
        "attempts": attempts,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
    }


def handle_failure(node: IRNode, ir: WorkflowIR, record: dict[str, Any]) -> dict[str, Any]:
    """Route a failed step per on_error: to a step, on to the next, or fail the run."""
    on_error = node.step.on_error if node.step is not None else None
    if on_error is None or on_error == "fail":
        raise RunError(RunFailure(node.id, record["error"], record["message"], {"attempts": record["attempts"]}))
    update: dict[str, Any] = {"errors": [record], "steps": {node.id: {"error": record["message"]}}}
    if on_error != "continue":
        update["route"] = {node.id: "error"}
    return update


def succeeded(node: IRNode, output: Any, **extra: Any) -> dict[str, Any]:
    """The update of a step that worked: its output, and the "ok" route if it can fail over."""
    update: dict[str, Any] = {"steps": {node.id: output}, **extra}
    step = node.step
    if step is not None and step.on_error not in (None, "fail", "continue"):
        update["route"] = {node.id: "ok"}
    return update


class Build:
    """What a node builder gets: the IR, the services, and where things were written."""

    def __init__(self, ir: WorkflowIR, services: Services, locate: Callable[[tuple[str | int, ...]], Source]):
        self.ir, self.services, self.locate = ir, services, locate

    def template(self, node: IRNode, sub: tuple[str | int, ...], value: Any) -> Any:
        """Compile the templates in ``value`` (written at ``node.path + sub``) once, at build time."""
        return compile_tree(value, self.locate, (*node.path, *sub))

    def expression(self, node: IRNode, sub: tuple[str | int, ...], source: str) -> Any:
        return compile_tree(source, self.locate, (*node.path, *sub), expression=True)


Builder = Callable[[IRNode, Build], NodeFn]
