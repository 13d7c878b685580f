"""``recall:`` steps: read one key, or search a memory level, through the scoped store."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field

from engine.errors import MemoryAccessDenied, Problem, TemplateError
from engine.ir import IRNode, WorkflowIR
from engine.kinds.base import (
    Build,
    Locate,
    NodeFn,
    RunContext,
    StepKind,
    TemplateRef,
    context_of,
    failure_record,
    handle_failure,
    run_context,
    succeeded,
    variables,
)
from engine.kinds.memory import check_level, scoped
from engine.kinds.memory_index import INDEXED, recall_by_query, text_of
from engine.kinds.screening import screen
from engine.memory.scoped import MemoryItem
from engine.skills.retry import Attempts, run_with_policy
from engine.spec.common import Strict
from engine.spec.workflow import MemoryLevel, Step
from engine.templating import render_value

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class RecallSpec(Strict):
    level: MemoryLevel
    key: str | None = None
    query: str | None = None
    limit: int = Field(default=10, ge=1, le=100)


class Recall(StepKind):
    name = "recall"
    spec = RecallSpec
    shape = ("[(", ")]")

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        for field in ("key", "query"):
            if getattr(step.body, field) is not None:
                yield TemplateRef(("recall", field), getattr(step.body, field))

    def outputs(self, step: Step) -> frozenset[str] | None:
        return frozenset({"items", "dropped"})

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        assert node.step is not None
        return check_level(node, ir, locate, "read", node.step.body.level)

    def build(self, node: IRNode, b: Build) -> NodeFn:
        step = node.step
        assert step is not None
        spec: RecallSpec = step.body
        key = b.template(node, ("recall", "key"), spec.key) if spec.key else None
        query = b.template(node, ("recall", "query"), spec.query) if spec.query else None

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            started, attempts = time.perf_counter(), Attempts()
            try:
                run_ctx, ctx = run_context(runtime), context_of(runtime)
                scope = variables(state, ctx)
                store = await scoped(b.ir, runtime)
                wanted = str(render_value(key, scope)) if key is not None else None
                text = str(render_value(query, scope)) if query is not None else None

                knowledge = await run_ctx.services.knowledge(ctx, "memory") if text and spec.level in INDEXED else None

                async def once() -> list[MemoryItem]:
                    if wanted is not None:
                        item = await store.get(spec.level, wanted)
                        return [item] if item is not None else []
                    if knowledge is not None and text:
                        return await recall_by_query(knowledge, store, spec.level, text, spec.limit)
                    return await store.search(spec.level, query=text, limit=spec.limit)

                items = await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
            except (MemoryAccessDenied, TemplateError):
                raise
            except Exception as exc:
                return handle_failure(node, failure_record(node, exc, max(attempts.count, 1), started))
            # Recalled memories are text someone wrote earlier: screened like retrieved passages.
            screened = screen(run_ctx.services.guard_chain(ctx.tenant_id),
                              [(f"steps.{node.id}.items.{i['key']}", text_of(i["key"], i["value"])) for i in items],
                              ctx.tenant_id)
            kept = [items[i] for i, _ in screened.kept]
            return succeeded(node, {"items": [i["value"] | {"key": i["key"]} for i in kept],
                                    "dropped": screened.dropped})

        return run
