"""The LangGraph server's custom auth (``langgraph.json``: ``"auth": {"path": "engine.platform.auth:auth"}``).

Every request's bearer token is verified with the project's issuers (as the engine's own runtime does); the
user the server keeps is the tenant context's ids and claims, never the token. Threads are owned per tenant
and user through the server's metadata filters: a thread is stamped with its owner when created, and every
other thread operation is filtered to the caller's own, so one tenant's thread is "not found" to another
tenant (and to another user of the same tenant); no caller writes a thread's state or metadata (403).
Assistants are the project's workflows: they are read, never written, by callers; the store and crons are
not offered over the server's API (memory is reached through workflows only).
"""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth

from engine.errors import AuthError
from engine.platform.project import served_engine

auth = Auth()

#: Fields of the server's user that the graph factory builds the run's tenant context from.
USER_FIELDS = ("tenant_id", "user_id", "tier", "issuer", "scopes")


def owner_of(tenant_id: str, user_id: str) -> str:
    """The owner a thread's metadata carries: the tenant and the user, who alone may use it."""
    return f"{tenant_id}:{user_id}"


@auth.authenticate
async def authenticate(authorization: str | None) -> dict[str, Any]:
    """Verify the bearer token; 401 on any doubt (the reason is not told to the caller, as in the runtime)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Auth.exceptions.HTTPException(status_code=401, detail="a bearer token is required")
    engine = served_engine()
    try:
        # The session is the server's thread, named per request; the token only says who calls.
        ctx = engine.authenticate(token.strip(), session_id="platform").context
    except AuthError:
        raise Auth.exceptions.HTTPException(status_code=401, detail="the token was not accepted") from None
    return {"identity": owner_of(ctx.tenant_id, ctx.user_id), "is_authenticated": True,
            "permissions": sorted(ctx.scopes), "tenant_id": ctx.tenant_id, "user_id": ctx.user_id,
            "tier": ctx.tier, "issuer": ctx.issuer, "scopes": sorted(ctx.scopes)}


@auth.on.threads.create
async def own_new_thread(ctx: Auth.types.AuthContext, value: Auth.types.ThreadsCreate) -> dict[str, str]:
    """A new thread belongs to its creator's tenant and user, whatever metadata the request sent."""
    owner = ctx.user.identity
    # In place: the server keeps the dict it handed over, not one put in its place.
    metadata = value["metadata"]
    metadata.update(owner=owner, tenant=owner.split(":", 1)[0])
    return {"owner": owner}


@auth.on.threads
async def only_own_threads(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Read, delete, search, runs: only the caller's own threads are seen."""
    return {"owner": ctx.user.identity}


@auth.on.threads.update
async def no_state_writes(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """A thread's state is written by its runs only: an update could skip a guard or answer an approval."""
    raise Auth.exceptions.HTTPException(status_code=403, detail="a thread's state is written by its runs only")


@auth.on.assistants.read
async def read_assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    return True


@auth.on.assistants.search
async def search_assistants(ctx: Auth.types.AuthContext, value: Any) -> bool:
    return True


@auth.on
async def deny_the_rest(ctx: Auth.types.AuthContext, value: Any) -> bool:
    """Closed by default: writing assistants, the store, crons."""
    raise Auth.exceptions.HTTPException(status_code=403, detail="not offered by this server")
