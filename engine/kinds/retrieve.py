"""``retrieve:`` steps: passages from the tenant's own documents, screened before they can reach a prompt.

The engine picks the index (the pool's, or the tenant's silo) and passes the
run's tenant to it; the step names no tenant and its ``filter`` (metadata
equality) only narrows the tenant's own passages. A ``filter`` naming
``tenant`` or ``tenant_id`` is refused at compile time: the tenant filter is
the engine's, not the author's.

    - id: docs
      retrieve: {query: "{{ input.question }}", k: 5}

Output: ``passages`` (text, source, title, page, score) and ``dropped``
(passages the guard held back, with the finding types why).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from engine.errors import Problem, TemplateError
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
    problem,
    run_context,
    succeeded,
    variables,
)
from engine.kinds.screening import screen
from engine.knowledge.index import Hit, KnowledgeError
from engine.skills.retry import Attempts, run_with_policy
from engine.spec.common import Strict
from engine.spec.workflow import Step
from engine.templating import render_value

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState

#: Metadata keys a filter may not name: the tenant is the engine's to filter on.
TENANT_KEYS = frozenset({"tenant", "tenant_id", "tenantid"})


class RetrieveSpec(Strict):
    query: str
    k: int = Field(default=5, ge=1, le=50)
    mode: Literal["lexical", "vector", "hybrid"] | None = None
    filter: dict[str, str | int | float | bool] = Field(default_factory=dict)


class Retrieve(StepKind):
    name = "retrieve"
    spec = RetrieveSpec
    shape = ("[(", ")]")

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        yield TemplateRef(("retrieve", "query"), step.body.query)

    def outputs(self, step: Step) -> frozenset[str] | None:
        return frozenset({"passages", "dropped"})

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        assert node.step is not None
        for key in node.step.body.filter:
            if key.lower().replace("-", "_") in TENANT_KEYS:
                yield problem(locate, (*node.path, "retrieve", "filter", key),
                              f"retrieve filters may not name '{key}': the engine adds the run's tenant to every "
                              "query itself", code="retrieve-tenant-filter")

    def build(self, node: IRNode, b: Build) -> NodeFn:
        step = node.step
        assert step is not None
        spec: RetrieveSpec = step.body
        query = b.template(node, ("retrieve", "query"), spec.query)

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            started, attempts = time.perf_counter(), Attempts()
            run_ctx = run_context(runtime)
            ctx = context_of(runtime)
            try:
                text = str(render_value(query, variables(state, ctx)))
                knowledge = await run_ctx.services.documents(ctx)
                if knowledge is None:
                    raise KnowledgeError("this workflow retrieves documents but the engine has no knowledge index")

                async def once() -> list[Hit]:
                    return await knowledge.search("documents", text, k=spec.k, mode=spec.mode,
                                                  filter=dict(spec.filter) or None)

                hits = await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
            except (KnowledgeError, TemplateError):
                raise
            except Exception as exc:
                return handle_failure(node, failure_record(node, exc, max(attempts.count, 1), started))
            screened = screen(run_ctx.services.guard_chain(ctx.tenant_id),
                              [(f"steps.{node.id}.passages.{hit.chunk_id}", hit.text) for hit in hits], ctx.tenant_id)
            passages = [{"text": cleaned, "source": hits[i].source, "title": hits[i].metadata.get("title"),
                         "page": hits[i].metadata.get("page"), "score": round(hits[i].score, 6)}
                        for i, cleaned in screened.kept]
            return succeeded(node, {"passages": passages, "dropped": screened.dropped})

        return run
