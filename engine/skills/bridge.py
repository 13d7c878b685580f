"""The bridge chain: shared steps (auth, logging, errors) around every skill call.

A bridge is an async callable ``bridge(call, call_next)`` that may inspect
the call, refuse it, wrap it in a span, retry it, and returns what
``call_next(call)`` returns. The project's ``skills/bridge/<name>.py`` files
each define one ``bridge`` function; ``tenantflow.yaml`` lists their order.
The innermost handler runs the implementation the registry resolved for the
caller's tenant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from engine.context import TenantContext
from engine.identity.credentials import DelegatedToken
from engine.skills.registry import Kind, SkillDef
from engine.spec.common import RetrySpec


@dataclass(frozen=True)
class SkillContext:
    """What an implementation gets besides its inputs: who calls, from where."""

    tenant: TenantContext
    workflow: str
    step: str
    #: A tool acting for the user: the token exchanged for its resource server
    #: (``sub`` = the user, ``act`` = this workflow). Never the user's own token.
    token: DelegatedToken | None = field(default=None, repr=False)


def _undecided(call: SkillCall) -> None:
    """Without an engine there is no policy to ask; the engine decides undecided calls itself."""


@dataclass
class SkillCall:
    """One call of a skill or tool as it travels through the bridge chain."""

    kind: Kind
    name: str
    step: str
    workflow: str
    ctx: TenantContext | None
    inputs: dict[str, Any]
    retry: RetrySpec | None = None
    timeout_s: float | None = None
    #: Is this tenant entitled to call it? Set by the engine from the tenant's
    #: entitlements; the auth bridge asks it.
    entitled: Callable[[TenantContext, Kind, str], bool] = lambda ctx, kind, name: False
    #: The implementation the registry resolved for this tenant (set by the engine).
    implementation: SkillDef | None = None
    #: Ask the policies (set by the engine; the auth bridge calls it). Raises on deny;
    #: sets ``authorized``. A call that reaches the implementation undecided is decided there.
    authorize: Callable[[SkillCall], None] = _undecided
    authorized: bool = False
    #: Filled by the errors bridge: how many attempts the call took.
    attempts: int = 0
    annotations: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[SkillCall], Awaitable[Any]]


class Bridge(Protocol):
    """``async def bridge(call, call_next)`` in a ``skills/bridge/<name>.py`` file."""

    def __call__(self, call: SkillCall, call_next: Handler) -> Awaitable[Any]: ...


def build_chain(bridges: Sequence[Bridge], innermost: Handler) -> Handler:
    """Compose ``bridges`` (outermost first) around ``innermost``, once.

    ``partial`` rather than a wrapper coroutine: one frame less per bridge on
    every skill call.
    """
    handler = innermost
    for bridge in reversed(bridges):
        handler = partial(bridge, call_next=handler)
    return handler
