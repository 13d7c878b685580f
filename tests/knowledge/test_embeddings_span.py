"""An `embeddings {model}` span around every embedding call of a tenant's knowledge index, in the GenAI
conventions, carrying its tenant (and, inside a run, the step's tier, user hash and conversation), never text."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from engine.engine import Engine
from engine.telemetry.users import user_hash
from tests.knowledge.support import cli, knowledge_project, write_docs
from tests.telemetry.support import Captured, captured

__all__ = ["captured"]

DOCS = {"policy.md": "# Policy\n\nRefunds within 14 days."}
QUESTION = "how long for refunds"


async def test_embedding_calls_have_spans_of_their_own_tenant(make_project: Any, tmp_path: Path,
                                                               captured: Captured) -> None:
    root = knowledge_project(make_project, "sqlite", None)
    for tenant in ("alpha", "beta"):
        await asyncio.to_thread(cli, root, "ingest", "--tenant", tenant, str(write_docs(tmp_path / tenant, DOCS)))
    ingest = captured.spans("embeddings ")
    assert sorted(s.attributes["tenant.id"] for s in ingest) == ["alpha", "beta"]  # type: ignore[index]
    assert all("user.hash" not in (s.attributes or {}) for s in ingest)  # an operator's ingest: no user
    captured.clear()

    async with Engine.open(root) as engine:
        await engine.run("ask", engine.dev_context("alpha", "u1", "s1"), {"question": QUESTION})
        await engine.run("ask", engine.dev_context("beta", "u2", "s2"), {"question": QUESTION})
    spans = captured.spans("embeddings ")
    assert len(spans) == 2
    steps = {s.context.span_id: s for s in captured.spans("step docs")}
    for span, (tenant, user, session) in zip(spans, [("alpha", "u1", "s1"), ("beta", "u2", "s2")], strict=True):
        attributes = dict(span.attributes or {})
        assert attributes == {
            "tenant.id": tenant, "tenant.tier": "basic", "user.hash": user_hash(tenant, user),
            "gen_ai.conversation.id": session, "gen_ai.operation.name": "embeddings",
            "gen_ai.provider.name": "offline-test-double", "gen_ai.request.model": "offline-test-double",
            "tenantflow.embeddings.inputs": 1}
        assert span.parent is not None and span.parent.span_id in steps  # under its retrieve step's span
        assert steps[span.parent.span_id].attributes["tenant.id"] == tenant  # type: ignore[index]
    assert not any(QUESTION in str(value) for s in spans for value in (s.attributes or {}).values())
