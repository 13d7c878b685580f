"""Act on behalf, never impersonate: every tool that calls a resource server gets its own exchanged token.

The exchanged token is checked as a resource server would: ``sub`` is the
user, ``act`` names the workflow, ``aud`` is the tool's resource server,
``scope`` is narrowed to what the tool needs, and it expires soon. The RFC
8693 client is tested over real HTTP against the built-in token service
served by uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from engine.engine import Engine
from engine.errors import AuthError, RunError
from engine.identity.exchange import (
    ACCESS_TOKEN,
    GRANT_TYPE,
    JWT_TOKEN,
    ExchangeRefused,
    ExchangeRequest,
    HttpExchanger,
    TokenService,
)
from engine.identity.server import token_app
from engine.project import load_project
from engine.telemetry.logs import LOGGER_NAME, JsonFormatter
from tests.identity.support import (
    DEV_SECRET,
    DEV_SECRET_ENV,
    TENANTS,
    JwksServer,
    claims,
    jwk,
    jwks_server,
    project_files,
    rsa_key,
    serve_asgi,
    sign,
)

NOTES = "https://notes.example.test"
BILLING = "https://billing.example.test"

TOOLS = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool

SEEN = []


@tool("notes.fetch")
def fetch(*, key: str, ctx: SkillContext) -> dict:
    SEEN.append({"tenant": ctx.tenant.tenant_id, "token": ctx.token, "ctx_repr": repr(ctx)})
    return {"key": key, "note": "remember the milk"}


@tool("billing.refund")
def refund(*, key: str, ctx: SkillContext) -> dict:
    SEEN.append({"tenant": ctx.tenant.tenant_id, "token": ctx.token, "ctx_repr": repr(ctx)})
    return {"refunded": key}


@tool("notes.echo_token")
def echo_token(*, key: str, ctx: SkillContext) -> dict:
    # A careless (or hostile) tool echoing its credential: the gateway must not let it into state.
    return {"key": key, "access_token": ctx.token.access_token, "note": "token=" + ctx.token.access_token}
'''

GATEWAY = f"""\
gateway:
  tools:
    notes.fetch: {{audience: {NOTES}, scopes: ["notes:read"]}}
    notes.echo_token: {{audience: {NOTES}, scopes: ["notes:read"]}}
    billing.refund: {{audience: {BILLING}, scopes: ["billing:write"]}}
