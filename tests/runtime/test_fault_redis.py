"""Redis, the shared limiter, stopped and started again under load: 503 while it is down, never a request run
unmetered, and service again once it is back, without restarting the runtime.

A redis-server of the test's own (tests/runtime/faults.py), killed while
clients keep sending; the shared Redis of the machine is never touched.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from engine.runtime.config import RuntimeConfig
from tests.runtime.faults import own_redis
from tests.runtime.support import SESSION, Tokens, dev_secret, running, write_project


def test_redis_down_means_503_and_back_means_served_without_a_restart(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    body = json.dumps({"workflow": "hello", "input": {"text": "hi"}})
    with dev_secret(), own_redis(tmp_path) as redis:
        headers = {"Authorization": f"Bearer {Tokens(root)('alpha')}", SESSION: "s-1"}
        config = RuntimeConfig(root=root, watch_interval_s=0, access_log=False, redis_url=redis.url,
                               redis_prefix="faults")
        with running(config) as base:
            phases: dict[str, Counter[int]] = {"up": Counter(), "down": Counter(), "back": Counter()}
            phase = ["up"]
            stop = threading.Event()

            def load() -> None:
                with httpx.Client(timeout=30) as client:
                    while not stop.is_set():
                        current = phase[0]
                        status = client.post(f"{base}/invocations", content=body, headers=headers).status_code
                        if current == phase[0]:  # answered within one phase
                            phases[current][status] += 1

            clients = [threading.Thread(target=load) for _ in range(3)]
            for client in clients:
                client.start()
            time.sleep(1.0)
            phase[0] = "transition"
            phases["transition"] = Counter()
            redis.stop()
            time.sleep(0.3)
            phase[0] = "down"
            time.sleep(1.5)
            phase[0] = "transition"
            redis.start()
            time.sleep(1.5)  # the client's next connection attempt
            phase[0] = "back"
            time.sleep(1.5)
            stop.set()
            for client in clients:
                client.join(timeout=30)
    assert set(phases["up"]) == {200} and phases["up"][200] > 0
    assert set(phases["down"]) == {503} and phases["down"][503] > 0  # refused, never run unmetered
    assert set(phases["back"]) == {200} and phases["back"][200] > 0
