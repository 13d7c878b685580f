"""`tenantflow serve` killed with SIGKILL mid-run; a new server resumes the run: the completed tool call ran
once (counted by the tool), the remember write exists once, the answer is an uninterrupted run's. On SQLite, and
on PostgreSQL with the new server running two workers (sharing only the database, and Redis for the limits)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import tenant_yaml
from tests.memory.postgres_support import Schemas, pg_schemas
from tests.runtime.support import (
    DEV_SECRET,
    DEV_SECRET_ENV,
    REDIS_URL,
    SESSION,
    Tokens,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    wait_until_serving,
    write_project,
)
from tests.runtime.test_process import free_port

__all__ = ["pg_schemas"]

TOOLS_PY = '''\
import os
import time
from pathlib import Path

from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


def _log(what: str) -> int:
    path = Path(os.environ["TF_EFFECTS_DIR"]) / "calls.log"
    with path.open("a") as out:
        out.write(what + "\\n")
    return path.read_text().splitlines().count(what)


@tool("effects.count")
def count(*, text: str, ctx: SkillContext) -> dict:
    return {"text": text, "n": _log("count")}


@tool("effects.nap")
def nap(*, text: str, ctx: SkillContext) -> dict:
    started = Path(os.environ["TF_EFFECTS_DIR"]) / "nap.started"
    if not started.exists():
        started.write_text("1")
        time.sleep(30)  # the server is killed while this sleeps
    _log("nap")
    return {"text": text.upper()}
'''

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: effects}
input:
  text: {type: string}
output:
  reply: {type: string}
memory: {read: [user], write: [user]}
durability: sync
steps:
  - id: first
    tool: effects.count
    with: {text: "{{ input.text }}"}
  - id: save
    remember: {level: user, key: "note-{{ steps.first.n }}", value: "{{ steps.first.text }}"}
  - id: second
    tool: effects.nap
    with: {text: "{{ steps.first.text }}"}
  - return: {reply: "{{ steps.second.text }}"}
"""


def _serve(project: Path, port: int, effects: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, DEV_SECRET_ENV: DEV_SECRET, "PYTHONUNBUFFERED": "1", "TF_EFFECTS_DIR": str(effects)}
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--watch-interval",
                             "0", *extra, "--project", str(project)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.mark.parametrize("stores", ["sqlite", "postgres"])
def test_a_server_killed_mid_run_is_resumed_by_a_new_one(tmp_path: Path, stores: str,
                                                         request: pytest.FixtureRequest) -> None:
    effects = tmp_path / "effects"
    effects.mkdir()
    project = write_project(tmp_path / "proj", {"alpha": tenant_yaml(
        "alpha", "basic", "entitlements: {tools: [\"effects.*\"]}\nquotas: {requests_per_minute: 6000}\n")})
    (project / "skills" / "effects.py").write_text(TOOLS_PY, encoding="utf-8")
    (project / "workflows" / "effects.yaml").write_text(WORKFLOW, encoding="utf-8")
    second: tuple[str, ...] = ()
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    if stores == "postgres":
        schemas: Schemas = request.getfixturevalue("pg_schemas")
        asyncio.run(redis_or_skip())
        config = project / "tenantflow.yaml"
        config.write_text(config.read_text().replace("stores: {checkpointer: sqlite, store: sqlite}\n",
                                                     schemas.stores_yaml()))
        second = ("--workers", "2", "--redis", REDIS_URL, "--redis-prefix", prefix)
    with dev_secret():
        token = Tokens(project)("alpha")
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def post(session: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{base}/invocations", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}", SESSION: session})

    server = _serve(project, port, effects)
    try:
        wait_until_serving(server, base)
        threading.Thread(target=lambda: _quietly(post, "s-killed", {"workflow": "effects", "input": {"text": "hi"}}),
                         daemon=True).start()
        deadline = time.monotonic() + 30
        while not (effects / "nap.started").exists():
            assert time.monotonic() < deadline, "the run never reached its sleeping tool"
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        assert server.wait(timeout=10) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert (effects / "calls.log").read_text().splitlines() == ["count"]

    server = _serve(project, port, effects, *second)
    try:
        wait_until_serving(server, base, timeout_s=30)
        resumed = post("s-killed", {"workflow": "effects", "resume": {}})
        assert resumed.status_code == 200, resumed.text
        # The count tool ran once before the kill and not again; the sleeping tool, in flight, ran again.
        assert (effects / "calls.log").read_text().splitlines() == ["count", "nap"]
        straight = post("s-straight", {"workflow": "effects", "input": {"text": "hi"}}).json()
        assert resumed.json()["output"] == straight["output"] == {"reply": "HI"}
        assert post("s-killed", {"workflow": "effects", "resume": {}}).status_code == 409
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if stores == "postgres":
            asyncio.run(delete_redis_keys(prefix))
    # The remember write of the killed run exists once: one note for the user, from count call 1.
    if stores == "postgres":
        rows = schemas.rows(schemas.shared)["store"]
        keys = [str(row[1]) for row in rows if str(row[0]).startswith("tenant.alpha.user.")]
    else:
        import sqlite3

        with sqlite3.connect(project / ".tenantflow" / "memory.sqlite") as db:
            keys = [row[0] for row in db.execute("SELECT key FROM store WHERE prefix LIKE 'tenant.alpha.user.%'")]
    assert sorted(keys) == ["note-1", "note-2"]


def _quietly(post: Any, session: str, body: dict[str, Any]) -> None:
    try:
        post(session, body)
    except httpx.HTTPError:
        pass  # the server dies under this request
