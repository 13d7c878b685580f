"""Gateway tools reach Bedrock Converse as toolConfig; tool-use turns run through the bridge.

botocore's Stubber validates every request against the real bedrock-runtime
service model. A tool the tenant may not use never appears in toolConfig.
"""

from __future__ import annotations

from typing import Any

from botocore.stub import ANY

from engine.engine import Engine
from engine.models.bedrock import BedrockProvider
from engine.models.registry import Providers
from engine.project import load_project
from tests.conftest import tenant_yaml

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: tooluse}
models:
  catalog:
    nova-lite: {provider: bedrock, model_id: amazon.nova-lite-v1:0}
  providers:
    bedrock: {region: us-east-1}
tiers:
  basic: {model: nova-lite}
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
      prompt: "Look up {{ input.text }}"
      tools: [notes.lookup]
  - return: {reply: "{{ steps.answer.text }}"}
"""

QUESTION = {"role": "user", "content": [{"text": "Look up k1"}]}



def _engine(make_project, client: Any) -> Engine:
    root = make_project({"tenantflow.yaml": PROJECT, "workflows/hello.yaml": WORKFLOW},
                        tenants={"alpha": tenant_yaml("alpha", "basic", "entitlements: {tools: [notes.lookup]}\n"),
                                 "beta": tenant_yaml("beta", "basic")})
    providers = Providers()
    providers.install("bedrock", BedrockProvider(client), region_name="us-east-1")
    return Engine(load_project(root), providers=providers)


def _reply(content: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}, "metrics": {"latencyMs": 50}}


TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "notes_lookup", "description": ANY, "inputSchema": {"json": ANY}}}]}


async def test_entitled_tool_is_offered_and_its_turn_runs_through_the_bridge(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client)
    use = {"toolUse": {"toolUseId": "t1", "name": "notes_lookup", "input": {"key": "k1"}}}
    bedrock_stubber.add_response("converse", _reply([use], "tool_use"),
                         {"modelId": "amazon.nova-lite-v1:0", "messages": [QUESTION], "toolConfig": TOOL_CONFIG})
    result_turn = {"role": "user", "content": [{"toolResult": {
        "toolUseId": "t1", "content": [{"json": {"key": "k1", "tenant": "alpha"}}], "status": "success"}}]}
    bedrock_stubber.add_response("converse", _reply([{"text": "k1 belongs to alpha"}], "end_turn"),
                         {"modelId": "amazon.nova-lite-v1:0", "toolConfig": TOOL_CONFIG,
                          "messages": [QUESTION, {"role": "assistant", "content": [use]}, result_turn]})

    result = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "k1"})

    assert result.output == {"reply": "k1 belongs to alpha"}
    assert [u["input_tokens"] for u in result.usage] == [10, 10]


async def test_a_tool_the_tenant_may_not_use_is_never_offered(make_project, bedrock_client, bedrock_stubber):
    engine = _engine(make_project, bedrock_client)
    # No toolConfig at all: the model of beta's run never learns the tool exists.
    bedrock_stubber.add_response("converse", _reply([{"text": "no tools here"}], "end_turn"),
                         {"modelId": "amazon.nova-lite-v1:0", "messages": [QUESTION]})

    result = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "k1"})

    assert result.output == {"reply": "no tools here"}
    assert engine.graph_count() == 1
