"""``provider: langchain``: a LangChain chat model (ChatOpenAI at a local OpenAI-compatible server over real
HTTP) on the engine's step contract, beside Bedrock (botocore Stubber) on one compiled graph."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import ModelError, SpecError
from engine.models.base import ChatRequest, ChatResponse, ToolSpec
from engine.models.bedrock import BedrockProvider
from engine.models.langchain_chat import LangChainProvider
from engine.models.registry import Providers
from engine.project import load_project
from engine.run.runner import RunResult, TokenEvent
from tests.conftest import tenant_yaml
from tests.models.openai_fake import openai_server

pytest.importorskip("langchain_openai")

CHAT_OPENAI = "langchain_openai.ChatOpenAI"
LOOKUP = ToolSpec("notes.lookup", "Look a note up by key", {"type": "object", "properties": {"key": {"type": "string"}},
                                                          "required": ["key"]})


@pytest.fixture(autouse=True)
def _openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # The class reads its key from its own environment variable, never from the project file.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")


def _request(**changes: Any) -> ChatRequest:
    base: dict[str, Any] = {"model_id": "local-model", "system": "Be brief.", "max_tokens": 64, "temperature": 0.1,
                            "messages": [{"role": "user", "content": [{"text": "Where is my invoice?"}]}]}
    return ChatRequest(**(base | changes))


async def test_a_tool_turn_then_the_answer_through_converse() -> None:
    with openai_server() as (url, requests):
        provider = LangChainProvider(CHAT_OPENAI, {"base_url": url})
        first = await provider.converse(_request(tools=[LOOKUP]))
        assert [(c.name, c.input) for c in first.tool_calls] == [("notes.lookup", {"key": "k1"})]
        assert first.stop_reason == "tool_use" and (first.input_tokens, first.output_tokens) == (11, 7)
        sent = requests[0]["body"]
        assert sent["model"] == "local-model" and sent["max_completion_tokens"] == 64 and sent["temperature"] == 0.1
        assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
        # The tool's name on the wire is one OpenAI accepts; the engine gets its own name back.
        assert sent["tools"][0]["function"]["name"] == "notes_lookup"
        assert requests[0]["auth"] == "Bearer sk-from-the-environment"
        # The next turn carries the model's tool call and the engine's tool result.
        second = await provider.converse(_request(tools=[LOOKUP], messages=[
            *_request().messages, first.message,
            {"role": "user", "content": [{"toolResult": {"toolUseId": first.tool_calls[0].id,
                                                         "content": [{"json": {"note": "paid"}}]}}]}]))
        assert second.tool_calls == [] and second.stop_reason == "end_turn"
        assert json.loads(second.text)["reply"].endswith('Tool said: {"note": "paid"}')
        roles = [m["role"] for m in requests[1]["body"]["messages"]]
        assert roles == ["system", "user", "assistant", "tool"]
        assert requests[1]["body"]["messages"][2]["tool_calls"][0]["function"]["name"] == "notes_lookup"


async def test_converse_stream_yields_text_deltas_then_the_whole_response() -> None:
    with openai_server() as (url, requests):
        provider = LangChainProvider(CHAT_OPENAI, {"base_url": url})
        items = [item async for item in provider.converse_stream(_request())]
        *deltas, response = items
        assert len(deltas) > 3 and all(isinstance(d, str) for d in deltas)
        assert isinstance(response, ChatResponse) and "".join(deltas) == response.text
        assert (response.input_tokens, response.output_tokens) == (11, 7)  # usage streamed last
        assert requests[0]["body"]["stream"] is True
        # A streamed tool call is put back together whole.
        *_, tool_turn = [item async for item in provider.converse_stream(_request(tools=[LOOKUP]))]
        assert isinstance(tool_turn, ChatResponse)
        assert [(c.name, c.input) for c in tool_turn.tool_calls] == [("notes.lookup", {"key": "k1"})]


async def test_an_unreachable_server_is_a_retryable_model_error_naming_no_content() -> None:
    with openai_server() as (url, _):
        pass  # stopped: nothing listens there any more
    provider = LangChainProvider(CHAT_OPENAI, {"base_url": url})
    with pytest.raises(ModelError) as failed:
        await provider.converse(_request(messages=[{"role": "user", "content": [{"text": "secret question"}]}]))
    assert failed.value.retryable and failed.value.provider == "langchain"
    assert str(failed.value) == "langchain model local-model failed: OpenAIConnectionError"


def test_secrets_in_the_arguments_and_a_wrong_class_are_refused() -> None:
    for argument in ("api_key", "openai_api_key", "access_token", "client_secret"):
        with pytest.raises(ValueError, match=f"argument '{argument}' looks like a secret"):
            LangChainProvider(CHAT_OPENAI, {argument: "x"})
    with pytest.raises(ModelError, match="is not a LangChain chat model class"):
        LangChainProvider("json.JSONDecoder").load()
    with pytest.raises(ModelError, match="module 'no_such_pkg' of no_such_pkg.Chat is not installed"):
        LangChainProvider("no_such_pkg.Chat").load()


# -- in a workflow: two tenants, one compiled graph, one on ChatOpenAI and one on Bedrock -------------------

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {{name: mixed}}
models:
  catalog:
    local-gpt:
      provider: langchain
      model_id: local-model
      price_per_1k: {{input: 0.001, output: 0.002}}
      options: {{class: langchain_openai.ChatOpenAI, kwargs: {{base_url: "{url}"}}}}
    nova-lite: {{provider: bedrock, model_id: amazon.nova-lite-v1:0, price_per_1k: {{input: 0.00006, output: 0.00024}}}}
  providers:
    bedrock: {{region: us-east-1}}
tiers:
  basic: {{model: local-gpt}}
  premium: {{model: nova-lite}}
stores: {{checkpointer: memory, store: memory}}
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: helpdesk}
input: {text: {type: string}}
output: {reply: {type: string}}
steps:
  - id: answer
    llm:
      prompt: "{{ input.text }}"
      tools: [notes.lookup]
      stream: true
      output: {reply: string}
  - return: {reply: "{{ steps.answer.reply }}"}
"""

