"""The AgentCore Runtime contract over real HTTP: one uvicorn server on 127.0.0.1 for the whole module.

Every status the contract names is provoked here through the network, with
development tokens signed by the project's development issuer: 200 (JSON
and server-sent events), 400, 401, 403, 404, 413, 429, 431 and 500, and
/ping as Healthy and HealthyBusy.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.runtime.config import RuntimeConfig
from tests.runtime.support import (
    CUSTOM,
    REQUEST_ID,
    SESSION,
    Tokens,
    captured_logs,
    dev_secret,
    running,
    sse_events,
    write_project,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("runtime") / "proj")


@pytest.fixture(scope="module")
def tokens(project: Path) -> Tokens:
    return Tokens(project)


@pytest.fixture(scope="module")
def url(project: Path) -> Iterator[str]:
    with running(RuntimeConfig(root=project, watch_interval_s=0, max_body_bytes=4096, max_header_bytes=8192)) as base:
        yield base


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as http:
        yield http


def invoke(client: httpx.Client, token: str | None, body: object, *, session: str | None = "s-1",
           headers: dict[str, str] | None = None, stream: bool = False) -> httpx.Response:
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if session is not None:
        sent[SESSION] = session
    if stream:
        sent["Accept"] = "text/event-stream"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/invocations", content=content, headers=sent)


HELLO = {"workflow": "hello", "input": {"text": "hi"}}


# -- /ping ------------------------------------------------------------------------------------

def test_ping_is_healthy_with_an_integer_timestamp(client: httpx.Client) -> None:
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "time_of_last_update"}
    assert body["status"] == "Healthy"
    assert isinstance(body["time_of_last_update"], int) and abs(body["time_of_last_update"] - time.time()) < 3600


def test_ping_is_healthy_busy_while_a_run_is_in_flight(client: httpx.Client, tokens: Tokens) -> None:
    done: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: done.append(
        invoke(client, tokens("alpha"), {"workflow": "slow", "input": {"seconds": 0.8}}, session="busy")))
    slow.start()
    deadline = time.monotonic() + 5
    seen = client.get("/ping").json()
    while seen["status"] != "HealthyBusy" and time.monotonic() < deadline:
        time.sleep(0.02)
        seen = client.get("/ping").json()
    assert seen["status"] == "HealthyBusy"
    slow.join()
    assert done[0].status_code == 200
    after = client.get("/ping").json()
    assert after["status"] == "Healthy"
    assert after["time_of_last_update"] >= seen["time_of_last_update"]


# -- 200 --------------------------------------------------------------------------------------

def test_a_run_answers_its_output_session_usage_and_guardrail_records(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), HELLO, session="s-ok", headers={REQUEST_ID: "req-42"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers[REQUEST_ID] == "req-42"
    assert response.headers[SESSION] == "s-ok"
    body = response.json()
    assert body["output"] == {"reply": "[small-v1] answer"}
    assert (body["workflow"], body["tenant"], body["session_id"], body["request_id"]) == (
        "hello", "alpha", "s-ok", "req-42")
    assert body["usage"]["models"] == ["small-v1"]
    assert body["usage"]["input_tokens"] > 0 and body["usage"]["output_tokens"] > 0
    assert body["guardrails"] == [] and body["blocked"] is None and body["errors"] == []


def test_a_request_without_a_session_id_gets_a_new_one(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), HELLO, session=None)
    assert response.status_code == 200
    assert len(response.json()["session_id"]) >= 33
    assert response.headers[SESSION] == response.json()["session_id"]


def test_the_session_continues_across_requests_with_the_same_session_id(client: httpx.Client,
                                                                       tokens: Tokens) -> None:
    def say(tenant: str, user: str, session: str, text: str) -> str:
        response = invoke(client, tokens(tenant, user), {"workflow": "chat", "input": {"text": text}}, session=session)
        assert response.status_code == 200, response.text
        return str(response.json()["output"]["previous"])

    assert say("alpha", "u1", "talk-1", "first") == "none"
    assert say("alpha", "u1", "talk-1", "second") == "first"
    assert say("alpha", "u1", "talk-1", "third") == "second"
    # Another session, another user or another tenant with the same session id starts afresh.
    assert say("alpha", "u1", "talk-2", "x") == "none"
    assert say("alpha", "u2", "talk-1", "y") == "none"
    assert say("beta", "u1", "talk-1", "z") == "none"


# -- 400 --------------------------------------------------------------------------------------

def test_malformed_json_is_400_with_the_parser_message(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), b'{"workflow": "hello", "input": ')
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid JSON"
    assert body["details"] == "Expecting value: line 1 column 32 (char 31)"
    assert body["request_id"] == response.headers[REQUEST_ID]


def test_an_empty_body_is_400(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), b"")
    assert (response.status_code, response.json()["details"]) == (400, "the request body is empty")


def test_input_not_matching_the_schema_is_400_with_field_paths(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), {"workflow": "hello", "input": {"txt": "hi"}})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "input" and body["workflow"] == "hello"
    assert body["fields"] == {"txt": "unknown field (expected: text)", "text": "required field is missing"}
    wrong_type = invoke(client, tokens("alpha"), {"workflow": "slow", "input": {"seconds": "soon"}})
    assert wrong_type.json()["fields"] == {"seconds": "expected number, got str"}
    too_big = invoke(client, tokens("alpha"), {"workflow": "slow", "input": {"seconds": 50}})
    assert too_big.json()["fields"] == {"seconds": "greater than maximum 5"}


def test_a_body_without_the_workflow_is_400(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), {"input": {"text": "hi"}, "extra": 1})
    assert response.status_code == 400
    assert response.json()["fields"] == {"extra": "unknown field (expected: input, resume, workflow)",
                                         "workflow": "required field is missing"}
    assert invoke(client, tokens("alpha"), ["not", "an", "object"]).status_code == 400


def test_an_invalid_session_id_is_400(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), HELLO, session="has spaces and dots.")
    assert (response.status_code, response.json()["code"]) == (400, "session")


# -- 401 --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["missing", "not-bearer", "garbage", "tampered", "expired", "unknown-tenant"])
def test_a_bad_or_missing_token_is_401_and_no_step_runs(client: httpx.Client, tokens: Tokens, case: str) -> None:
    good = tokens("alpha")
    header = {
        "missing": None,
        "not-bearer": f"Basic {good}",
        "garbage": "Bearer not-a-jwt",
        "tampered": "Bearer " + good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "expired": "Bearer " + tokens("alpha", ttl_s=60, now=time.time() - 3600),
        "unknown-tenant": "Bearer " + tokens("nobody"),
    }[case]
    headers = {"Content-Type": "application/json", SESSION: "s-401"}
    if header is not None:
        headers["Authorization"] = header
    with captured_logs() as logs:
        response = client.post("/invocations", content=json.dumps(HELLO), headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="tenantflow"')
    body = response.json()
    assert body["error"] == "Unauthorized"
    assert body["code"] == {"missing": "missing", "not-bearer": "malformed", "garbage": "malformed",
                            "tampered": "signature", "expired": "expired", "unknown-tenant": "unknown-tenant"}[case]
    assert logs.records("skill.called") == []


# -- 403 --------------------------------------------------------------------------------------

def test_a_workflow_the_tenant_does_not_run_is_403(client: httpx.Client, tokens: Tokens) -> None:
    assert invoke(client, tokens("narrow"), HELLO).status_code == 200
    response = invoke(client, tokens("narrow"), {"workflow": "chat", "input": {"text": "x"}})
    assert response.status_code == 403
    assert response.json()["code"] == "not-entitled"


def test_the_pool_runtime_refuses_a_silo_tenant(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("sigma"), HELLO)
    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden", "code": "silo", "request_id": response.headers[REQUEST_ID],
                               "details": "this tenant is served by its dedicated runtime, not the pool"}


@pytest.mark.parametrize("header, value", [
    ("Tenant-Id", "beta"), ("tenant", "sigma"), ("TENANTID", "beta"), ("User-Id", "admin"), ("Tier", "premium"),
])
def test_a_custom_header_claiming_another_identity_than_the_token_is_refused(
        client: httpx.Client, tokens: Tokens, header: str, value: str) -> None:
    with captured_logs() as logs:
        response = invoke(client, tokens("alpha"), HELLO, headers={CUSTOM + header: value})
    assert response.status_code == 403
    assert response.json()["code"] == "header-conflict"
    assert logs.records("skill.called") == []  # nothing ran, for anyone


def test_custom_headers_agreeing_with_the_token_or_naming_other_things_are_accepted(
        client: httpx.Client, tokens: Tokens) -> None:
    with captured_logs() as logs:
        response = invoke(client, tokens("alpha"), HELLO, headers={
            CUSTOM + "Tenant-Id": "alpha", CUSTOM + "Tier": "basic", CUSTOM + "Department": "billing"})
    assert response.status_code == 200
    assert response.json()["tenant"] == "alpha"
    [called] = logs.records("skill.called")
    assert called["tenant_id"] == "alpha"
    [line] = logs.records("runtime.request")
    assert line["custom_headers"] == ["department", "tenant-id", "tier"]


def test_the_agentcore_user_id_header_cannot_change_the_user(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha", "u1"), HELLO,
                      headers={"X-Amzn-Bedrock-AgentCore-Runtime-User-Id": "u2"})
    assert (response.status_code, response.json()["code"]) == (403, "header-conflict")


def test_a_session_of_another_tenant_is_refused(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha", "u1"), HELLO, session="beta:u1:s-1")
    assert (response.status_code, response.json()["code"]) == (403, "session")
    own = invoke(client, tokens("alpha", "u1"), HELLO, session="alpha:u1:s-1")
    assert own.status_code == 200 and own.json()["session_id"] == "s-1"


# -- 404 --------------------------------------------------------------------------------------

def test_an_unknown_workflow_is_404(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), {"workflow": "helo", "input": {}})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown-workflow" and response.json()["workflow"] == "helo"


def test_unknown_paths_and_methods_answer_json(client: httpx.Client) -> None:
    assert client.get("/nope").json() == {"error": "Not Found"}
    assert client.get("/invocations").status_code == 405
    assert client.get("/invocations").json() == {"error": "Method Not Allowed"}


# -- 413, 431 ---------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_413(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), {"workflow": "hello", "input": {"text": "x" * 5000}})
    assert (response.status_code, response.json()["max_bytes"]) == (413, 4096)


def test_headers_over_the_limit_are_431(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), HELLO, headers={CUSTOM + "Padding": "x" * 9000})
    assert response.status_code == 431


# -- 429 --------------------------------------------------------------------------------------

def test_over_the_rate_limit_is_429_with_retry_after(client: httpx.Client, tokens: Tokens) -> None:
    token = tokens("trickle")  # 6 requests a minute: a bucket of 1, refilled every 10 s
    assert invoke(client, token, HELLO).status_code == 200
    response = invoke(client, token, HELLO)
    assert response.status_code == 429
    assert response.json()["code"] == "requests_per_minute"
    assert 5 <= int(response.headers["retry-after"]) <= 10
    assert invoke(client, tokens("alpha"), HELLO).status_code == 200  # its neighbour is not affected


def test_over_the_daily_token_budget_is_429_until_midnight(client: httpx.Client, tokens: Tokens) -> None:
    token = tokens("thrifty")
    assert invoke(client, token, HELLO).status_code == 200  # uses more than its 1 token a day
    response = invoke(client, token, HELLO)
    assert (response.status_code, response.json()["code"]) == (429, "tokens_per_day")
    assert 0 < int(response.headers["retry-after"]) <= 86401


def test_over_the_concurrency_limit_is_429(client: httpx.Client, tokens: Tokens) -> None:
    token = tokens("single")
    first: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: first.append(
        invoke(client, token, {"workflow": "slow", "input": {"seconds": 0.8}}, session="c-1")))
    slow.start()
    deadline = time.monotonic() + 5
    while client.get("/ping").json()["status"] != "HealthyBusy" and time.monotonic() < deadline:
        time.sleep(0.02)
    second = invoke(client, token, HELLO, session="c-2")
    slow.join()
    assert first[0].status_code == 200
    assert (second.status_code, second.json()["code"], second.headers["retry-after"]) == (429, "concurrency", "1")
    assert invoke(client, token, HELLO, session="c-3").status_code == 200  # the slot came back


# -- 500 --------------------------------------------------------------------------------------

def test_a_failure_is_500_with_the_request_id_only_and_the_details_in_the_log(client: httpx.Client,
                                                                              tokens: Tokens) -> None:
    with captured_logs() as logs:
        response = invoke(client, tokens("alpha"), {"workflow": "boom", "input": {"text": "x"}},
                          headers={REQUEST_ID: "req-boom"})
    assert response.status_code == 500
    assert response.json() == {"error": "Internal error", "request_id": "req-boom"}
    assert "hunter2" not in response.text and "Traceback" not in response.text
    [failure] = logs.records("runtime.request_failed")
    assert failure["request_id"] == "req-boom" and failure["tenant_id"] == "alpha"
    assert "hunter2" in failure["error_message"] and "Traceback" in failure["error_stack"]


# -- server-sent events -----------------------------------------------------------------------

def test_streaming_sends_step_events_then_the_result_as_sse_frames(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), HELLO, stream=True, session="s-sse")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    steps = [e["step"] for e in events if e["type"] == "step"]
    assert steps == ["guard.input", "first", "answer", "return_2", "guard.output"]
    assert all(set(e) == {"type", "step", "kind"} for e in events[:-1])  # ids only, never a step's output
    result = events[-1]
    assert result["type"] == "result"
    assert result["output"] == {"reply": "[small-v1] answer"} and result["session_id"] == "s-sse"
    plain = invoke(client, tokens("alpha"), HELLO, session="s-sse-2").json()
    assert {k: v for k, v in result.items() if k not in ("type", "request_id", "session_id", "duration_ms")} == {
        k: v for k, v in plain.items() if k not in ("request_id", "session_id", "duration_ms")}


def test_an_error_mid_stream_is_one_final_error_event(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), {"workflow": "boom", "input": {"text": "x"}}, stream=True,
                      headers={REQUEST_ID: "req-sse-boom"})
    assert response.status_code == 200
    events = sse_events(response)
    assert [e["type"] for e in events] == ["step", "error"]
    assert events[-1] == {"type": "error", "error": "Internal error", "error_type": "InternalError",
                          "message": "An error occurred during streaming", "request_id": "req-sse-boom"}
    assert "hunter2" not in response.text


def test_a_refused_streaming_request_gets_its_status_not_a_stream(client: httpx.Client, tokens: Tokens) -> None:
    response = invoke(client, tokens("alpha"), {"workflow": "hello", "input": {}}, stream=True)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["fields"] == {"text": "required field is missing"}


# -- logs -------------------------------------------------------------------------------------

def test_each_request_logs_one_json_line_with_its_ids_and_never_the_token(client: httpx.Client,
                                                                          tokens: Tokens) -> None:
    token = tokens("beta", "u7")
    with captured_logs() as logs:
        assert invoke(client, token, HELLO, session="s-log", headers={REQUEST_ID: "req-log"}).status_code == 200
        assert invoke(client, token, b"{", session="s-log", headers={REQUEST_ID: "req-log-2"}).status_code == 400
    ok, bad = logs.records("runtime.request")
    assert {k: ok[k] for k in ("tenant_id", "user_id", "request_id", "session_id", "workflow", "status")} == {
        "tenant_id": "beta", "user_id": "u7", "request_id": "req-log", "session_id": "s-log", "workflow": "hello",
        "status": 200}
    assert (bad["status"], bad["request_id"], bad["tenant_id"]) == (400, "req-log-2", "beta")
    everything = "\n".join(logs.lines)
    assert token not in everything and token.split(".")[2] not in everything
