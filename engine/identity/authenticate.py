"""From a verified token to the run's TenantContext, and the credential that travels beside it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Container
from dataclasses import dataclass

from engine.context import TenantContext
from engine.identity.credentials import UserCredential
from engine.identity.verify import TokenRejected, TokenVerifier
from engine.ids import is_valid_id
from engine.telemetry import logs


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the run's context (ids and claims) and, beside it, the credential."""

    context: TenantContext
    credential: UserCredential


def authenticate(verifier: TokenVerifier, token: str, *, tenants: Container[str], tier_of: Callable[[str], str],
                 session_id: str, request_id: str = "", wait: bool = True) -> Caller:
    """Verify ``token`` and build the caller's context; raise TokenRejected on any doubt.

    The tenant must exist. The tenant file's tier is the authority: a token
    claiming another tier is accepted with the file's tier, and the
    disagreement is logged (see docs/identity.md). ``session_id`` is a plain
    session id, or a full thread id ``tenant:user:session`` that must belong
    to the token's tenant and user. ``wait=False``: never wait for an issuer's JWKS fetch (see
    :meth:`TokenVerifier.pending`).
    """
    identity = verifier.identify(token, wait=wait)
    if identity.tenant_id not in tenants:
        raise TokenRejected("unknown-tenant", f"tenant '{identity.tenant_id}' named by the token does not exist",
                            issuer=identity.issuer)
    session = _session(identity.tenant_id, identity.user_id, session_id, identity.issuer)
    tier = tier_of(identity.tenant_id)
    if identity.tier is not None and identity.tier != tier:
        logs.event("identity.tier_mismatch", logging.WARNING, **{"tenant.id": identity.tenant_id,
                   "token.tier": identity.tier, "tenant.tier": tier, "token.issuer": identity.issuer})
    context = TenantContext(tenant_id=identity.tenant_id, tier=tier, user_id=identity.user_id, session_id=session,
                            request_id=request_id, scopes=identity.scopes, attributes=identity.attributes,
                            issuer=identity.issuer)
    credential = UserCredential(token=token, issuer=identity.issuer, subject=identity.subject,
                                tenant_id=identity.tenant_id, user_id=identity.user_id, scopes=identity.scopes,
                                expires_at=identity.expires_at, leeway_s=identity.leeway_s)
    return Caller(context, credential)


def _session(tenant: str, user: str, session_id: str, issuer: str) -> str:
    if session_id.count(":") == 2:
        owner, owner_user, session = session_id.split(":")
        if owner != tenant:
            raise TokenRejected("session", f"session '{session_id}' belongs to tenant '{owner}', not to the token's "
                                f"tenant '{tenant}'", issuer=issuer)
        if owner_user != user:
            raise TokenRejected("session", f"session '{session_id}' belongs to user '{owner_user}', not to the "
                                f"token's user '{user}'", issuer=issuer)
        session_id = session
    if not is_valid_id(session_id):
        raise TokenRejected("session", f"invalid session id {session_id!r}: must match [A-Za-z0-9][A-Za-z0-9_-]* "
                            "or be a thread id tenant:user:session", issuer=issuer)
    return session_id
