"""The knowledge index in PostgreSQL: full-text search (``tsvector``, ``ts_rank_cd``) and vectors scored in Python.

Pool tenants share the tables in ``stores.postgres.schema``; a silo tenant has
them in its own schema (``silo_schema_prefix`` + id), beside its memory and
checkpoints. Lexical search uses the ``simple`` configuration, since tokens
may be keyed hashes (encryption on) that no stemmer should touch.

pgvector is not used: the machine's PostgreSQL 15 has no ``vector`` extension,
so vectors are stored as float32 ``bytea`` and the tenant's own rows are scored
with numpy (:func:`engine.knowledge.vectors.top_k`). That scan is linear in the
tenant's chunks, not the pool's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from engine.knowledge.index import Row, Stored
from engine.knowledge.vectors import as_blob, top_k

_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_chunks (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL, collection TEXT NOT NULL, chunk_id TEXT NOT NULL, scope TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, embedding BYTEA,
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


def _arg_owners(where: list[str]) -> list[str]:
    """The condition each query argument belongs to, in order (a condition holds one %s per argument)."""
    return [condition for condition in where for _ in range(condition.count("%s"))]


def _tsquery(tokens: Sequence[str]) -> str:
    # Tokens are \w+ words or hex hashes: no quote can occur in them.
    return " | ".join(f"'{token}'" for token in dict.fromkeys(tokens))


class PostgresIndex:
    """A knowledge index in one PostgreSQL schema, on its own small pool."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], schema: str):
        self.pool, self.schema = pool, schema

    @classmethod
    async def open(cls, dsn: str, schema: str, *, max_size: int = 4) -> PostgresIndex:
        async def configure(conn: AsyncConnection[Any]) -> None:
            await conn.set_autocommit(True)
            await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))

        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            dsn, min_size=1, max_size=max_size, configure=configure, open=False)
        await pool.open(wait=True, timeout=10)
        async with pool.connection() as conn:
            await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            await conn.execute("SELECT pg_advisory_lock(29798, 14)")
            try:
                await conn.execute(_SCHEMA)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(29798, 14)")
        return cls(pool, schema)

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
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, to_tsvector('simple', %s)) "
                    "ON CONFLICT (tenant, collection, chunk_id) DO UPDATE SET scope = EXCLUDED.scope, "
                    "source = EXCLUDED.source, text = EXCLUDED.text, metadata = EXCLUDED.metadata, "
                    "embedding = EXCLUDED.embedding, expires_at = EXCLUDED.expires_at, tsv = EXCLUDED.tsv",
                    [(tenant, collection, row.chunk_id, row.scope, source, row.text, row.metadata,
                      as_blob(row.embedding), row.expires_at, row.tokens) for row in rows])
            await conn.execute(
                "INSERT INTO knowledge_sources (tenant, collection, source, content_hash, updated_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant, collection, source) DO UPDATE SET "
                "content_hash = EXCLUDED.content_hash, updated_at = EXCLUDED.updated_at",
                (tenant, collection, source, content_hash, time.time()))

    async def source_hashes(self, tenant: str, collection: str) -> dict[str, str]:
        rows = await self._all("SELECT source, content_hash FROM knowledge_sources WHERE tenant = %s AND "
                               "collection = %s", (tenant, collection))
        return {str(source): str(digest) for source, digest in rows}

    async def lexical(self, tenant: str, collection: str, scope: str | None, tokens: Sequence[str], k: int,
                      now: float) -> list[tuple[int, float]]:
        scoped = "" if scope is None else " AND scope = %s"
        query = ("SELECT id, ts_rank_cd(tsv, q) AS rank FROM knowledge_chunks, to_tsquery('simple', %s) AS q "
                 "WHERE tenant = %s AND collection = %s AND tsv @@ q AND (expires_at IS NULL OR expires_at > %s)"
                 f"{scoped} ORDER BY rank DESC, id LIMIT %s")
        args = (_tsquery(tokens), tenant, collection, now, *(() if scope is None else (scope,)), k)
        return [(int(rowid), float(rank)) for rowid, rank in await self._all(query, args)]

    async def vector(self, tenant: str, collection: str, scope: str | None, query: Sequence[float], k: int,
                     now: float) -> list[tuple[int, float]]:
        scoped = "" if scope is None else " AND scope = %s"
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
        where, args = ["tenant = %s"], [tenant]
        if collection is not None:
            where.append("collection = %s")
            args.append(collection)
        if scope_prefix is not None:
            where.append("(scope = %s OR starts_with(scope, %s))")
            args += [scope_prefix, scope_prefix + "/"]
        if source is not None:
            where.append("source = %s")
            args.append(source)
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(f"DELETE FROM knowledge_chunks WHERE {' AND '.join(where)}",
                                        args)
            removed = cursor.rowcount
            source_where = [w for w in where if not w.startswith("(scope")]
            source_args = [a for a, w in zip(args, _arg_owners(where), strict=True) if not w.startswith("(scope")]
            if scope_prefix is not None:  # memory entries are sources named <scope>#<key>
                source_where.append("(starts_with(source, %s) OR starts_with(source, %s))")
                source_args += [scope_prefix + "#", scope_prefix + "/"]
            await conn.execute(f"DELETE FROM knowledge_sources WHERE {' AND '.join(source_where)}", source_args)
        return removed

    async def export(self, tenant: str) -> list[Stored]:
        return await self._stored("WHERE tenant = %s ORDER BY collection, source, chunk_id", (tenant,))

    async def sweep(self, now: float) -> int:
        async with self.pool.connection() as conn:
            cursor = await conn.execute("DELETE FROM knowledge_chunks WHERE expires_at IS NOT NULL AND "
                                        "expires_at <= %s", (now,))
            return cursor.rowcount

    async def _all(self, query: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, args)  # built from constants only
            return list(await cursor.fetchall())

    async def _stored(self, where: str, args: Sequence[Any]) -> list[Stored]:
        rows = await self._all("SELECT id, tenant, collection, chunk_id, scope, source, text, metadata "
                               f"FROM knowledge_chunks {where}", args)
        return [Stored(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), str(r[7]))
                for r in rows]
