"""Decorators that mark a Python callable as a skill or a tool.

They only attach metadata; the project loader finds marked callables in the
modules of ``skills/`` and ``tenants/<id>/skills/`` and registers them with
the scope of the folder they came from (shared or that tenant's own).

    from engine import skill

    @skill("classify_ticket", version="2")
    def classify(*, text: str, ctx: SkillContext) -> Classification: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MARK = "__tenantflow__"


@dataclass(frozen=True)
class Mark:
    kind: Literal["skill", "tool"]
    name: str
    version: str
    description: str


def skill(name: str | None = None, *, version: str = "1", description: str = "") -> Callable[[F], F]:
    """Mark ``fn`` as a skill named ``name`` (default: the function's name)."""
    return _marker("skill", name, version, description)


def tool(name: str, *, version: str = "1", description: str = "") -> Callable[[F], F]:
    """Mark ``fn`` as a tool named ``name`` (dotted names such as ``billing.get_invoices``)."""
    return _marker("tool", name, version, description)


def _marker(kind: Literal["skill", "tool"], name: str | None, version: str, description: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        doc = (fn.__doc__ or "").strip().splitlines()
        setattr(fn, MARK, Mark(kind, name or fn.__name__, str(version), description or (doc[0] if doc else "")))
        return fn

    return mark
