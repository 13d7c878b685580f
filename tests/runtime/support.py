"""A project for the runtime's tests, development tokens, and a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from engine.identity.dev import mint_dev_token
from engine.project import load_project
from engine.runtime.app import create_app
from engine.runtime.config import RuntimeConfig
from tests.conftest import FIXTURES_YAML, PROJECT_YAML, REPO, SKILLS_PY, WORKFLOW_YAML, services_required, tenant_yaml

DEV_SECRET_ENV = "TF_RUNTIME_TEST_SECRET"
DEV_SECRET = "runtime-test-secret-0123456789abcdef0123"
AUDIENCE = "agents"
SESSION = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
CUSTOM = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-"

IDENTITY_YAML = f"""\
identity:
  issuers:
    - issuer: tenantflow-dev
      audience: [{AUDIENCE}]
      secret_env: {DEV_SECRET_ENV}
      development: true
      algorithms: [HS256]
      claims: {{tenant: "custom:tenant_id", tier: "custom:tier"}}
"""

PROBES_PY = '''\
import asyncio

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("nap")
async def nap(*, seconds: float, ctx: SkillContext) -> dict:
    await asyncio.sleep(seconds)
    return {"slept": seconds}


@skill("boom")
async def boom(*, text: str, ctx: SkillContext) -> dict:
    raise RuntimeError("internal detail: db at 10.9.8.7, password hunter2")
'''

CHAT_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: chat}
input:
  text: {type: string}
output:
  previous: {type: string}
memory: {read: [session], write: [session]}
steps:
  - id: before
    recall: {level: session, key: last}
  - id: save
    remember: {level: session, key: last, value: "{{ input.text }}"}
  - return: {previous: "{{ steps.before['items'][0]['value'] if steps.before['items'] else 'none' }}"}
"""

SLOW_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: slow}
input:
  seconds: {type: number, maximum: 5}
steps:
  - id: wait
    skill: nap
    with: {seconds: "{{ input.seconds }}"}
  - return: {slept: "{{ steps.wait.slept }}"}
"""

BOOM_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: boom}
input:
  text: {type: string}
steps:
  - id: explode
    skill: boom
    with: {text: "{{ input.text }}"}
  - return: {never: "reached"}
"""

TENANTS = {
    # Pool tenants, two tiers; alpha's limits are generous so that tests do not trip over them.
    "alpha": tenant_yaml("alpha", "basic", "quotas: {requests_per_minute: 6000, concurrency: 20}\n"),
    "beta": tenant_yaml("beta", "premium", "quotas: {requests_per_minute: 6000, concurrency: 20}\n"),
    # Runs only hello: calling another workflow is "not entitled".
    "narrow": tenant_yaml("narrow", "basic", "workflows: [hello]\nquotas: {requests_per_minute: 6000}\n"),
    # Its own runtime: the pool refuses it.
    "sigma": tenant_yaml("sigma", "premium", "isolation: {runtime: silo, memory: silo}\n"
                                             "quotas: {requests_per_minute: 6000}\n"),
    # Tight limits, one per kind.
    "trickle": tenant_yaml("trickle", "basic", "quotas: {requests_per_minute: 6, burst: 1}\n"),
    "thrifty": tenant_yaml("thrifty", "basic", "quotas: {requests_per_minute: 6000, tokens_per_day: 1}\n"),
    "single": tenant_yaml("single", "basic", "quotas: {requests_per_minute: 6000, concurrency: 1}\n"),
}


def write_project(root: Path, tenants: dict[str, str] | None = None) -> Path:
    files = {
        "tenantflow.yaml": PROJECT_YAML.replace("stores: {checkpointer: memory, store: memory}\n",
                                                "stores: {checkpointer: sqlite, store: sqlite}\n") + IDENTITY_YAML,
        "fixtures/scripted.yaml": FIXTURES_YAML,
        "skills/shared.py": SKILLS_PY,
        "skills/probes.py": PROBES_PY,
        "workflows/hello.yaml": WORKFLOW_YAML,
        "workflows/chat.yaml": CHAT_YAML,
        "workflows/slow.yaml": SLOW_YAML,
        "workflows/boom.yaml": BOOM_YAML,
    }
    for tenant, text in (tenants if tenants is not None else TENANTS).items():
        files[f"tenants/{tenant}/tenant.yaml"] = text
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "skills" / "bridge", root / "skills" / "bridge", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def use_stores(root: Path, stores: str) -> None:
    """Give the project written by :func:`write_project` another ``stores:`` line (e.g. PostgreSQL)."""
    path = root / "tenantflow.yaml"
    text = path.read_text()
    assert "stores: {checkpointer: sqlite, store: sqlite}\n" in text
    path.write_text(text.replace("stores: {checkpointer: sqlite, store: sqlite}\n", stores))


