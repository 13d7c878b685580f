"""`tenantflow serve` as a process: SIGHUP reloads, SIGTERM drains the runs in flight (HTTP and WebSocket, new
ones refused), then it exits cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.runtime.support import (
    DEV_SECRET,
    DEV_SECRET_ENV,
    SESSION,
    Tokens,
    dev_secret,
    wait_until_serving,
    write_project,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sighup_reloads_and_sigterm_drains_in_flight_runs(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj")
    with dev_secret():
        token = Tokens(project)("alpha")
    port = free_port()
    env = {**os.environ, DEV_SECRET_ENV: DEV_SECRET, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--watch-interval", "0",
         "--drain-timeout", "20", "--project", str(project)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}", SESSION: "s-1"}

    def hello() -> httpx.Response:
        return httpx.post(f"{base}/invocations", json={"workflow": "hello", "input": {"text": "hi"}},
                          headers=headers, timeout=30)

    try:
        wait_until_serving(process, base)
        assert hello().json()["output"] == {"reply": "[small-v1] answer"}

        workflow = project / "workflows" / "hello.yaml"
        workflow.write_text(workflow.read_text().replace('reply: "{{ steps.answer.text }}"', "reply: reloaded"))
        time.sleep(0.2)
        assert hello().json()["output"] == {"reply": "[small-v1] answer"}  # no watching: only SIGHUP reloads
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while hello().json()["output"] != {"reply": "reloaded"}:
            assert time.monotonic() < deadline, "SIGHUP did not reload"
            time.sleep(0.1)

        slow: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: slow.append(httpx.post(
            f"{base}/invocations", json={"workflow": "slow", "input": {"seconds": 1.5}}, headers=headers,
            timeout=30)))
        ws_answer: list[dict[str, object]] = []

        def over_websocket() -> None:
            with connect(f"ws://127.0.0.1:{port}/ws", additional_headers=headers, proxy=None) as ws:
                ws.send(json.dumps({"workflow": "slow", "input": {"seconds": 1.5}}))
                try:
                    while True:
                        ws_answer.append(json.loads(ws.recv(timeout=30)))
                except ConnectionClosed:
                    pass

        ws_thread = threading.Thread(target=over_websocket)
        thread.start()
        ws_thread.start()
        deadline = time.monotonic() + 10
        while len(slow) == 0 and httpx.get(f"{base}/ping", timeout=5).json()["status"] != "HealthyBusy":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # both runs under way
        process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        refused = hello()  # while the runs in flight finish, new ones are turned away to another replica
        assert (refused.status_code, refused.json()["code"], refused.headers["retry-after"]) == (503, "draining", "1")
        thread.join()
        ws_thread.join()
        assert slow[0].status_code == 200 and slow[0].json()["output"] == {"slept": 1.5}
        # The WebSocket's run finished too, and its answer was sent before the connection closed.
        assert ws_answer[-1]["type"] == "result" and ws_answer[-1]["output"] == {"slept": 1.5}
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully, as a supervisor expects.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    events = [line["event"] for line in lines]
    assert "runtime.started" in events
    [reloaded] = [line for line in lines if line["event"] == "runtime.reloaded"]
    assert reloaded["reason"] == "SIGHUP"
    [stopped] = [line for line in lines if line["event"] == "runtime.stopped"]
    assert stopped["drained"] is True and stopped["abandoned"] == 0
    assert token not in stderr and token not in stdout
