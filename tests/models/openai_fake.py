"""A local OpenAI-compatible chat completions server over real HTTP, for the ``langchain`` provider's tests.

It asks for the first tool it is offered (once per conversation), then answers the JSON ``{"reply": ...}``
naming the last user message; streamed (server-sent events, usage last) when the request says ``stream``.
Every request body is kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def answer_for(body: dict[str, Any]) -> dict[str, Any]:
    """The assistant message the server gives for a request: a tool call, or the JSON reply."""
    messages = body["messages"]
    if body.get("tools") and not any(m["role"] == "tool" for m in messages):
        name = body["tools"][0]["function"]["name"]
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": json.dumps({"key": "k1"})}}]}
    asked = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    tool = next((m["content"] for m in messages if m["role"] == "tool"), "")
    text = json.dumps({"reply": f"Local model here. You asked: {asked}. Tool said: {tool}"})
    return {"role": "assistant", "content": text}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        message = answer_for(body)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        if not body.get("stream"):
            payload = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                       "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": USAGE}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for delta in _deltas(message):
            self._event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}, body)
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}, body)
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({"choices": [], "usage": USAGE}, body)
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, chunk: dict[str, Any], body: dict[str, Any]) -> None:
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body["model"], **chunk}
        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.flush()


def _deltas(message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The message in pieces: text a few words at a time, a tool call's arguments in two halves."""
    yield {"role": "assistant", "content": ""}
    for call in message.get("tool_calls") or []:
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        yield {"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                               "function": {"name": call["function"]["name"], "arguments": arguments[:half]}}]}
        yield {"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}
    words = (message.get("content") or "").split(" ")
    for i in range(0, len(words), 3):
        yield {"content": " ".join(words[i:i + 3]) + (" " if i + 3 < len(words) else "")}


class _Server(ThreadingHTTPServer):
    requests: list[dict[str, Any]]


@contextmanager
def openai_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve on a free port of 127.0.0.1; yields the base URL (``.../v1``) and the requests seen."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.requests
    finally:
        server.shutdown()
        server.server_close()
