"""LLM steps on Bedrock, end to end through the engine, with botocore's Stubber.

The Stubber validates every request against the real bedrock-runtime service
model; the step's retry policy handles throttling; when retries run out the
step's on_error path runs, or the run fails naming the step.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import RunError
from engine.models.bedrock import BedrockProvider
from engine.models.registry import Providers
from engine.project import load_project
from tests.conftest import tenant_yaml

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: bedrockproj}
models:
  catalog:
    nova-micro: {provider: bedrock, model_id: amazon.nova-micro-v1:0, price_per_1k: {input: 0.000035, output: 0.00014}}
    sonnet: {provider: bedrock, model_id: anthropic.claude-3-5-sonnet-20240620-v1:0, price_per_1k: {input: 0.003, output: 0.015}}
  providers:
    bedrock: {region: us-east-1}
tiers:
  basic: {model: nova-micro}
  premium: {model: sonnet}
stores: {checkpointer: memory, store: memory}
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input: {text: {type: string}}
steps:
  - id: answer
    llm:
      system: You are a support agent for {{ tenant.id }}.
      prompt: "Answer: {{ input.text }}"
      max_tokens: 200
      temperature: 0.2
    retry: {attempts: 3, backoff_s: 0}
  - return: {reply: "{{ steps.answer.text }}"}
"""

FALLBACK = """\
  - id: fallback
    set: {text: sorry}
  - return: {reply: "{{ steps.fallback.text }}"}
"""


def _response(text: str, tokens_in: int = 21, tokens_out: int = 7) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out},
        "metrics": {"latencyMs": 120},
    }



def _engine(make_project, client: Any, fallback: bool = False) -> Engine:
    workflow = WORKFLOW
    if fallback:
        workflow = workflow.replace("backoff_s: 0}\n", "backoff_s: 0}\n    on_error: fallback\n") + FALLBACK
    root = make_project({"tenantflow.yaml": PROJECT, "workflows/hello.yaml": workflow},
                        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "premium")})
    providers = Providers()
    providers.install("bedrock", BedrockProvider(client), region_name="us-east-1")
    return Engine(load_project(root), providers=providers)


def _expected(model_id: str, tenant: str) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": "Answer: hi"}]}],
        "system": [{"text": f"You are a support agent for {tenant}."}],
        "inferenceConfig": {"maxTokens": 200, "temperature": 0.2},
    }


async def test_each_tenant_calls_its_tier_model_with_exact_converse_params(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client)
    bedrock_stubber.add_response("converse", _response("hello from micro"), _expected("amazon.nova-micro-v1:0", "alpha"))
    bedrock_stubber.add_response("converse", _response("hello from sonnet", 30, 9),
                         _expected("anthropic.claude-3-5-sonnet-20240620-v1:0", "beta"))

    alpha = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    beta = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "hi"})

    assert alpha.output == {"reply": "hello from micro"}
    assert beta.output == {"reply": "hello from sonnet"}
    assert (alpha.usage[0]["input_tokens"], alpha.usage[0]["output_tokens"]) == (21, 7)
    assert beta.usage[0]["model"] == "anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert beta.usage[0]["cost_usd"] == pytest.approx(30 / 1000 * 0.003 + 9 / 1000 * 0.015)
    assert engine.graph_count() == 1


async def test_throttling_is_retried_per_the_steps_retry_policy(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client)
    for _ in range(2):
        bedrock_stubber.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429,
                                 expected_params=_expected("amazon.nova-micro-v1:0", "alpha"))
    bedrock_stubber.add_response("converse", _response("third time lucky"), _expected("amazon.nova-micro-v1:0", "alpha"))

    result = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})

    assert result.output == {"reply": "third time lucky"}
    assert result.errors == []


async def test_when_retries_run_out_the_on_error_path_runs(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client, fallback=True)
    for _ in range(3):
        bedrock_stubber.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429,
                                 expected_params=_expected("amazon.nova-micro-v1:0", "alpha"))

    result = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})

    assert result.output == {"reply": "sorry"}
    assert [(e["step"], e["error"], e["attempts"]) for e in result.errors] == [("answer", "ModelError", 3)]
    assert "ThrottlingException" in result.errors[0]["message"]


async def test_without_on_error_the_run_fails_naming_the_step(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client)
    for _ in range(3):
        bedrock_stubber.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429,
                                 expected_params=_expected("amazon.nova-micro-v1:0", "alpha"))

    with pytest.raises(RunError) as err:
        await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})

    assert err.value.failure.step == "answer"
    assert str(err.value) == ("step 'answer' failed: bedrock converse failed for model amazon.nova-micro-v1:0: "
                              "ThrottlingException")


async def test_validation_errors_are_not_retried(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client)
    bedrock_stubber.add_client_error("converse", service_error_code="ValidationException", http_status_code=400,
                             expected_params=_expected("amazon.nova-micro-v1:0", "alpha"))

    with pytest.raises(RunError) as err:
        await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert err.value.failure.details == {"attempts": 1}
