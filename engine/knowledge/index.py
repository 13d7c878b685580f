"""A tenant's knowledge as the engine sees it: documents and memory, searched by words and by meaning.

:class:`TenantKnowledge` is the only way steps, the CLI and memory reach an
index. It is built for one tenant and passes that tenant to every backend call
itself: no argument an author, a document or a query controls names the
tenant, and a metadata ``filter`` only narrows what the tenant's own rows
return (it is applied after the backend's tenant filter). The backend checks
the tenant again on every row it returns, and so does this class.

Search modes: ``lexical`` (BM25 on SQLite FTS5, ``ts_rank_cd`` on PostgreSQL),
``vector`` (cosine similarity of embeddings) and ``hybrid`` (reciprocal rank
fusion of both, k = 60).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from engine.errors import TenantflowError
from engine.ids import require_id
from engine.knowledge.codec import TenantCodec
from engine.knowledge.embeddings import Embedder, normalise
from engine.telemetry.instruments import active

Mode = Literal["lexical", "vector", "hybrid"]
MODES: tuple[Mode, ...] = ("lexical", "vector", "hybrid")
#: Reciprocal rank fusion's constant (Cormack et al. 2009): a document at rank r adds 1 / (60 + r).
RRF_K = 60
#: Candidates fetched from each ranking before fusion or filtering, per result asked for.
_OVERFETCH = 4


class KnowledgeError(TenantflowError):
    """A knowledge index cannot do what it was asked (bad mode, filter, or a row of another tenant)."""

    code = "knowledge"


@dataclass(frozen=True)
class Row:
    """One chunk as a backend stores it: text sealed or plain, tokens hashed or plain."""

    chunk_id: str
    scope: str
    source: str
    text: str
    tokens: str
    metadata: str
    embedding: list[float] | None
    expires_at: float | None


@dataclass(frozen=True)
class Stored:
    rowid: int
    tenant: str
    collection: str
    chunk_id: str
    scope: str
    source: str
    text: str
    metadata: str


@dataclass(frozen=True)
class Expired:
    """A chunk :meth:`IndexBackend.sweep` removed because its time to live ran out."""

    tenant: str
    collection: str
    scope: str
    source: str
    expires_at: float


@dataclass(frozen=True)
class Hit:
    """A passage or memory entry found for a query, in the tenant's own words."""

    chunk_id: str
    source: str
    text: str
    metadata: dict[str, Any]
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


class DocumentSearch(Protocol):
    """What a ``retrieve`` step searches: the local index (:class:`TenantKnowledge`) or a Bedrock knowledge base."""

    tenant_id: str

    async def search(self, collection: str, query: str, *, k: int = 5, mode: Mode | None = None,
                     scope: str | None = None, filter: dict[str, Any] | None = None) -> list[Hit]: ...


class IndexBackend(Protocol):
    """Where chunks live. Every method names its tenant; only :class:`TenantKnowledge` calls them."""

    async def replace_source(self, tenant: str, collection: str, source: str, rows: Sequence[Row],
                             content_hash: str) -> None: ...

    async def source_hashes(self, tenant: str, collection: str) -> dict[str, str]: ...

    async def lexical(self, tenant: str, collection: str, scope: str | None, tokens: Sequence[str], k: int,
                      now: float) -> list[tuple[Stored, float]]:
        """The best rows for ``tokens`` with their scores (higher is better), rows read in the same query."""
        ...

    async def vector(self, tenant: str, collection: str, scope: str | None, query: Sequence[float], k: int,
                     now: float) -> list[tuple[int, float]]: ...

    async def fetch(self, tenant: str, rowids: Sequence[int]) -> list[Stored]: ...

    async def delete(self, tenant: str, *, collection: str | None = None, scope_prefix: str | None = None,
                     source: str | None = None) -> int: ...

    async def export(self, tenant: str) -> list[Stored]: ...

    async def sweep(self, now: float) -> list[Expired]:
        """Delete every chunk (of any tenant) expired at ``now``, and the hashes of sources left without chunks."""
        ...


