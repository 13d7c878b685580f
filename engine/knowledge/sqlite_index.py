"""The knowledge index in SQLite: FTS5 (BM25) for words, sqlite-vec for vectors.

One file holds many tenants (the pool) or one (a silo's own file). The FTS5
table has a ``scope`` column holding a token for (tenant, collection), and
every lexical query ANDs it with the query's words, so the full-text index
itself only walks the tenant's postings; the joined ``chunks`` row is then
checked for the tenant as well. Vector search reads the tenant's own rows
(``chunks`` is indexed by tenant and collection) and scores them with numpy
(:func:`engine.knowledge.vectors.top_k`). sqlite-vec would do that scan in
SQLite, but it is a loadable extension and Python builds without
``enable_load_extension`` (pyenv's default, this project's CI) cannot load it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from engine.knowledge.index import Expired, Row, Stored, deletion_filters
from engine.knowledge.vectors import as_blob, top_k

_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_chunks (
    rowid INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL, collection TEXT NOT NULL, chunk_id TEXT NOT NULL, scope TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, embedding BLOB, expires_at REAL,
    UNIQUE (tenant, collection, chunk_id)
);
CREATE INDEX IF NOT EXISTS knowledge_chunks_source ON knowledge_chunks (tenant, collection, source);
CREATE INDEX IF NOT EXISTS knowledge_chunks_scope ON knowledge_chunks (tenant, collection, scope);
CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_fts USING fts5 (scope, tokens, tokenize = 'unicode61');
CREATE TABLE IF NOT EXISTS knowledge_sources (
    tenant TEXT NOT NULL, collection TEXT NOT NULL, source TEXT NOT NULL, content_hash TEXT NOT NULL,
    updated_at REAL NOT NULL, PRIMARY KEY (tenant, collection, source)
);
"""
#: Every table holding a tenant's rows (the offboarding tests read them all).
TABLES = ("knowledge_chunks", "knowledge_sources")


def scope_token(tenant: str, collection: str) -> str:
    return "s" + hashlib.sha256(f"{tenant}\0{collection}".encode()).hexdigest()[:24]


def _match(tenant: str, collection: str, tokens: Sequence[str]) -> str:
    words = " OR ".join(f'"{token}"' for token in dict.fromkeys(tokens))
    return f'scope : "{scope_token(tenant, collection)}" AND tokens : ({words})'


