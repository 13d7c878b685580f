"""Identifiers: their validation, and the thread id made of them.

Ids follow the rule LangGraph's store and AgentCore Memory both accept:
``[A-Za-z0-9][A-Za-z0-9_-]*`` (no ``.``, ``@`` or ``:``), so a thread id
``tenant:user:session`` splits unambiguously.
"""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")


def is_valid_id(value: str) -> bool:
    return bool(ID_PATTERN.fullmatch(value))


def require_id(kind: str, value: str) -> str:
    """Return ``value`` or raise ValueError naming the kind and the rule."""
    if not isinstance(value, str) or not is_valid_id(value):
        raise ValueError(
            f"invalid {kind} {value!r}: must match [A-Za-z0-9][A-Za-z0-9_-]* (at most 128 characters)"
        )
    return value


def thread_id(tenant: str, user: str, session: str) -> str:
    """The checkpointer thread id of a session: ``tenant:user:session``."""
    return f"{require_id('tenant id', tenant)}:{require_id('user id', user)}:{require_id('session id', session)}"


def thread_owner(thread: str) -> str:
    """The tenant that owns ``thread`` (its first segment)."""
    return thread.split(":", 1)[0]
