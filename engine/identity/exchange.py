"""Act on behalf, never impersonate: RFC 8693 token exchange for tools.

Before a tool that calls a resource server runs, the user's token (the
*subject*) and the workflow's workload token (the *actor*) are exchanged for
a short-lived token whose ``sub`` is the user, whose ``act`` names the
workflow, whose ``aud`` is the tool's resource server and whose ``scope`` is
what the tool needs, which must be scopes the user has.

- :class:`WorkloadIdentity` mints each workflow's actor token.
- :class:`TokenService` is the built-in token service (development and
  tests; ``engine.identity.server`` serves it over HTTP).
- :class:`HttpExchanger` is the RFC 8693 client for an external service;
  :class:`BuiltinExchanger` calls the built-in one in-process.
- :class:`Delegation` is what the engine uses per tool call.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt import exceptions as jwt_errors
from jwt.algorithms import ECAlgorithm

from engine.errors import AuthError
from engine.identity.credentials import DelegatedToken, UserCredential
from engine.identity.verify import TokenRejected, TokenVerifier, identity_from_claims
from engine.spec.project import ToolAccess

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN = "urn:ietf:params:oauth:token-type:jwt"
SUBJECT_TYPES = (ACCESS_TOKEN, JWT_TOKEN, "urn:ietf:params:oauth:token-type:id_token")
WORKLOAD_ISSUER = "tenantflow-workload"
WORKLOAD_AUDIENCE = "tenantflow-sts"
#: A cached exchanged token is reused only while it has at least this long to live.
REUSE_MARGIN_S = 30


class ExchangeRefused(AuthError):
    """The token service refused an exchange; ``error`` is the RFC 6749 error code."""

    code = "auth"

    def __init__(self, error: str, description: str, *, status: int = 400):
        self.error, self.description, self.status = error, description, status
        super().__init__(f"token exchange refused ({error}): {description}")


class _SigningKey:
    """An ES256 key pair with a kid, generated per process (fast, and never written anywhere)."""

    def __init__(self, prefix: str):
        self.private = ec.generate_private_key(ec.SECP256R1())
        digest = hashlib.sha256(str(id(self)).encode() + uuid.uuid4().bytes).hexdigest()[:12]
        self.kid = f"{prefix}-{digest}"

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**data, "kid": self.kid, "alg": "ES256", "use": "sig"}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="ES256", headers={"kid": self.kid})

    def verify(self, token: str, **kwargs: Any) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(token, self.private.public_key(), algorithms=["ES256"], **kwargs)
        return claims


def workload_id(project: str, workflow: str) -> str:
    """The workload identity of one workflow: each workflow acts as itself."""
    return f"workflow:{project}/{workflow}"


class WorkloadIdentity:
    """Mints and verifies the actor tokens of a project's workflows."""

    def __init__(self, project: str, *, issuer: str = WORKLOAD_ISSUER, audience: str = WORKLOAD_AUDIENCE,
                 ttl_s: int = 600, clock: Callable[[], float] = time.time):
        self.project, self.issuer, self.audience, self.ttl_s = project, issuer, audience, ttl_s
        self._key = _SigningKey("workload")
        self._clock = clock
        self._cache: dict[str, tuple[str, int]] = {}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._key.jwk()]}

    def actor_token(self, workflow: str) -> str:
        now = int(self._clock())
        cached = self._cache.get(workflow)
        if cached is not None and cached[1] - now > REUSE_MARGIN_S:
            return cached[0]
        exp = now + self.ttl_s
        token = self._key.sign({"iss": self.issuer, "sub": workload_id(self.project, workflow), "aud": self.audience,
                                "iat": now, "exp": exp, "jti": uuid.uuid4().hex})
        self._cache[workflow] = (token, exp)
        return token

    def verify(self, token: str) -> dict[str, Any]:
        try:
            return self._key.verify(token, audience=self.audience, issuer=self.issuer,
                                    options={"require": ["exp", "sub", "iss", "aud"]})
        except jwt_errors.InvalidTokenError as exc:
            raise ExchangeRefused("invalid_request", f"actor_token does not verify: {exc}") from None


