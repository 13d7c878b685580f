"""``remember:`` steps: write a value at a memory level, through the scoped store."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from engine.errors import MemoryAccessDenied, MemoryValueRefused, Problem, TemplateError
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
from engine.kinds.memory_index import index_memory
from engine.memory.scoped import holds_nul
from engine.skills.retry import Attempts, run_with_policy
from engine.spec.common import Strict
from engine.spec.workflow import MemoryLevel, Step
from engine.templating import render_value

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class RememberSpec(Strict):
    level: MemoryLevel
    key: str
    value: Any


class Remember(StepKind):
    name = "remember"
    spec = RememberSpec
    shape = ("[(", ")]")

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        yield TemplateRef(("remember", "key"), step.body.key)
        yield TemplateRef(("remember", "value"), step.body.value)

    def outputs(self, step: Step) -> frozenset[str] | None:
        return frozenset({"level", "key"})

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        assert node.step is not None
        return check_level(node, ir, locate, "write", node.step.body.level)

    def build(self, node: IRNode, b: Build) -> NodeFn:
        step = node.step
        assert step is not None
        spec: RememberSpec = step.body
        key = b.template(node, ("remember", "key"), spec.key)
        value = b.template(node, ("remember", "value"), spec.value)

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            started, attempts = time.perf_counter(), Attempts()
            try:
                scope = variables(state, context_of(runtime))
                rendered_key, rendered = str(render_value(key, scope)), render_value(value, scope)
                item = rendered if isinstance(rendered, dict) else {"value": rendered}
                store = await scoped(b.ir, runtime)

                knowledge = await run_context(runtime).services.knowledge(context_of(runtime), "memory")

                async def once() -> None:
                    await store.put(spec.level, rendered_key, item)
                    if knowledge is not None:
                        await index_memory(knowledge, store.ctx, spec.level, rendered_key, item)

                await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
            except (MemoryAccessDenied, TemplateError):
                raise
            except Exception as exc:
                if isinstance(exc, MemoryValueRefused) and holds_nul(state.get("input")):
                    exc.client_input = True  # the request brought the NUL: the runtime answers 400, not 500
                return handle_failure(node, failure_record(node, exc, max(attempts.count, 1), started))
            return succeeded(node, {"level": spec.level, "key": rendered_key})

        return run
