"""A silo runtime serves its tenant only; a single-workflow runtime takes the input as the whole body."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.project import load_project
from engine.runtime.config import RuntimeConfig, RuntimeConfigError, check_config
from tests.runtime.support import CUSTOM, SESSION, Tokens, dev_secret, running, write_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("silo") / "proj")


@pytest.fixture(scope="module")
def client(project: Path) -> Iterator[httpx.Client]:
    config = RuntimeConfig(root=project, tenant="sigma", workflow="hello", watch_interval_s=0)
    with running(config) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def post(client: httpx.Client, token: str, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/invocations", content=json.dumps(body),
                       headers={"Authorization": f"Bearer {token}", SESSION: "s-1", **(headers or {})})


def test_the_silo_serves_its_tenant_with_the_input_as_the_body(client: httpx.Client, project: Path) -> None:
    response = post(client, Tokens(project)("sigma"), {"text": "hi"})
    assert response.status_code == 200, response.text
    assert response.json()["output"] == {"reply": "[large-v1] answer"}
    assert response.json()["tenant"] == "sigma"


def test_the_envelope_is_accepted_for_the_served_workflow_and_404_for_another(client: httpx.Client,
                                                                              project: Path) -> None:
    token = Tokens(project)("sigma")
    assert post(client, token, {"workflow": "hello", "input": {"text": "hi"}}).status_code == 200
    other = post(client, token, {"workflow": "chat", "input": {"text": "hi"}})
    assert (other.status_code, other.json()["code"]) == (404, "unknown-workflow")


@pytest.mark.parametrize("tenant", ["alpha", "beta", "narrow"])
def test_every_other_tenants_token_is_refused_with_403(client: httpx.Client, project: Path, tenant: str) -> None:
    response = post(client, Tokens(project)(tenant), {"text": "hi"})
    assert response.status_code == 403
    assert response.json()["code"] == "silo"
    assert "sigma" not in response.text  # the refusal does not say whose runtime this is


def test_a_header_claiming_the_silo_tenant_does_not_let_another_tenant_in(client: httpx.Client,
                                                                          project: Path) -> None:
    response = post(client, Tokens(project)("alpha"), {"text": "hi"}, headers={CUSTOM + "Tenant-Id": "sigma"})
    assert response.status_code == 403
    assert response.json()["code"] == "header-conflict"


def test_a_runtime_for_an_unknown_tenant_or_workflow_does_not_start(project: Path) -> None:
    loaded = load_project(project)
    with pytest.raises(RuntimeConfigError, match="--tenant: unknown tenant 'sigmaa' \\(did you mean 'sigma'\\?\\)"):
        check_config(RuntimeConfig(root=project, tenant="sigmaa"), loaded)
    with pytest.raises(RuntimeConfigError, match="--workflow: unknown workflow 'helo'"):
        check_config(RuntimeConfig(root=project, workflow="helo"), loaded)
    with pytest.raises(RuntimeConfigError, match="tenant 'narrow' does not run workflow 'chat'"):
        check_config(RuntimeConfig(root=project, tenant="narrow", workflow="chat"), loaded)


def test_a_project_without_an_identity_section_is_refused(make_project) -> None:
    with pytest.raises(RuntimeConfigError, match="accepts verified tokens only"):
        check_config(RuntimeConfig(root=Path(".")), load_project(make_project()))
