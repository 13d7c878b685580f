"""``/ws`` over a real socket: the same checks, events, answers and limits as ``POST /invocations``.

One uvicorn server for the module (and a silo one), driven with the
``websockets`` client as AgentCore's OAuth WebSocket client connects: the
bearer token and the session id in the handshake's headers.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from engine.runtime.config import RuntimeConfig
from tests.runtime.support import (
    CUSTOM,
    REQUEST_ID,
    SESSION,
    Tokens,
    captured_logs,
    dev_secret,
    running,
    serving,
    write_project,
)

HELLO = {"workflow": "hello", "input": {"text": "hi"}}
HELLO_STEPS = ["guard.input", "first", "answer", "return_2", "guard.output"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("websocket") / "proj")


@pytest.fixture(scope="module")
def tokens(project: Path) -> Tokens:
    return Tokens(project)


@pytest.fixture(scope="module")
def url(project: Path) -> Iterator[str]:
    with running(RuntimeConfig(root=project, watch_interval_s=0, max_body_bytes=4096)) as base:
        yield base


@contextmanager
def opened(base: str, token: str | None, *, session: str | None = "s-1",
           headers: dict[str, str] | None = None) -> Iterator[ClientConnection]:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if session is not None:
        sent[SESSION] = session
    with connect(base.replace("http://", "ws://") + "/ws", additional_headers=sent, proxy=None,
                 open_timeout=10, close_timeout=2) as ws:
        yield ws


def receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=10))
    assert isinstance(message, dict)
    return message


def ask(ws: ClientConnection, body: object) -> list[dict[str, Any]]:
    """Send one request; every message of its answer, up to the result or the error."""
    ws.send(body if isinstance(body, str | bytes) else json.dumps(body))
    answer = [receive(ws)]
    while answer[-1]["type"] == "step":
        answer.append(receive(ws))
    return answer


def refusal(ws: ClientConnection) -> tuple[dict[str, Any], int, str]:
    """The one message of a refused connection, and how it was closed."""
    message = receive(ws)
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    return message, closed.value.rcvd.code, closed.value.rcvd.reason


# -- a run ------------------------------------------------------------------------------------

def test_a_message_streams_the_step_events_then_the_answer_of_invocations(url: str, tokens: Tokens) -> None:
    with opened(url, tokens("alpha"), session="ws-run", headers={REQUEST_ID: "req-ws"}) as ws:
        assert ws.response is not None
        assert (ws.response.headers[SESSION], ws.response.headers[REQUEST_ID]) == ("ws-run", "req-ws")
        answer = ask(ws, HELLO)
    assert [m["step"] for m in answer[:-1]] == HELLO_STEPS
    assert all(set(m) == {"type", "step", "kind"} for m in answer[:-1])  # ids only, never a step's output
    result = answer[-1]
    assert result["type"] == "result"
    assert (result["output"], result["tenant"], result["session_id"], result["request_id"]) == (
        {"reply": "[small-v1] answer"}, "alpha", "ws-run", "req-ws.1")
    plain = httpx.post(url + "/invocations", json=HELLO, timeout=30,
                       headers={"Authorization": f"Bearer {tokens('alpha')}", SESSION: "ws-run-http"}).json()
    assert {k: v for k, v in result.items() if k not in ("type", "request_id", "session_id", "duration_ms")} == {
        k: v for k, v in plain.items() if k not in ("request_id", "session_id", "duration_ms")}


def test_messages_on_one_connection_and_connections_with_its_session_id_continue_one_session(
        url: str, tokens: Tokens) -> None:
    def chat(ws: ClientConnection, text: str) -> str:
        answer = ask(ws, {"workflow": "chat", "input": {"text": text}})
        assert answer[-1]["type"] == "result", answer[-1]
        return str(answer[-1]["output"]["previous"])

    with opened(url, tokens("alpha"), session="ws-talk") as ws:
        assert chat(ws, "first") == "none"
        assert chat(ws, "second") == "first"
    with opened(url, tokens("alpha"), session="ws-talk") as ws:
        assert chat(ws, "third") == "second"
    with opened(url, tokens("alpha"), session=None) as ws:  # no session id: a new session, said in the handshake
        assert ws.response is not None and len(ws.response.headers[SESSION]) >= 33
        assert chat(ws, "x") == "none"
        assert chat(ws, "y") == "x"


def test_a_single_workflow_silo_takes_the_input_alone_and_refuses_other_tenants(project: Path,
                                                                                tokens: Tokens) -> None:
    config = RuntimeConfig(root=project, tenant="sigma", workflow="hello", watch_interval_s=0)
    with running(config) as silo:
        with opened(silo, tokens("sigma")) as ws:
            answer = ask(ws, {"text": "hi"})
            assert answer[-1]["output"] == {"reply": "[large-v1] answer"}
        with opened(silo, tokens("alpha"), headers={CUSTOM + "Tenant-Id": "alpha"}) as ws:
            message, code, reason = refusal(ws)
    assert (message["status"], message["code"], code, reason) == (403, "silo", 1008, "Forbidden")
    assert "sigma" not in json.dumps(message)


# -- refused connections ----------------------------------------------------------------------

@pytest.mark.parametrize("case", ["missing", "garbage", "expired"])
def test_a_bad_or_missing_token_closes_with_1008_after_one_error_message(url: str, tokens: Tokens,
                                                                         case: str) -> None:
    token = {"missing": None, "garbage": "not-a-jwt",
             "expired": tokens("alpha", ttl_s=60, now=time.time() - 3600)}[case]
    with captured_logs() as logs, opened(url, token, headers={REQUEST_ID: "req-401"}) as ws:
        message, code, reason = refusal(ws)
    assert message == {"type": "error", "status": 401, "error": "Unauthorized", "request_id": "req-401",
                       "code": {"missing": "missing", "garbage": "malformed", "expired": "expired"}[case]}
    assert (code, reason) == (1008, "Unauthorized")
    assert logs.records("skill.called") == []
    [line] = logs.records("runtime.request")
    assert (line["status"], line["transport"], line["error_code"]) == (401, "websocket", message["code"])


def test_a_header_claiming_another_tenant_than_the_token_is_refused(url: str, tokens: Tokens) -> None:
    with captured_logs() as logs, opened(url, tokens("alpha"), headers={CUSTOM + "Tenant-Id": "beta"}) as ws:
        message, code, _ = refusal(ws)
    assert (message["status"], message["code"], code) == (403, "header-conflict", 1008)
    assert logs.records("skill.called") == []


def test_a_token_that_expires_while_the_connection_is_open_is_refused_at_the_next_message(
        tmp_path: Path, project: Path) -> None:
    # `project` keeps the development secret in the environment; this project's issuer allows no leeway, so the
    # test need not wait the default 30 s.
    strict = write_project(tmp_path / "strict")
    config = strict / "tenantflow.yaml"
    config.write_text(config.read_text().replace("development: true\n", "development: true\n      leeway_s: 0\n"))
    with running(RuntimeConfig(root=strict, watch_interval_s=0)) as base:
        issued = math.ceil(time.time() + 0.5) - 60  # expires between 0.5 and 1.5 s from now
        with opened(base, Tokens(strict)("alpha", ttl_s=60, now=issued)) as ws:
            assert ask(ws, HELLO)[-1]["type"] == "result"
            time.sleep(max(0.0, issued + 60 - time.time()) + 0.05)
            ws.send(json.dumps(HELLO))
            message, code, _ = refusal(ws)
    assert (message["status"], message["code"], code) == (401, "expired", 1008)


def test_a_handshake_over_the_header_limit_is_refused(url: str, tokens: Tokens) -> None:
    padding = {f"{CUSTOM}Padding-{i}": "x" * 4000 for i in range(9)}  # 36 KB, over the 32 KiB default
    with opened(url, tokens("alpha"), headers=padding) as ws:
        message, code, _ = refusal(ws)
    assert (message["status"], message["max_bytes"], code) == (431, 32 * 1024, 1008)


def test_the_pool_refuses_a_silo_tenant(url: str, tokens: Tokens) -> None:
    with opened(url, tokens("sigma")) as ws:
        message, code, _ = refusal(ws)
    assert (message["status"], message["code"], code) == (403, "silo", 1008)


def test_a_tenant_at_its_connection_limit_is_refused_with_1013_and_other_tenants_are_not(project: Path,
                                                                                        tokens: Tokens) -> None:
    config = RuntimeConfig(root=project, watch_interval_s=0, max_ws_connections_per_tenant=2)
    with serving(config) as (base, app):
        with opened(base, tokens("alpha")) as first, opened(base, tokens("alpha", user="u2"), session="s-2"):
            with opened(base, tokens("alpha", user="u3"), session="s-3") as third:
                message, code, reason = refusal(third)
            assert (message["status"], message["code"], message["max_connections"], message["retry_after_s"],
                    code, reason) == (429, "connections", 2, 1, 1013, "Too many open connections")
            # Another tenant is not held back by alpha's connections, and alpha's open ones go on working.
            with opened(base, tokens("beta")) as other:
                assert ask(other, HELLO)[-1]["type"] == "result"
            assert ask(first, HELLO)[-1]["type"] == "result"
            assert app.state.service.connections["alpha"] == 2
        # Closed connections give their places back (the server notices the close a moment later).
        deadline = time.monotonic() + 10
        while app.state.service.connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert app.state.service.connections == {}
        with opened(base, tokens("alpha")) as again:
            assert ask(again, HELLO)[-1]["type"] == "result"


# -- bad messages leave the connection usable -------------------------------------------------

def test_malformed_json_is_an_error_message_and_the_next_message_runs(url: str, tokens: Tokens) -> None:
    with opened(url, tokens("alpha"), headers={REQUEST_ID: "req-bad"}) as ws:
        [bad] = ask(ws, '{"workflow": "hello", "input": ')
        assert bad == {"type": "error", "status": 400, "error": "Invalid JSON", "request_id": "req-bad.1",
                       "details": "Expecting value: line 1 column 32 (char 31)"}
        [empty] = ask(ws, b"")
        assert (empty["status"], empty["details"]) == (400, "the request body is empty")
        answer = ask(ws, json.dumps(HELLO).encode())  # a binary message is a body too
        assert answer[-1]["type"] == "result" and answer[-1]["request_id"] == "req-bad.3"


def test_input_not_matching_the_schema_is_an_error_with_field_paths(url: str, tokens: Tokens) -> None:
    with captured_logs() as logs, opened(url, tokens("alpha")) as ws:
        [error] = ask(ws, {"workflow": "hello", "input": {"txt": "hi"}})
        assert (error["status"], error["code"], error["workflow"]) == (400, "input", "hello")
        assert error["fields"] == {"txt": "unknown field (expected: text)", "text": "required field is missing"}
        [missing] = ask(ws, {"input": {"text": "hi"}})
        assert missing["fields"] == {"workflow": "required field is missing"}
        [unknown] = ask(ws, {"workflow": "helo", "input": {}})
        assert (unknown["status"], unknown["code"]) == (404, "unknown-workflow")
        [too_big] = ask(ws, {"workflow": "hello", "input": {"text": "x" * 5000}})
        assert (too_big["status"], too_big["max_bytes"]) == (413, 4096)
        assert logs.records("skill.called") == []
        assert ask(ws, HELLO)[-1]["type"] == "result"


def test_over_the_rate_limit_the_error_says_when_to_retry(url: str, tokens: Tokens) -> None:
    with opened(url, tokens("trickle")) as ws:  # 6 requests a minute: a bucket of 1, refilled every 10 s
        assert ask(ws, HELLO)[-1]["type"] == "result"
        [over] = ask(ws, HELLO)
        assert (over["status"], over["code"]) == (429, "requests_per_minute")
        assert 5 <= over["retry_after_s"] <= 10
        [again] = ask(ws, HELLO)  # still open, still refused, nothing ran
        assert again["code"] == "requests_per_minute"
    with opened(url, tokens("alpha")) as ws:  # its neighbour is not affected
        assert ask(ws, HELLO)[-1]["type"] == "result"


def test_the_tokens_a_run_used_count_against_the_daily_budget(url: str, tokens: Tokens) -> None:
    with opened(url, tokens("thrifty")) as ws:  # 1 token a day: the first run uses more
        assert ask(ws, HELLO)[-1]["type"] == "result"
        [over] = ask(ws, HELLO)
    assert (over["status"], over["code"]) == (429, "tokens_per_day")
    assert 0 < over["retry_after_s"] <= 86401


def test_an_internal_error_carries_the_request_id_only_and_the_connection_goes_on(url: str,
                                                                                 tokens: Tokens) -> None:
    with captured_logs() as logs, opened(url, tokens("alpha"), headers={REQUEST_ID: "req-boom"}) as ws:
        answer = ask(ws, {"workflow": "boom", "input": {"text": "x"}})
        assert [m["type"] for m in answer] == ["step", "error"]
        assert answer[-1] == {"type": "error", "status": 500, "error": "Internal error", "request_id": "req-boom.1"}
        assert ask(ws, HELLO)[-1]["type"] == "result"
    assert "hunter2" not in json.dumps(answer)
    [failure] = logs.records("runtime.stream_failed")
    assert failure["request_id"] == "req-boom.1" and "hunter2" in failure["error_message"]


# -- tenants apart ----------------------------------------------------------------------------

def test_two_tenants_on_concurrent_connections_see_only_their_own_runs(url: str, tokens: Tokens) -> None:
    answers: dict[str, list[list[dict[str, Any]]]] = {"alpha": [], "beta": []}
    with opened(url, tokens("alpha"), session="shared", headers={REQUEST_ID: "conn-a"}) as a, \
            opened(url, tokens("beta"), session="shared", headers={REQUEST_ID: "conn-b"}) as b:

        def talk(tenant: str, ws: ClientConnection) -> None:
            for text in (f"{tenant}-1", f"{tenant}-2"):
                answers[tenant].append(ask(ws, {"workflow": "chat", "input": {"text": text}}))

        threads = [threading.Thread(target=talk, args=("alpha", a)), threading.Thread(target=talk, args=("beta", b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for tenant, connection in (("alpha", "conn-a"), ("beta", "conn-b")):
        first, second = (answer[-1] for answer in answers[tenant])
        assert (first["output"], second["output"]) == ({"previous": "none"}, {"previous": f"{tenant}-1"})
        assert {first["tenant"], second["tenant"]} == {tenant}
        assert [first["request_id"], second["request_id"]] == [f"{connection}.1", f"{connection}.2"]
        other = "beta" if tenant == "alpha" else "alpha"
        assert other not in json.dumps(answers[tenant])
    # Tenant B names A's thread: refused before anything runs, A's history is not reached.
    with opened(url, tokens("beta"), session="alpha:u1:shared") as ws:
        message, code, _ = refusal(ws)
    assert (message["status"], message["code"], code) == (403, "session", 1008)
    with opened(url, tokens("alpha"), session="shared") as ws:
        assert ask(ws, {"workflow": "chat", "input": {"text": "again"}})[-1]["output"] == {"previous": "alpha-2"}


# -- health and logs --------------------------------------------------------------------------

def test_ping_is_healthy_busy_while_a_websocket_run_is_in_flight(url: str, tokens: Tokens) -> None:
    with httpx.Client(base_url=url, timeout=30) as http, opened(url, tokens("alpha"), session="ws-busy") as ws:
        ws.send(json.dumps({"workflow": "slow", "input": {"seconds": 0.4}}))
        deadline = time.monotonic() + 5
        while http.get("/ping").json()["status"] != "HealthyBusy":
            assert time.monotonic() < deadline, "never HealthyBusy"
            time.sleep(0.02)
        answer = [receive(ws)]
        while answer[-1]["type"] == "step":
            answer.append(receive(ws))
        assert answer[-1]["output"] == {"slept": 0.4}
        assert http.get("/ping").json()["status"] == "Healthy"  # the connection is open, but idle


def test_each_message_logs_one_request_line_with_its_ids_and_never_the_token(url: str, tokens: Tokens) -> None:
    token = tokens("beta", "u7")
    with captured_logs() as logs:
        with opened(url, token, session="ws-log", headers={REQUEST_ID: "req-wslog"}) as ws:
            ask(ws, HELLO)
            ask(ws, "{")
        deadline = time.monotonic() + 5
        while not logs.records("runtime.ws_closed") and time.monotonic() < deadline:
            time.sleep(0.01)
    ok, bad = logs.records("runtime.request")
    assert {k: ok[k] for k in ("tenant_id", "user_id", "request_id", "session_id", "workflow", "status",
                               "transport", "connection_id")} == {
        "tenant_id": "beta", "user_id": "u7", "request_id": "req-wslog.1", "session_id": "ws-log",
        "workflow": "hello", "status": 200, "transport": "websocket", "connection_id": "req-wslog"}
    assert (bad["status"], bad["request_id"], bad["tenant_id"]) == (400, "req-wslog.2", "beta")
    [closed] = logs.records("runtime.ws_closed")
    assert (closed["messages"], closed["tenant_id"], closed["connection_id"]) == (2, "beta", "req-wslog")
    everything = "\n".join(logs.lines)
    assert token not in everything and token.split(".")[2] not in everything


# -- shutdown ---------------------------------------------------------------------------------

def test_shutdown_closes_connections_with_1012_and_frees_a_run_in_flight(project: Path, tokens: Tokens) -> None:
    token = tokens("alpha")
    closed: list[int | None] = []

    def slow_run(base: str) -> None:
        with opened(base, token, session="ws-stop") as ws:
            ws.send(json.dumps({"workflow": "slow", "input": {"seconds": 0.5}}))
            try:
                while True:
                    receive(ws)
            except ConnectionClosed as gone:
                closed.append(gone.rcvd.code if gone.rcvd is not None else None)

    with captured_logs() as logs:
        with serving(RuntimeConfig(root=project, watch_interval_s=0, drain_timeout_s=5)) as (base, app):
            client = threading.Thread(target=slow_run, args=(base,))
            client.start()
            deadline = time.monotonic() + 5
            while app.state.service.health.in_flight == 0:
                assert time.monotonic() < deadline, "the run did not start"
                time.sleep(0.01)
        client.join(timeout=10)
    assert closed == [1012]  # uvicorn's Service Restart: reconnect and send again
    [stopped] = logs.records("runtime.stopped")
    assert stopped["drained"] is True and stopped["abandoned"] == 0
