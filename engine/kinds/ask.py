"""``ask:`` steps: the run pauses (LangGraph's ``interrupt``) until a person answers, or the question expires.

The question goes to the client, so the tenant's output rules check it
first. Who may answer is decided by Cedar when the answer arrives
(:meth:`engine.run.runner.Runner.answer`): the step names the scope an
answering user needs (without one, only the user who started the run may
answer), and policies may narrow or widen that. The answer is checked
against the step's ``answer:`` fields before the run goes on; its fields
become the step's output, with ``answered_by`` and ``expired``. A question
past ``expires_s`` takes ``on_expiry`` as its answer, whoever resumes it.

A node that interrupts runs again from its start when resumed (LangGraph):
this one only renders and checks its question before ``interrupt``, which
is safe to repeat.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.errors import Problem, RunError, RunFailure
from engine.guardrails.chain import verdict
from engine.ir import IRNode, WorkflowIR
from engine.kinds.base import (
    Build,
    Locate,
    NodeFn,
    RunContext,
    StepKind,
    TemplateRef,
    problem,
    run_context,
    succeeded,
    variables,
)
from engine.spec.common import FieldSpec, Strict
from engine.spec.fields import object_schema
from engine.spec.workflow import Step
from engine.templating import render_value

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class AskSpec(Strict):
    """A question for a person, and the shape of the answer the run waits for."""

    question: str
    #: The answer's fields (as a workflow's ``input:``); they become the step's output.
    answer: dict[str, FieldSpec] = Field(min_length=1)
    #: The scope (from the answering user's token) that may answer; unset: the user who started the run.
    scope: str | None = None
    #: Seconds the question stays open; after that, ``on_expiry`` is the answer.
    expires_s: float | None = Field(default=None, gt=0, le=90 * 86400)
    on_expiry: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _expiry(self) -> AskSpec:
        if (self.expires_s is None) != (self.on_expiry is None):
            raise ValueError("expires_s and on_expiry go together: an expiring question declares its outcome")
        return self


class Ask(StepKind):
    name = "ask"
    spec = AskSpec
    shape = ("[\\", "\\]")

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        yield TemplateRef(("ask", "question"), step.body.question)

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        spec: AskSpec = _spec(node)
        if spec.on_expiry is None:
            return []
        missing = sorted(k for k, f in spec.answer.items() if f.required and k not in spec.on_expiry)
        unknown = sorted(k for k in spec.on_expiry if k not in spec.answer)
        if missing or unknown:
            what = "; ".join([*([f"missing {', '.join(missing)}"] if missing else []),
                              *([f"not an answer field: {', '.join(unknown)}"] if unknown else [])])
            return [problem(locate, (*node.path, "ask", "on_expiry"), f"on_expiry is not a valid answer ({what})",
                            hint=f"answer fields: {', '.join(spec.answer)}", code="bad-value")]
        return []

    def describe(self, node: IRNode, body: Any, tenant: Any, skills: Any) -> dict[str, Any]:
        spec: AskSpec = body
        out: dict[str, Any] = {"answer": sorted(spec.answer), "scope": spec.scope}
        if spec.expires_s is not None:
            out["expires_s"] = spec.expires_s
        return out

    def build(self, node: IRNode, b: Build) -> NodeFn:
        spec = _spec(node)
        question = b.template(node, ("ask", "question"), spec.question)
        schema = object_schema(spec.answer)

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            from langgraph.types import interrupt

            run_ctx = run_context(runtime)
            ctx = run_ctx.tenant
            text = str(render_value(question, variables(state, ctx, run_ctx.services.settings(ctx.tenant_id))))
            # The question leaves the run before the output guard: the output rules check it here.
            chain = run_ctx.services.guard_chain(ctx.tenant_id)
            checked = await chain.acheck_value(text, "output", f"steps.{node.id}.question", tenant=ctx.tenant_id)
            blocked, message = verdict("output", checked.records)
            if blocked:
                raise RunError(RunFailure(node.id, "blocked", message.replace("The response", "The question")))
            expires_at = time.time() + spec.expires_s if spec.expires_s is not None else None
            reply = interrupt({"step": node.id, "question": checked.value, "answer_schema": schema,
                               "requested_by": ctx.user_id, "scope": spec.scope, "expires_at": expires_at})
            if reply.get("expired"):
                return succeeded(node, {**(spec.on_expiry or {}), "answered_by": None, "expired": True})
            return succeeded(node, {**reply["answer"], "answered_by": reply["by"], "expired": False})

        return run


def _spec(node: IRNode) -> AskSpec:
    assert node.step is not None
    spec: AskSpec = node.step.body
    return spec
