"""Tokens as values that travel beside a run, never inside it.

A :class:`UserCredential` holds the caller's raw, verified token; a
:class:`DelegatedToken` holds a token exchanged for one tool. Neither prints
its token (``repr`` hides it), and neither is ever put in a
:class:`~engine.context.TenantContext`, graph state, checkpoints, memory,
logs or spans. The engine hands the user's credential to its token exchange
through a context variable scoped to one run; a tool only ever sees the
delegated token minted for it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


def token_expired(expires_at: float, leeway_s: float = 0, now: float | None = None) -> bool:
    """The one rule for a token's ``exp`` everywhere (verification, the run, the tool gateway): expired once
    ``exp + leeway`` is not after now, as PyJWT decides it at verification. A token that verified is not
    refused later by a stricter clock.

    >>> token_expired(100, 30, now=115), token_expired(100, 30, now=130), token_expired(100, now=100)
    (False, True, True)
    """
    return expires_at + leeway_s <= (time.time() if now is None else now)


@dataclass(frozen=True)
class UserCredential:
    """The caller's verified token and the claims the engine needs to exchange it."""

    token: str = field(repr=False)
    issuer: str
    subject: str
    tenant_id: str
    user_id: str
    scopes: frozenset[str]
    expires_at: int
    #: The issuer's clock leeway, which verification allowed: the run allows the same (:func:`token_expired`).
    leeway_s: int = 0

    def expired(self, now: float | None = None) -> bool:
        return token_expired(self.expires_at, self.leeway_s, now)

    @property
    def fingerprint(self) -> str:
        """A digest safe to log or use as a cache key; the token itself is never logged."""
        return hashlib.sha256(self.token.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DelegatedToken:
    """A short-lived token for one resource server, acting on behalf of the user."""

    access_token: str = field(repr=False)
    audience: str
    scopes: frozenset[str]
    expires_at: int
    issued_token_type: str = "urn:ietf:params:oauth:token-type:access_token"

    @property
    def authorization(self) -> str:
        """The HTTP Authorization header value."""
        return f"Bearer {self.access_token}"


_CURRENT: ContextVar[UserCredential | None] = ContextVar("tenantflow_user_credential", default=None)


def current_credential() -> UserCredential | None:
    """The credential of the run in progress in this task, if it was started with one."""
    return _CURRENT.get()


@contextmanager
def credential_scope(credential: UserCredential | None) -> Iterator[None]:
    """Make ``credential`` the current run's for the duration of the block (asyncio tasks inherit it)."""
    token = _CURRENT.set(credential)
    try:
        yield
    finally:
        _CURRENT.reset(token)