class SqliteIndex:
    """A knowledge index in one SQLite file (``:memory:`` for throwaway runs)."""

    def __init__(self, conn: aiosqlite.Connection):
        self.conn = conn

    @classmethod
    async def open(cls, path: Path | str) -> SqliteIndex:
        conn = await aiosqlite.connect(str(path))
        await conn.executescript("PRAGMA journal_mode = WAL;" + _SCHEMA)
        await conn.commit()
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    async def replace_source(self, tenant: str, collection: str, source: str, rows: Sequence[Row],
                             content_hash: str) -> None:
        await self._delete_where(tenant, "collection = ? AND source = ?", (collection, source))
        token = scope_token(tenant, collection)
        # A chunk id names one chunk of the tenant: one of another source is moved here, index entry and all.
        await self._delete_where(tenant, "collection = ? AND chunk_id IN (SELECT value FROM json_each(?))",
                                 (collection, json.dumps([row.chunk_id for row in rows])))
        await self.conn.executemany(
            "INSERT INTO knowledge_chunks (tenant, collection, chunk_id, scope, source, text, metadata, embedding, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(tenant, collection, row.chunk_id, row.scope, source, row.text, row.metadata, as_blob(row.embedding),
              row.expires_at) for row in rows])
        await self.conn.executemany(
            "INSERT INTO knowledge_fts (rowid, scope, tokens) SELECT rowid, ?, ? FROM knowledge_chunks "
            "WHERE tenant = ? AND collection = ? AND chunk_id = ?",
            [(token, row.tokens, tenant, collection, row.chunk_id) for row in rows])
        await self.conn.execute(
            "INSERT OR REPLACE INTO knowledge_sources (tenant, collection, source, content_hash, updated_at) "
            "VALUES (?, ?, ?, ?, ?)", (tenant, collection, source, content_hash, time.time()))
        await self.conn.commit()

    async def source_hashes(self, tenant: str, collection: str) -> dict[str, str]:
        async with self.conn.execute("SELECT source, content_hash FROM knowledge_sources WHERE tenant = ? AND "
                                     "collection = ?", (tenant, collection)) as cursor:
            return {str(source): str(digest) async for source, digest in cursor}

    async def lexical(self, tenant: str, collection: str, scope: str | None, tokens: Sequence[str], k: int,
                      now: float) -> list[tuple[Stored, float]]:
        scoped, args = _scoped(scope)
        sql = (f"SELECT {_COLUMNS}, bm25(knowledge_fts, 0.0, 1.0) AS rank FROM knowledge_fts "
               "JOIN knowledge_chunks c ON c.rowid = knowledge_fts.rowid "
               "WHERE knowledge_fts MATCH ? AND c.tenant = ? AND c.collection = ? "
               f"AND (c.expires_at IS NULL OR c.expires_at > ?){scoped} ORDER BY rank LIMIT ?")
        async with self.conn.execute(sql, (_match(tenant, collection, tokens), tenant, collection, now, *args,
                                           k)) as cursor:
            # bm25() is lower-is-better; the score handed on is higher-is-better.
            return [(_stored(row), -float(row[-1])) async for row in cursor]

    async def vector(self, tenant: str, collection: str, scope: str | None, query: Sequence[float], k: int,
                     now: float) -> list[tuple[int, float]]:
        scoped, args = _scoped(scope, "")
        sql = ("SELECT rowid, embedding FROM knowledge_chunks WHERE tenant = ? AND collection = ? "
               f"AND embedding IS NOT NULL AND (expires_at IS NULL OR expires_at > ?){scoped}")
        async with self.conn.execute(sql, (tenant, collection, now, *args)) as cursor:
            found = [(int(rowid), bytes(blob)) async for rowid, blob in cursor]
        return top_k(found, query, k)

    async def fetch(self, tenant: str, rowids: Sequence[int]) -> list[Stored]:
        if not rowids:
            return []
        marks = ", ".join("?" for _ in rowids)
        return await self._stored(f"WHERE tenant = ? AND rowid IN ({marks})", (tenant, *rowids))

    async def delete(self, tenant: str, *, collection: str | None = None, scope_prefix: str | None = None,
                     source: str | None = None) -> int:
        (chunks, args), (sources, source_args) = deletion_filters(
            collection=collection, source=source, scope_prefix=scope_prefix, mark="?",
            starts_with="instr({col}, {mark}) = 1")
        removed = await self._delete_where(tenant, "1 = 1" + chunks, tuple(args))
        await self.conn.execute(f"DELETE FROM knowledge_sources WHERE tenant = ?{sources}", (tenant, *source_args))
        await self.conn.commit()
        return removed

    async def export(self, tenant: str) -> list[Stored]:
        return await self._stored("WHERE tenant = ? ORDER BY collection, source, chunk_id", (tenant,))

    async def sweep(self, now: float) -> list[Expired]:
        sql = ("SELECT rowid, tenant, collection, scope, source, expires_at FROM knowledge_chunks "
               "WHERE expires_at IS NOT NULL AND expires_at <= ?")
        async with self.conn.execute(sql, (now,)) as cursor:
            found = [(int(r[0]), Expired(str(r[1]), str(r[2]), str(r[3]), str(r[4]), float(r[5])))
                     async for r in cursor]
        await self._delete_rowids([rowid for rowid, _ in found])
        for row in {(e.tenant, e.collection, e.source) for _, e in found}:
            await self.conn.execute("DELETE FROM knowledge_sources WHERE tenant = ? AND collection = ? AND source = ? "
                                    "AND NOT EXISTS (SELECT 1 FROM knowledge_chunks c WHERE c.tenant = ? AND "
                                    "c.collection = ? AND c.source = ?)", (*row, *row))
        await self.conn.commit()
        return [expired for _, expired in found]

    async def _delete_where(self, tenant: str, where: str, args: tuple[Any, ...]) -> int:
        async with self.conn.execute(f"SELECT rowid FROM knowledge_chunks WHERE tenant = ? AND {where}",
                                     (tenant, *args)) as cursor:
            rowids = [int(rowid) async for (rowid,) in cursor]
        await self._delete_rowids(rowids)
        return len(rowids)

    async def _delete_rowids(self, rowids: list[int]) -> None:
        for start in range(0, len(rowids), 500):
            part = rowids[start:start + 500]
            marks = ", ".join("?" for _ in part)
            await self.conn.execute(f"DELETE FROM knowledge_fts WHERE rowid IN ({marks})", part)
            await self.conn.execute(f"DELETE FROM knowledge_chunks WHERE rowid IN ({marks})", part)

    async def _stored(self, where: str, args: tuple[Any, ...]) -> list[Stored]:
        sql = f"SELECT {_COLUMNS} FROM knowledge_chunks c {where}"
        async with self.conn.execute(sql, args) as cursor:
            return [_stored(row) async for row in cursor]


_COLUMNS = "c.rowid, c.tenant, c.collection, c.chunk_id, c.scope, c.source, c.text, c.metadata"


def _stored(r: Any) -> Stored:
    return Stored(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]), str(r[7]))


def _scoped(scope: str | None, table: str = "c.") -> tuple[str, tuple[str, ...]]:
    return ("", ()) if scope is None else (f" AND {table}scope = ?", (scope,))
