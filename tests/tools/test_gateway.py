"""The tool gateway: OpenAPI operations and MCP server tools beside Python ones, filtered by policy
before a model sees them, each call wrapped by the interceptor chains and carrying only its own
exchanged token.

A CRM API (Starlette) and an MCP server (the ``mcp`` SDK's streamable HTTP
app) run on 127.0.0.1 under uvicorn; both verify the bearer token they get
the way a resource server would, and record who called.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import context as otel_context
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.engine import Engine
from engine.errors import AuthError, CompileError, SpecError
from engine.identity.exchange import ExchangeRefused, TokenService
from engine.models.base import ChatRequest, ChatResponse
from engine.project import load_project
from engine.telemetry.tracing import incoming
from tests.identity.support import (
    DEV_SECRET,
    DEV_SECRET_ENV,
    TENANTS,
    claims,
    jwk,
    jwks_server,
    project_files,
    rsa_key,
    serve_asgi,
    sign,
)
from tests.telemetry.support import Captured, captured

__all__ = ["captured"]

CRM = "https://crm.example.test"
TICKETS = "https://tickets.example.test"

OPENAPI = """\
openapi: 3.0.3
info: {title: CRM, version: "2"}
components:
  securitySchemes:
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /token, scopes: {crm.read: read, crm.write: write}}}}
  parameters:
    CustomerId: {name: customer_id, in: path, required: true, schema: {type: string}}
paths:
  /customers/{customer_id}:
    parameters: [{$ref: "#/components/parameters/CustomerId"}]
    get:
      operationId: getCustomer
      summary: One customer of the calling tenant
      security: [{oauth: [crm.read]}]
      parameters:
        - {name: tenant, in: query, required: true, schema: {type: string}}
        - {name: fields, in: query, schema: {type: string}}
    delete:
      operationId: deleteCustomer
      security: [{oauth: [crm.admin]}]
  /customers/{customer_id}/notes:
    post:
      operationId: createNote
      summary: Add a note to a customer
      security: [{oauth: [crm.write]}]
      parameters:
        - {name: customer_id, in: path, required: true, schema: {type: string}}
        - {name: tenant, in: query, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {text: {type: string}}, required: [text]}
"""


class Servers:
    """What the resource servers saw; ``service`` verifies the tokens they get."""

    def __init__(self) -> None:
        self.service: TokenService | None = None
        self.seen: list[dict[str, Any]] = []
        self.crm_url = self.mcp_url = ""

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any] | None:
        if self.service is None or not authorization or not authorization.startswith("Bearer "):
            return None
        try:
            return self.service.verify_issued(authorization[7:], audience)
        except Exception:
            return None


def _trace_headers(headers: Any) -> dict[str, str]:
    """The trace context headers a call carried (W3C names)."""
    return {k: headers[k] for k in ("traceparent", "tracestate", "baggage") if k in headers}


def _crm(servers: Servers) -> Starlette:
    async def get_customer(request: Request) -> Response:
        token = servers.verify(request.headers.get("authorization"), CRM)
        if token is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        servers.seen.append({"api": "getCustomer", "claims": token, "query": dict(request.query_params),
                             "raw": request.headers.get("authorization"), "trace": _trace_headers(request.headers)})
        return JSONResponse({"id": request.path_params["customer_id"], "tenant": request.query_params["tenant"],
                             "name": "Ada", "api_key": "sk-live-should-never-reach-the-model"})

    async def create_note(request: Request) -> Response:
        token = servers.verify(request.headers.get("authorization"), CRM)
        if token is None:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        servers.seen.append({"api": "createNote", "claims": token, "body": await request.json()})
        return JSONResponse({"created": True})

    return Starlette(routes=[Route("/customers/{customer_id}", get_customer, methods=["GET"]),
                             Route("/customers/{customer_id}/notes", create_note, methods=["POST"])])


def _mcp(servers: Servers) -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("tickets")

    @server.tool()
    def search_tickets(query: str, limit: int = 5) -> dict[str, Any]:
        """Search the support tickets of the calling tenant."""
        return {"query": query, "hits": limit}

    @server.tool()
    def drop_all_tables() -> str:
        """Not allow-listed: an agent must never see it."""
        return "dropped"

    inner = server.streamable_http_app(stateless_http=True, json_response=True)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            token = servers.verify(headers.get("authorization"), TICKETS)
            if token is None and servers.service is not None and scope.get("method") == "POST":
                await JSONResponse({"error": "unauthorized"}, status_code=401)(scope, receive, send)
                return
            if token is not None:
                servers.seen.append({"api": "mcp", "claims": token, "raw": headers.get("authorization"),
                                     "trace": _trace_headers(headers)})
        await inner(scope, receive, send)

    return app


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    for name in ("mcp", "uvicorn", "httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)
    found = Servers()
    with serve_asgi(_crm(found)) as crm, serve_asgi(_mcp(found)) as mcp_url:
        found.crm_url, found.mcp_url = crm, f"{mcp_url}/mcp"
        yield found


@pytest.fixture
def jwks() -> Iterator[str]:
    with jwks_server([jwk(rsa_key("idp"), "k1")]) as server:
        yield server.url


PLATFORM = """\
@id("entitled")
permit (principal, action in [Tenantflow::Action::"skills", Tenantflow::Action::"tools"], resource)
when { context.entitled };

