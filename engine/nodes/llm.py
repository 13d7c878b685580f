"""LLM steps: the tenant's model, the rendered prompt, tool-use turns, usage records."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from langgraph.runtime import Runtime

from engine.compile.ir import IRNode
from engine.compile.resolve import PROMPT_SUFFIXES
from engine.compile.state import RunState
from engine.context import TenantContext
from engine.errors import AuthError, ModelError, TemplateError
from engine.models.base import ChatRequest, ChatResponse
from engine.nodes.base import Build, NodeFn, context_of, failure_record, handle_failure, succeeded, variables
from engine.skills.bridge import SkillCall
from engine.skills.policy import Attempts, run_with_policy
from engine.spec.workflow import LlmSpec
from engine.templating import Template, load_template_file

_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def build(node: IRNode, b: Build) -> NodeFn:
    step = node.step
    assert step is not None and step.llm is not None
    spec = step.llm
    prompt = _prompt(node, b, spec)
    system = b.template(node, ("llm", "system"), spec.system) if spec.system else None
    services, workflow = b.services, b.ir.name

    async def run(state: RunState, runtime: Runtime[TenantContext]) -> dict[str, Any]:
        ctx = context_of(runtime)
        started = time.perf_counter()
        attempts = Attempts()
        usage: list[dict[str, Any]] = []
        try:
            settings = services.settings(ctx.tenant_id)
            entry, provider = services.model(settings, spec.model)
            scope = variables(state, ctx, settings)
            user_text = str(prompt.render(scope) if isinstance(prompt, Template) else prompt)
            system_text = str(system.render(scope) if isinstance(system, Template) else system) if system else None
            tools = services.tool_specs(settings, spec.tools) if spec.tools else []
            messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": user_text}]}]
            for _turn in range(spec.max_tool_turns + 1):
                request = ChatRequest(model_id=entry.model_id, messages=messages, system=system_text,
                                      max_tokens=spec.max_tokens or entry.max_tokens, temperature=spec.temperature,
                                      tools=tools, workflow=workflow, step=node.id, tenant_id=ctx.tenant_id)

                async def once(req: ChatRequest = request) -> ChatResponse:
                    return await provider.converse(req)

                t0 = time.perf_counter()
                response = await run_with_policy(once, retry=step.retry, timeout_s=step.timeout_s, attempts=attempts)
                usage.append(usage_record(node.id, spec.model, entry, response, ctx, t0))
                if not response.tool_calls:
                    break
                messages.append(response.message)
                messages.append({"role": "user", "content": [await _run_tool(services, call, node.id, workflow, ctx)
                                                             for call in response.tool_calls]})
            else:
                raise ModelError(f"step '{node.id}' exceeded max_tool_turns={spec.max_tool_turns}")
            output = parse_output(spec, response.text)
        except (AuthError, TemplateError):
            raise  # closed by default, and an author's mistake: never routed around by on_error
        except Exception as exc:
            update = handle_failure(node, b.ir, failure_record(node, exc, max(attempts.count, 1), started))
            return {**update, "usage": usage} if usage else update
        return succeeded(node, output, usage=usage)

    return run


def _prompt(node: IRNode, b: Build, spec: LlmSpec) -> Any:
    if spec.prompt.endswith(PROMPT_SUFFIXES):
        return load_template_file(b.services.root / spec.prompt, spec.prompt)
    return b.template(node, ("llm", "prompt"), spec.prompt)


async def _run_tool(services: Any, call: Any, step: str, workflow: str, ctx: TenantContext) -> dict[str, Any]:
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


def usage_record(step: str, alias: str, entry: Any, response: ChatResponse, ctx: TenantContext,
                 t0: float) -> dict[str, Any]:
    price = entry.price_per_1k
    cost = response.input_tokens / 1000 * price.input + response.output_tokens / 1000 * price.output
    return {
        "step": step,
        "tenant": ctx.tenant_id,
        "model": response.model_id,
        "model_alias": alias,
        "provider": response.provider,
        "input_tokens": response.input_tokens,
        "output_tokens": response.output_tokens,
        "duration_ms": round((time.perf_counter() - t0) * 1000, 3),
        "cost_usd": round(cost, 8),
    }


def parse_output(spec: LlmSpec, text: str) -> dict[str, Any]:
    if not spec.output:
        return {"text": text}
    match = _JSON_OBJECT.search(text)
    try:
        data = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ModelError("the model's answer is not the JSON object the step's output declares", retryable=True)
    missing = [k for k, f in spec.output.items() if f.required and k not in data]
    if missing:
        raise ModelError(f"the model's answer lacks declared output fields: {', '.join(missing)}", retryable=True)
    return {k: data.get(k) for k in spec.output}
