"""The image built from the repo's Dockerfile answers as AgentCore Runtime expects a container to.

Starts the image (it builds nothing) with the demo project baked in, as
docs/deployment.md runs it, and drives it the way AgentCore does: boto3's
``bedrock-agentcore`` client builds each InvokeAgentRuntime request from the
real service model and ``tests/runtime/test_agentcore.py``'s data plane
forwards it to the container's ``POST /invocations``. Tokens are minted by
``tenantflow token`` with a secret given to the container only for this run.

    docker build -t tenantflow-runtime .
    TENANTFLOW_REQUIRE_DOCKER=1 python -m pytest tests/runtime/test_container.py

Opt in with ``TENANTFLOW_REQUIRE_DOCKER=1``: the image must first be built
from the tree under test, so the normal suite and CI skip it (an image left
from an earlier build would test other code); with the variable set, a
missing ``docker`` command, daemon or image fails the test. ``TENANTFLOW_IMAGE`` names another image
(default ``tenantflow-runtime``); the container uses the host's network
(``--network host``, serving on a free port) unless
``TENANTFLOW_DOCKER_NETWORK=bridge``, where it publishes 8080 on loopback.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import REPO
from tests.runtime.test_agentcore import ARN, agentcore_client

IMAGE = os.environ.get("TENANTFLOW_IMAGE", "tenantflow-runtime")
SESSION = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
#: The demo's billing ticket (support-triage's classify -> lookup -> draft path).
TICKET = {"ticket": "I was charged twice for my last invoice", "customer_id": "cus_1001"}
#: Docker's vfs storage driver copies the whole image for each container: slow, but it gets there.
START_TIMEOUT_S = 300.0


def _docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def _unavailable() -> str | None:
    """Why this test cannot run here, or None."""
    if os.environ.get("TENANTFLOW_REQUIRE_DOCKER") != "1":
        return "the container test is opt-in: build the image from this tree, then set TENANTFLOW_REQUIRE_DOCKER=1"
    if shutil.which("docker") is None:
        return "no docker command"
    try:
        info = _docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "the Docker daemon did not answer `docker info` in 30 s"
    if info.returncode != 0:
        return f"no reachable Docker daemon ({info.stderr.strip() or info.stdout.strip()})"
    if _docker("image", "inspect", IMAGE, check=False).returncode != 0:
        return f"no image {IMAGE!r} (build it: docker build -t {IMAGE} .)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Container:
    name: str
    url: str
    secret: str
    tokens: list[str] = field(default_factory=list)

    def token(self, tenant: str, user: str = "u1", secret: str | None = None) -> str:
        """A development token from `tenantflow token` (the repo's tenantflow.yaml, as baked into the image)."""
        env = {**os.environ, "TENANTFLOW_DEV_SECRET": secret or self.secret}
        minted = subprocess.run([sys.executable, "-m", "engine.cli", "token", "--tenant", tenant, "--user", user,
                                 "--project", str(REPO)], capture_output=True, text=True, env=env, check=True,
                                timeout=60).stdout.strip()
        self.tokens.append(minted)
        return minted

    def exec(self, *command: str, workdir: str = "/app") -> subprocess.CompletedProcess[str]:
        return _docker("exec", "--workdir", workdir, self.name, *command, check=False)

    def logs(self) -> str:
        done = _docker("logs", self.name, check=False)
        return done.stdout + done.stderr


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("TENANTFLOW_REQUIRE_DOCKER") == "1":
            pytest.fail(f"TENANTFLOW_REQUIRE_DOCKER=1 and {reason}")
        pytest.skip(reason)
    secret = secrets.token_hex(32)
    name = f"tenantflow-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    run = ["run", "-d", "--name", name, "-e", "TENANTFLOW_DEV_SECRET"]
    if os.environ.get("TENANTFLOW_DOCKER_NETWORK", "host") == "host":
        port = _free_port()
        run += ["--network", "host", IMAGE, "--port", str(port)]  # added to the image's entrypoint; the last wins
    else:
        port = _free_port()
        run += ["-p", f"127.0.0.1:{port}:8080", IMAGE]
    subprocess.run(["docker", *run], capture_output=True, text=True, check=True, timeout=START_TIMEOUT_S,
                   env={**os.environ, "TENANTFLOW_DEV_SECRET": secret})
    url = f"http://127.0.0.1:{port}"
    box = Container(name, url, secret)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            state = _docker("inspect", "--format", "{{.State.Status}}", name, check=False).stdout.strip()
            if state not in ("created", "running") or time.monotonic() > deadline:
                pytest.fail(f"the container did not answer /ping (state {state!r}):\n{box.logs()[-4000:]}")
            time.sleep(0.2)
        yield box
    finally:
        _docker("rm", "-f", name, check=False)


def test_ping_answers_as_agentcore_polls_it(container: Container) -> None:
    answer = httpx.get(f"{container.url}/ping")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"status", "time_of_last_update"}
    assert body["status"] in ("Healthy", "HealthyBusy") and isinstance(body["time_of_last_update"], int)


@pytest.mark.parametrize(("tenant", "model"), [("globex", "amazon.nova-micro-v1:0"),
                                               ("initech", "amazon.nova-lite-v1:0")])