class TenantKnowledge:
    """One tenant's documents and memory index: every read and write carries this tenant, and only it."""

    def __init__(self, backend: IndexBackend, tenant_id: str, codec: TenantCodec, embedder: Embedder | None,
                 *, default_mode: Mode | None = None, memory_ttl_minutes: dict[str, float] | None = None):
        self.backend, self.tenant_id = backend, require_id("tenant id", tenant_id)
        self.codec, self.embedder = codec, embedder
        # Vector search when there is a model: it ranked best on the retrieval benchmark (docs/benchmarks.md).
        self.default_mode: Mode = default_mode or ("vector" if embedder is not None else "lexical")
        #: Minutes a memory entry stays recallable by query, per level.
        self.memory_ttl_minutes = dict(memory_ttl_minutes or {})

    async def put_source(self, collection: str, source: str, chunks: Sequence[tuple[str, str, dict[str, Any]]],
                         content_hash: str, *, scope: str = "", ttl_s: float | None = None) -> int:
        """Replace everything indexed from ``source`` with ``chunks`` ((chunk id, text, metadata) each)."""
        vectors: list[list[float]] | list[None] = [None] * len(chunks)
        if self.embedder is not None and chunks:
            vectors = await self._embed([text for _, text, _ in chunks])
        expires = None if ttl_s is None else time.time() + ttl_s
        rows = [Row(chunk_id=chunk_id, scope=scope, source=source,
                    text=self.codec.seal(text, (self.tenant_id, collection, chunk_id)),
                    tokens=" ".join(self.codec.tokens(text)),
                    metadata=self.codec.seal(json.dumps(metadata, sort_keys=True, default=str),
                                             (self.tenant_id, collection, chunk_id, "metadata")),
                    embedding=vector, expires_at=expires)
                for (chunk_id, text, metadata), vector in zip(chunks, vectors, strict=True)]
        await self.backend.replace_source(self.tenant_id, collection, source, rows, content_hash)
        return len(rows)

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        """The embedder's vectors for ``texts``, in an ``embeddings`` span while telemetry is on."""
        assert self.embedder is not None
        telemetry = active()
        if telemetry is None:
            return await self.embedder.embed(texts)
        # Labels read "bedrock:<model id>", "langchain:<class>", "offline-test-double (...)".
        provider, _, model = self.embedder.label.split(" ", 1)[0].partition(":")
        with telemetry.embeddings_span(self.tenant_id, provider, model or provider, len(texts)):
            return await self.embedder.embed(texts)

    async def source_hashes(self, collection: str) -> dict[str, str]:
        return await self.backend.source_hashes(self.tenant_id, collection)

    async def search(self, collection: str, query: str, *, k: int = 5, mode: Mode | None = None,
                     scope: str | None = None, filter: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` best chunks of this tenant for ``query``; ``filter`` narrows by metadata equality."""
        mode = mode or self.default_mode
        if mode not in MODES:
            raise KnowledgeError(f"unknown search mode '{mode}': expected lexical, vector or hybrid")
        if mode != "lexical" and self.embedder is None:
            raise KnowledgeError(f"search mode '{mode}' needs embeddings: set stores.knowledge.embeddings.provider "
                                 "(or search lexically)")
        wanted = _filter(filter)
        fetch = k * _OVERFETCH if wanted else k * 2
        now = time.time()
        rankings: dict[str, list[tuple[int, float]]] = {}
        rows: dict[int, Stored] = {}
        if mode in ("lexical", "hybrid"):
            tokens = self.codec.tokens(query)
            found = await self.backend.lexical(self.tenant_id, collection, scope, tokens, fetch, now) if tokens else []
            rows = {row.rowid: row for row, _ in found}
            rankings["lexical"] = [(row.rowid, score) for row, score in found]
        if mode in ("vector", "hybrid"):
            assert self.embedder is not None
            (vector,) = await self._embed([query])
            rankings["vector"] = await self.backend.vector(self.tenant_id, collection, scope, normalise(vector),
                                                           fetch, now)
        fused = _fuse(rankings) if mode == "hybrid" else [(rowid, score, {str(mode): rank})
                                                           for rank, (rowid, score) in enumerate(rankings[mode], 1)]
        missing = [rowid for rowid, _, _ in fused if rowid not in rows]
        rows |= {row.rowid: row for row in await self.backend.fetch(self.tenant_id, missing)}
        hits: list[Hit] = []
        for rowid, score, ranks in fused:
            row = rows.get(rowid)
            if row is None:
                continue
            if row.tenant != self.tenant_id or row.collection != collection:
                # The backend filters by tenant; a row of another tenant here is a bug, so fail closed.
                raise KnowledgeError(f"the knowledge index returned a row outside tenant '{self.tenant_id}': refused")
            metadata = self._metadata(row)
            if wanted and any(metadata.get(key) != value for key, value in wanted.items()):
                continue
            text = self.codec.open(row.text, (self.tenant_id, collection, row.chunk_id))
            hits.append(Hit(row.chunk_id, row.source, text, metadata, score, ranks))
            if len(hits) == k:
                break
        return hits

    async def delete(self, *, collection: str | None = None, scope_prefix: str | None = None,
                     source: str | None = None) -> int:
        return await self.backend.delete(self.tenant_id, collection=collection, scope_prefix=scope_prefix,
                                         source=source)

    async def export(self) -> list[dict[str, Any]]:
        """Every chunk of this tenant, opened: what ``tenantflow tenant export`` writes."""
        return [{"collection": row.collection, "chunk_id": row.chunk_id, "scope": row.scope, "source": row.source,
                 "text": self.codec.open(row.text, (self.tenant_id, row.collection, row.chunk_id)),
                 "metadata": self._metadata(row)}
                for row in await self.backend.export(self.tenant_id) if row.tenant == self.tenant_id]

    def _metadata(self, row: Stored) -> dict[str, Any]:
        opened = json.loads(self.codec.open(row.metadata, (self.tenant_id, row.collection, row.chunk_id, "metadata")))
        return opened if isinstance(opened, dict) else {}


def deletion_filters(*, collection: str | None, source: str | None, scope_prefix: str | None, mark: str,
                     starts_with: str) -> tuple[tuple[str, list[str]], tuple[str, list[str]]]:
    """(conditions, arguments) for a backend's delete: of the chunks, and of the source hashes.

    ``mark`` is the driver's placeholder, ``starts_with`` the SQL of "column starts with a placeholder"
    (``{col}`` for the column, ``{mark}`` for the placeholder). Conditions are ANDed after ``tenant = ...``.
    A memory entry's source is named ``<scope>#<key>``, so a scope's sources go with its chunks.
    """
    chunks: list[str] = []
    args: list[str] = []
    for column, value in (("collection", collection), ("source", source)):
        if value is not None:
            chunks.append(f"{column} = {mark}")
            args.append(value)
    sources, source_args = list(chunks), list(args)
    if scope_prefix is not None:
        prefix = starts_with.replace("{mark}", mark)
        chunks.append(f"(scope = {mark} OR {prefix.format(col='scope')})")
        args += [scope_prefix, scope_prefix + "/"]
        sources.append(f"({prefix.format(col='source')} OR {prefix.format(col='source')})")
        source_args += [scope_prefix + "#", scope_prefix + "/"]
    return ("".join(f" AND {c}" for c in chunks), args), ("".join(f" AND {c}" for c in sources), source_args)


def _filter(filter: dict[str, Any] | None) -> dict[str, Any]:
    if filter is None:
        return {}
    if not isinstance(filter, dict) or any(isinstance(v, (dict, list)) for v in filter.values()):
        raise KnowledgeError("a knowledge filter is a mapping of metadata keys to plain values (equality only)")
    return filter


def _fuse(rankings: dict[str, list[tuple[int, float]]]) -> list[tuple[int, float, dict[str, int]]]:
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, ranking in rankings.items():
        for rank, (rowid, _) in enumerate(ranking, 1):
            scores[rowid] = scores.get(rowid, 0.0) + 1.0 / (RRF_K + rank)
            ranks.setdefault(rowid, {})[name] = rank
    return [(rowid, score, ranks[rowid]) for rowid, score in sorted(scores.items(), key=lambda kv: -kv[1])]
