"""The demo's refund: over 100 a person with refunds:approve decides (platform policy answer-questions)."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from engine.context import TenantContext
from engine.engine import Engine, NothingToResume
from engine.policy.authorizer import AccessDenied
from engine.project import load_project
from tests.conftest import REPO

APPROVER = frozenset({"refunds:approve"})


def _ctx(engine: Engine, tenant: str, user: str, scopes: frozenset[str] = frozenset()) -> TenantContext:
    return TenantContext(tenant_id=tenant, tier=engine.settings(tenant).tier, user_id=user, session_id="s1",
                         scopes=scopes)


async def test_the_demo_refund_waits_for_an_approver_of_its_own_tenant() -> None:
    engine = Engine(load_project(REPO), checkpointer=InMemorySaver(), store=InMemoryStore())
    small = await engine.run("refund", _ctx(engine, "acme", "u1"), {"amount": 40, "customer_id": "mem_1"})
    assert small.output == {"status": "refunded"} and small.pending is None
    paused = await engine.run("refund", _ctx(engine, "acme", "u1"), {"amount": 400, "customer_id": "mem_1"})
    assert paused.pending is not None and paused.pending["question"] == "Refund 400 to mem_1?"
    await engine.run("refund", _ctx(engine, "globex", "u1"), {"amount": 400, "customer_id": "cus_1"})
    with pytest.raises(AccessDenied):
        await engine.answer("refund", _ctx(engine, "acme", "u2"), "u1", {"approved": True})
    # globex's approver settles globex's refund; acme's stays waiting for acme's.
    denied = await engine.answer("refund", _ctx(engine, "globex", "boss", APPROVER), "u1", {"approved": False})
    assert denied.output == {"status": "denied"}
    with pytest.raises(NothingToResume):
        await engine.answer("refund", _ctx(engine, "globex", "boss", APPROVER), "u1", {"approved": True})
    approved = await engine.answer("refund", _ctx(engine, "acme", "boss", APPROVER), "u1", {"approved": True})
    assert approved.output == {"status": "refunded"}
