"""PostgreSQL restarted under load: runs in flight fail cleanly, none is lost silently, and the pool reconnects.

A PostgreSQL cluster of the test's own (tests/runtime/faults.py: initdb and
pg_ctl into a temporary folder, a free port), stopped with ``pg_ctl -m fast``
(every connection terminated) while clients keep sending, then started
again; the runtime is never restarted. The machine's shared PostgreSQL is
never touched. Whether a run kept its memory is read back through the
runtime (the next turn of its session), not from the tables, which may hold
it sealed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from engine.runtime.config import RuntimeConfig
from tests.runtime.faults import own_postgres
from tests.runtime.support import SESSION, Tokens, dev_secret, running, use_stores, write_project

DSN_ENV = "TF_FAULT_DATABASE_URL"


def test_postgres_restarted_under_load_fails_runs_cleanly_and_the_pool_reconnects(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_project(tmp_path / "proj")
    use_stores(root, f"stores: {{checkpointer: postgres, store: postgres, postgres: {{dsn_env: {DSN_ENV}, "
                     "schema: faults, pool: {min_size: 1, max_size: 4}}}\n")
    answers: dict[str, list[tuple[str, str, int]]] = {"up": [], "restart": [], "back": []}
    with own_postgres() as pg, dev_secret():
        monkeypatch.setenv(DSN_ENV, pg.dsn)
        token = Tokens(root)("alpha")
        with running(RuntimeConfig(root=root, watch_interval_s=0, access_log=False)) as base:
            phase = ["up"]
            stop = threading.Event()
            count = iter(range(1_000_000))

            def load() -> None:
                with httpx.Client(timeout=30) as client:
                    while not stop.is_set():
                        n, current = next(count), phase[0]
                        text = f"msg-{n}"
                        status = client.post(f"{base}/invocations", headers={
                            "Authorization": f"Bearer {token}", SESSION: f"s{n}"},
                            content=json.dumps({"workflow": "chat", "input": {"text": text}})).status_code
                        # A request that began before the restart and ended after it counts as the restart's.
                        answers[current if phase[0] == current else "restart"].append((f"s{n}", text, status))

            clients = [threading.Thread(target=load) for _ in range(3)]
            for client in clients:
                client.start()
            time.sleep(1.5)
            phase[0] = "restart"
            pg.stop("fast")
            time.sleep(1.0)
            pg.start()
            time.sleep(2.0)  # the pool notices its connections died and opens new ones
            phase[0] = "back"
            time.sleep(2.0)
            stop.set()
            for client in clients:
                client.join(timeout=60)
            assert not any(c.is_alive() for c in clients), "a request hung"
            # Every run answered 200 kept its memory: the next turn of its session reads it back.
            missing = []
            with httpx.Client(timeout=30) as client:
                for found in answers.values():
                    for session, text, status in found:
                        if status != 200:
                            continue
                        again = client.post(f"{base}/invocations", headers={
                            "Authorization": f"Bearer {token}", SESSION: session},
                            content=json.dumps({"workflow": "chat", "input": {"text": "again"}}))
                        if again.status_code != 200 or again.json()["output"]["previous"] != text:
                            missing.append((session, text, again.status_code))
    statuses = {phase: Counter(s for _, _, s in found) for phase, found in answers.items()}
    assert set(statuses["up"]) == {200}, statuses
    assert set(statuses["restart"]) <= {200, 500, 503}, statuses  # failed cleanly, with a status
    assert set(statuses["back"]) == {200} and statuses["back"][200] > 0, statuses
    assert not missing, f"answered 200 but not kept: {missing}"
