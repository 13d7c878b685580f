"""Approvals over real HTTP and /ws: a run waits, a 403 for an unauthorized answer, 409 when nothing waits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from engine.runtime.config import RuntimeConfig
from tests.kinds.test_ask import REFUND
from tests.runtime.support import SESSION, Tokens, dev_secret, running, sse_events, write_project

BIG = {"amount": 250, "customer_id": "cus_1"}
SESSION_ID = "approval-session-0123456789abcdef-0001"


def _project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "proj")
    (root / "workflows" / "refund.yaml").write_text(REFUND.replace("DURABILITY", "sync"), encoding="utf-8")
    return root


def test_an_approval_over_http_and_ws(tmp_path: Path) -> None:
    root = _project(tmp_path)
    tokens = Tokens(root)

    def post(http: httpx.Client, tenant: str, user: str, body: Any, scopes: tuple[str, ...] = (),
             stream: bool = False) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens(tenant, user, scopes=scopes)}", SESSION: SESSION_ID,
                   "Content-Type": "application/json"}
        if stream:
            headers["Accept"] = "text/event-stream"
        return http.post("/invocations", content=json.dumps(body), headers=headers)

    with dev_secret(), running(RuntimeConfig(root=root, watch_interval_s=0)) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        paused = post(http, "alpha", "u1", {"workflow": "refund", "input": BIG})
        assert paused.status_code == 200, paused.text
        body = paused.json()
        assert body["status"] == "waiting" and body["output"] == {} and body["session_id"] == SESSION_ID
        assert body["pending"]["question"] == "Refund 250 to cus_1?"
        assert body["pending"]["answer_schema"]["properties"]["approved"] == {"type": "boolean"}
        answer = {"workflow": "refund", "resume": {"user": "u1", "answer": {"approved": True}}}
        # A user of alpha without the scope: 403. beta's approver: its tenant's own session has nothing: 409.
        assert post(http, "alpha", "u3", answer).status_code == 403
        other = post(http, "beta", "boss", answer, ("refunds:approve",))
        assert other.status_code == 409 and other.json()["code"] == "nothing-to-resume"
        bad = post(http, "alpha", "boss", {"workflow": "refund", "resume": {"user": "u1", "answer": {}}},
                   ("refunds:approve",))
        assert bad.status_code == 400
        assert post(http, "alpha", "boss", {"workflow": "refund", "input": BIG, "resume": {}},
                    ("refunds:approve",)).status_code == 400
        # The authorized answer, as server-sent events: the result is the last event.
        events = sse_events(post(http, "alpha", "boss", answer, ("refunds:approve",), stream=True))
        assert events[-1]["type"] == "result" and events[-1]["output"] == {"status": "refunded"}
        assert post(http, "alpha", "boss", answer, ("refunds:approve",)).status_code == 409

        # The same through /ws: the pause, then the answer on another connection of the approver.
        def ws_send(tenant: str, user: str, body: Any, scopes: tuple[str, ...] = ()) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {tokens(tenant, user, scopes=scopes)}", SESSION: SESSION_ID}
            with connect(url.replace("http://", "ws://") + "/ws", additional_headers=headers, proxy=None,
                         open_timeout=10) as ws:
                ws.send(json.dumps(body))
                while (message := json.loads(ws.recv(timeout=10)))["type"] == "step":
                    pass
                return dict(message)

        waiting = ws_send("beta", "u1", {"workflow": "refund", "input": BIG})
        assert waiting["type"] == "result" and waiting["status"] == "waiting"
        refused = ws_send("beta", "u3", answer)
        assert refused["type"] == "error" and refused["status"] == 403
        done = ws_send("beta", "boss", {"workflow": "refund", "resume": {"user": "u1", "answer": {"approved": False}}},
                       ("refunds:approve",))
        assert done["type"] == "result" and done["output"] == {"status": "denied"}
