"""isolation.tools: a silo tenant's tool calls go to its own deployments, a pool tenant's to the shared ones.

Two deployments of the same CRM API and MCP server run on 127.0.0.1 (see
test_gateway.py): the project's shared one, and alpha's own. alpha's tools
are silo, beta's pool; each deployment records who called it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import RunError, SkillError
from engine.project import load_project_partial
from engine.skills.bridge import SkillContext
from engine.spec.project import GatewaySpec
from tests.conftest import tenant_yaml
from tests.identity.support import DEV_SECRET, DEV_SECRET_ENV, project_files, serve_asgi
from tests.tools.test_gateway import OPENAPI, PLATFORM, Servers, _crm, _gateway, _mcp, _run, _step


class Deployments:
    def __init__(self) -> None:
        self.shared, self.alpha = Servers(), Servers()

    def both(self) -> tuple[Servers, Servers]:
        return self.shared, self.alpha


@pytest.fixture(scope="module")
def deployments() -> Iterator[Deployments]:
    for name in ("mcp", "uvicorn", "httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)
    found = Deployments()
    with serve_asgi(_crm(found.shared)) as crm, serve_asgi(_mcp(found.shared)) as mcp_url, \
            serve_asgi(_crm(found.alpha)) as own_crm, serve_asgi(_mcp(found.alpha)) as own_mcp:
        found.shared.crm_url, found.shared.mcp_url = crm, f"{mcp_url}/mcp"
        found.alpha.crm_url, found.alpha.mcp_url = own_crm, f"{own_mcp}/mcp"
        yield found


ENTITLED = "entitlements: {tools: ['crm.*', 'tix.*']}\n"


def silo_tenant(tenant_id: str, crm: str, mcp: str) -> str:
    return tenant_yaml(tenant_id, "premium", ENTITLED + "isolation: {tools: silo}\n"
                       f'gateway: {{endpoints: {{crm: "{crm}", tix: "{mcp}"}}}}\n')


def files(deployments: Deployments, jwks: str) -> dict[str, str]:
    found = project_files(jwks, _gateway(deployments.shared))
    found.update({
        "apis/crm.yaml": OPENAPI, "policies/platform.cedar": PLATFORM,
        "workflows/lookup.yaml": _step("lookup", "crm.getCustomer", "{customer_id: c-42, tenant: other-tenant}"),
        "workflows/search.yaml": _step("search", "tix.search_tickets", "{query: refund}"),
    })
    return found


def tenants(deployments: Deployments) -> dict[str, str]:
    return {"alpha": silo_tenant("alpha", deployments.alpha.crm_url, deployments.alpha.mcp_url),
            "beta": tenant_yaml("beta", "premium", ENTITLED)}


@pytest.fixture
async def engine(make_project, deployments: Deployments, jwks: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    async with Engine.open(make_project(files(deployments, jwks), tenants=tenants(deployments))) as opened:
        for servers in deployments.both():
            servers.seen.clear()
            servers.service = opened.token_service
        yield opened
    for servers in deployments.both():
        servers.service = None


@pytest.fixture
def jwks() -> Iterator[str]:
    from tests.identity.support import jwk, jwks_server, rsa_key

    with jwks_server([jwk(rsa_key("idp"), "k1")]) as server:
        yield server.url


@pytest.mark.parametrize("workflow, api", [("lookup", "getCustomer"), ("search", "mcp")])
async def test_a_silo_tenant_calls_its_own_deployment_and_a_pool_tenant_the_shared_one(
        engine: Engine, deployments: Deployments, workflow: str, api: str) -> None:
    shared, alpha = deployments.both()
    # (An MCP call is several HTTP requests, each recorded.)
    await _run(engine, workflow, "alpha", "crm.read tickets.read")
    assert {seen["api"] for seen in alpha.seen} == {api}
    assert {seen["claims"]["tenant_id"] for seen in alpha.seen} == {"alpha"}
    assert shared.seen == []  # nothing of alpha's reached the shared deployment
    await _run(engine, workflow, "beta", "crm.read tickets.read")
    assert {seen["api"] for seen in shared.seen} == {api}
    assert {seen["claims"]["tenant_id"] for seen in shared.seen} == {"beta"}
    assert {seen["claims"]["tenant_id"] for seen in alpha.seen} == {"alpha"}  # nothing of beta's reached alpha's


async def test_a_pool_tenant_cannot_steer_a_call_to_a_silo_deployment(engine: Engine,
                                                                       deployments: Deployments) -> None:
    # The only things a workflow or a model controls are arguments: a path argument is quoted into
    # the path of the shared deployment, the tenant argument is the verified one.
    shared, alpha = deployments.both()
    await _run(engine, "lookup", "beta", "crm.read", user="u2")
    engine.project.tools.silo["beta"] = {}  # were beta silo without an endpoint: refused, never the shared one
    with pytest.raises(RunError, match="no deployment of 'crm' for this tenant"):
        await _run(engine, "lookup", "beta", "crm.read")
    assert alpha.seen == [] and len(shared.seen) == 1


def test_the_catalog_sends_each_tenant_to_its_deployment_and_never_falls_back() -> None:
    from engine.tools.catalog import ToolCatalog

    catalog = ToolCatalog(GatewaySpec(), silo={"alpha": {"crm": "https://crm.alpha.test"}})
    assert catalog.endpoint("crm", "https://crm.shared.test", "alpha") == "https://crm.alpha.test"
    assert catalog.endpoint("crm", "https://crm.shared.test", "beta") == "https://crm.shared.test"
    assert catalog.endpoint("tix", "https://mcp.shared.test", "alpha") is None
    assert catalog.endpoint("crm", "https://crm.shared.test", None) is None


async def test_a_tool_call_without_a_tenant_goes_nowhere(engine: Engine) -> None:
    call = engine.project.registry.resolve("tool", "crm.getCustomer", "alpha")
    assert call is not None and call.fn is not None
    with pytest.raises(SkillError, match="no deployment"):
        await call.fn(ctx=SkillContext(tenant=None, workflow="w", step="s"),  # type: ignore[arg-type]
                      customer_id="c-1", tenant="alpha")
    with pytest.raises(SkillError, match="no deployment"):
        await call.fn(ctx=None, customer_id="c-1", tenant="alpha")


# -- validation -----------------------------------------------------------------------------------

def problems_of(make_project, deployments: Deployments, jwks: str, **changed: str) -> list[str]:
    found = tenants(deployments)
    found.update(changed)
    project, problems = load_project_partial(make_project(files(deployments, jwks), tenants=found))
    return [f"{p.file}:{p.line}: {p.message}" for p in problems if p.code in ("tool-isolation", "unknown-tool-source")]


def test_the_demo_tenants_load_with_their_endpoints(make_project, deployments: Deployments, jwks: str) -> None:
    project, problems = load_project_partial(make_project(files(deployments, jwks), tenants=tenants(deployments)))
    assert project is not None and problems == []
    assert project.tools.silo == {"alpha": {"crm": deployments.alpha.crm_url, "tix": deployments.alpha.mcp_url}}


def test_explain_shows_a_silo_tenants_deployments_and_where_they_were_set(make_project, deployments: Deployments,
                                                                         jwks: str) -> None:
    from engine.review.explain import explain

    project, _ = load_project_partial(make_project(files(deployments, jwks), tenants=tenants(deployments)))
    assert project is not None
    found = {e.path: (e.value, e.source, e.layer) for e in explain(project, "lookup", "alpha").settings}
    assert found["isolation.tools"][0] == "silo"
    assert found["gateway.endpoints.crm"] == (deployments.alpha.crm_url, "tenants/alpha/tenant.yaml:7:28", "tenant")
    assert not any(path.startswith("gateway.") for path in (e.path for e in explain(project, "lookup", "beta").settings))


def test_a_silo_tenant_needs_a_deployment_of_every_source_it_is_entitled_to(make_project, deployments: Deployments,
                                                                             jwks: str) -> None:
    alpha = tenant_yaml("alpha", "premium", ENTITLED + "isolation: {tools: silo}\n"
                        f'gateway: {{endpoints: {{crm: "{deployments.alpha.crm_url}"}}}}\n')
    [problem] = problems_of(make_project, deployments, jwks, alpha=alpha)
    assert problem.startswith("tenants/alpha/tenant.yaml:6:") and "gateway source 'tix'" in problem
    # Entitled to the CRM only: the MCP server needs no deployment of alpha's.
    alpha = alpha.replace("['crm.*', 'tix.*']", "['crm.*']")
    assert problems_of(make_project, deployments, jwks, alpha=alpha) == []


def test_endpoints_are_refused_where_they_would_not_isolate(make_project, deployments: Deployments,
                                                            jwks: str) -> None:
    shared, own = deployments.shared, deployments.alpha
    # A pool tenant with an endpoint of its own: pool means the shared deployments.
    beta = tenant_yaml("beta", "premium", ENTITLED + f'gateway: {{endpoints: {{crm: "{own.crm_url}/beta"}}}}\n')
    [problem] = problems_of(make_project, deployments, jwks, beta=beta)
    assert "need isolation.tools: silo" in problem
    # A silo tenant pointing at the shared deployment, or at another tenant's: no isolation at all.
    beta = silo_tenant("beta", shared.crm_url + "/", own.mcp_url)
    found = problems_of(make_project, deployments, jwks, beta=beta)
    assert len(found) == 2 and "is a shared deployment" in found[0] and "also tenant 'alpha''s endpoint" in found[1]
    # An endpoint for a source the project does not have.
    alpha = silo_tenant("alpha", own.crm_url, own.mcp_url).replace("tix:", "tickets:")
    found = problems_of(make_project, deployments, jwks, alpha=alpha)
    assert any("unknown gateway source 'tickets'" in p for p in found)
    assert any("gateway source 'tix'" in p for p in found)


def test_an_endpoint_must_be_an_http_url(make_project, deployments: Deployments, jwks: str) -> None:
    alpha = silo_tenant("alpha", "file:///etc/passwd", deployments.alpha.mcp_url)
    project, problems = load_project_partial(make_project(files(deployments, jwks), tenants={
        **tenants(deployments), "alpha": alpha}))
    assert any("must be an http:// or https:// URL" in p.message and p.file == "tenants/alpha/tenant.yaml"
               for p in problems)
    assert project is not None and "alpha" not in project.tenants and "beta" in project.tenants
