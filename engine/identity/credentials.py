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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


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
