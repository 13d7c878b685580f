"""The runtime answers AgentCore's InvokeAgentRuntime as AgentCore Runtime expects a container to.

boto3's ``bedrock-agentcore`` client builds the InvokeAgentRuntime request
from the real service model (botocore validates every parameter: the
runtime ARN, a session id of at least 33 characters, the payload). Its
``before-send`` hook stands in for the AgentCore data plane: it does what
the service does with such a request, forwarding it to the container as
``POST /invocations`` on the container's port with the session id, a new
request id, the caller's bearer token (inbound JWT authorization) and the
custom headers, and hands the container's answer back to botocore, which
parses it into InvokeAgentRuntime's response shape. No AWS endpoint is
called.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from urllib3.response import HTTPResponse

from engine.runtime.config import RuntimeConfig
from tests.runtime.support import Tokens, dev_secret, running, write_project

ARN = "arn:aws:bedrock-agentcore:us-east-1:111122223333:runtime/helpdeskly_pool-AbCdEf1234"
#: Headers AgentCore forwards to the container (the runtime's request header allow-list).
FORWARDED = ("content-type", "accept", "x-amzn-bedrock-agentcore-runtime-session-id", "authorization")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("agentcore") / "proj")


@pytest.fixture(scope="module")
def container(project: Path) -> Iterator[str]:
    with running(RuntimeConfig(root=project, watch_interval_s=0)) as url:
        yield url


def agentcore_client(container: str, bearer: str, custom: dict[str, str] | None = None,
                     seen: list[dict[str, Any]] | None = None) -> Any:
    client = boto3.client("bedrock-agentcore", region_name="us-east-1", config=Config(signature_version=UNSIGNED))

    def add_headers(request: Any, **_: Any) -> None:
        # As AWS documents for JWT inbound auth and custom headers with boto3: set them on the request.
        request.headers["Authorization"] = f"Bearer {bearer}"
        for name, value in (custom or {}).items():
            request.headers[f"X-Amzn-Bedrock-AgentCore-Runtime-Custom-{name}"] = value

    def data_plane(request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        assert url.path.startswith("/runtimes/") and url.path.endswith("/invocations")
        assert unquote(url.path[len("/runtimes/"):-len("/invocations")]) == ARN
        forwarded = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
                     if k.lower() in FORWARDED or k.lower().startswith("x-amzn-bedrock-agentcore-runtime-custom-")}
        forwarded["X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"] = str(uuid.uuid4())
        if seen is not None:
            seen.append({"headers": dict(forwarded), "body": request.body})
        answer = httpx.post(f"{container}/invocations", content=request.body, headers=forwarded, timeout=30)
        headers = {"Content-Type": answer.headers["content-type"],
                   "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": forwarded[
                       "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"]}
        raw = HTTPResponse(body=io.BytesIO(answer.content), headers=headers, status=answer.status_code,
                           preload_content=False)
        return AWSResponse(request.url, answer.status_code, headers, raw)

    client.meta.events.register("before-sign.bedrock-agentcore.InvokeAgentRuntime", add_headers)
    client.meta.events.register("before-send.bedrock-agentcore.InvokeAgentRuntime", data_plane)
    return client


def test_invoke_agent_runtime_gets_the_workflow_output(container: str, project: Path) -> None:
    session = f"helpdeskly-session-{uuid.uuid4()}"  # AgentCore wants 33 to 256 characters
    seen: list[dict[str, Any]] = []
    client = agentcore_client(container, Tokens(project)("alpha", "u1"), {"Tenant-Id": "alpha"}, seen)
    response = client.invoke_agent_runtime(
        agentRuntimeArn=ARN, qualifier="DEFAULT", runtimeSessionId=session, contentType="application/json",
        accept="application/json", payload=json.dumps({"workflow": "chat", "input": {"text": "hello"}}).encode())
    assert response["statusCode"] == 200
    assert response["contentType"] == "application/json"
    assert response["runtimeSessionId"] == session
    body = json.loads(response["response"].read())
    assert body["output"] == {"previous": "none"} and body["session_id"] == session and body["tenant"] == "alpha"
    headers = seen[0]["headers"]
    assert headers["X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"] == session
    assert headers["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant-Id"] == "alpha"
    assert body["request_id"] == headers["X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"]

    again = client.invoke_agent_runtime(agentRuntimeArn=ARN, qualifier="DEFAULT", runtimeSessionId=session,
                                        payload=json.dumps({"workflow": "chat", "input": {"text": "again"}}))
    assert json.loads(again["response"].read())["output"] == {"previous": "hello"}  # the same AgentCore session


def test_invoke_agent_runtime_streams_server_sent_events(container: str, project: Path) -> None:
    client = agentcore_client(container, Tokens(project)("beta"))
    response = client.invoke_agent_runtime(
        agentRuntimeArn=ARN, runtimeSessionId=f"stream-session-{uuid.uuid4()}", accept="text/event-stream",
        contentType="application/json", payload=json.dumps({"workflow": "hello", "input": {"text": "hi"}}))
    assert response["statusCode"] == 200
    assert response["contentType"].startswith("text/event-stream")
    frames = response["response"].read().decode().split("\n\n")
    assert frames[-1] == ""
    events = [json.loads(f.removeprefix("data: ")) for f in frames[:-1]]
    assert events[-1]["type"] == "result" and events[-1]["output"] == {"reply": "[large-v1] answer"}


def test_errors_reach_the_invoke_agent_runtime_caller_as_the_container_answered(container: str,
                                                                                project: Path) -> None:
    from botocore.exceptions import ClientError

    client = agentcore_client(container, "not-a-token")
    with pytest.raises(ClientError) as refused:
        client.invoke_agent_runtime(agentRuntimeArn=ARN, runtimeSessionId=f"bad-token-session-{uuid.uuid4()}",
                                    payload=b'{"workflow": "hello", "input": {"text": "hi"}}')
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_the_health_check_answers_as_agentcore_polls_it(container: str) -> None:
    body = httpx.get(f"{container}/ping").json()
    assert body["status"] in ("Healthy", "HealthyBusy") and isinstance(body["time_of_last_update"], int)
