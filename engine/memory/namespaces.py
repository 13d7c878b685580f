"""The five memory levels and the store namespace each one maps to.

Namespaces are tuples for LangGraph's ``BaseStore``::

    global    ("global",)
    strategy  ("strategy", s)
    tenant    ("tenant", t)
    user      ("tenant", t, "user", u)
    session   ("tenant", t, "user", u, "session", s)

Every id is checked against :data:`engine.ids.ID_PATTERN` before it becomes
a label, so no id can smuggle in a separator (``.`` for LangGraph's store,
``:`` for thread ids, ``/`` for AgentCore Memory paths) or an extra segment.
"""

from __future__ import annotations

from typing import Final, Literal, TypeGuard, get_args

from engine.context import TenantContext
from engine.ids import require_id

Level = Literal["global", "strategy", "tenant", "user", "session"]

#: All levels, broadest first.
LEVELS: Final[tuple[Level, ...]] = get_args(Level)

#: Levels a tenant principal may read but never write: the platform owns them.
SHARED_LEVELS: Final[frozenset[Level]] = frozenset({"global", "strategy"})


def is_level(value: object) -> TypeGuard[Level]:
    return isinstance(value, str) and value in LEVELS


def require_level(value: object) -> Level:
    """Return ``value`` as a :data:`Level` or raise ValueError listing the known levels."""
    if not is_level(value):
        raise ValueError(f"unknown memory level {value!r}: expected one of {', '.join(LEVELS)}")
    return value


def namespace_for(level: Level, ctx: TenantContext, strategy: str | None = None) -> tuple[str, ...]:
    """The store namespace of ``level`` for the principal in ``ctx``.

    >>> ctx = TenantContext(tenant_id="acme", tier="premium", user_id="u1", session_id="s1")
    >>> namespace_for("user", ctx)
    ('tenant', 'acme', 'user', 'u1')
    >>> namespace_for("strategy", ctx, "support-agent")
    ('strategy', 'support-agent')
    """
    level = require_level(level)
    if level == "global":
        return ("global",)
    if level == "strategy":
        if strategy is None:
            raise ValueError("memory level 'strategy' needs a strategy name (the workflow's metadata.strategy)")
        return ("strategy", require_id("strategy name", strategy))
    # The context validates its ids on construction; check again because a
    # namespace is a security boundary and contexts can be built around it.
    tenant = ("tenant", require_id("tenant id", ctx.tenant_id))
    if level == "tenant":
        return tenant
    user = (*tenant, "user", require_id("user id", ctx.user_id))
    if level == "user":
        return user
    return (*user, "session", require_id("session id", ctx.session_id))