class TokenService:
    """The built-in RFC 8693 token service, for development and tests.

    It trusts the project's user-token issuers (through the same verifier the
    engine uses) and one workload identity, issues tokens only for the
    audiences it is told about, and never widens a user's scopes.
    """

    def __init__(self, verifier: TokenVerifier, workload: WorkloadIdentity, *, issuer: str, ttl_s: int,
                 audiences: set[str], clock: Callable[[], float] = time.time):
        self.verifier, self.workload, self.issuer, self.ttl_s = verifier, workload, issuer, ttl_s
        self.audiences = set(audiences)
        self._key = _SigningKey("sts")
        self._clock = clock

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._key.jwk()]}

    def verify_issued(self, token: str, audience: str) -> dict[str, Any]:
        """Verify a token this service issued, as a resource server would."""
        return self._key.verify(token, audience=audience, issuer=self.issuer)

    def exchange(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer one token-exchange request (the form fields of RFC 8693 section 2.1)."""
        if form.get("grant_type") != GRANT_TYPE:
            raise ExchangeRefused("unsupported_grant_type", f"grant_type must be {GRANT_TYPE}")
        subject_token, actor_token = form.get("subject_token", ""), form.get("actor_token", "")
        if not subject_token:
            raise ExchangeRefused("invalid_request", "subject_token is required")
        if form.get("subject_token_type") not in SUBJECT_TYPES:
            raise ExchangeRefused("invalid_request", "subject_token_type must be an access_token, jwt or id_token "
                                  "token type")
        if not actor_token:
            # Agents act on behalf of users; they never impersonate them.
            raise ExchangeRefused("invalid_request", "actor_token is required: this service does not impersonate")
        if form.get("actor_token_type") != JWT_TOKEN:
            raise ExchangeRefused("invalid_request", f"actor_token_type must be {JWT_TOKEN}")
        audience = form.get("audience") or form.get("resource") or ""
        if audience not in self.audiences:
            raise ExchangeRefused("invalid_target", f"audience '{audience}' is not a resource server this service "
                                  "issues tokens for")
        try:
            issuer, claims = self.verifier.verify(subject_token)
            identity = identity_from_claims(issuer, claims)
        except TokenRejected as exc:
            raise ExchangeRefused("invalid_request", f"subject_token: {exc}") from None
        actor = self.workload.verify(actor_token)
        may_act = claims.get("may_act")
        if isinstance(may_act, dict) and may_act.get("sub") not in (None, actor["sub"]):
            raise ExchangeRefused("invalid_request", f"the subject token does not allow '{actor['sub']}' to act for it")
        requested = frozenset(form.get("scope", "").split())
        missing = sorted(requested - identity.scopes)
        if missing:
            raise ExchangeRefused("invalid_scope", f"user '{identity.user_id}' lacks scope "
                                  f"{', '.join(repr(s) for s in missing)}")
        granted = requested & identity.scopes
        now = int(self._clock())
        exp = min(now + self.ttl_s, int(claims["exp"]))
        act: dict[str, Any] = {"sub": actor["sub"], "iss": actor["iss"]}
        if isinstance(claims.get("act"), dict):
            act["act"] = claims["act"]  # the chain of earlier actors, outermost = current
        issued = {"iss": self.issuer, "sub": claims["sub"], "aud": audience, "scope": " ".join(sorted(granted)),
                  "iat": now, "nbf": now, "exp": exp, "jti": uuid.uuid4().hex, "act": act,
                  "tenant_id": identity.tenant_id, "client_id": actor["sub"], "subject_issuer": issuer.issuer}
        return {"access_token": self._key.sign(issued), "issued_token_type": ACCESS_TOKEN, "token_type": "Bearer",
                "expires_in": exp - now, "scope": " ".join(sorted(granted))}


@dataclass(frozen=True)
class ExchangeRequest:
    subject_token: str
    actor_token: str
    audience: str
    scopes: frozenset[str]

    def form(self) -> dict[str, str]:
        return {"grant_type": GRANT_TYPE, "subject_token": self.subject_token, "subject_token_type": ACCESS_TOKEN,
                "actor_token": self.actor_token, "actor_token_type": JWT_TOKEN, "audience": self.audience,
                "requested_token_type": ACCESS_TOKEN, "scope": " ".join(sorted(self.scopes))}


class Exchanger(Protocol):
    async def exchange(self, request: ExchangeRequest) -> dict[str, Any]: ...


class BuiltinExchanger:
    """Calls the built-in token service in-process, through the same form an HTTP client sends."""

    def __init__(self, service: TokenService):
        self.service = service

    async def exchange(self, request: ExchangeRequest) -> dict[str, Any]:
        return self.service.exchange(request.form())


class HttpExchanger:
    """An RFC 8693 client for an external token service (client authentication: HTTP Basic)."""

    def __init__(self, endpoint: str, *, client_id: str | None = None, client_secret: str | None = None,
                 timeout_s: float = 5.0):
        self.endpoint, self.timeout_s = endpoint, timeout_s
        self._auth: tuple[str, str] | None = (client_id, client_secret or "") if client_id else None

    async def exchange(self, request: ExchangeRequest) -> dict[str, Any]:
        import httpx

        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False) as client:
                response = await client.post(self.endpoint, data=request.form(),
                                             auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                                             headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ExchangeRefused("temporarily_unavailable", f"token service unreachable: {exc.__class__.__name__}",
                                  status=503) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            error = body.get("error", "server_error") if isinstance(body, dict) else "server_error"
            description = body.get("error_description", "") if isinstance(body, dict) else ""
            raise ExchangeRefused(str(error), str(description) or f"HTTP {response.status_code}",
                                  status=response.status_code)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ExchangeRefused("server_error", "the token service's answer has no access_token")
        return body


class Delegation:
    """Per tool call: the exchanged token for the tool's resource server, cached while it lives."""

    def __init__(self, exchanger: Exchanger, workload: WorkloadIdentity, *, clock: Callable[[], float] = time.time,
                 cache_size: int = 1024):
        self.exchanger, self.workload = exchanger, workload
        self._clock = clock
        self._cache: OrderedDict[tuple[str, str, str, frozenset[str]], DelegatedToken] = OrderedDict()
        self._cache_size = cache_size
        self.exchanges = 0

    async def token_for(self, credential: UserCredential, workflow: str, tool: str,
                        access: ToolAccess) -> DelegatedToken:
        needed = frozenset(access.scopes)
        missing = sorted(needed - credential.scopes)
        if missing:
            raise ExchangeRefused("invalid_scope", f"tool '{tool}' needs scope {', '.join(repr(s) for s in missing)} "
                                  f"that user '{credential.user_id}' does not have")
        key = (credential.fingerprint, workflow, access.audience, needed)
        now = int(self._clock())
        cached = self._cache.get(key)
        if cached is not None and cached.expires_at - now > REUSE_MARGIN_S:
            self._cache.move_to_end(key)
            return cached
        body = await self.exchanger.exchange(ExchangeRequest(
            subject_token=credential.token, actor_token=self.workload.actor_token(workflow),
            audience=access.audience, scopes=needed))
        self.exchanges += 1
        granted = frozenset(str(body.get("scope", "")).split())
        if not granted <= needed:
            raise ExchangeRefused("invalid_scope", f"the token service granted more than tool '{tool}' asked for")
        expires_in = int(body.get("expires_in") or 0)
        token = DelegatedToken(access_token=body["access_token"], audience=access.audience, scopes=granted,
                               expires_at=now + expires_in,
                               issued_token_type=str(body.get("issued_token_type", ACCESS_TOKEN)))
        self._cache[key] = token
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return token

