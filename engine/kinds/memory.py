"""What the memory step kinds share: the run's store, limited to its principal's namespaces."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.errors import MemoryAccessDenied, Problem
from engine.ir import IRNode, WorkflowIR
from engine.kinds.base import Locate, RunContext, problem, run_context
from engine.memory.scoped import ScopedStore
from engine.spec.workflow import MemoryLevel

if TYPE_CHECKING:
    from langgraph.runtime import Runtime


async def scoped(ir: WorkflowIR, runtime: Runtime[RunContext]) -> ScopedStore:
    """The run's memory, limited to its principal's namespaces, in the tenant's own store if siloed."""
    run_ctx = run_context(runtime)
    store = await run_ctx.services.memory_store(run_ctx.tenant, runtime.store)
    if store is None:
        raise MemoryAccessDenied("this workflow uses memory but the engine has no memory store")
    plan = ir.spec.memory
    return ScopedStore(store, run_ctx.tenant, strategy=ir.spec.metadata.strategy,
                       read_levels=plan.read, write_levels=plan.write)


def check_level(node: IRNode, ir: WorkflowIR, locate: Locate, verb: str, level: MemoryLevel) -> Iterable[Problem]:
    """A memory step addresses only a level its workflow declared (``memory.read`` / ``memory.write``)."""
    plan = ir.spec.memory
    declared = plan.write if verb == "write" else plan.read
    path = (*node.path, node.kind, "level")
    if level in declared:
        return []
    step = "remember writes" if verb == "write" else "recall reads"
    found = [problem(locate, path, f"{step} level '{level}' but the workflow declares "
                     f"memory.{verb}: [{', '.join(declared)}]", code="memory-undeclared")]
    if verb == "write" and level in ("global", "strategy"):
        found.append(problem(locate, path, f"level '{level}' is read-only to tenants", code="memory-readonly"))
    return found
