"""Token streaming: checked sentences of an llm step reach the client as they are written; nothing the
output rules refuse (a secret, another tenant's canary) is ever streamed; time to first token over SSE."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from engine.engine import Engine, RunResult, TokenEvent
from engine.runtime.config import RuntimeConfig
from tests.conftest import tenant_yaml
from tests.runtime.support import SESSION, Tokens, dev_secret, running, write_project

SENTENCE = "This sentence has exactly ten words in it for you. "  # 11 tokens with the full stop
LONG = SENTENCE * 18 + "The end."  # 201 tokens

FIXTURES = f"""\
responses:
  - step: reply
    match: "leak canary"
    text: "All is well. Here is CANARY-beta-9f8e7d for you. Nothing else."
  - step: reply
    match: "leak secret"
    text: "Fine so far. The key is AKIAIOSFODNN7EXAMPLE today. Bye."
  - step: reply
    match: "mail"
    text: "Sure. Write to ada.lovelace@example.com any time."
  - step: reply
    match: "long"
    token_delay_ms: 4
    text: "{LONG}"
default: "ok"
"""

CHAT = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: talk}
input:
  text: {type: string}
output:
  reply: {type: string}
steps:
  - id: reply
    llm: {prompt: "{{ input.text }}", stream: true}
  - return: {reply: "{{ steps.reply.text }}"}
"""


def _project(root: Path) -> Path:
    tenants = {
        "alpha": tenant_yaml("alpha", "basic", "quotas: {requests_per_minute: 6000}\n"
                                               "guardrails: {pii: {email: redact}, leakage: {canaries: [CANARY-alpha-1b2c3d]}}\n"),
        "beta": tenant_yaml("beta", "basic", "quotas: {requests_per_minute: 6000}\n"
                                             "guardrails: {leakage: {canaries: [CANARY-beta-9f8e7d]}}\n"),
    }
    write_project(root, tenants)
    (root / "fixtures" / "scripted.yaml").write_text(FIXTURES, encoding="utf-8")
    (root / "workflows" / "talk.yaml").write_text(CHAT, encoding="utf-8")
    return root


async def _events(engine: Engine, tenant: str, text: str) -> list[Any]:
    return [e async for e in engine.stream("talk", engine.dev_context(tenant, "u1", "s1"), {"text": text})]


async def test_checked_sentences_stream_and_nothing_refused_crosses(tmp_path: Path) -> None:
    async with Engine.open(_project(tmp_path / "proj")) as engine:
        events = await _events(engine, "alpha", "long please")
        tokens = [e for e in events if isinstance(e, TokenEvent)]
        assert len(tokens) == 19 and all(e.step == "reply" for e in tokens)  # one per sentence
        result = events[-1]
        assert isinstance(result, RunResult) and "".join(t.text for t in tokens) == result.output["reply"]
        # Another tenant's canary: the sentence before it streams, the rest never does; the answer is blocked.
        for tenant, text, refused in (("alpha", "leak canary", "CANARY-beta"), ("beta", "leak secret", "AKIA")):
            events = await _events(engine, tenant, text)
            streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
            assert refused not in streamed and streamed in ("All is well. ", "Fine so far. ")
            assert events[-1].blocked and refused not in json.dumps(events[-1].to_json())
        # A redacted sentence streams redacted, with the placeholder the final answer has.
        events = await _events(engine, "alpha", "mail me")
        streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
        assert "ada.lovelace" not in streamed and "[EMAIL]" in streamed
        assert streamed == events[-1].output["reply"]
        # The same run, not streamed, gives the same answer.
        ran = await engine.run("talk", engine.dev_context("alpha", "u1", "s2"), {"text": "mail me"})
        assert ran.output == events[-1].output


def test_time_to_first_token_over_sse_is_a_fraction_of_the_answer(tmp_path: Path) -> None:
    root = _project(tmp_path / "proj")
    tokens = Tokens(root)
    with dev_secret(), running(RuntimeConfig(root=root, watch_interval_s=0)) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        headers = {"Authorization": f"Bearer {tokens('alpha', 'u1')}", SESSION: "token-stream-session-0123456789abcdef",
                   "Accept": "text/event-stream", "Content-Type": "application/json"}
        body = json.dumps({"workflow": "talk", "input": {"text": "long please"}})
        started = time.perf_counter()
        first = None
        messages = []
        with http.stream("POST", "/invocations", content=body, headers=headers) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("data: "):
                    message = json.loads(line[6:])
                    messages.append(message)
                    if message["type"] == "token" and first is None:
                        first = time.perf_counter() - started
        total = time.perf_counter() - started
    assert first is not None and messages[-1]["type"] == "result"
    assert first < 0.2 * total, (first, total)
    assert "".join(m["text"] for m in messages if m["type"] == "token") == messages[-1]["output"]["reply"]


def test_the_cli_prints_the_streamed_text_then_the_output(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    root = _project(tmp_path / "proj")
    result = CliRunner().invoke(main, ["run", "talk", "--tenant", "alpha", "--stream", "--input",
                                       '{"text": "leak canary"}', "--project", str(root)])
    assert result.exit_code == 3, result.output  # blocked by the output guard
    assert result.output.startswith("All is well. \n{") and "CANARY-beta" not in result.output


def test_ws_carries_the_checked_tokens_then_the_answer(tmp_path: Path) -> None:
    from websockets.sync.client import connect

    root = _project(tmp_path / "proj")
    tokens = Tokens(root)
    with dev_secret(), running(RuntimeConfig(root=root, watch_interval_s=0)) as url:
        headers = {"Authorization": f"Bearer {tokens('alpha', 'u1')}", SESSION: "ws-token-session"}
        with connect(url.replace("http://", "ws://") + "/ws", additional_headers=headers, proxy=None,
                     open_timeout=10) as ws:
            messages = []
            for text in ("long please", "leak canary"):
                ws.send(json.dumps({"workflow": "talk", "input": {"text": text}}))
                while (message := json.loads(ws.recv(timeout=10)))["type"] != "result":
                    messages.append(message)
                messages.append(message)
    long_tokens = [m["text"] for m in messages[:messages.index(next(m for m in messages if m["type"] == "result"))]
                   if m["type"] == "token"]
    assert len(long_tokens) == 19
    assert "CANARY-beta" not in json.dumps(messages) and messages[-1]["blocked"]