@id("basic-reads-only")
forbid (principal, action == Tenantflow::Action::"tool:crm.createNote", resource)
when { context.tier == "basic" };

@id("no-big-searches")
forbid (principal, action == Tenantflow::Action::"tool:tix.search_tickets", resource)
when { context.stage == "call" && context.input has limit && context.input.limit > 20 };
"""

AGENT = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: agent}
input:
  q: {type: string}
steps:
  - id: agent
    llm:
      prompt: "Help with {{ input.q }}"
      tools: [crm.getCustomer, crm.createNote, tix.search_tickets]
  - return: {reply: "{{ steps.agent.text }}"}
"""

FIXTURES = """\
responses:
  - step: agent
    after_tool: false
    tool_calls:
      - {name: crm.getCustomer, input: {customer_id: c-42, tenant: victim-tenant}}
      - {name: tix.search_tickets, input: {query: refund}}
  - step: agent
    after_tool: true
    text: "[{model}] done"
default: "[{model}] default"
"""


def _step(name: str, tool: str, with_: str) -> str:
    return (f"apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {{name: {name}}}\n"
            f"steps:\n  - id: call\n    tool: {tool}\n    with: {with_}\n  - return: {{ok: true}}\n")


def _gateway(servers: Servers, operations: str = "[getCustomer, createNote]") -> str:
    return f"""\
gateway:
  openapi:
    - {{name: crm, spec: apis/crm.yaml, base_url: "{servers.crm_url}", operations: {operations}, audience: {CRM}}}
  mcp:
    - {{name: tix, url: "{servers.mcp_url}", tools: [search_tickets], audience: {TICKETS}, scopes: [tickets.read]}}
  arguments:
    "crm.*": {{tenant: tenant_id}}
"""


TOOL_TENANTS = {t: text.replace("['notes.*']", "['crm.*', 'tix.*']") for t, text in TENANTS.items()}


def _files(servers: Servers, jwks: str, operations: str = "[getCustomer, createNote]") -> dict[str, str]:
    files = project_files(jwks, _gateway(servers, operations))
    files.update({
        "apis/crm.yaml": OPENAPI, "policies/platform.cedar": PLATFORM, "fixtures/scripted.yaml": FIXTURES,
        "workflows/agent.yaml": AGENT,
        "workflows/lookup.yaml": _step("lookup", "crm.getCustomer", "{customer_id: c-42, tenant: other-tenant}"),
        "workflows/note.yaml": _step("note", "crm.createNote", "{customer_id: c-42, tenant: x, body: {text: hi}}"),
        "workflows/search.yaml": _step("search", "tix.search_tickets", "{query: refund, limit: 50}"),
    })
    return files