"""


def _workflow(name: str, tool: str) -> str:
    return (f"apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {{name: {name}}}\ninput:\n  key: {{type: string}}\n"
            f"steps:\n  - id: call\n    tool: {tool}\n    with: {{key: \"{{{{ input.key }}}}\"}}\n"
            f"  - return: {{result: \"{{{{ steps.call }}}}\"}}\n")


TENANTS_WITH_TOOLS = {
    "alpha": TENANTS["alpha"].replace("['notes.*']", "['notes.*', 'billing.*']"),
    "beta": TENANTS["beta"].replace("['notes.*']", "['notes.*', 'billing.*']"),
}


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with jwks_server([jwk(rsa_key("idp"), "k1")]) as server:
        yield server


def _files(jwks_url: str, exchange: str | None = None) -> dict[str, str]:
    files = project_files(jwks_url, GATEWAY, exchange)
    files.update({"skills/notes_tools.py": TOOLS, "workflows/notes.yaml": _workflow("notes", "notes.fetch"),
                  "workflows/refund.yaml": _workflow("refund", "billing.refund"),
                  "workflows/echo.yaml": _workflow("echo", "notes.echo_token")})
    return files


@pytest.fixture
def engine(make_project, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    return Engine(load_project(make_project(_files(jwks.url), tenants=TENANTS_WITH_TOOLS)))


def _seen(engine: Engine) -> list[dict[str, Any]]:
    definition = engine.project.registry.resolve("tool", "notes.fetch", "alpha")
    assert definition is not None and definition.fn is not None
    seen: list[dict[str, Any]] = definition.fn.__globals__["SEEN"]
    return seen


async def _run(engine: Engine, workflow: str, tenant: str, scopes: str, user: str = "u1") -> Any:
    caller = engine.authenticate(sign(claims(tenant, user, scopes=scopes)), session_id="s1")
    return await engine.run(workflow, caller.context, {"key": "k1"}, credential=caller.credential)


@pytest.mark.parametrize("tenant", ["alpha", "beta"])
async def test_the_tool_gets_a_narrowed_short_lived_token_for_its_audience_acting_for_the_user(
        engine: Engine, tenant: str) -> None:
    result = await _run(engine, "notes", tenant, "notes:read billing:read billing:write", user="u7")
    assert result.steps["call"] == {"key": "k1", "note": "remember the milk"}
    [seen] = _seen(engine)
    token = seen["token"]
    assert seen["tenant"] == tenant and token.audience == NOTES and token.scopes == frozenset({"notes:read"})
    assert token.access_token not in seen["ctx_repr"]  # a tool printing its context does not print the token
    assert engine.token_service is not None
    issued = engine.token_service.verify_issued(token.access_token, NOTES)
    assert issued["sub"] == "u7"
    assert issued["act"] == {"sub": "workflow:testproj/notes", "iss": "tenantflow-workload"}
    assert issued["aud"] == NOTES
    assert issued["scope"] == "notes:read"  # not billing:*: only what the tool needs
    assert issued["tenant_id"] == tenant
    assert issued["exp"] - issued["iat"] == 120 and issued["exp"] <= time.time() + 121
    with pytest.raises(jwt.InvalidAudienceError):
        engine.token_service.verify_issued(token.access_token, BILLING)  # useless at another resource server


async def test_a_tool_needing_a_scope_the_user_lacks_is_refused_before_it_runs(engine: Engine) -> None:
    with pytest.raises(ExchangeRefused) as caught:
        await _run(engine, "refund", "alpha", "notes:read billing:read")
    assert isinstance(caught.value, AuthError)
    assert str(caught.value) == ("token exchange refused (invalid_scope): tool 'billing.refund' needs scope "
                                 "'billing:write' that user 'u1' does not have")
    assert _seen(engine) == []
    result = await _run(engine, "refund", "beta", "billing:write")  # a user who has it
    assert result.steps["call"] == {"refunded": "k1"}


async def test_a_development_context_cannot_call_a_tool_that_acts_for_a_user(engine: Engine) -> None:
    with pytest.raises(AuthError) as caught:
        await engine.run("notes", engine.dev_context("alpha", "u1", "s1"), {"key": "k1"})
    assert str(caught.value) == ("tool 'notes.fetch' acts on behalf of the user and needs the run's user token; "
                                 "this run has none (run it with a verified token)")
    assert _seen(engine) == []


async def test_exchanged_tokens_are_reused_while_they_live(engine: Engine) -> None:
    caller = engine.authenticate(sign(claims("alpha", "u1", scopes="notes:read")), session_id="s1")
    for _ in range(3):
        await engine.run("notes", caller.context, {"key": "k1"}, credential=caller.credential)
    assert engine.delegation is not None and engine.delegation.exchanges == 1
    other = engine.authenticate(sign(claims("beta", "u1", scopes="notes:read")), session_id="s1")
    await engine.run("notes", other.context, {"key": "k1"}, credential=other.credential)
    assert engine.delegation.exchanges == 2  # never shared across users or tenants
    tokens = {s["token"].access_token for s in _seen(engine)}
    assert len(tokens) == 2


async def test_a_tool_echoing_its_token_cannot_put_it_in_state(engine: Engine) -> None:
    result = await _run(engine, "echo", "alpha", "notes:read")
    assert result.steps["call"] == {"key": "k1", "access_token": "[redacted]", "note": "token=[redacted]"}


# -- the user's token never leaves the side channel -------------------------------------------

async def test_the_users_token_never_reaches_a_tool_state_checkpoints_memory_logs_or_traces(
        make_project, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.telemetry.instruments import activate
    from tests.telemetry.support import capture

    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    files = _files(jwks.url)
    files["tenantflow.yaml"] = files["tenantflow.yaml"].replace("stores: {checkpointer: memory, store: memory}",
                                                                "stores: {checkpointer: sqlite, store: sqlite}")
    root = make_project(files, tenants=TENANTS_WITH_TOOLS)
    exporter = capture().exporter
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(LOGGER_NAME)
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    token = sign(claims("alpha", "u1", scopes="notes:read", **{"custom:tier": "premium"}))
    try:
        async with Engine.open(root) as engine:
            caller = engine.authenticate(token, session_id="s1")
            result = await engine.run("notes", caller.context, {"key": "k1"}, credential=caller.credential)
            await engine.run("probe", caller.context, {"text": "x"}, credential=caller.credential)
            snapshot = await engine.compile("notes", "alpha").graph.aget_state(
                {"configurable": {"thread_id": caller.context.thread_id}})
    finally:
        activate(None)
        log.removeHandler(handler)
        log.setLevel(level)
    signature = token.rsplit(".", 1)[1]
    [seen] = _seen(engine)
    delegated = seen["token"].access_token
    assert delegated != token and signature not in delegated  # the tool got its own token, not the user's
    spans = repr([(s.name, dict(s.attributes or {}), [e.attributes for e in s.events]) for s in
                  exporter.get_finished_spans()])
    stored = b"".join(p.read_bytes() for p in (root / ".tenantflow").rglob("*") if p.is_file())
    rows = b""
    for db in (root / ".tenantflow").rglob("*.sqlite"):
        with sqlite3.connect(db) as conn:
            for (table,) in conn.execute("select name from sqlite_master where type='table'"):
                rows += repr(conn.execute(f"select * from {table}").fetchall()).encode()
    assert stored and rows and "execute_tool notes.fetch" in spans and "skill.called" in stream.getvalue()
    for secret in (token, signature, delegated, delegated.rsplit(".", 1)[1]):
        assert secret not in repr(result.to_json())
        assert secret not in repr(snapshot.values)
        assert secret.encode() not in stored and secret.encode() not in rows
        assert secret not in stream.getvalue()
        assert secret not in spans
        assert secret not in repr(caller.context)


# -- RFC 8693 over real HTTP -----------------------------------------------------------------

class _Holder:
    service: TokenService | None = None


@pytest.fixture
def sts() -> Iterator[tuple[str, _Holder]]:
    """The built-in token service's HTTP app on 127.0.0.1; the test sets its service once the engine exists."""
    holder = _Holder()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert holder.service is not None
        await token_app(holder.service)(scope, receive, send)

    with serve_asgi(app) as url:
        yield f"{url}/token", holder