def test_invoke_agent_runtime_runs_the_demo_workflow_for_a_pooled_tenant(container: Container, tenant: str,
                                                                         model: str) -> None:
    session = f"container-session-{uuid.uuid4()}"  # AgentCore wants 33 to 256 characters
    seen: list[dict[str, Any]] = []
    client = agentcore_client(container.url, container.token(tenant), {"Tenant-Id": tenant}, seen)
    response = client.invoke_agent_runtime(
        agentRuntimeArn=ARN, qualifier="DEFAULT", runtimeSessionId=session, contentType="application/json",
        accept="application/json", payload=json.dumps({"workflow": "support-triage", "input": TICKET}).encode())
    assert response["statusCode"] == 200 and response["contentType"] == "application/json"
    assert response["runtimeSessionId"] == session
    body = json.loads(response["response"].read())
    assert body["tenant"] == tenant and body["workflow"] == "support-triage" and body["blocked"] is None
    assert body["output"]["category"] == "billing" and body["output"]["reply"].startswith(f"[{model}] ")
    assert body["usage"]["models"] == [model] and body["usage"]["input_tokens"] > 0
    assert body["session_id"] == session
    assert body["request_id"] == seen[0]["headers"]["X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"]


def test_the_session_header_is_honoured(container: Container) -> None:
    headers = {"Authorization": f"Bearer {container.token('initech', 'jane')}"}
    request = {"workflow": "support-triage", "input": TICKET}
    session = f"s-{uuid.uuid4().hex}"
    given = httpx.post(f"{container.url}/invocations", json=request, headers={**headers, SESSION: session},
                       timeout=60)
    assert given.status_code == 200, given.text
    assert given.headers[SESSION] == session and given.json()["session_id"] == session
    made = httpx.post(f"{container.url}/invocations", json=request, headers=headers, timeout=60)
    assert made.status_code == 200, made.text
    assert made.headers[SESSION] and made.json()["session_id"] == made.headers[SESSION] != session
    bad = httpx.post(f"{container.url}/invocations", json=request, headers={**headers, SESSION: "no spaces"},
                     timeout=60)
    assert bad.status_code == 400


def test_a_bad_token_is_refused_with_401(container: Container) -> None:
    client = agentcore_client(container.url, "not-a-token")
    with pytest.raises(ClientError) as refused:
        client.invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=f"bad-token-session-{uuid.uuid4()}",
                                    payload=json.dumps({"workflow": "support-triage", "input": TICKET}))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    forged = container.token("globex", secret=secrets.token_hex(32))  # right claims, another secret
    answer = httpx.post(f"{container.url}/invocations", headers={"Authorization": f"Bearer {forged}"},
                        json={"workflow": "support-triage", "input": TICKET}, timeout=60)
    assert answer.status_code == 401 and answer.json()["code"] == "signature"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_invoke_agent_runtime_streams_server_sent_events(container: Container) -> None:
    client = agentcore_client(container.url, container.token("initech"))
    response = client.invoke_agent_runtime(
        agentRuntimeArn=ARN, runtimeSessionId=f"stream-session-{uuid.uuid4()}", accept="text/event-stream",
        contentType="application/json", payload=json.dumps({"workflow": "support-triage", "input": TICKET}))
    assert response["statusCode"] == 200 and response["contentType"].startswith("text/event-stream")
    frames = response["response"].read().decode().split("\n\n")
    assert frames[-1] == "" and all(frame.startswith("data: ") for frame in frames[:-1])
    events = [json.loads(frame.removeprefix("data: ")) for frame in frames[:-1]]
    steps = [event["step"] for event in events if event["type"] == "step"]
    assert {"classify", "lookup", "draft"} <= set(steps)
    assert events[-1]["type"] == "result" and events[-1]["output"]["category"] == "billing"


def test_the_pool_refuses_a_silo_tenant(container: Container) -> None:
    answer = httpx.post(f"{container.url}/invocations", headers={"Authorization": f"Bearer {container.token('acme')}"},
                        json={"workflow": "support-triage", "input": TICKET}, timeout=60)
    assert answer.status_code == 403 and answer.json()["code"] == "silo"


def test_the_runtime_runs_unprivileged_and_writes_only_its_data_folder(container: Container) -> None:
    assert container.exec("id", "-u").stdout.strip() == "10001"
    assert container.exec("touch", "/app/tenantflow.yaml").returncode != 0  # the project is read-only
    # The runs above checkpointed into the embedded stores (initech's memory is a silo of its own).
    files = container.exec("find", "/app/.tenantflow", "-type", "f").stdout.split()
    assert "/app/.tenantflow/tenants/initech/memory.sqlite" in files, files
    assert any(f.startswith("/app/.tenantflow/") and f.endswith(".sqlite") and "/tenants/" not in f for f in files)


def test_tenantflow_init_in_the_image_makes_a_project_that_loads(container: Container) -> None:
    folder = f"/tmp/init-{uuid.uuid4().hex[:8]}"
    assert container.exec("tenantflow", "init", folder).returncode == 0
    validated = container.exec("tenantflow", "validate", workdir=folder)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_the_docker_healthcheck_reports_healthy(container: Container) -> None:
    deadline = time.monotonic() + 90  # the first check runs 30 s (its interval) after the start
    while (status := _docker("inspect", "--format", "{{.State.Health.Status}}", container.name).stdout.strip()) \
            != "healthy" and time.monotonic() < deadline:
        assert status in ("starting", "healthy"), status
        time.sleep(1)
    assert status == "healthy"


def test_the_logs_hold_no_token(container: Container) -> None:
    logs = container.logs()
    assert '"event": "runtime.request"' in logs
    assert container.tokens and not any(minted in logs for minted in container.tokens)
