"""The tenant context: who is calling, for which tenant, in which request.

It travels as LangGraph run context (``context_schema``), immutable for the
run, and is never written to state, checkpoints or memory. It holds ids and
claims only: no token, no secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.ids import require_id, thread_id


@dataclass(frozen=True)
class TenantContext:
    """Security, tenant and request context of one run.

    >>> ctx = TenantContext(tenant_id="acme", tier="premium", user_id="u1", session_id="s1")
    >>> ctx.thread_id
    'acme:u1:s1'
    """

    tenant_id: str
    tier: str
    user_id: str
    session_id: str
    request_id: str = ""
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: Free-form request attributes from verified claims or trusted headers.
    attributes: tuple[tuple[str, str], ...] = ()
    #: Who vouched for this context: "dev" (local CLI/tests) or a token issuer.
    issuer: str = "dev"

    def __post_init__(self) -> None:
        require_id("tenant id", self.tenant_id)
        require_id("user id", self.user_id)
        require_id("session id", self.session_id)

    @property
    def thread_id(self) -> str:
        return thread_id(self.tenant_id, self.user_id, self.session_id)

    def log_fields(self) -> dict[str, str]:
        """Fields safe to put on every log line and span."""
        return {
            "tenant.id": self.tenant_id,
            "tenant.tier": self.tier,
            "user.id": self.user_id,
            "session.id": self.session_id,
            "request.id": self.request_id,
        }
