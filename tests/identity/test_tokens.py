"""A TenantContext is built only from a verified token; every hostile token is refused precisely.

Tokens are signed with real keys and verified against a JWKS endpoint this
test serves on 127.0.0.1, a PEM key file, a JWKS file and a development
HS256 secret. Each refusal happens in ``Engine.authenticate``, before a run
can start, and the probe skill proves no step ran.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from engine.engine import Engine
from engine.errors import AuthError
from engine.identity.dev import mint_dev_token
from engine.identity.jwks import JwksUrl
from engine.identity.verify import TokenRejected
from engine.project import load_project
from engine.telemetry.logs import LOGGER_NAME
from tests.identity.support import (
    AUDIENCE,
    DEV_ISSUER,
    DEV_SECRET,
    DEV_SECRET_ENV,
    FILE_ISSUER,
    IDP,
    PEM_ISSUER,
    TENANTS,
    JwksServer,
    claims,
    jwk,
    jwks_server,
    project_files,
    public_pem,
    rsa_key,
    sign,
)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with jwks_server([jwk(rsa_key("idp"), "k1")]) as server:
        yield server


@pytest.fixture
def engine(make_project, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    return Engine(load_project(make_project(project_files(jwks.url), tenants=TENANTS)))


def _calls(engine: Engine) -> list[Any]:
    definition = engine.project.registry.resolve("skill", "probe", "alpha")
    assert definition is not None and definition.fn is not None
    calls: list[Any] = definition.fn.__globals__["CALLS"]
    return calls


async def _run_as(engine: Engine, token: str, session: str = "s1") -> Any:
    caller = engine.authenticate(token, session_id=session)
    return await engine.run("probe", caller.context, {"text": "hello"}, credential=caller.credential)


# -- good tokens, from every kind of key source ----------------------------------------------

async def test_a_verified_token_builds_the_context_and_the_run_uses_it(engine: Engine) -> None:
    token = sign(claims("alpha", "u1", **{"custom:department": "billing", "custom:tier": "basic"}))
    caller = engine.authenticate(token, session_id="s1", request_id="r-1")
    ctx = caller.context
    assert (ctx.tenant_id, ctx.tier, ctx.user_id, ctx.session_id, ctx.request_id, ctx.issuer) == (
        "alpha", "basic", "u1", "s1", "r-1", IDP)
    assert ctx.scopes == frozenset({"billing:read", "notes:read"})
    assert ctx.attributes == (("department", "billing"),)
    assert token not in repr(ctx) and token not in repr(caller) and token not in repr(caller.credential)
    result = await engine.run("probe", ctx, {"text": "hi"}, credential=caller.credential)
    assert result.output == {"ran": True} and result.thread_id == "alpha:u1:s1"
    assert _calls(engine) == [("skill", "alpha", "hi")]


async def test_two_tenants_each_get_their_own_context_from_their_own_tokens(engine: Engine) -> None:
    alpha = engine.authenticate(sign(claims("alpha", "u1")), session_id="s1").context
    beta = engine.authenticate(sign(claims("beta", "u1")), session_id="s1").context
    assert (alpha.tenant_id, alpha.tier, alpha.thread_id) == ("alpha", "basic", "alpha:u1:s1")
    assert (beta.tenant_id, beta.tier, beta.thread_id) == ("beta", "premium", "beta:u1:s1")


def test_pem_jwks_file_and_development_issuers_are_trusted(engine: Engine) -> None:
    pem = engine.authenticate(sign(claims("beta", "u2", iss=PEM_ISSUER), kid="any"), session_id="s1").context
    from_file = engine.authenticate(sign(claims("alpha", "u3", iss=FILE_ISSUER), kid="file-1"), session_id="s1")
    dev = mint_dev_token(engine.project.spec.identity, tenant="beta", user="dev1", scopes=["notes:read"],
                         issuer=DEV_ISSUER)
    dev_ctx = engine.authenticate(dev, session_id="s1").context
    assert (pem.tenant_id, pem.user_id, pem.issuer) == ("beta", "u2", PEM_ISSUER)
    assert (from_file.context.tenant_id, from_file.context.issuer) == ("alpha", FILE_ISSUER)
    assert (dev_ctx.tenant_id, dev_ctx.user_id, dev_ctx.scopes, dev_ctx.issuer) == (
        "beta", "dev1", frozenset({"notes:read"}), DEV_ISSUER)


def test_the_tenant_files_tier_wins_over_the_tokens_and_the_disagreement_is_logged(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    token = sign(claims("alpha", "u1", **{"custom:tier": "premium"}))
    with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
        ctx = engine.authenticate(token, session_id="s1").context
    assert ctx.tier == "basic"  # alpha's tenant file says basic; the token cannot upgrade it
    [record] = [r for r in caplog.records if r.getMessage() == "identity.tier_mismatch"]
    assert (record.tenant_id, record.token_tier, record.tenant_tier) == ("alpha", "premium", "basic")  # type: ignore[attr-defined]
    assert token not in caplog.text


def test_a_full_thread_id_of_the_callers_own_is_accepted(engine: Engine) -> None:
    ctx = engine.authenticate(sign(claims("alpha", "u1")), session_id="alpha:u1:s9").context
    assert ctx.thread_id == "alpha:u1:s9"


# -- hostile tokens: each refused precisely, before any step runs -----------------------------

def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims('alpha'))}."


def _hs256_with_the_public_key() -> str:
    # Algorithm confusion: the RSA public key (public knowledge) used as an HMAC secret.
    header, payload = _b64({"alg": "HS256", "typ": "JWT", "kid": "k1"}), _b64(claims("alpha"))
    import hashlib
    import hmac

    mac = hmac.new(public_pem(rsa_key("idp")), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _tampered() -> str:
    header, _payload, signature = sign(claims("alpha", "u1")).split(".")
    return f"{header}.{_b64(claims('beta', 'u1'))}.{signature}"  # payload swapped, signature kept


def _expired() -> str:
    data = claims("alpha")
    data["iat"], data["exp"] = 1_700_000_000, 1_700_000_600
    return sign(data)


def _not_yet_valid() -> str:
    data = claims("alpha")
    data["nbf"] = int(time.time()) + 3600
    return sign(data)


HOSTILE: list[tuple[str, Any, str, str, str]] = [
    ("alg none", _alg_none, "s1", "alg-none", "token rejected: unsigned token (alg 'none') refused"),
    ("HS256 signed with the RSA public key", _hs256_with_the_public_key, "s1", "algorithm",
     f"token rejected: algorithm 'HS256' is not allowed for issuer '{IDP}' (allowed: RS256)"),
    ("expired", _expired, "s1", "expired",
     "token rejected: token expired at 2023-11-14T22:23:20Z (leeway 5 s)"),
    ("not yet valid", _not_yet_valid, "s1", "not-yet-valid", "token rejected: token is not valid before "),
    ("wrong audience", lambda: sign(claims("alpha", aud="someone-else")), "s1", "audience",
     f"token rejected: token audience 'someone-else' is not accepted by issuer '{IDP}' (expected agents)"),
    ("wrong issuer", lambda: sign(claims("alpha", iss="https://evil.example.test")), "s1", "untrusted-issuer",
     "token rejected: issuer 'https://evil.example.test' is not trusted (trusted: "
     f"{FILE_ISSUER}, {IDP}, {PEM_ISSUER}, {DEV_ISSUER})"),
    ("unknown kid", lambda: sign(claims("alpha"), kid="k-unknown"), "s1", "unknown-kid",
     f"token rejected: unknown signing key id 'k-unknown' for issuer '{IDP}'"),
    ("signed by another key under a known kid", lambda: sign(claims("alpha"), rsa_key("attacker")), "s1", "signature",
     "token rejected: signature does not verify (tampered, or signed with another key)"),
    ("tampered payload", _tampered, "s1", "signature",
     "token rejected: signature does not verify (tampered, or signed with another key)"),
    ("missing tenant claim", lambda: sign(claims(None)), "s1", "no-tenant",
     "token rejected: token has no tenant claim 'custom:tenant_id'"),
    ("unknown tenant", lambda: sign(claims("gamma")), "s1", "unknown-tenant",
     "token rejected: tenant 'gamma' named by the token does not exist"),
    ("token of tenant A with a session of tenant B", lambda: sign(claims("alpha", "u1")), "beta:u1:s1", "session",
     "token rejected: session 'beta:u1:s1' belongs to tenant 'beta', not to the token's tenant 'alpha'"),
    ("oversized", lambda: sign(claims("alpha", padding="x" * 9000)), "s1", "oversized",
     "token rejected: token is "),
    ("not a JWT", lambda: "Bearer abc", "s1", "malformed",
     "token rejected: not a signed JWT (expected three dot-separated parts)"),
    ("no exp", lambda: sign({k: v for k, v in claims("alpha").items() if k != "exp"}), "s1", "missing-claim",
     "token rejected: token lacks the required claim 'exp'"),
]


@pytest.mark.parametrize(("token_of", "session", "reason", "message"),
                         [pytest.param(*case[1:], id=case[0]) for case in HOSTILE])
async def test_hostile_tokens_are_refused_before_any_step_runs(engine: Engine, token_of: Any, session: str,
                                                               reason: str, message: str) -> None:
    token = token_of()
    with pytest.raises(TokenRejected) as caught:
        await _run_as(engine, token, session)
    assert isinstance(caught.value, AuthError)
    assert caught.value.reason == reason
    assert str(caught.value).startswith(message)
    if message.endswith(("before ", "is ")):
        assert str(caught.value).endswith(("(leeway 5 s)", "at most 8192 are accepted"))
    assert "Traceback" not in str(caught.value) and token not in str(caught.value)
    assert _calls(engine) == []


def test_a_development_token_cannot_pass_for_the_production_issuer(engine: Engine) -> None:
    data = claims("alpha")  # iss = the RS256 issuer, signed with the dev HS256 secret
    token = jwt.encode(data, DEV_SECRET, algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(TokenRejected) as caught:
        engine.authenticate(token, session_id="s1")
    assert caught.value.reason == "algorithm"


def test_a_session_of_another_user_of_the_same_tenant_is_refused(engine: Engine) -> None:
    with pytest.raises(TokenRejected) as caught:
        engine.authenticate(sign(claims("alpha", "u1")), session_id="alpha:u2:s1")
    assert str(caught.value) == "token rejected: session 'alpha:u2:s1' belongs to user 'u2', not to the token's user 'u1'"


async def test_a_credential_cannot_be_paired_with_another_tenants_context(engine: Engine) -> None:
    alpha = engine.authenticate(sign(claims("alpha", "u1")), session_id="s1")
    beta = engine.authenticate(sign(claims("beta", "u1")), session_id="s1")
    with pytest.raises(AuthError) as caught:
        await engine.run("probe", beta.context, {"text": "x"}, credential=alpha.credential)
    assert str(caught.value) == "the credential does not belong to the run's tenant context"
    assert _calls(engine) == []


def test_a_project_without_identity_trusts_no_token(make_project) -> None:
    engine = Engine(load_project(make_project()))
    with pytest.raises(AuthError) as caught:
        engine.authenticate(sign(claims("alpha")), session_id="s1")
    assert str(caught.value) == "this project trusts no token issuer: add an identity: section to tenantflow.yaml"


def test_the_dev_secret_must_be_set(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEV_SECRET_ENV)
    token = jwt.encode(claims("alpha", iss=DEV_ISSUER), DEV_SECRET, algorithm="HS256")
    with pytest.raises(TokenRejected) as caught:
        engine.authenticate(token, session_id="s1")
    assert str(caught.value) == (f"token rejected: issuer '{DEV_ISSUER}': environment variable {DEV_SECRET_ENV} is "
                                 "not set (it holds the development signing secret)")


# -- JWKS caching and rotation ---------------------------------------------------------------

def test_jwks_is_cached_and_a_rotated_key_is_fetched_once_on_its_new_kid(jwks: JwksServer) -> None:
    now = [1000.0]
    source = JwksUrl(IDP, jwks.url, cache_s=300, clock=lambda: now[0], min_refetch_s=10)
    key = source.key_for("k1", "RS256")
    assert source.key_for("k1", "RS256") is key
    assert jwks.hits == 1  # cached
    jwks.keys = [jwk(rsa_key("idp"), "k1"), jwk(rsa_key("rotated"), "k2")]
    with pytest.raises(AuthError):
        source.key_for("k2", "RS256")  # within min_refetch_s of the last fetch: no refetch storm
    assert jwks.hits == 1
    now[0] += 11
    assert source.key_for("k2", "RS256") is not None  # unknown kid: one early refetch finds the new key
    assert jwks.hits == 2
    with pytest.raises(AuthError) as caught:
        source.key_for("k-forged", "RS256")  # just refetched: a forged kid cannot force another fetch
    assert str(caught.value) == f"unknown signing key id 'k-forged' for issuer '{IDP}'"
    assert jwks.hits == 2
    now[0] += 300
    source.key_for("k1", "RS256")  # the cache expired: answered from the keys it has, refreshed in the background
    deadline = time.monotonic() + 5
    while jwks.hits < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jwks.hits == 3


def test_a_key_published_for_another_algorithm_is_refused(jwks: JwksServer) -> None:
    jwks.keys = [{**jwk(rsa_key("idp"), "k1"), "alg": "RS512"}]
    source = JwksUrl(IDP, jwks.url, cache_s=300)
    with pytest.raises(AuthError) as caught:
        source.key_for("k1", "RS256")
    assert str(caught.value) == f"key 'k1' of issuer '{IDP}' is for RS512, not RS256"


def test_identity_config_errors_are_reported_with_their_place(make_project) -> None:
    from engine.errors import SpecError

    bad = """\