async def test_the_rfc8693_client_exchanges_over_http_with_an_external_token_service(
        make_project, jwks: JwksServer, sts: tuple[str, _Holder], monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, holder = sts
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    exchange = f"  exchange: {{service: http, endpoint: '{endpoint}', timeout_s: 5}}\n"
    engine = Engine(load_project(make_project(_files(jwks.url, exchange), tenants=TENANTS_WITH_TOOLS)))
    assert engine.verifier is not None and engine.token_service is None
    holder.service = TokenService(engine.verifier, engine.workload, issuer="https://sts.example.test", ttl_s=60,
                                  audiences={NOTES, BILLING})
    for tenant in ("alpha", "beta"):
        result = await _run(engine, "notes", tenant, "notes:read billing:write")
        assert result.steps["call"]["key"] == "k1"
    tokens = [s["token"] for s in _seen(engine)]
    issued = [holder.service.verify_issued(t.access_token, NOTES) for t in tokens]
    assert [(c["iss"], c["sub"], c["tenant_id"], c["scope"], c["act"]["sub"]) for c in issued] == [
        ("https://sts.example.test", "u1", "alpha", "notes:read", "workflow:testproj/notes"),
        ("https://sts.example.test", "u1", "beta", "notes:read", "workflow:testproj/notes")]
    assert all(c["exp"] - c["iat"] <= 60 for c in issued)


async def test_the_token_service_refuses_bad_requests_with_rfc_errors(
        make_project, jwks: JwksServer, sts: tuple[str, _Holder], monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint, holder = sts
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    engine = Engine(load_project(make_project(_files(jwks.url), tenants=TENANTS_WITH_TOOLS)))
    assert engine.verifier is not None
    holder.service = TokenService(engine.verifier, engine.workload, issuer="https://sts.example.test", ttl_s=60,
                                  audiences={NOTES})
    user = sign(claims("alpha", "u1", scopes="notes:read"))
    actor = engine.workload.actor_token("notes")
    good = ExchangeRequest(subject_token=user, actor_token=actor, audience=NOTES, scopes=frozenset({"notes:read"}))
    client = HttpExchanger(endpoint, timeout_s=5)
    body = await client.exchange(good)
    assert (body["issued_token_type"], body["token_type"], body["scope"]) == (ACCESS_TOKEN, "Bearer", "notes:read")
    assert 0 < body["expires_in"] <= 60
    cases = [
        (ExchangeRequest(user, actor, NOTES, frozenset({"notes:read", "notes:write"})), "invalid_scope",
         "user 'u1' lacks scope 'notes:write'"),
        (ExchangeRequest(user, actor, BILLING, frozenset()), "invalid_target",
         f"audience '{BILLING}' is not a resource server this service issues tokens for"),
        (ExchangeRequest(user, user, NOTES, frozenset()), "invalid_request", "actor_token does not verify: "),
        (ExchangeRequest(sign(claims("alpha", aud="elsewhere")), actor, NOTES, frozenset()), "invalid_request",
         "subject_token: token rejected: token audience 'elsewhere' is not accepted"),
        (ExchangeRequest(sign(claims("alpha", may_act={"sub": "workflow:testproj/other"})), actor, NOTES,
                         frozenset()), "invalid_request",
         "the subject token does not allow 'workflow:testproj/notes' to act for it"),
    ]
    for request, error, description in cases:
        with pytest.raises(ExchangeRefused) as caught:
            await client.exchange(request)
        assert (caught.value.error, caught.value.status) == (error, 400)
        assert caught.value.description.startswith(description)
    async with httpx.AsyncClient() as raw:
        no_actor = await raw.post(endpoint, data={"grant_type": GRANT_TYPE, "subject_token": user,
                                                  "subject_token_type": ACCESS_TOKEN, "audience": NOTES})
        wrong_grant = await raw.post(endpoint, data={"grant_type": "client_credentials"})
    assert no_actor.status_code == 400 and no_actor.json() == {
        "error": "invalid_request", "error_description": "actor_token is required: this service does not impersonate"}
    assert no_actor.headers["cache-control"] == "no-store"
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    assert JWT_TOKEN in ExchangeRequest(user, actor, NOTES, frozenset()).form().values()


async def test_an_unreachable_token_service_fails_the_tool_closed(make_project, jwks: JwksServer,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    exchange = "  exchange: {service: http, endpoint: 'http://127.0.0.1:9/token', timeout_s: 1}\n"
    engine = Engine(load_project(make_project(_files(jwks.url, exchange), tenants=TENANTS_WITH_TOOLS)))
    with pytest.raises((RunError, AuthError)) as caught:
        await _run(engine, "notes", "alpha", "notes:read")
    assert "token service unreachable" in str(caught.value)
    assert _seen(engine) == []


def test_an_exchange_refusal_names_no_token(tmp_path: Path) -> None:
    error = ExchangeRefused("invalid_scope", "user 'u1' lacks scope 'x'")
    assert str(error) == "token exchange refused (invalid_scope): user 'u1' lacks scope 'x'"
