"""What a hostile client sends is refused with a 4xx, never a 500, a broken stream or a held slot.

Over real HTTP against the runtime under uvicorn (tests/runtime/support.py),
each case one finding of the red team in issue 18: repeated identity
headers, a token inside its issuer's clock leeway, JSON nested too deep or
with an endless number, lone surrogates in and out, and clients that send
their headers or body one byte at a time.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.runtime.config import RuntimeConfig
from tests.runtime.support import CUSTOM, SESSION, Tokens, dev_secret, running, sse_events, write_project

ODD_PY = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("odd_text")
async def odd_text(*, text: str, ctx: SkillContext) -> dict:
    return {"text": text + " \\ud800 half a character"}
'''

ODD_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: odd}
input:
  text: {type: string}
steps:
  - id: make
    skill: odd_text
    with: {text: "{{ input.text }}"}
  - return: {text: "{{ steps.make.text }}"}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = write_project(tmp_path_factory.mktemp("bounds") / "proj")
    (root / "skills" / "odd.py").write_text(ODD_PY)
    (root / "workflows" / "odd.yaml").write_text(ODD_YAML)
    with dev_secret():
        yield root


@pytest.fixture(scope="module")
def base(project: Path) -> Iterator[str]:
    config = RuntimeConfig(root=project, watch_interval_s=0, access_log=False, header_timeout_s=1.0,
                           body_timeout_s=1.0)
    with running(config) as url:
        yield url


@pytest.fixture(scope="module")
def tokens(project: Path) -> Tokens:
    return Tokens(project)


def _post(base: str, token: str, body: bytes, headers: list[tuple[str, str]] | None = None,
          **kwargs: str) -> httpx.Response:
    sent = [("Authorization", f"Bearer {token}"), (SESSION, "s-1"), ("Content-Type", "application/json"),
            *(headers or []), *kwargs.items()]
    return httpx.post(f"{base}/invocations", content=body, headers=sent, timeout=30)


HELLO = json.dumps({"workflow": "hello", "input": {"text": "hi"}}).encode()


# -- repeated headers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("repeated", [
    [(f"{CUSTOM}Tenant-Id", "beta"), (f"{CUSTOM}Tenant-Id", "alpha")],  # the other tenant's first, the own last
    [(f"{CUSTOM}Tenant-Id", "alpha"), (f"{CUSTOM.lower()}tenant-id", "alpha")],  # even when they agree
    [(SESSION, "s-2")],  # a second session id
    [("X-Amzn-Bedrock-AgentCore-Runtime-User-Id", "u1"), ("X-Amzn-Bedrock-AgentCore-Runtime-User-Id", "u2")],
])
def test_a_repeated_identity_header_is_refused_with_400(base: str, tokens: Tokens,
                                                         repeated: list[tuple[str, str]]) -> None:
    response = _post(base, tokens("alpha"), HELLO, repeated)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "duplicate-header"


def test_a_second_authorization_header_is_refused_whichever_token_comes_first(base: str, tokens: Tokens) -> None:
    response = _post(base, tokens("alpha"), HELLO, [("Authorization", f"Bearer {tokens('beta')}")])
    assert response.status_code == 400 and response.json()["details"] == "sent more than once: authorization"


def test_a_single_matching_header_still_passes(base: str, tokens: Tokens) -> None:
    assert _post(base, tokens("alpha"), HELLO, [(f"{CUSTOM}Tenant-Id", "alpha")]).status_code == 200


# -- one clock rule ------------------------------------------------------------------------------------------

def test_a_token_inside_its_issuers_leeway_is_accepted_by_verification_and_by_the_run(
        base: str, tokens: Tokens) -> None:
    token = tokens("alpha", ttl_s=60, now=time.time() - 75)  # expired 15 s ago; the issuer allows 30 s
    response = _post(base, token, HELLO)
    assert response.status_code == 200, response.text


def test_a_token_past_its_leeway_is_refused_before_anything_runs(base: str, tokens: Tokens) -> None:
    response = _post(base, tokens("alpha", ttl_s=60, now=time.time() - 95), HELLO)
    assert response.status_code == 401 and response.json()["code"] == "expired"


# -- JSON bounds and surrogates --------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "detail"), [
    (b'{"workflow": "hello", "input": {"text": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
     "arrays and objects nest deeper than 64 levels"),
    (b'{"workflow": "hello", "input": {"text": "hi", "n": ' + b"9" * 5000 + b"}}",
     "a number has 5000 digits; at most 64 are accepted"),
    (b'{"workflow": "hello", "input": {"text": "\\ud800"}}',
     "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"),
    (b'{"workflow": "hello", "input": {"text": "hi", "n": NaN}}', "NaN is not JSON"),
    (b'{"workflow": "hello", "input": {"text": "hi", "n": 1e999}}', "the number 1e999 is too large for a float"),
])
def test_json_that_is_too_deep_too_long_or_not_text_is_a_400(base: str, tokens: Tokens, body: bytes,
                                                             detail: str) -> None:
    response = _post(base, tokens("alpha"), body)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == detail


def test_a_lone_surrogate_in_a_runs_output_is_sent_escaped_in_json_and_in_a_whole_stream(
        base: str, tokens: Tokens) -> None:
    body = json.dumps({"workflow": "odd", "input": {"text": "hi"}}).encode()
    answer = _post(base, tokens("alpha"), body)
    assert answer.status_code == 200, answer.text
    assert '\\ud800' in answer.text and answer.json()["output"]["text"] == "hi \ud800 half a character"
    streamed = _post(base, tokens("alpha"), body, [("Accept", "text/event-stream")])
    events = sse_events(streamed)  # strict: every frame whole, the stream ended properly
    assert events[-1]["type"] == "result"
    assert events[-1]["output"]["text"] == "hi \ud800 half a character"


# -- slow clients ----------------------------------------------------------------------------------------

def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing ``sock`` within ``seconds``; None if it is still open then."""
    sock.settimeout(seconds)
    received = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    except TimeoutError:
        return None


def _received_within(sock: socket.socket, seconds: float, until: bytes) -> bytes:
    """What the server sent on ``sock`` until it closed it, sent ``until``, or ``seconds`` passed (a loaded
    machine may answer late: what counts is the answer, not how soon the socket closes)."""
    deadline = time.monotonic() + seconds
    received = b""
    while until not in received and (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        received += chunk
    return received


def test_a_body_sent_a_byte_at_a_time_holds_no_slot_of_its_tenant_and_times_out(base: str, tokens: Tokens) -> None:
    token = tokens("single")  # concurrency 1
    body = HELLO
    slow = _connect(base)
    slow.sendall((f"POST /invocations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{SESSION}: s-slow\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body[:1])
    try:
        time.sleep(0.3)  # authenticated, reading its body
        assert _post(base, token, HELLO).status_code == 200  # the tenant's one slot is free
        answer = _received_within(slow, 10, b'"code":"body-timeout"')
    finally:
        slow.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"code":"body-timeout"' in answer


def test_headers_sent_a_byte_at_a_time_are_cut_off(base: str) -> None:
    slow = _connect(base)
    try:
        slow.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 5:
            try:
                slow.sendall(b"X")  # one more byte of a header that never ends
            except OSError:
                closed = True
                break
            if _closed_within(slow, 0.2) is not None:
                closed = True
                break
        elapsed = time.monotonic() - started
    finally:
        slow.close()
    assert closed and elapsed < 3, elapsed


def test_a_connection_that_sends_nothing_is_closed(base: str) -> None:
    idle = _connect(base)
    try:
        assert _closed_within(idle, 4) == b""
    finally:
        idle.close()
