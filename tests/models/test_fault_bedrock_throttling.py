"""Bedrock throttling every call for a while, then answering: runs fail cleanly while it lasts and work after.

A fake ``bedrock-runtime`` endpoint on 127.0.0.1 (what ``AWS_ENDPOINT_URL``
would point at) answers every Converse call with 429
``ThrottlingException`` for ``THROTTLE_S`` seconds, then with an answer;
a real boto3 client talks to it over HTTP. The issue asks for 30 s; CI
scales it down to 3 s (``TENANTFLOW_THROTTLE_S=30`` runs the full length).
Runs start every 0.2 s throughout. Each step retries (3 attempts) and then
fails the run naming the throttling, in bounded time; no run hangs or
succeeds with an empty answer, the runtime would answer 503 ``upstream``
with Retry-After, only finished runs count tokens, and runs work again once
the endpoint does, with no restart.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import RunError
from engine.models.bedrock import BedrockProvider
from engine.models.registry import Providers
from engine.project import load_project
from engine.runtime.contract import run_error
from tests.conftest import tenant_yaml
from tests.http_fakes import answer_json
from tests.models.test_bedrock_in_workflow import PROJECT, WORKFLOW

THROTTLE_S = float(os.environ.get("TENANTFLOW_THROTTLE_S", "3"))


class FakeBedrock:
    def __init__(self) -> None:
        self.throttle_until = 0.0
        self.calls = {"throttled": 0, "answered": 0}
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if time.monotonic() < state.throttle_until:
                    state.calls["throttled"] += 1
                    answer_json(self, 429, {"message": "Too many requests, please wait before trying again."},
                                {"x-amzn-ErrorType": "ThrottlingException"})
                else:
                    state.calls["answered"] += 1
                    answer_json(self, 200, {
                        "output": {"message": {"role": "assistant", "content": [{"text": "answered"}]}},
                        "stopReason": "end_turn", "usage": {"inputTokens": 20, "outputTokens": 5, "totalTokens": 25},
                        "metrics": {"latencyMs": 5}})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def _client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    return session.client("bedrock-runtime", endpoint_url=url,
                          config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


async def test_runs_fail_cleanly_while_bedrock_throttles_and_work_once_it_answers(
        make_project, bedrock: FakeBedrock) -> None:
    root = make_project({"tenantflow.yaml": PROJECT, "workflows/hello.yaml":
                         WORKFLOW.replace("backoff_s: 0}", "backoff_s: 0.1}")},
                        tenants={"alpha": tenant_yaml("alpha", "basic")})
    providers = Providers()
    providers.install("bedrock", BedrockProvider(_client(bedrock.url)), region_name="us-east-1")
    engine = Engine(load_project(root), providers=providers)
    bedrock.throttle_until = time.monotonic() + THROTTLE_S
    outcomes: list[tuple[float, str, float]] = []

    async def one(n: int) -> None:
        began = time.monotonic()
        try:
            result = await engine.run("hello", engine.dev_context("alpha", "u1", f"s{n}"), {"text": "hi"})
            outcome = "ok" if result.output == {"reply": "answered"} else f"wrong: {result.output}"
        except RunError as exc:
            answer = run_error(exc)  # what the runtime answers: 503, retry later
            outcome = "throttled" if "ThrottlingException" in str(exc) and answer is not None and (
                answer.status, answer.code, answer.headers) == (503, "upstream", {"Retry-After": "1"}) \
                else f"other: {exc}"
        outcomes.append((began - bedrock.throttle_until, outcome, time.monotonic() - began))

    tasks = []
    end = bedrock.throttle_until + 1.5
    n = 0
    while time.monotonic() < end:
        tasks.append(asyncio.ensure_future(one(n)))
        n += 1
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)
    # A run that began throttled (with time for its 3 attempts before the end) failed naming the throttling.
    assert {o for began, o, _ in outcomes if began < -0.5} == {"throttled"}
    assert {o for began, o, _ in outcomes if began > 0} == {"ok"}  # began after: answered, no restart
    assert max(took for _, _, took in outcomes) < 2.0  # 3 attempts, 0.1 + 0.2 s of backoff: bounded
    assert bedrock.calls["throttled"] <= 3 * sum(1 for _, o, _ in outcomes if o != "ok") + 3
    ok = sum(1 for _, o, _ in outcomes if o == "ok")
    assert engine.quotas.usage("alpha")["tokens_today"] == 25 * ok  # failed runs count no tokens
