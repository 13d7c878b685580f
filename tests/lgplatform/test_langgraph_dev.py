"""The demo project's graphs on LangGraph's own server: ``langgraph dev`` (langgraph-cli[inmem]) started on
127.0.0.1 from the ``langgraph.json`` that ``tenantflow export langgraph`` writes, driven by langgraph-sdk:
two tenants run on their own threads, and one tenant's thread is refused to the other."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.identity.dev import mint_dev_token
from engine.project import load_project
from tests.conftest import REPO
from tests.runtime.support import wait_until_serving

pytest.importorskip("langgraph_api")
pytest.importorskip("langgraph_cli")
from langgraph_sdk import get_client  # noqa: E402

SECRET = "platform-test-secret-0123456789abcdef0123456789"
TICKET = {"ticket": "Site down since 9am", "customer_id": "cus_1001"}
ACME_TICKET = {"ticket": "I was charged twice for my last visit", "customer_id": "mem_20417"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _langgraph_command() -> str:
    """langgraph-cli's command, of the interpreter running the tests."""
    beside = Path(sys.executable).parent / "langgraph"
    found = str(beside) if beside.exists() else shutil.which("langgraph")
    assert found, "langgraph-cli is installed (langgraph_cli imports) but its command is not on PATH"
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("platform") / "proj"
    root.mkdir()
    for name in ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures", "policies"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    result = CliRunner().invoke(main, ["export", "langgraph", "-p", str(root)])
    assert result.exit_code == 0, result.output
    port = _free_port()
    env = {**os.environ, "TENANTFLOW_DEV_SECRET": SECRET, "PYTHONPATH": str(REPO), "LANGSMITH_TRACING": "false",
           "LANGGRAPH_CLI_NO_ANALYTICS": "1"}
    env.pop("TENANTFLOW_PROJECT", None)  # langgraph.json's env says ".": the folder the server starts in
    log = (root / "server.log").open("w")
    # --allow-blocking: the engine reads the project's files and its SQLite-free stores synchronously at load.
    process = subprocess.Popen(
        [_langgraph_command(), "dev", "--host", "127.0.0.1", "--port", str(port), "--no-browser",
         "--no-reload", "--allow-blocking"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_serving(process, url, timeout_s=90, path="/ok")
        except (AssertionError, pytest.fail.Exception):
            pytest.fail("langgraph dev did not start:\n" + (root / "server.log").read_text()[-3000:])
        yield url, root
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def _client(url: str, root: Path, tenant: str, user: str = "u1") -> Any:
    os.environ["TENANTFLOW_DEV_SECRET"] = SECRET
    token = mint_dev_token(load_project(root).spec.identity, tenant=tenant, user=user)
    return get_client(url=url, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def clients(server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, Any]]:
    monkeypatch.setenv("TENANTFLOW_DEV_SECRET", SECRET)
    url, root = server
    yield {"globex": _client(url, root, "globex"), "acme": _client(url, root, "acme"),
           "globex-u2": _client(url, root, "globex", "u2")}


def test_export_writes_one_graph_per_workflow_with_the_factory_and_the_auth(server: tuple[str, Path]) -> None:
    import json

    config = json.loads((server[1] / "langgraph.json").read_text())
    assert config["graphs"] == {"refund": "./langgraph_graphs.py:refund",
                                "security-alert": "./langgraph_graphs.py:security_alert",
                                "summarize": "./langgraph_graphs.py:summarize",
                                "support-triage": "./langgraph_graphs.py:support_triage"}
    assert config["auth"] == {"path": "engine.platform.auth:auth"}
    assert "support_triage = workflow_factory('support-triage')" in (server[1] / "langgraph_graphs.py").read_text()


async def test_studio_can_draw_a_graph_and_read_its_input_schema(clients: dict[str, Any]) -> None:
    [assistant] = [a for a in await clients["globex"].assistants.search() if a["graph_id"] == "support-triage"]
    drawn = await clients["globex"].assistants.get_graph(assistant["assistant_id"])
    nodes = {node["id"] for node in drawn["nodes"]}
    assert {"__start__", "__end__", "classify", "draft"} <= nodes
    schemas = await clients["globex"].assistants.get_schemas(assistant["assistant_id"])
    assert schemas["input_schema"]["required"] == ["ticket", "customer_id"]


async def test_two_tenants_run_on_their_own_threads_with_their_own_models(clients: dict[str, Any]) -> None:
    outputs = {}
    for tenant, payload in (("globex", TICKET), ("acme", ACME_TICKET)):
        thread = await clients[tenant].threads.create()
        assert thread["metadata"]["owner"] == f"{tenant}:u1"
        state = await clients[tenant].runs.wait(thread["thread_id"], "support-triage", input=payload)
        outputs[tenant] = state
    assert outputs["globex"]["output"]["reply"].startswith("[amazon.nova-micro-v1:0]")
    assert outputs["acme"]["output"]["category"] == "billing"
    assert [u["model"] for u in outputs["acme"]["usage"]] == [
        "arn:aws:bedrock:us-east-1:111122223333:custom-model/acme-support-v2"]
    assert [u["tenant"] for u in outputs["globex"]["usage"]] == ["globex"]
    assert [u["tenant"] for u in outputs["acme"]["usage"]] == ["acme"]


async def test_one_tenants_thread_is_refused_to_another_tenant_and_user(clients: dict[str, Any]) -> None:
    acme = clients["acme"]
    thread = (await acme.threads.create())["thread_id"]
    await acme.runs.wait(thread, "support-triage", input=ACME_TICKET)
    for intruder in ("globex", "globex-u2"):
        client = clients[intruder]
        for attempt in (client.threads.get(thread), client.threads.get_state(thread),
                        client.runs.wait(thread, "support-triage", input=TICKET), client.threads.delete(thread)):
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await attempt
            assert refused.value.response.status_code == 404
        with pytest.raises(httpx.HTTPStatusError) as refused:  # writes are refused to everyone
            await client.threads.update(thread, metadata={"owner": f"{intruder}:u1"})
        assert refused.value.response.status_code == 403
        assert thread not in [t["thread_id"] for t in await client.threads.search(limit=100)]
    # Still acme's, untouched.
    assert (await acme.threads.get(thread))["metadata"]["owner"] == "acme:u1"


async def test_a_run_naming_another_tenants_thread_in_its_config_or_context_stays_on_its_own(
        clients: dict[str, Any]) -> None:
    acme, globex = clients["acme"], clients["globex"]
    theirs = (await acme.threads.create())["thread_id"]
    await acme.runs.wait(theirs, "support-triage", input=ACME_TICKET)
    before = await acme.threads.get_state(theirs)
    mine = (await globex.threads.create())["thread_id"]
    spoofed_user = {"identity": "acme:u1", "tenant_id": "acme", "user_id": "u1", "tier": "premium",
                    "issuer": "tenantflow-dev", "scopes": []}
    for smuggled in ({"config": {"configurable": {"thread_id": theirs, "langgraph_auth_user": spoofed_user}}},
                     {"context": {"thread_id": theirs, "langgraph_auth_user": spoofed_user}}):
        state = await globex.runs.wait(mine, "support-triage", input=TICKET, **smuggled)
        assert [u["tenant"] for u in state["usage"]] == ["globex"]  # the user is the server's, not the request's
    after = await acme.threads.get_state(theirs)
    assert after["checkpoint"] == before["checkpoint"] and after["values"] == before["values"]


async def test_no_caller_writes_a_threads_state_nor_answers_an_ask_step_by_a_raw_resume(
        clients: dict[str, Any]) -> None:
    globex = clients["globex"]
    thread = (await globex.threads.create())["thread_id"]
    await globex.runs.wait(thread, "support-triage", input=TICKET)
    # Writing state could skip a guard or answer an approval: not even the owner may.
    for attempt in (globex.threads.update_state(thread, {"blocked": ""}),
                    globex.threads.update(thread, metadata={"x": "y"})):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await attempt
        assert refused.value.response.status_code == 403
    # Answering an ask step needs Engine.answer's checks (who may answer, the answer's fields): refused here.
    with pytest.raises(Exception, match="AuthError"):
        await globex.runs.wait(thread, "support-triage", command={"resume": {"approved": True}})


async def test_a_thread_cannot_be_created_in_another_tenants_name(clients: dict[str, Any]) -> None:
    planted = await clients["globex"].threads.create(metadata={"owner": "acme:u1", "tenant": "acme"})
    assert planted["metadata"]["owner"] == "globex:u1" and planted["metadata"]["tenant"] == "globex"
    assert planted["thread_id"] not in [t["thread_id"] for t in await clients["acme"].threads.search(limit=100)]


async def test_a_workflow_the_tenant_does_not_run_is_refused(clients: dict[str, Any]) -> None:
    thread = (await clients["globex"].threads.create())["thread_id"]
    with pytest.raises(Exception, match="AuthError"):  # security-alert is Acme's only
        await clients["globex"].runs.wait(thread, "security-alert", input={"alert": "x"})


async def test_no_token_or_a_forged_one_is_401_and_assistants_are_read_only(
        server: tuple[str, Path], clients: dict[str, Any]) -> None:
    url, _ = server
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.post("/threads", json={})).status_code == 401
        forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
        assert (await http.post("/threads", json={}, headers=forged)).status_code == 401
    assistants = await clients["globex"].assistants.search()
    assert {a["graph_id"] for a in assistants} == {"refund", "security-alert", "summarize", "support-triage"}
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await clients["globex"].assistants.create("support-triage")
    assert refused.value.response.status_code == 403
    await asyncio.sleep(0)
