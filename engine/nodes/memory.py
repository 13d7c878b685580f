"""Memory steps: load declared levels, ``remember`` and ``recall``, through a scoped store."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from engine.compile.ir import IRNode
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.errors import MemoryAccessDenied, TemplateError
from engine.memory.scoped import MemoryItem, ScopedStore
from engine.nodes.base import Build, NodeFn, context_of, failure_record, handle_failure, succeeded, variables
from engine.skills.policy import Attempts, run_with_policy
from engine.templating import render_value


async def scoped(b: Build, runtime: Runtime[TenantContext]) -> ScopedStore:
    """The run's memory, limited to its principal's namespaces, in the tenant's own store if siloed."""
    ctx = context_of(runtime)
    store = await b.services.memory_store(ctx, runtime.store)
    if store is None:
        raise MemoryAccessDenied("this workflow uses memory but the engine has no memory store")
    plan = b.ir.spec.memory
    return ScopedStore(store, ctx, strategy=b.ir.spec.metadata.strategy,
                       read_levels=plan.read, write_levels=plan.write)


def build_load(node: IRNode, b: Build) -> NodeFn:
    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        store = await scoped(b, runtime)
        loaded = await store.load()
        return {"memory": {level: [item["value"] | {"key": item["key"]} for item in items]
                           for level, items in loaded.items()}}

    return run


def build_remember(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.remember is not None
    spec = step.remember
    key = b.template(node, ("remember", "key"), spec.key)
    value = b.template(node, ("remember", "value"), spec.value)

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        started, attempts = time.perf_counter(), Attempts()
        try:
            scope = variables(state, context_of(runtime))
            rendered_key, rendered = str(render_value(key, scope)), render_value(value, scope)
            item = rendered if isinstance(rendered, dict) else {"value": rendered}
            store = await scoped(b, runtime)

            async def once() -> None:
                await store.put(spec.level, rendered_key, item)

            await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
        except (MemoryAccessDenied, TemplateError):
            raise
        except Exception as exc:
            return handle_failure(node, b.ir, failure_record(node, exc, max(attempts.count, 1), started))
        return succeeded(node, {"level": spec.level, "key": rendered_key})

    return run


def build_recall(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.recall is not None
    spec = step.recall
    key = b.template(node, ("recall", "key"), spec.key) if spec.key else None
    query = b.template(node, ("recall", "query"), spec.query) if spec.query else None

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        started, attempts = time.perf_counter(), Attempts()
        try:
            scope = variables(state, context_of(runtime))
            store = await scoped(b, runtime)
            wanted = str(render_value(key, scope)) if key is not None else None
            text = str(render_value(query, scope)) if query is not None else None

            async def once() -> list[MemoryItem]:
                if wanted is not None:
                    item = await store.get(spec.level, wanted)
                    return [item] if item is not None else []
                return await store.search(spec.level, query=text, limit=spec.limit)

            items = await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
        except (MemoryAccessDenied, TemplateError):
            raise
        except Exception as exc:
            return handle_failure(node, b.ir, failure_record(node, exc, max(attempts.count, 1), started))
        return succeeded(node, {"items": [i["value"] | {"key": i["key"]} for i in items]})

    return run
