"""The tool gateway's run-time half: interceptor chains around every tool call.

Request interceptors run after policy allowed the call and the exchanged
token (if any) is in hand; response interceptors run on what the tool
returned, before it reaches graph state or the model.

- ``tenant_arguments`` sets arguments from the verified context
  (``gateway.arguments``), whatever the workflow or the model passed: a
  prompt-injected model cannot point a tool at another tenant. It runs
  before the policy decision, so policies see the arguments the tool gets.
- ``validate_claims`` checks the exchanged token is for this tool's
  audience, within its scopes, unexpired, and that the run's user is who it
  acts for.
- ``sanitize_results`` drops credential-looking keys, redacts the tool's
  own token if the tool echoes it, and refuses oversized results.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from engine.context import TenantContext
from engine.errors import AuthError, SkillError
from engine.identity.credentials import DelegatedToken, token_expired
from engine.tools.catalog import ToolCatalog

CREDENTIAL_KEYS = frozenset({"access_token", "refresh_token", "id_token", "authorization", "password", "secret",
                             "client_secret", "api_key", "apikey", "token", "private_key"})
REDACTED = "[redacted]"


@dataclass(frozen=True)
class ToolRequest:
    name: str
    ctx: TenantContext
    arguments: dict[str, Any]
    token: DelegatedToken | None = None


RequestInterceptor = Callable[[ToolCatalog, ToolRequest], ToolRequest]
ResponseInterceptor = Callable[[ToolCatalog, ToolRequest, Any], Any]


def tenant_arguments(catalog: ToolCatalog, request: ToolRequest) -> ToolRequest:
    forced = catalog.tenant_arguments(request.name)
    if not forced:
        return request
    values = {"tenant_id": request.ctx.tenant_id, "user_id": request.ctx.user_id, "tier": request.ctx.tier}
    return replace(request, arguments={**request.arguments, **{arg: values[src] for arg, src in forced.items()}})


def validate_claims(catalog: ToolCatalog, request: ToolRequest) -> ToolRequest:
    access = catalog.access(request.name)
    token = request.token
    if access is None:
        if token is not None:
            raise AuthError(f"tool '{request.name}' needs no delegated token but got one")
        return request
    if token is None:
        raise AuthError(f"tool '{request.name}' acts on behalf of the user and has no exchanged token")
    if token.audience != access.audience:
        raise AuthError(f"tool '{request.name}' got a token for '{token.audience}', not for '{access.audience}'")
    if not token.scopes <= frozenset(access.scopes):
        raise AuthError(f"tool '{request.name}' got scopes beyond what it needs")
    if token_expired(token.expires_at):
        raise AuthError(f"the exchanged token of tool '{request.name}' has expired")
    return request


def sanitize_results(catalog: ToolCatalog, request: ToolRequest, result: Any) -> Any:
    secret = request.token.access_token if request.token is not None else None
    cleaned = _clean(result, secret)
    try:
        size = len(json.dumps(cleaned, default=str))
    except (TypeError, ValueError):
        raise SkillError(request.name, f"tool '{request.name}' returned a result that is not JSON data") from None
    if size > catalog.spec.max_result_bytes:
        raise SkillError(request.name, f"tool '{request.name}' returned {size} bytes; at most "
                         f"{catalog.spec.max_result_bytes} are accepted")
    return cleaned


def _clean(value: Any, secret: str | None) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in CREDENTIAL_KEYS else _clean(v, secret)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v, secret) for v in value]
    if isinstance(value, str) and secret and secret in value:
        return value.replace(secret, REDACTED)
    return value


REQUEST_INTERCEPTORS: dict[str, RequestInterceptor] = {
    "tenant_arguments": tenant_arguments,
    "validate_claims": validate_claims,
}
RESPONSE_INTERCEPTORS: dict[str, ResponseInterceptor] = {"sanitize_results": sanitize_results}


class ToolGateway:
    """The configured interceptor chains for one project."""

    def __init__(self, catalog: ToolCatalog):
        self.catalog = catalog
        names = catalog.spec.interceptors
        self.rewrite_arguments = "tenant_arguments" in names.request
        self._request = [REQUEST_INTERCEPTORS[n] for n in names.request if n != "tenant_arguments"]
        self._response = [RESPONSE_INTERCEPTORS[n] for n in names.response]

    def rewrite(self, name: str, ctx: TenantContext, arguments: dict[str, Any]) -> dict[str, Any]:
        if not self.rewrite_arguments:
            return arguments
        return tenant_arguments(self.catalog, ToolRequest(name, ctx, arguments)).arguments

    def before(self, request: ToolRequest) -> ToolRequest:
        for interceptor in self._request:
            request = interceptor(self.catalog, request)
        return request

    def after(self, request: ToolRequest, result: Any) -> Any:
        for interceptor in self._response:
            result = interceptor(self.catalog, request, result)
        return result
