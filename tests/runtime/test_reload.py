"""Reload on change: a new engine over the same backends, swapped in while requests run on the old one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from engine.runtime.config import RuntimeConfig
from tests.conftest import tenant_yaml
from tests.runtime.support import SESSION, Tokens, captured_logs, dev_secret, serving, write_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("reload") / "proj")


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[tuple[str, Starlette]]:
    with serving(RuntimeConfig(root=project, watch_interval_s=0.1)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: tuple[str, Starlette]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=30) as http:
        yield http


def generation(server: tuple[str, Starlette]) -> int:
    return int(server[1].state.service.holder.generation)


def wait_for(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def call(client: httpx.Client, project: Path, workflow: str, data: dict[str, object], tenant: str = "alpha",
         session: str = "s-1") -> httpx.Response:
    return client.post("/invocations", content=json.dumps({"workflow": workflow, "input": data}),
                       headers={"Authorization": f"Bearer {Tokens(project)(tenant)}", SESSION: session})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_edited_workflow_is_served_after_the_reload_and_a_run_in_flight_finishes_on_the_old_one(
        server: tuple[str, Starlette], client: httpx.Client, project: Path) -> None:
    before = generation(server)
    slow: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: slow.append(call(client, project, "slow", {"seconds": 1.0})))
    thread.start()
    wait_for(lambda: server[1].state.service.health.in_flight > 0)
    edit(project / "workflows" / "slow.yaml", 'slept: "{{ steps.wait.slept }}"', 'slept: "reloaded"')
    wait_for(lambda: generation(server) > before)
    thread.join()
    assert slow[0].status_code == 200
    assert slow[0].json()["output"] == {"slept": 1.0}  # started before the reload: the old engine, to its end
    assert call(client, project, "slow", {"seconds": 0}).json()["output"] == {"slept": "reloaded"}


def test_a_new_tenant_file_is_served_after_the_reload(server: tuple[str, Starlette], client: httpx.Client,
                                                     project: Path) -> None:
    assert call(client, project, "hello", {"text": "hi"}, tenant="newco").status_code == 401
    before = generation(server)
    (project / "tenants" / "newco").mkdir()
    (project / "tenants" / "newco" / "tenant.yaml").write_text(tenant_yaml("newco", "standard"), encoding="utf-8")
    wait_for(lambda: generation(server) > before)
    response = call(client, project, "hello", {"text": "hi"}, tenant="newco")
    assert response.status_code == 200
    assert response.json()["output"] == {"reply": "[medium-v1] answer"}


def test_a_broken_file_keeps_the_running_engine_and_says_why_in_the_log(
        server: tuple[str, Starlette], client: httpx.Client, project: Path) -> None:
    hello = project / "workflows" / "hello.yaml"
    good = hello.read_text(encoding="utf-8")
    before = generation(server)
    with captured_logs() as logs:
        hello.write_text(good.replace("skill: echo", "skill: ech0"), encoding="utf-8")
        wait_for(lambda: bool(logs.records("runtime.reload_failed")))
    [failed] = logs.records("runtime.reload_failed")
    assert "workflows/hello.yaml" in failed["problems"] and "ech0" in failed["problems"]
    assert generation(server) == before
    assert call(client, project, "hello", {"text": "hi"}).status_code == 200  # still the last good engine
    hello.write_text(good, encoding="utf-8")
    wait_for(lambda: generation(server) > before)


def test_sessions_and_memory_survive_a_reload(server: tuple[str, Starlette], client: httpx.Client,
                                              project: Path) -> None:
    assert call(client, project, "chat", {"text": "before"}, session="kept").json()["output"]["previous"] == "none"
    before, old = generation(server), server[1].state.service.holder.engine
    edit(project / "tenants" / "beta" / "tenant.yaml", "concurrency: 20", "concurrency: 19")
    wait_for(lambda: generation(server) > before)
    new = server[1].state.service.holder.engine
    assert new is not old and new.store is old.store and new.stores is old.stores  # the same open backends
    assert new.settings("beta").quotas.concurrency == 19
    # The policies' usage counters carry over: a reload is no way to reset a tenant's quota.
    assert new.quotas is old.quotas
    assert new.quotas.snapshot("alpha", new.settings("alpha").quotas)["requests_last_minute"] >= 1
    assert call(client, project, "chat", {"text": "after"}, session="kept").json()["output"]["previous"] == "before"


def test_a_server_on_in_memory_stores_warns_that_they_keep_everything(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    project_file = root / "tenantflow.yaml"
    project_file.write_text(project_file.read_text(encoding="utf-8").replace(
        "stores: {checkpointer: sqlite, store: sqlite}", "stores: {checkpointer: memory, store: sqlite}"),
        encoding="utf-8")
    with dev_secret(), captured_logs() as logs, serving(RuntimeConfig(root=root)):
        [warning] = logs.records("runtime.memory_stores")
    assert warning["stores"] == ["checkpointer"]
    assert "without bound: for development only" in warning["details"]
    # On files, nothing to warn about.
    with dev_secret(), captured_logs() as logs, serving(RuntimeConfig(root=write_project(tmp_path / "files"))):
        assert logs.records("runtime.memory_stores") == []
