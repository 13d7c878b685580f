"""The knowledge index in PostgreSQL: full-text search (``tsvector``, ``ts_rank_cd``) and vectors scored in Python.

Pool tenants share the tables in ``stores.postgres.schema``; a silo tenant has
them in its own schema (``silo_schema_prefix`` + id), beside its memory and
checkpoints. Lexical search uses the ``simple`` configuration, since tokens
may be keyed hashes (encryption on) that no stemmer should touch.

Vectors: with pgvector (the ``vector`` extension exists, or can be created, in
the database) the column is a ``vector`` and PostgreSQL ranks the tenant's rows
by cosine distance (``<=>``) itself. Without it (this machine's PostgreSQL 15 has
no pgvector package) vectors are float32 ``bytea`` and the tenant's rows are
scored with numpy (:func:`engine.knowledge.vectors.top_k`). Either way the scan
is exact and limited to the tenant's rows by the (tenant, collection) index: no
approximate (HNSW/IVFFlat) index, whose post-filtering would lose a pool
tenant's results among other tenants' neighbours.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from engine.knowledge.index import Expired, Row, Stored, deletion_filters
from engine.knowledge.vectors import as_blob, top_k

_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_chunks (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL, collection TEXT NOT NULL, chunk_id TEXT NOT NULL, scope TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, embedding {vector_type},
    expires_at DOUBLE PRECISION, tsv TSVECTOR NOT NULL,
    UNIQUE (tenant, collection, chunk_id)
);
CREATE INDEX IF NOT EXISTS knowledge_chunks_tsv ON knowledge_chunks USING GIN (tsv);
CREATE INDEX IF NOT EXISTS knowledge_chunks_source ON knowledge_chunks (tenant, collection, source);
CREATE INDEX IF NOT EXISTS knowledge_chunks_scope ON knowledge_chunks (tenant, collection, scope);
CREATE TABLE IF NOT EXISTS knowledge_sources (
    tenant TEXT NOT NULL, collection TEXT NOT NULL, source TEXT NOT NULL, content_hash TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (tenant, collection, source)
);
"""
TABLES = ("knowledge_chunks", "knowledge_sources")


async def _pgvector(conn: AsyncConnection[Any]) -> bool:
    """Is pgvector there, or can it be created? (Needs the package on the server and the right to create it.)"""
    cursor = await conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
    if await cursor.fetchone() is not None:
        return True
    cursor = await conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    if await cursor.fetchone() is None:
        return False
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    except psycopg.Error:
        return False
    return True


def _tsquery(tokens: Sequence[str]) -> str:
    # Tokens are \w+ words or hex hashes: no quote can occur in them.
    return " | ".join(f"'{token}'" for token in dict.fromkeys(tokens))