ENTITLED = "entitlements: {tools: ['notes.*']}\n"


def _bedrock_turns(stubber: Any) -> None:
    """Bedrock (ConverseStream, stubbed) asks for the tool, then answers the JSON reply."""
    from tests.models.test_streaming import Events

    client = stubber.client
    tool = [{"messageStart": {"role": "assistant"}},
            {"contentBlockStart": {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t1",
                                                                                "name": "notes_lookup"}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"key": "k2"}'}}}},
            {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "tool_use"}},
            {"metadata": {"usage": {"inputTokens": 30, "outputTokens": 9, "totalTokens": 39},
                          "metrics": {"latencyMs": 5}}}]
    reply = json.dumps({"reply": "Bedrock here. Your note is ready."})
    text = [{"messageStart": {"role": "assistant"}},
            *({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": reply[i:i + 9]}}}
              for i in range(0, len(reply), 9)),
            {"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": {"inputTokens": 50, "outputTokens": 12, "totalTokens": 62},
                          "metrics": {"latencyMs": 5}}}]
    for events in (tool, text):
        stream = Events(client, events)
        stubber.add_response("converse_stream", {"stream": stream}, None)
        stream.armed = True


async def test_two_tenants_on_one_graph_stream_one_from_chatopenai_and_one_from_bedrock(
        make_project, bedrock_client, bedrock_stubber) -> None:
    with openai_server() as (url, requests):
        root = make_project({"tenantflow.yaml": PROJECT.format(url=url), "workflows/helpdesk.yaml": WORKFLOW},
                            tenants={"alpha": tenant_yaml("alpha", "basic", ENTITLED),
                                     "beta": tenant_yaml("beta", "premium", ENTITLED)})
        providers = Providers()
        providers.install("bedrock", BedrockProvider(bedrock_client), region_name="us-east-1")
        engine = Engine(load_project(root), providers=providers)
        assert engine.compile("helpdesk", "alpha") is engine.compile("helpdesk", "beta")  # one compiled graph
        _bedrock_turns(bedrock_stubber)
        results: dict[str, RunResult] = {}
        tokens: dict[str, list[str]] = {}
        for tenant in ("alpha", "beta"):
            ctx = engine.dev_context(tenant, "u1", "s1")
            events = [e async for e in engine.stream("helpdesk", ctx, {"text": f"Where is my note, {tenant}?"})]
            tokens[tenant] = [e.text for e in events if isinstance(e, TokenEvent)]
            assert isinstance(events[-1], RunResult)
            results[tenant] = events[-1]
        alpha, beta = results["alpha"], results["beta"]
        # Alpha's tier model is the local ChatOpenAI: both of its turns went to the fake server, and the tool
        # ran through the bridge chain as alpha.
        assert len(requests) == 2 and all(r["body"]["stream"] for r in requests)
        assert 'Tool said: {"key": "k1", "tenant": "alpha"}' in alpha.output["reply"]
        assert [(u["model"], u["provider"], u["input_tokens"], u["output_tokens"]) for u in alpha.usage] == [
            ("local-model", "langchain", 11, 7), ("local-model", "langchain", 11, 7)]
        assert alpha.usage[0]["cost_usd"] == pytest.approx(11 / 1000 * 0.001 + 7 / 1000 * 0.002)
        # Beta's is Bedrock: nothing of beta reached the local server.
        assert beta.output == {"reply": "Bedrock here. Your note is ready."}
        assert [(u["model"], u["provider"]) for u in beta.usage] == [("amazon.nova-lite-v1:0", "bedrock")] * 2
        assert not any("beta" in json.dumps(r["body"]) for r in requests)
        # Streaming on both: the checked text came out as it was written.
        assert tokens["alpha"] and tokens["beta"]
        assert "".join(tokens["beta"]).replace(" ", "") == json.dumps(
            {"reply": "Bedrock here. Your note is ready."}).replace(" ", "")


def test_validate_reports_a_langchain_model_without_a_class_or_with_a_secret(make_project) -> None:
    broken = PROJECT.format(url="http://127.0.0.1:9/v1").replace(
        "options: {class: langchain_openai.ChatOpenAI, kwargs: {base_url: \"http://127.0.0.1:9/v1\"}}",
        "options: {kwargs: {api_key: sk-in-the-file}}")
    root = make_project({"tenantflow.yaml": broken, "workflows/helpdesk.yaml": WORKFLOW},
                        tenants={"alpha": tenant_yaml("alpha", "basic", ENTITLED)})
    with pytest.raises(SpecError) as caught:
        load_project(root)
    [problem] = [p for p in caught.value.problems if p.code == "provider-options"]
    assert problem.file == "tenantflow.yaml" and "needs options.class" in problem.message