identity:
  issuers:
    - issuer: https://x.example
      audience: agents
      public_key_file: keys/idp.pem
      algorithms: [HS256]
    - issuer: dev
      audience: agents
      secret_env: DEV
      algorithms: [HS256]
"""
    from tests.conftest import PROJECT_YAML

    with pytest.raises(SpecError) as caught:
        load_project(make_project({"tenantflow.yaml": PROJECT_YAML + bad}))
    assert [str(p) for p in caught.value.problems] == [
        "tenantflow.yaml:18:7: identity.issuers[0]: algorithm HS256 needs secret_env; public keys accept only "
        "asymmetric algorithms",
        "tenantflow.yaml:22:7: identity.issuers[1]: secret_env (a shared HS256 secret) is for development only: set "
        "development: true",
    ]


def test_claim_audience_list_is_accepted(engine: Engine) -> None:
    ctx = engine.authenticate(sign(claims("alpha", aud=AUDIENCE) | {"aud": ["other", AUDIENCE]}),
                              session_id="s1").context
    assert ctx.tenant_id == "alpha"


def test_pem_source_ignores_kid_but_still_checks_the_signature(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(TokenRejected) as caught:
        engine.authenticate(sign(claims("alpha", iss=PEM_ISSUER), rsa_key("attacker")), session_id="s1")
    assert caught.value.reason == "signature"


def test_a_verified_token_is_remembered_by_digest_until_it_expires(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = engine.verifier
    assert verifier is not None
    alpha, beta = sign(claims("alpha", ttl=30)), sign(claims("beta", "u2"))
    decoded: list[str] = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda token, *a, **k: decoded.append(token) or real_decode(token, *a, **k))

    first = engine.authenticate(alpha, session_id="s1").context
    assert not verifier.remembered(beta)
    other = engine.authenticate(beta, session_id="s1").context
    again = engine.authenticate(alpha, session_id="s2").context
    assert (first.tenant_id, other.tenant_id, again.tenant_id) == ("alpha", "beta", "alpha")
    assert again.user_id == first.user_id and again.session_id == "s2"
    assert decoded == [alpha, beta]  # the second use of alpha's token checked no signature
    assert verifier.remembered(alpha) and verifier.remembered(beta)
    # Only digests are kept: the tokens themselves are nowhere in the verifier's memory.
    assert all(isinstance(key, bytes) and len(key) == 32 for key in verifier._verified)
    assert alpha not in repr(verifier._verified) and alpha.split(".")[2] not in repr(verifier._verified)

    # A token that differs in one byte is another token: verified in full, and refused.
    head, body, signature = alpha.split(".")
    # One bit of the signature's first byte flipped: still well-formed base64url (editing the last characters
    # could set padding bits and make the token malformed, "invalid", instead of badly signed).
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    forged = f"{head}.{body}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"
    with pytest.raises(TokenRejected) as caught:
        engine.authenticate(forged, session_id="s1")
    assert caught.value.reason == "signature" and not verifier.remembered(forged)

    # Once its exp (30 s away) has passed on the verifier's clock, the remembered answer is gone: the next use
    # checks the signature and the expiry again (PyJWT reads the real clock, so here it still passes).
    real_time = time.time
    monkeypatch.setattr(verifier, "_clock", lambda: real_time() + 31)
    assert not verifier.remembered(alpha) and verifier.remembered(beta)  # beta: 10 minutes to exp, remembered 60 s
    engine.authenticate(alpha, session_id="s3")
    assert decoded == [alpha, beta, forged, alpha]