class PostgresIndex:
    """A knowledge index in one PostgreSQL schema, on its own small pool."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], schema: str, *, pgvector: bool = False):
        self.pool, self.schema, self.pgvector = pool, schema, pgvector

    @classmethod
    async def open(cls, dsn: str, schema: str, *, max_size: int = 4) -> PostgresIndex:
        async def configure(conn: AsyncConnection[Any]) -> None:
            await conn.set_autocommit(True)
            # public: where pgvector's type and operators live when the extension is there.
            await conn.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(schema)))

        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            dsn, min_size=1, max_size=max_size, configure=configure, open=False)
        await pool.open(wait=True, timeout=10)
        async with pool.connection() as conn:
            await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            await conn.execute("SELECT pg_advisory_lock(29798, 14)")
            try:
                pgvector = await _pgvector(conn)
                await conn.execute(_SCHEMA.format(vector_type="vector" if pgvector else "BYTEA"))
                # A table made earlier keeps its column type: that decides, not what the server has now.
                cursor = await conn.execute(
                    "SELECT udt_name FROM information_schema.columns WHERE table_schema = %s AND "
                    "table_name = 'knowledge_chunks' AND column_name = 'embedding'", (schema,))
                row = await cursor.fetchone()
            finally:
                await conn.execute("SELECT pg_advisory_unlock(29798, 14)")
        return cls(pool, schema, pgvector=row is not None and row[0] == "vector")

    async def close(self) -> None:
        await self.pool.close()

    async def replace_source(self, tenant: str, collection: str, source: str, rows: Sequence[Row],
                             content_hash: str) -> None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM knowledge_chunks WHERE tenant = %s AND collection = %s AND source = %s",
                               (tenant, collection, source))
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO knowledge_chunks (tenant, collection, chunk_id, scope, source, text, metadata, "
                    "embedding, expires_at, tsv) "
                    f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s{self._cast}, %s, to_tsvector('simple', %s)) "
                    "ON CONFLICT (tenant, collection, chunk_id) DO UPDATE SET scope = EXCLUDED.scope, "
                    "source = EXCLUDED.source, text = EXCLUDED.text, metadata = EXCLUDED.metadata, "
                    "embedding = EXCLUDED.embedding, expires_at = EXCLUDED.expires_at, tsv = EXCLUDED.tsv",
                    [(tenant, collection, row.chunk_id, row.scope, source, row.text, row.metadata,
                      self._vector(row.embedding), row.expires_at, row.tokens) for row in rows])
            await conn.execute(
                "INSERT INTO knowledge_sources (tenant, collection, source, content_hash, updated_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant, collection, source) DO UPDATE SET "
                "content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at",
                (tenant, collection, source, content_hash, time.time()))

    @property
    def _cast(self) -> str:
        return "::vector" if self.pgvector else ""

    def _vector(self, vector: Sequence[float] | None) -> bytes | str | None:
        if vector is None:
            return None
        # pgvector's text form; bytea otherwise.
        return "[" + ",".join(repr(float(x)) for x in vector) + "]" if self.pgvector else as_blob(vector)

    async def source_hashes(self, tenant: str, collection: str) -> dict[str, str]:
        rows = await self._all("SELECT source, content_hash FROM knowledge_sources WHERE tenant = %s AND "
                               "collection = %s", (tenant, collection))
        return {str(source): str(digest) for source, digest in rows}

    async def lexical(self, tenant: str, collection: str, scope: str | None, tokens: Sequence[str], k: int,
                      now: float) -> list[tuple[Stored, float]]:
        scoped = "" if scope is None else " AND scope = %s"
        query = (f"SELECT {_COLUMNS}, ts_rank_cd(tsv, q) AS rank FROM knowledge_chunks, to_tsquery('simple', %s) AS q "
                 "WHERE tenant = %s AND collection = %s AND tsv @@ q AND (expires_at IS NULL OR expires_at > %s)"
                 f"{scoped} ORDER BY rank DESC, id LIMIT %s")
        args = (_tsquery(tokens), tenant, collection, now, *(() if scope is None else (scope,)), k)
        return [(_stored(row), float(row[-1])) for row in await self._all(query, args)]

    async def vector(self, tenant: str, collection: str, scope: str | None, query: Sequence[float], k: int,
                     now: float) -> list[tuple[int, float]]:
        scoped = "" if scope is None else " AND scope = %s"
        if self.pgvector:
            wanted = self._vector(query)
            ranked = await self._all(
                f"SELECT id, 1 - (embedding <=> %s::vector) FROM knowledge_chunks WHERE tenant = %s AND "
                f"collection = %s AND embedding IS NOT NULL AND (expires_at IS NULL OR expires_at > %s){scoped} "
                "ORDER BY embedding <=> %s::vector, id LIMIT %s",
                (wanted, tenant, collection, now, *(() if scope is None else (scope,)), wanted, k))
            return [(int(rowid), float(score)) for rowid, score in ranked]
        rows = await self._all("SELECT id, embedding FROM knowledge_chunks WHERE tenant = %s AND collection = %s AND "
                               f"embedding IS NOT NULL AND (expires_at IS NULL OR expires_at > %s){scoped}",
                               (tenant, collection, now, *(() if scope is None else (scope,))))
        return top_k([(int(rowid), bytes(blob)) for rowid, blob in rows], query, k)

    async def fetch(self, tenant: str, rowids: Sequence[int]) -> list[Stored]:
        if not rowids:
            return []
        return await self._stored("WHERE tenant = %s AND id = ANY(%s)", (tenant, list(rowids)))

    async def delete(self, tenant: str, *, collection: str | None = None, scope_prefix: str | None = None,
                     source: str | None = None) -> int:
        (chunks, args), (sources, source_args) = deletion_filters(
            collection=collection, source=source, scope_prefix=scope_prefix, mark="%s",
            starts_with="starts_with({col}, {mark})")
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(f"DELETE FROM knowledge_chunks WHERE tenant = %s{chunks}", (tenant, *args))
            removed = cursor.rowcount
            await conn.execute(f"DELETE FROM knowledge_sources WHERE tenant = %s{sources}", (tenant, *source_args))
        return removed

    async def export(self, tenant: str) -> list[Stored]:
        return await self._stored("WHERE tenant = %s ORDER BY collection, source, chunk_id", (tenant,))

    async def sweep(self, now: float) -> list[Expired]:
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute("DELETE FROM knowledge_chunks WHERE expires_at IS NOT NULL AND "
                                        "expires_at <= %s RETURNING tenant, collection, scope, source, expires_at",
                                        (now,))
            found = [Expired(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]))
                     for r in await cursor.fetchall()]
            for row in sorted({(e.tenant, e.collection, e.source) for e in found}):
                await conn.execute("DELETE FROM knowledge_sources s WHERE tenant = %s AND collection = %s AND "
                                   "source = %s AND NOT EXISTS (SELECT 1 FROM knowledge_chunks c WHERE "
                                   "c.tenant = s.tenant AND c.collection = s.collection AND c.source = s.source)", row)
        return found

    async def _all(self, query: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, args)  # built from constants only
            return list(await cursor.fetchall())

    async def _stored(self, where: str, args: Sequence[Any]) -> list[Stored]:
        return [_stored(row) for row in await self._all(f"SELECT {_COLUMNS} FROM knowledge_chunks {where}", args)]


_COLUMNS = "id, tenant, collection, chunk_id, scope, source, text, metadata"


def _stored(r: Any) -> Stored:
    return Stored(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), str(r[7]))
