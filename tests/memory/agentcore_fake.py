"""A local AgentCore Memory (bedrock-agentcore data plane) for tests: real HTTP on 127.0.0.1, rest-json.

It serves the five operations the ``agentcore`` checkpointer uses (CreateEvent,
ListEvents, DeleteEvent, ListActors, ListSessions) at the URIs of botocore's
own service model, and refuses (ValidationException, as the service does) any
memory, actor, session or event id that breaks that model's patterns and
lengths, which botocore's client-side validation does not check. Pages are
short (PAGE items) so the callers' pagination is exercised. Every request is
recorded in ``calls``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.session

PAGE = 3


def _constraints() -> dict[str, tuple[re.Pattern[str], int, int]]:
    """Pattern, min and max length of each id, from the service model botocore ships."""
    model = botocore.session.get_session().get_service_model("bedrock-agentcore")
    members = model.operation_model("DeleteEvent").input_shape.members
    found = {}
    for name in ("memoryId", "actorId", "sessionId", "eventId"):
        meta = members[name].metadata
        found[name] = (re.compile(meta["pattern"]), meta.get("min", 0), meta.get("max", 10**6))
    return found


CONSTRAINTS = _constraints()

_ROUTES = [
    ("POST", re.compile(r"/memories/(?P<memoryId>[^/]+)/events"), "CreateEvent"),
    ("POST", re.compile(r"/memories/(?P<memoryId>[^/]+)/actors"), "ListActors"),
    ("POST", re.compile(r"/memories/(?P<memoryId>[^/]+)/actor/(?P<actorId>[^/]+)/sessions"), "ListSessions"),
    ("POST", re.compile(r"/memories/(?P<memoryId>[^/]+)/actor/(?P<actorId>[^/]+)/sessions/(?P<sessionId>[^/]+)"),
     "ListEvents"),
    ("DELETE", re.compile(r"/memories/(?P<memoryId>[^/]+)/actor/(?P<actorId>[^/]+)/sessions/(?P<sessionId>[^/]+)"
                          r"/events/(?P<eventId>[^/]+)"), "DeleteEvent"),
]


class _Refused(Exception):
    def __init__(self, status: int, kind: str, message: str):
        self.status, self.kind = status, kind
        super().__init__(message)


@dataclass
class FakeAgentCore:
    """The service's state: per memory resource, per (actor, session), the events in order."""

    memories: set[str]
    events: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for verb, pattern, operation in _ROUTES:
            match = pattern.fullmatch(path)
            if verb == method and match:
                ids = {k: unquote(v) for k, v in match.groupdict().items()}
                if operation == "CreateEvent":
                    ids.update(actorId=body.get("actorId", ""), sessionId=body.get("sessionId", ""))
                with self._lock:
                    self.calls.append((operation, ids))
                    for name, value in ids.items():
                        regex, low, high = CONSTRAINTS[name]
                        if not (low <= len(value) <= high and regex.fullmatch(value)):
                            raise _Refused(400, "ValidationException", f"{name} {value!r} is invalid")
                    if ids["memoryId"] not in self.memories:
                        raise _Refused(404, "ResourceNotFoundException", f"memory {ids['memoryId']} not found")
                    return getattr(self, "_" + operation)(ids, body)
        raise _Refused(404, "UnknownOperationException", f"{method} {path}")

    def _CreateEvent(self, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not 0 <= len(body.get("payload", [])) <= 100 or "eventTimestamp" not in body:
            raise _Refused(400, "ValidationException", "payload or eventTimestamp")
        self._counter += 1
        event = {"memoryId": ids["memoryId"], "actorId": ids["actorId"], "sessionId": ids["sessionId"],
                 "eventId": f"{int(body['eventTimestamp'] * 1000)}#{self._counter:08x}",
                 "eventTimestamp": body["eventTimestamp"], "payload": body["payload"]}
        self.events.setdefault((ids["memoryId"], ids["actorId"], ids["sessionId"]), []).append(event)
        return 201, {"event": event}

    def _ListEvents(self, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        found = self.events.get((ids["memoryId"], ids["actorId"], ids["sessionId"]), [])
        page, token = _page(found, body)
        if not body.get("includePayloads", True):
            page = [{k: v for k, v in e.items() if k != "payload"} for e in page]
        return 200, {"events": page, **token}

    def _DeleteEvent(self, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        # The session itself stays listed (ListSessions), as an empty one: the engine must cope.
        found = self.events.get((ids["memoryId"], ids["actorId"], ids["sessionId"]), [])
        kept = [e for e in found if e["eventId"] != ids["eventId"]]
        if len(kept) == len(found):
            raise _Refused(404, "ResourceNotFoundException", f"event {ids['eventId']} not found")
        found[:] = kept
        return 200, {"eventId": ids["eventId"]}

    def _ListActors(self, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        actors = sorted({a for m, a, _ in self.events if m == ids["memoryId"]})
        page, token = _page([{"actorId": a} for a in actors], body)
        return 200, {"actorSummaries": page, **token}

    def _ListSessions(self, ids: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        sessions = sorted({s for m, a, s in self.events if (m, a) == (ids["memoryId"], ids["actorId"])})
        page, token = _page([{"sessionId": s, "actorId": ids["actorId"], "createdAt": 0} for s in sessions], body)
        return 200, {"sessionSummaries": page, **token}

    # -- what tests look at ----------------------------------------------------------------------
    def actors(self, memory_id: str) -> set[str]:
        return {a for m, a, _ in self.events if m == memory_id}

    def sessions(self, memory_id: str) -> set[tuple[str, str]]:
        return {(a, s) for (m, a, s), found in self.events.items() if m == memory_id and found}

    def values(self, actor: str | None = None) -> list[tuple[str, bytes]]:
        """Every value the saver serialized into the stored events (of one actor if given): (type tag, bytes)."""
        found: list[tuple[str, bytes]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if set(node) == {"type", "data"}:
                    found.append((node["type"], base64.b64decode(node["data"])))
                for child in node.values():
                    walk(child)
            elif isinstance(node, list):
                for child in node:
                    walk(child)

        for (_, owner, _), events in self.events.items():
            for event in events if actor in (None, owner) else ():
                for item in event["payload"]:
                    walk(json.loads(item["blob"]))
        return found


def _page(items: list[Any], body: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    start = int(body.get("nextToken") or 0)
    size = min(int(body.get("maxResults") or 100), PAGE)
    end = start + size
    return items[start:end], ({"nextToken": str(end)} if end < len(items) else {})


@contextmanager
def serve(*memories: str) -> Iterator[FakeAgentCore]:
    """A FakeAgentCore holding ``memories`` on a free port of 127.0.0.1 (its ``url``), stopped on exit."""
    fake = FakeAgentCore(set(memories))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                status, reply = fake.handle(self.command, urlsplit(self.path).path, json.loads(raw or b"{}"))
                headers = {}
            except _Refused as refused:
                status, reply = refused.status, {"message": str(refused)}
                headers = {"x-amzn-ErrorType": refused.kind}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_DELETE = do_GET = _answer

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
