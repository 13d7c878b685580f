"""What the backend tests of every store kind share: a tenant context and a one-node counting graph."""

from __future__ import annotations

from typing import TypedDict

from langgraph.graph import END, START, StateGraph

from engine.context import TenantContext

ACME = TenantContext(tenant_id="acme", tier="premium", user_id="u1", session_id="s1")


class Counter(TypedDict):
    count: int


def counter_graph() -> StateGraph[Counter]:
    builder = StateGraph(Counter)
    builder.add_node("bump", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "bump")
    builder.add_edge("bump", END)
    return builder
