"""``llm:`` steps: the tenant's model, the rendered prompt, tool-use turns, usage records."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from engine.errors import AuthError, ModelError, Problem, TemplateError
from engine.ir import IRNode, WorkflowIR
from engine.kinds.base import (
    Binding,
    Build,
    Locate,
    NodeFn,
    RunContext,
    Services,
    StepKind,
    TemplateRef,
    failure_record,
    handle_failure,
    problem,
    run_context,
    succeeded,
    variables,
)
from engine.kinds.model_call import observed_call
from engine.kinds.models import check_model
from engine.models.base import ChatRequest, ChatResponse
from engine.models.token_count import count_tokens
from engine.skills.bridge import SkillCall
from engine.skills.registry import SkillRegistry
from engine.skills.retry import Attempts, run_with_policy
from engine.spec.hints import did_you_mean
from engine.spec.llm import PROMPT_SUFFIXES, HistoryWindow, LlmSpec
from engine.spec.source import DocPath
from engine.spec.workflow import Step
from engine.templating import Template, compile_file
from engine.tenancy import TenantSettings
from engine.usage import BudgetExceeded

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState

_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


class Llm(StepKind):
    name = "llm"
    calls_model = True
    spec = LlmSpec
    work = True
    shape = ("[/", "/]")

    def files(self, value: Any) -> Iterator[tuple[DocPath, str]]:
        prompt = value.get("prompt") if isinstance(value, dict) else None
        if isinstance(prompt, str) and prompt.endswith(PROMPT_SUFFIXES):
            yield ("prompt",), prompt

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        spec: LlmSpec = step.body
        if not spec.prompt.endswith(PROMPT_SUFFIXES):
            yield TemplateRef(("llm", "prompt"), spec.prompt)
        if spec.system is not None:
            yield TemplateRef(("llm", "system"), spec.system)

    def outputs(self, step: Step) -> frozenset[str] | None:
        spec: LlmSpec = step.body
        # Without `output:` the answer is {"text": ...}; with it, the declared fields (parse_output).
        return frozenset(spec.output) if spec.output else frozenset({"text"})

    def output_types(self, step: Step) -> dict[str, str]:
        spec: LlmSpec = step.body
        return {name: str(f.type) for name, f in (spec.output or {}).items()}

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        spec: LlmSpec = _spec(node)
        if not spec.prompt.endswith(PROMPT_SUFFIXES):
            return []
        text = ir.files.get(spec.prompt)
        if text is None:
            return [problem(locate, (*node.path, "llm", "prompt"), f"prompt file '{spec.prompt}' not found",
                            code="missing-template")]
        try:
            # The text resolve read, the one the structure digest covers: compiled once, here.
            ir.compiled[(*node.path, "llm", "prompt")] = compile_file(text, spec.prompt)
        except TemplateError as exc:
            return [exc.problem()]
        return []

    def bind(self, node: IRNode, b: Binding) -> Iterable[Problem]:
        spec = _spec(node)
        problems = check_model(b, (*node.path, "llm", "model"), spec.model)
        tools = b.skills.names("tool", b.tenant.tenant_id)
        for i, tool_name in enumerate(spec.tools):
            if tool_name not in tools:
                problems.append(b.problem((*node.path, "llm", "tools", i), f"unknown tool '{tool_name}'",
                                          hint=did_you_mean(tool_name, tools), code="unknown-tool"))
        return problems

    def describe(self, node: IRNode, body: Any, tenant: TenantSettings, skills: SkillRegistry) -> dict[str, Any]:
        spec: LlmSpec = body
        alias = tenant.default_model if spec.model == "tier" else spec.model
        entry = tenant.catalog.get(alias)
        out: dict[str, Any] = {
            "model": {"requested": spec.model, "alias": alias, "model_id": entry.model_id if entry else None,
                      "provider": entry.provider if entry else None},
            "prompt": spec.prompt,
        }
        if spec.tools:
            out["tools"] = list(spec.tools)
        if spec.history:
            out["history"] = spec.history.model_dump(exclude_none=True) if isinstance(spec.history, HistoryWindow) \
                else True
        return out

    def label(self, described: dict[str, Any]) -> str:
        return f"llm: {described['model']['alias']}"

    def build(self, node: IRNode, b: Build) -> NodeFn:
        return _build(node, b)


def _spec(node: IRNode) -> LlmSpec:
    assert node.step is not None
    spec: LlmSpec = node.step.body
    return spec


def _build(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None
    spec = _spec(node)
    prompt_path = (*node.path, "llm", "prompt")
    if spec.prompt.endswith(PROMPT_SUFFIXES):
        prompt = b.ir.compiled.get(prompt_path) or compile_file(b.ir.files.get(spec.prompt, ""), spec.prompt)
    else:
        prompt = b.template(node, ("llm", "prompt"), spec.prompt)
    system = b.template(node, ("llm", "system"), spec.system) if spec.system else None
    workflow = b.ir.name

    async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run_ctx = run_context(runtime)
        ctx, services = run_ctx.tenant, run_ctx.services
        started = time.perf_counter()
        attempts = Attempts()
        usage: list[dict[str, Any]] = []
        try:
            settings = services.settings(ctx.tenant_id)
            entry, provider = services.model(settings, spec.model)
            alias = settings.resolve_alias(spec.model)
            scope = variables(state, ctx, settings)
            user_text = str(prompt.render(scope) if isinstance(prompt, Template) else prompt)
            system_text = str(system.render(scope) if isinstance(system, Template) else system) if system else None
            tools = services.tool_specs(settings, spec.tools, ctx, node.id) if spec.tools else []
            earlier = conversation(state, spec.history) if spec.history else []
            messages: list[dict[str, Any]] = [*earlier, {"role": "user", "content": [{"text": user_text}]}]
            for _turn in range(spec.max_tool_turns + 1):
                request = ChatRequest(model_id=entry.model_id, messages=messages, system=system_text,
                                      max_tokens=spec.max_tokens or entry.max_tokens, temperature=spec.temperature,
                                      tools=tools, workflow=workflow, step=node.id, tenant_id=ctx.tenant_id)

                async def once(req: ChatRequest = request) -> ChatResponse:
                    if spec.stream and hasattr(provider, "converse_stream"):
                        return await _streamed(provider, req, node.id, run_ctx, attempts.count)
                    return await provider.converse(req)

                call = await observed_call(
                    services.spend, ctx, settings, entry, alias, node.id,
                    lambda: run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts),
                    requested=spec.model, prompt=user_text,
                    chain=services.guard_chain(ctx.tenant_id) if settings.capture_content else None)
                response = call.response
                usage.append(call.usage)
                if not response.tool_calls:
                    break
                messages.append(response.message)
                messages.append({"role": "user", "content": [await _run_tool(services, call, node.id, workflow, ctx)
                                                             for call in response.tool_calls]})
            else:
                raise ModelError(f"step '{node.id}' exceeded max_tool_turns={spec.max_tool_turns}")
            output = parse_output(spec, response.text, response, node.id)
        except (AuthError, TemplateError, BudgetExceeded):
            raise  # closed by default, an author's mistake, a spent budget: never routed around by on_error
        except Exception as exc:
            update = handle_failure(node, failure_record(node, exc, max(attempts.count, 1), started))
            return {**update, "usage": usage} if usage else update
        if spec.history:
            # The turn joins the session's conversation only once the output guard has passed it.
            turn = [{"role": "user", "text": user_text}, {"role": "assistant", "text": response.text}]
            return succeeded(node, output, usage=usage, turns=turn)
        return succeeded(node, output, usage=usage)

    return run


#: The end of a sentence: punctuation and the whitespace after it (so ``ada.lovelace@example.com`` or
#: ``3.14`` is never cut at its dot), or a line break. Text held longer than _MAX_HELD characters goes
#: up to its last whitespace.
_SENTENCE_END = re.compile(r"[.!?;:]\s+|\n")
_MAX_HELD = 400


async def _streamed(provider: Any, request: ChatRequest, step: str, run_ctx: RunContext,
                    attempt: int) -> ChatResponse:
    """One model turn through ``converse_stream``, its text sent on sentence by sentence.

    Each sentence passes the tenant's output rules (PII, secrets, other tenants' marks, denied
    terms) before it is sent, redacted as the output guard would redact it; once a sentence is
    blocked, nothing more of the step's text is sent. The output guard still decides the
    final answer. ``attempt`` tells a client that a retried turn starts again.
    """
    from langgraph.config import get_stream_writer

    from engine.kinds.guard import RUN_PLACEHOLDERS, run_key

    write = get_stream_writer()
    ctx = run_ctx.tenant
    chain = run_ctx.services.guard_chain(ctx.tenant_id)
    placeholders = RUN_PLACEHOLDERS.get(run_key(ctx))
    held, muted = "", False

    async def release(text: str) -> bool:
        checked = await chain.acheck_value(text, "output", f"steps.{step}", tenant=ctx.tenant_id,
                                           placeholders=placeholders)
        if any(r["action"] == "block" for r in checked.records):
            return True
        write({"type": "token", "step": step, "text": checked.value, "attempt": attempt})
        return False

    async for item in provider.converse_stream(request):
        if isinstance(item, ChatResponse):
            if held and not muted:
                await release(held)
            return item
        held += item
        cut = _cut(held)
        if cut and not muted:
            muted, held = await release(held[:cut]), held[cut:]
        elif cut:
            held = held[cut:]
    raise ModelError(f"model stream of step '{step}' ended without a response", retryable=True)


def _cut(held: str) -> int:
    """Where the text held can be sent up to (0: not yet): after its last sentence end."""
    ends = [m.end() for m in _SENTENCE_END.finditer(held)]
    if ends:
        return ends[-1]
    return held.rstrip().rfind(" ") + 1 if len(held) > _MAX_HELD else 0


def conversation(state: RunState, window: bool | HistoryWindow) -> list[dict[str, Any]]:
    """The session's earlier turns (and this run's, from earlier steps) an ``llm`` step sends, oldest first.

    A window keeps the newest messages within its bound, then drops from the
    front until the first one is a user message (models expect a conversation
    to open with the user). Tokens are counted as the scripted double counts
    them (:mod:`engine.models.token_count`).
    """
    turns = [(_role(m), str(getattr(m, "content", ""))) for m in state.get("messages") or []]
    turns += [(t["role"], t["text"]) for t in state.get("turns") or []]
    if isinstance(window, HistoryWindow):
        if window.messages is not None:
            turns = turns[-window.messages:] if len(turns) > window.messages else turns
        else:
            budget, kept = window.tokens or 0, 0
            for i in range(len(turns) - 1, -1, -1):
                kept += count_tokens(turns[i][1])
                if kept > budget:
                    turns = turns[i + 1:]
                    break
    while turns and turns[0][0] != "user":
        turns = turns[1:]
    return [{"role": role, "content": [{"text": text}]} for role, text in turns]


def _role(message: Any) -> str:
    return "user" if getattr(message, "type", "") == "human" else "assistant"


async def _run_tool(services: Services, call: Any, step: str, workflow: str, ctx: Any) -> dict[str, Any]:
    """One tool-use turn, through the same bridge chain as a tool step."""
    skill_call = SkillCall(kind="tool", name=call.name, step=step, workflow=workflow, ctx=ctx, inputs=dict(call.input))
    try:
        result = await services.call_skill(skill_call)
        content: dict[str, Any] = {"json": result if isinstance(result, dict) else {"result": result}}
        status = "success"
    except AuthError:
        raise
    except Exception as exc:
        content, status = {"text": f"tool failed: {exc}"}, "error"
    return {"toolResult": {"toolUseId": call.id, "content": [content], "status": status}}


_EXAMPLE = {"string": '"..."', "number": "0.5", "integer": "1", "boolean": "true", "array": "[]", "object": "{}"}


def _missing_fixture(spec: LlmSpec, step: str) -> str:
    """The scripted double has no entry for the step: say so, with the entry to add."""
    fields = ", ".join(f"{name}: {_EXAMPLE.get(str(f.type), '...')}" for name, f in (spec.output or {}).items())
    return (f"the scripted model has no answer for step '{step}': it answered with its fixture's default, not "
            f"the JSON object the step's output declares; add to the scripted fixture (or the test case's "
            f"model.responses):\n  - step: {step}\n    json: {{{fields}}}")


def parse_output(spec: LlmSpec, text: str, response: ChatResponse | None = None, step: str = "") -> dict[str, Any]:
    if not spec.output:
        return {"text": text}
    match = _JSON_OBJECT.search(text)
    try:
        data = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) and response is not None and response.scripted_default:
        raise ModelError(_missing_fixture(spec, step), retryable=False)
    if not isinstance(data, dict):
        raise ModelError("the model's answer is not the JSON object the step's output declares", retryable=True)
    missing = [k for k, f in spec.output.items() if f.required and k not in data]
    if missing:
        raise ModelError(f"the model's answer lacks declared output fields: {', '.join(missing)}", retryable=True)
    return {k: data.get(k) for k in spec.output}
