"""The contract's pieces on their own: headers, bearer tokens, session ids, error mapping."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from engine.errors import MemoryAccessDenied, PolicyDenied, RunError, RunFailure
from engine.runtime.contract import HttpError, bearer_token, check_session_id, invocation, read_meta, run_error
from engine.usage.meter import LimiterUnavailable, OverLimit


def test_headers_are_read_whatever_their_case() -> None:
    meta = read_meta(Headers({
        "x-amzn-bedrock-agentcore-runtime-session-id": "s-1",
        "X-AMZN-BEDROCK-AGENTCORE-RUNTIME-REQUEST-ID": "r-1",
        "x-amzn-bedrock-agentcore-runtime-custom-Tenant-Id": "acme",
        "authorization": "bearer abc.def.ghi",
        "accept": "application/json, text/event-stream",
    }))
    assert (meta.session_id, meta.session_given, meta.request_id, meta.token) == ("s-1", True, "r-1", "abc.def.ghi")
    assert meta.custom == {"tenant-id": "acme"} and meta.wants_stream
    assert "abc.def.ghi" not in repr(meta)


def test_a_request_id_that_is_not_a_plain_id_is_replaced() -> None:
    meta = read_meta(Headers({"x-amzn-bedrock-agentcore-runtime-request-id": "bad id\nwith newline"}))
    assert len(meta.request_id) == 36 and "\n" not in meta.request_id
    assert not read_meta(Headers({})).session_given


@pytest.mark.parametrize("value, expected", [
    (None, None), ("Bearer a.b.c", "a.b.c"), ("Basic dXNlcg==", ""), ("Bearer", ""), ("Bearer a b", ""),
    ("Bearer a.b.c\x00", ""),
])
def test_bearer_tokens(value: str | None, expected: str | None) -> None:
    assert bearer_token(value) == expected


@pytest.mark.parametrize("session", ["s1", "a-b_c", "acme:u1:s1", "x" * 128])
def test_good_session_ids(session: str) -> None:
    check_session_id(session)


@pytest.mark.parametrize("session", ["", "a.b", "a:b", "acme:u1:s1:x", "x" * 129, "-x", "ü"])
def test_bad_session_ids(session: str) -> None:
    with pytest.raises(HttpError) as refused:
        check_session_id(session)
    assert refused.value.status == 400


def test_errors_map_to_statuses_and_unknown_ones_to_none() -> None:
    over = run_error(OverLimit("concurrency", 1))
    assert over is not None and (over.status, over.headers) == (429, {"Retry-After": "1"})
    down = run_error(LimiterUnavailable("ConnectionError"))
    assert down is not None and down.status == 503 and "ConnectionError" not in str(down.body("r"))
    denied = run_error(PolicyDenied("forbid policy7 in tenants/acme/policies/x.cedar"))
    assert denied is not None and denied.status == 403 and "policy7" not in str(denied.body("r"))
    memory = run_error(MemoryAccessDenied("namespace ('tenant', 'other')"))
    assert memory is not None and memory.status == 403
    assert run_error(RunError(RunFailure("step", "RuntimeError", "boom"))) is None
    assert run_error(ValueError("internal")) is None


def test_the_envelope() -> None:
    assert invocation({"workflow": "w", "input": {"a": 1}}, None) == ("w", {"a": 1})
    assert invocation({"workflow": "w"}, None) == ("w", {})
    assert invocation({"a": 1}, "w") == ("w", {"a": 1})
    assert invocation([1], "w") == ("w", [1])
    with pytest.raises(HttpError) as wrong:
        invocation({"workflow": "x", "input": {}}, "w")
    assert wrong.value.status == 404


def test_a_step_that_failed_on_the_requests_own_input_is_a_400_with_its_code_and_others_stay_500() -> None:
    from engine.errors import RunError, RunFailure
    from engine.runtime.contract import run_error

    refused = RunFailure("save", "MemoryValueRefused", "the value ... holds a NUL character (U+0000)",
                         {"attempts": 1, "client_input": "memory-value"})
    mapped = run_error(RunError(refused))
    assert mapped is not None and (mapped.status, mapped.code) == (400, "memory-value")
    # The same failure where the NUL came from a step's output, not the request: not the caller's error.
    assert run_error(RunError(RunFailure("save", "MemoryValueRefused", "...", {"attempts": 1}))) is None
