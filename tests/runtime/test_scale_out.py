"""`tenantflow serve --workers 2` on PostgreSQL and Redis: a session continues whichever worker takes a request.

Real processes over real HTTP: two uvicorn workers sharing one socket, their
checkpoints and memory in PostgreSQL (schemas of this test's own, dropped at
the end), their limits in Redis (keys of this test's own). A keep-alive
connection stays with the worker that accepted it; the test holds two, one
on each worker, and sends the turns of one session through them in turn. A
skill in the workflow reports which process ran each request.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.memory.postgres_support import DSN, PASSWORD, Schemas, pg_schemas
from tests.runtime.support import (
    DEV_SECRET,
    DEV_SECRET_ENV,
    REDIS_URL,
    SESSION,
    Tokens,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    use_stores,
    wait_until_serving,
    write_project,
)

__all__ = ["pg_schemas"]


WHO_PY = '''\
import os
import time

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("worker_pid")
async def worker_pid(*, ctx: SkillContext) -> dict:
    return {"pid": os.getpid()}


@skill("hold")
async def hold(*, seconds: float, ctx: SkillContext) -> dict:
    time.sleep(seconds)  # blocks this worker's event loop on purpose: only the other one can accept connections
    return {"pid": os.getpid()}
'''

TURN_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: turn}
input:
  text: {type: string}
memory: {read: [session], write: [session]}
steps:
  - id: before
    recall: {level: session, key: last}
  - id: where
    skill: worker_pid
  - id: save
    remember: {level: session, key: last, value: "{{ input.text }}"}
  - return:
      previous: "{{ steps.before['items'][0]['value'] if steps.before['items'] else 'none' }}"
      pid: "{{ steps.where.pid }}"
"""

HOLD_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hold}
input:
  seconds: {type: number, maximum: 2}
steps:
  - id: wait
    skill: hold
    with: {seconds: "{{ input.seconds }}"}
  - return: {pid: "{{ steps.wait.pid }}"}
"""

TURNS = 6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_workers_on_postgres_continue_a_session_across_workers(tmp_path: Path, pg_schemas: Schemas) -> None:
    asyncio.run(redis_or_skip())
    project = write_project(tmp_path / "proj")
    use_stores(project, pg_schemas.stores_yaml(max_size=3))
    (project / "skills" / "who.py").write_text(WHO_PY)
    (project / "workflows" / "turn.yaml").write_text(TURN_YAML)
    (project / "workflows" / "hold.yaml").write_text(HOLD_YAML)
    with dev_secret():
        token = Tokens(project)("alpha")
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    port = _free_port()
    env = {**os.environ, DEV_SECRET_ENV: DEV_SECRET, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--workers", "2", "--redis", REDIS_URL,
         "--redis-prefix", prefix, "--watch-interval", "0", "--drain-timeout", "5", "--project", str(project)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    bearer = {"Authorization": f"Bearer {token}"}
    answers: list[dict[str, Any]] = []
    held: list[httpx.Response] = []
    failed: list[str] = []
    first, second = httpx.Client(base_url=base, timeout=10), httpx.Client(base_url=base, timeout=10)
    try:
        wait_until_serving(process, base, timeout_s=30)
        # One keep-alive connection on each worker: while the worker of the first connection is held (its event
        # loop blocked), only the other worker can accept the second connection.
        holder = threading.Thread(target=lambda: held.append(first.post(
            "/invocations", json={"workflow": "hold", "input": {"seconds": 1.0}}, headers={**bearer, SESSION: "hold"})))
        holder.start()
        time.sleep(0.4)
        for i in range(TURNS):
            response = (second if i % 2 == 0 else first).post(
                "/invocations", json={"workflow": "turn", "input": {"text": f"turn {i}"}},
                headers={**bearer, SESSION: "shared-session"})
            if response.status_code != 200:
                failed.append(response.text)
                break
            answers.append(response.json()["output"])
            if i == 0:
                holder.join()
    finally:
        first.close()
        second.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            stdout, stderr = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        asyncio.run(delete_redis_keys(prefix))
    problems = [line for line in stderr.splitlines() if "request_failed" in line]
    assert not failed and not problems, (failed, problems)
    assert held and held[0].status_code == 200, held
    # Turn 0 ran on the second connection's worker, turn 1 on the held one, and so on: every turn ran on the
    # other worker than the turn before it, and saw that turn's memory.
    held_pid = held[0].json()["output"]["pid"]
    assert [a["pid"] == held_pid for a in answers] == [i % 2 == 1 for i in range(TURNS)], (held_pid, answers)
    assert [a["previous"] for a in answers] == ["none"] + [f"turn {i}" for i in range(TURNS - 1)]
    assert len({a["pid"] for a in answers} | {str(process.pid)}) == 3  # two workers, neither the supervisor
    # The session's thread in PostgreSQL: a checkpoint per turn at least, whichever worker wrote it.
    rows = pg_schemas.rows(pg_schemas.shared)
    assert len({r[2] for r in rows["checkpoints"] if r[0] == "alpha:u1:shared-session"}) >= TURNS
    started = [json.loads(line) for line in stderr.splitlines() if '"runtime.started"' in line]
    assert len(started) == 2
    stored = pg_schemas.dump()
    for secret in (token, token.rsplit(".", 1)[1], DEV_SECRET, PASSWORD, DSN):
        assert secret not in stderr and secret not in stdout
        assert secret.encode() not in stored


def test_serve_on_postgres_refuses_to_start_without_the_connection_string(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    project = write_project(tmp_path / "proj")
    use_stores(project, "stores: {checkpointer: postgres, store: postgres, postgres: {dsn_env: TF_UNSET_DATABASE_URL}}\n")
    monkeypatch.delenv("TF_UNSET_DATABASE_URL", raising=False)
    with dev_secret():
        result = CliRunner().invoke(main, ["serve", "--workers", "2", "--redis", "redis://127.0.0.1:1/0",
                                           "--project", str(project)])
    assert result.exit_code == 1
    assert result.output.startswith("error: stores: postgres needs a connection string in the environment variable "
                                    "TF_UNSET_DATABASE_URL, which is not set")
    assert "--workers > 1" not in result.output and "Traceback" not in result.output
