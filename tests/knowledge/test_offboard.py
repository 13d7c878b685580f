"""tenant delete and export: every row of a tenant (or of one user) gone from every table of every backend,
read directly from the SQLite files and PostgreSQL schemas; the other tenants keep everything."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine
from tests.knowledge.support import cli, knowledge_project, postgres_rows, sqlite_rows, write_docs

DOCS = {"policy.md": "# Policy\n\nRefunds within 14 days.", "faq.txt": "Shipping takes three days."}


def _rows(root: Path, backend: str, schemas: Any, tenant: str, user: str | None = None) -> dict[str, int]:
    found = sqlite_rows(root, tenant, user)
    return found if backend == "sqlite" else {**found, **postgres_rows(schemas, tenant, user)}


async def _fill(root: Path, tmp_path: Path) -> None:
    for tenant in ("alpha", "beta", "gamma"):
        await asyncio.to_thread(cli, root, "ingest", "--tenant", tenant, str(write_docs(tmp_path / tenant, DOCS)))
    async with Engine.open(root) as engine:
        for tenant in ("alpha", "beta", "gamma"):
            for user in ("u1", "u2"):
                await engine.run("notes", engine.dev_context(tenant, user, "s1"),
                                 {"note": f"{user} likes tea", "key": "drink", "query": "tea"})
                await engine.run("ask", engine.dev_context(tenant, user, "s2"), {"question": "refunds"})


@pytest.mark.parametrize("tenant", ["alpha", "gamma"])  # pool, silo
async def test_tenant_delete_leaves_zero_rows_anywhere_and_the_others_untouched(
        make_project: Any, backend: str, request: pytest.FixtureRequest, tmp_path: Path, tenant: str) -> None:
    schemas = request.getfixturevalue("pg_schemas") if backend == "postgres" else None
    root = knowledge_project(make_project, backend, schemas)
    await _fill(root, tmp_path)
    before = {t: _rows(root, backend, schemas, t) for t in ("alpha", "beta", "gamma")}
    assert all(before.values()), before
    # Every kind of row is there before: checkpoints, memory, knowledge chunks and sources, keys.
    tables = {name.rsplit(":", 1)[-1].rsplit(".", 1)[-1] for name in before[tenant]}
    assert {"knowledge_chunks", "knowledge_sources", "store"} <= tables and any("checkpoint" in t for t in tables)

    result = await asyncio.to_thread(cli, root, "tenant", "delete", tenant, "--yes")
    deleted = json.loads(result.output)["deleted"]
    assert deleted["sessions"] == 4 and deleted["memory_items"] == 2 and deleted["keys"] == 1
    assert deleted["knowledge_chunks"] == 2 + 2  # two document chunks, two memory index entries
    assert deleted["usage_records"] == 4  # its runs in the usage ledger

    assert _rows(root, backend, schemas, tenant) == {}
    others = [t for t in ("alpha", "beta", "gamma") if t != tenant]
    assert {t: _rows(root, backend, schemas, t) for t in others} == {t: before[t] for t in others}
    async with Engine.open(root) as engine:  # the others still work, and read what they had
        result = await engine.run("ask", engine.dev_context(others[0], "u1", "s3"), {"question": "refunds"})
        assert "14 days" in result.output["answer"]


async def test_user_erasure_removes_that_user_only(make_project: Any, backend: str, request: pytest.FixtureRequest,
                                                   tmp_path: Path) -> None:
    schemas = request.getfixturevalue("pg_schemas") if backend == "postgres" else None
    root = knowledge_project(make_project, backend, schemas)
    await _fill(root, tmp_path)
    assert _rows(root, backend, schemas, "alpha", "u1")
    u2_before = _rows(root, backend, schemas, "alpha", "u2")
    assert u2_before
    result = await asyncio.to_thread(cli, root, "tenant", "delete", "alpha", "--user", "u1", "--yes")
    deleted = json.loads(result.output)["deleted"]
    assert deleted == {"sessions": 2, "memory_items": 1, "knowledge_chunks": 1, "keys": 0, "usage_records": 2}
    assert _rows(root, backend, schemas, "alpha", "u1") == {}
    assert _rows(root, backend, schemas, "alpha", "u2") == u2_before
    async with Engine.open(root) as engine:
        assert [s.user_id for s in await engine.sessions("alpha").list()] == ["u2", "u2"]
        assert engine.ledger is not None  # u2's runs and the other tenants' stay in the ledger
        assert {t: len({r.run_id for r in engine.ledger.rows(t)}) for t in ("alpha", "beta")} == {"alpha": 2, "beta": 4}


async def test_export_writes_what_the_tenant_owns_and_nothing_of_the_others(make_project: Any,
                                                                             tmp_path: Path) -> None:
    root = knowledge_project(make_project, "sqlite", None)
    await _fill(root, tmp_path)
    out = tmp_path / "export"
    result = json.loads((await asyncio.to_thread(cli, root, "tenant", "export", "gamma", "--out", str(out))).output)
    assert (result["memory_items"], result["knowledge_chunks"], result["sessions"]) == (2, 4, 4)
    memory = json.loads((out / "memory.json").read_text())
    assert {tuple(m["namespace"][:2]) for m in memory} == {("tenant", "gamma")}
    assert {m["value"]["text"] for m in memory} == {"u1 likes tea", "u2 likes tea"}  # opened, not sealed
    chunks = json.loads((out / "knowledge.json").read_text())
    assert any("Refunds within 14 days" in c["text"] for c in chunks)
    assert "alpha" not in (out / "sessions.json").read_text() and "beta" not in (out / "memory.json").read_text()
    usage = json.loads((out / "usage.json").read_text())
    assert len({u["run_id"] for u in usage}) == 4 and {u["tenant"] for u in usage} == {"gamma"}


def test_an_unknown_tenant_is_an_error_not_an_empty_delete(make_project: Any) -> None:
    root = knowledge_project(make_project, "sqlite", None)
    result = cli(root, "tenant", "delete", "nobody", "--yes", ok=False)
    assert result.exit_code == 1 and "nobody" in result.output and "Traceback" not in result.output