@pytest.fixture
async def engine(make_project, servers: Servers, jwks: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    servers.seen.clear()
    async with Engine.open(make_project(_files(servers, jwks), tenants=TOOL_TENANTS)) as opened:
        servers.service = opened.token_service
        yield opened
    servers.service = None


async def _run(engine: Engine, workflow: str, tenant: str, scopes: str, payload: dict[str, Any] | None = None,
               user: str = "u1") -> Any:
    token = sign(claims(tenant, user, scopes=scopes))
    caller = engine.authenticate(token, session_id="s1")
    return token, await engine.run(workflow, caller.context, payload or {}, credential=caller.credential)


# -- OpenAPI ---------------------------------------------------------------------------------

@pytest.mark.parametrize("tenant", ["alpha", "beta"])
async def test_an_openapi_operation_is_called_for_the_user_with_its_own_token(engine: Engine, servers: Servers,
                                                                              tenant: str) -> None:
    token, result = await _run(engine, "lookup", tenant, "crm.read crm.write tickets.read")
    # The workflow asked for another tenant's records; tenant_arguments set the verified tenant instead,
    # and sanitize_results kept the API key out of state.
    assert result.steps["call"] == {"id": "c-42", "tenant": tenant, "name": "Ada", "api_key": "[redacted]"}
    [seen] = servers.seen
    assert seen["query"] == {"tenant": tenant}
    assert (seen["claims"]["sub"], seen["claims"]["aud"], seen["claims"]["scope"], seen["claims"]["tenant_id"]) == (
        "u1", CRM, "crm.read", tenant)
    assert seen["claims"]["act"]["sub"] == "workflow:testproj/lookup"
    assert token not in seen["raw"]  # the API got the exchanged token, never the user's


async def test_an_openapi_operation_needing_a_scope_the_user_lacks_is_refused(engine: Engine,
                                                                              servers: Servers) -> None:
    with pytest.raises(ExchangeRefused) as caught:
        await _run(engine, "note", "beta", "crm.read")
    assert str(caught.value) == ("token exchange refused (invalid_scope): tool 'crm.createNote' needs scope "
                                 "'crm.write' that user 'u1' does not have")
    assert servers.seen == []
    _, result = await _run(engine, "note", "beta", "crm.write")
    assert result.steps["call"] == {"created": True}
    assert servers.seen[0]["body"] == {"text": "hi"} and servers.seen[0]["claims"]["scope"] == "crm.write"


async def test_policy_decides_openapi_tools_too(engine: Engine, servers: Servers) -> None:
    from engine.policy.authorizer import AccessDenied

    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "note", "alpha", "crm.write")  # alpha is basic
    assert caught.value.reasons == ("policies/platform.cedar:5",)
    assert servers.seen == []


def test_only_allow_listed_operations_are_imported(make_project, servers: Servers, jwks: str) -> None:
    engine = Engine(load_project(make_project(_files(servers, jwks), tenants=TOOL_TENANTS)))
    names = sorted(n for n in engine.project.registry.names("tool") if n.startswith(("crm.", "tix.")))
    assert names == ["crm.createNote", "crm.getCustomer", "tix.search_tickets"]
    schema = engine.project.tools.entries["crm.getCustomer"].input_schema
    assert schema["required"] == ["customer_id", "tenant"] and set(schema["properties"]) == {
        "customer_id", "tenant", "fields"}
    files = _files(servers, jwks)
    files["workflows/drop.yaml"] = _step("drop", "crm.deleteCustomer", "{customer_id: c-42}")
    engine = Engine(load_project(make_project(files, tenants=TOOL_TENANTS)))
    with pytest.raises(CompileError) as caught:
        engine.compile("drop", "alpha")
    assert caught.value.problems[0].message == "unknown tool 'crm.deleteCustomer' for tenant 'alpha'"


def test_an_unknown_operation_is_a_spec_problem_with_a_hint(make_project, servers: Servers, jwks: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_project(make_project(_files(servers, jwks, "[getCustomers]"), tenants=TOOL_TENANTS))
    [problem] = caught.value.problems
    assert problem.file == "tenantflow.yaml" and problem.location == "gateway.openapi[0].operations[0]"
    assert (problem.message, problem.hint) == ("operation 'getCustomers' is not in apis/crm.yaml",
                                               "did you mean 'getCustomer'?")


# -- MCP -------------------------------------------------------------------------------------

async def test_an_mcp_tool_is_discovered_and_called_with_its_own_token(engine: Engine, servers: Servers) -> None:
    schema = engine.project.tools.entries["tix.search_tickets"].input_schema
    assert schema["required"] == ["query"] and schema["properties"]["limit"]["type"] == "integer"
    token, result = await _run(engine, "agent", "beta", "crm.read tickets.read", {"q": "refund"})
    assert result.output == {"reply": "[large-v1] done"}
    mcp_seen = [s for s in servers.seen if s["api"] == "mcp"]
    assert mcp_seen and {s["claims"]["aud"] for s in mcp_seen} == {TICKETS}
    assert {s["claims"]["scope"] for s in mcp_seen} == {"tickets.read"}
    assert all(token not in s["raw"] for s in servers.seen)


async def test_policy_reads_an_mcp_tools_input(engine: Engine, servers: Servers) -> None:
    from engine.policy.authorizer import AccessDenied

    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "search", "beta", "tickets.read")  # limit 50
    assert caught.value.reasons == ("policies/platform.cedar:9",)
    assert servers.seen == []