@contextmanager
def dev_secret() -> Iterator[None]:
    previous = os.environ.get(DEV_SECRET_ENV)
    os.environ[DEV_SECRET_ENV] = DEV_SECRET
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(DEV_SECRET_ENV, None)
        else:
            os.environ[DEV_SECRET_ENV] = previous


def token(root: Path, tenant: str, user: str = "u1", **kwargs: Any) -> str:
    return mint_dev_token(load_project(root).spec.identity, tenant=tenant, user=user, **kwargs)


class Tokens:
    """Development tokens for one project, minted without reloading it each time."""

    def __init__(self, root: Path):
        self.spec = load_project(root).spec.identity

    def __call__(self, tenant: str, user: str = "u1", **kwargs: Any) -> str:
        return mint_dev_token(self.spec, tenant=tenant, user=user, **kwargs)


@contextmanager
def running(config: RuntimeConfig) -> Iterator[str]:
    """``create_app(config)`` under uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    with serving(config) as (url, _):
        yield url


@contextmanager
def serving(config: RuntimeConfig) -> Iterator[tuple[str, Starlette]]:
    """As :func:`running`, and the app too (its ``state.service`` once started)."""
    import uvicorn

    from engine.runtime.server import uvicorn_options

    options = uvicorn_options(config, "127.0.0.1", 0)
    options["log_level"] = "error"
    # The server shares pytest's process: freezing the GC here would freeze the whole test session's objects.
    app = create_app(config.with_changes(freeze_gc=False))
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the runtime did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class LogCapture(logging.Handler):
    """Every JSON line the runtime logs, formatted as it would be written."""

    def __init__(self) -> None:
        from engine.telemetry.logs import JsonFormatter

        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self, event: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self.lines]
        return [r for r in found if event is None or r["event"] == event]


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    handler = LogCapture()
    log = logging.getLogger("tenantflow")
    runtime_log = logging.getLogger("tenantflow.runtime")
    level, runtime_level = log.level, runtime_log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    runtime_log.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        runtime_log.setLevel(runtime_level)


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    """Parse an SSE body strictly: every event is exactly ``data: <json>`` and a blank line."""
    text = response.text
    assert text.endswith("\n\n"), text[-200:]
    events = []
    for block in text[:-2].split("\n\n"):
        assert block.startswith("data: ") and "\n" not in block, block
        events.append(json.loads(block[len("data: "):]))
    return events


def wait_until_serving(process: subprocess.Popen[str], base: str, timeout_s: float = 60, path: str = "/ping") -> None:
    """Until the server ``process`` (``tenantflow serve``; ``langgraph dev`` answers ``/ok``) answers ``GET path``
    at ``base``; fail if it exits or is late."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited at start:\n{process.communicate()[1]}")
        try:
            if httpx.get(f"{base}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)


# -- Redis (tests that need it skip without it, unless TENANTFLOW_REQUIRE_SERVICES=1) -------------------

REDIS_URL = "redis://127.0.0.1:6379/0"


async def redis_or_skip() -> None:
    """Skip the test (fail it in CI) unless the Redis at REDIS_URL answers."""
    from engine.usage.meter import LimiterUnavailable
    from engine.usage.redis import RedisMeter

    probe = RedisMeter.from_url(REDIS_URL)
    try:
        await probe.ping()
    except LimiterUnavailable as exc:
        if services_required():
            pytest.fail(f"TENANTFLOW_REQUIRE_SERVICES=1 and Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({exc}); set TENANTFLOW_REQUIRE_SERVICES=1 to fail instead")
    finally:
        await probe.close()


async def delete_redis_keys(prefix: str) -> None:
    """Remove every key a test wrote under ``prefix``."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
