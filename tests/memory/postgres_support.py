"""The PostgreSQL the tests run against, a schema of their own per test, and what the tables hold.

Tests use the PostgreSQL at 127.0.0.1:5432 (database ``test``; another one
through TENANTFLOW_TEST_DATABASE_URL). They skip when it cannot be reached,
unless TENANTFLOW_REQUIRE_SERVICES=1 (CI), where they fail instead. Other
tests and people use the same database at the same time: each test works in
schemas named after a fresh random prefix, and drops them all at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from tests.conftest import services_required

#: The server the tests use. The password is ignored by the machine's trust authentication: it is there
#: so that tests can check it never reaches a log line, an error, a table or an answer.
PASSWORD = "pg-pass-7f3d9c1e"
DSN = os.environ.get("TENANTFLOW_TEST_DATABASE_URL", f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/test")
#: The environment variable the test projects name in ``stores.postgres.dsn_env``.
DSN_ENV = "TF_TEST_DATABASE_URL"


def postgres_or_skip() -> None:
    try:
        with psycopg.connect(DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        # The error's text is not shown: it could quote the connection string of TENANTFLOW_TEST_DATABASE_URL.
        where = "PostgreSQL (TENANTFLOW_TEST_DATABASE_URL, else 127.0.0.1:5432/test)"
        if services_required():
            pytest.fail(f"TENANTFLOW_REQUIRE_SERVICES=1 and {where} is unreachable: {type(exc).__name__}")
        pytest.skip(f"{where} is unreachable ({type(exc).__name__}); set TENANTFLOW_REQUIRE_SERVICES=1 to fail "
                    "instead")


@dataclass(frozen=True)
class Schemas:
    """This test's schemas: ``shared`` for the pool tables, ``silo_prefix`` + tenant id for each silo."""

    shared: str
    silo_prefix: str

    def silo(self, tenant: str) -> str:
        return self.silo_prefix + tenant

    def stores_yaml(self, *, max_size: int = 4) -> str:
        """The ``stores`` section of a test project on these schemas (a flow mapping, one line)."""
        return (f"stores: {{checkpointer: postgres, store: postgres, postgres: {{dsn_env: {DSN_ENV}, "
                f"schema: {self.shared}, silo_schema_prefix: {self.silo_prefix}, "
                f"pool: {{min_size: 1, max_size: {max_size}}}, silo_pool: {{min_size: 0, max_size: 2}}}}}}\n")

    def existing(self) -> list[str]:
        """Every schema of this test that exists now."""
        with psycopg.connect(DSN, autocommit=True) as conn:
            rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY 1",
                                (self.shared,)).fetchall()
        return [row[0] for row in rows]

    def rows(self, schema: str) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table in ``schema``, by table."""
        found: dict[str, list[tuple[object, ...]]] = {}
        with psycopg.connect(DSN, autocommit=True) as conn:
            tables = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                                  "ORDER BY 1", (schema,)).fetchall()
            for (table,) in tables:
                query = sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
                found[table] = conn.execute(query).fetchall()
        return found

    def store_prefixes(self, schema: str) -> set[str]:
        """The namespaces (as LangGraph writes them, dotted) of the memory items in ``schema``."""
        return {str(row[0]) for row in self.rows(schema).get("store", [])}

    def dump(self) -> bytes:
        """Every row of every table of this test, as bytes, to look for what must never be stored."""
        out = b""
        for schema in self.existing():
            for table, rows in self.rows(schema).items():
                out += table.encode() + b"\n"
                for row in rows:
                    out += b"".join(v if isinstance(v, bytes) else repr(v).encode() for v in row) + b"\n"
        return out

    def drop(self) -> None:
        with psycopg.connect(DSN, autocommit=True) as conn:
            for schema in self.existing():
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def pg_schemas(monkeypatch: pytest.MonkeyPatch) -> Iterator[Schemas]:
    """Fresh schema names for this test (created by the code under test), dropped at the end."""
    postgres_or_skip()
    base = f"tft_{uuid.uuid4().hex[:10]}"
    schemas = Schemas(shared=base, silo_prefix=f"{base}_silo_")
    monkeypatch.setenv(DSN_ENV, DSN)
    try:
        yield schemas
    finally:
        schemas.drop()
