"""``/ws`` continues a caller's trace: the handshake's ``traceparent`` parents every message's run.

A real uvicorn server in this process (so the SDK's in-memory exporter sees its spans), driven with the
``websockets`` client; two tenants on concurrent connections, one with a trace context and one without.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from engine.runtime.config import RuntimeConfig
from tests.runtime.support import SESSION, Tokens, dev_secret, running, write_project
from tests.telemetry.support import Captured, captured

__all__ = ["captured"]

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
HELLO = json.dumps({"workflow": "hello", "input": {"text": "hi"}})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("ws-trace") / "proj")


def _talk(url: str, token: str, session: str, headers: dict[str, str], messages: int) -> None:
    sent = {"Authorization": f"Bearer {token}", SESSION: session, **headers}
    with connect(url.replace("http://", "ws://") + "/ws", additional_headers=sent, proxy=None,
                 open_timeout=10, close_timeout=2) as ws:
        for _ in range(messages):
            ws.send(HELLO)
            while (answer := json.loads(ws.recv(timeout=10)))["type"] == "step":
                pass
            assert answer["type"] == "result", answer


def _runs(found: Captured, tenant: str) -> list[Any]:
    return [s for s in found.spans("invoke_agent hello") if (s.attributes or {}).get("tenant.id") == tenant]


def test_each_message_on_a_connection_with_a_traceparent_continues_the_callers_trace(
        project: Path, captured: Captured) -> None:
    tokens = Tokens(project)
    with running(RuntimeConfig(root=project, watch_interval_s=0)) as url:
        _talk(url, tokens("alpha"), "ws-traced", {"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01",
                                                   "baggage": "plan=gold"}, messages=2)
        _talk(url, tokens("beta"), "ws-plain", {}, messages=1)
        # A malformed traceparent is ignored (W3C): a trace of its own, as with none.
        _talk(url, tokens("beta"), "ws-bad", {"traceparent": f"00-{CLIENT_TRACE}-nothex-01"}, messages=1)

    alpha, beta = _runs(captured, "alpha"), _runs(captured, "beta")
    assert (len(alpha), len(beta)) == (2, 2)
    for run in alpha:  # both messages' runs: under the caller's span, in the caller's trace
        assert run.context.trace_id == int(CLIENT_TRACE, 16) and run.parent is not None
        assert run.parent.span_id == int(CLIENT_SPAN, 16) and run.parent.is_remote
    for run in beta:  # the other tenant's connections never join alpha's trace
        assert run.context.trace_id != int(CLIENT_TRACE, 16) and run.parent is None
    assert len({run.context.trace_id for run in beta}) == 2
    # The run's own spans (steps, the model call) follow it into the caller's trace; none of them carry baggage.
    traced = [s for s in captured.spans() if s.context.trace_id == int(CLIENT_TRACE, 16)]
    assert {"step answer", "chat small-v1"} <= {s.name for s in traced}
    assert {(s.attributes or {}).get("tenant.id") for s in traced} == {"alpha"}
    assert not any("plan" in json.dumps(dict(s.attributes or {})) for s in traced)
