"""Map tenantflow tool names to names Bedrock accepts, and back.

Tools are named like ``billing.get_invoices`` (gateway target, dot, tool),
but Bedrock Converse only accepts ``[a-zA-Z0-9_-]{1,64}`` in ``toolSpec.name``
and ``toolUse.name``. A :class:`ToolNames` map is built per request from
every name it carries, so callers keep using their own names end to end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WIRE_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9_-]")
MAX_WIRE_NAME = 64


def wire_name(name: str) -> str:
    """The Bedrock-safe form of ``name``: disallowed characters become ``_``.

    >>> wire_name("billing.get_invoices")
    'billing_get_invoices'
    """
    if _WIRE_NAME.fullmatch(name):
        return name
    return _NOT_ALLOWED.sub("_", name)[:MAX_WIRE_NAME] or "_"


class ToolNameCollision(ValueError):
    """Two different tool names of one request share the same wire name."""


class ToolNames:
    """A two-way map between tool names and their wire names for one request."""

    def __init__(self, names: Iterable[str]):
        self._to_wire: dict[str, str] = {}
        self._from_wire: dict[str, str] = {}
        for name in names:
            wire = wire_name(name)
            other = self._from_wire.setdefault(wire, name)
            if other != name:
                raise ToolNameCollision(
                    f"tool names {other!r} and {name!r} both become {wire!r} for Bedrock; rename one"
                )
            self._to_wire[name] = wire

    def to_wire(self, name: str) -> str:
        """The wire name to send for ``name``."""
        return self._to_wire.get(name) or wire_name(name)

    def from_wire(self, wire: str) -> str:
        """The caller's name for a wire name the model used; unknown names pass
        through unchanged so the caller can report the model's invented tool."""
        return self._from_wire.get(wire, wire)