async def test_an_mcp_server_lacking_an_allow_listed_tool_fails_open_closed(make_project, servers: Servers,
                                                                           jwks: str) -> None:
    files = _files(servers, jwks)
    files["tenantflow.yaml"] = files["tenantflow.yaml"].replace("tools: [search_tickets]",
                                                                "tools: [search_tickets, export_everything]")
    with pytest.raises(SpecError) as caught:
        async with Engine.open(make_project(files, tenants=TOOL_TENANTS)):
            pass
    [problem] = caught.value.problems
    assert problem.message == f"MCP server {servers.mcp_url} does not offer export_everything"
    assert problem.hint == "it offers: drop_all_tables, search_tickets"


# -- the model sees only the tools policy allows, and tool-use turns go through the gateway -----

async def test_the_model_sees_only_allowed_tools_and_its_calls_run_through_the_gateway(
        engine: Engine, servers: Servers, monkeypatch: pytest.MonkeyPatch) -> None:
    seen_tools: dict[str, list[str]] = {}
    for tenant in ("alpha", "beta"):
        _, provider = engine.tenants.model(engine.settings(tenant), "tier")
        original = provider.converse

        async def recording(request: ChatRequest, original: Any = original) -> ChatResponse:
            seen_tools.setdefault(request.tenant_id, [t.name for t in request.tools])
            return await original(request)

        monkeypatch.setattr(provider, "converse", recording)
    for tenant in ("alpha", "beta"):
        await _run(engine, "agent", tenant, "crm.read crm.write tickets.read", {"q": "x"})
    assert seen_tools == {"alpha": ["crm.getCustomer", "tix.search_tickets"],  # basic: no createNote
                          "beta": ["crm.getCustomer", "crm.createNote", "tix.search_tickets"]}
    crm_calls = [s for s in servers.seen if s["api"] == "getCustomer"]
    # The model named another tenant in its tool call: the gateway set each caller's own.
    assert [c["query"]["tenant"] for c in crm_calls] == ["alpha", "beta"]


async def test_a_development_context_cannot_reach_delegated_tools(engine: Engine, servers: Servers) -> None:
    with pytest.raises(AuthError) as caught:
        await engine.run("lookup", engine.dev_context("alpha", "u1", "s1"), {})
    assert "needs the run's user token" in str(caught.value)
    assert servers.seen == []


# -- trace context on outgoing calls ----------------------------------------------------------

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_with_traces_on_each_tool_call_carries_its_runs_traceparent_and_never_baggage(
        engine: Engine, servers: Servers, captured: Captured) -> None:
    # alpha's run continues a caller's trace that brings tracestate and baggage; beta's starts its own.
    caller = incoming({"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01", "tracestate": "vendor=opaque",
                       "baggage": "user.email=ada@example.com"})
    assert caller is not None
    attached = otel_context.attach(caller)
    try:
        await _run(engine, "agent", "alpha", "crm.read tickets.read", {"q": "x"})
    finally:
        otel_context.detach(attached)
    await _run(engine, "agent", "beta", "crm.read tickets.read", {"q": "x"})

    tool_spans = {(s.attributes or {})["tenant.id"]: {} for s in captured.spans("execute_tool")}
    for span in captured.spans("execute_tool"):
        attrs = span.attributes or {}
        tool_spans[str(attrs["tenant.id"])][str(attrs["gen_ai.tool.name"])] = span
    calls = [(s["api"], s["claims"]["tenant_id"], s["trace"]) for s in servers.seen]
    assert {(api, tenant) for api, tenant, _ in calls} == {(api, t) for api in ("getCustomer", "mcp")
                                                          for t in ("alpha", "beta")}
    for api, tenant, trace in calls:
        assert set(trace) == {"traceparent"}, trace  # no baggage, no tracestate: the caller's, not ours to pass on
        version, trace_id, parent_id, flags = trace["traceparent"].split("-")
        span = tool_spans[tenant]["crm.getCustomer" if api == "getCustomer" else "tix.search_tickets"]
        # The call's parent is that tenant's own execute_tool span, in its own run's trace.
        assert version == "00" and int(flags, 16) & 1  # sampled (the SDK may set the "random" bit too)
        assert (int(trace_id, 16), int(parent_id, 16)) == (span.context.trace_id, span.context.span_id)
        assert (trace_id == CALLER_TRACE) == (tenant == "alpha")


async def test_with_traces_off_tool_calls_carry_no_trace_headers(engine: Engine, servers: Servers) -> None:
    caller = incoming({"traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01", "baggage": "plan=gold"})
    assert caller is not None
    attached = otel_context.attach(caller)  # a caller's context alone is not ours to forward
    try:
        await _run(engine, "agent", "alpha", "crm.read tickets.read", {"q": "x"})
    finally:
        otel_context.detach(attached)
    assert servers.seen and all(s["trace"] == {} for s in servers.seen)
