"""The knowledge index at scale: N pooled tenants x M chunks in one SQLite file, and S silo tenants with a file
each: ingest rate and lexical query p50/p99, the engine's isolation layer beside the bare index.

* ``layer``: :class:`engine.knowledge.index.TenantKnowledge` (the engine's path: tenant fixed at construction,
  scope token in the FTS5 match, the tenant checked on every row, metadata parsed), on
  :class:`engine.knowledge.sqlite_index.SqliteIndex`;
* ``bare``: the same SQLite schema driven directly with hand-written SQL: rows inserted with ``executemany``,
  a query is one ``MATCH`` joined to the chunks and filtered on the tenant column (what an application
  without the layer would write to stay correct).

Ingest alternates layer and bare per tenant into two files; queries alternate layer and bare on the SAME
file (the layer's), so both read the same data. Text: 40 words per chunk drawn (Zipf-like) from a 5,000-word
vocabulary; a query is 3 words of one of the tenant's own chunks. Lexical only: embedding a million chunks
is out of this benchmark's reach (see bench_retrieval.py for vectors). Encryption off (PlainCodec).

    python benchmarks/bench_knowledge_scale.py --tenants 1000 --chunks 1000 --silos 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.knowledge.codec import PlainCodec  # noqa: E402
from engine.knowledge.index import TenantKnowledge  # noqa: E402
from engine.knowledge.sqlite_index import SqliteIndex  # noqa: E402

VOCABULARY = [f"w{i}" for i in range(5000)]
WEIGHTS = [1 / (i + 1) for i in range(5000)]
PER_SOURCE = 100


def texts(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choices(VOCABULARY, WEIGHTS, k=40)) for _ in range(n)]


async def ingest_layer(knowledge: TenantKnowledge, chunks: list[str]) -> None:
    for start in range(0, len(chunks), PER_SOURCE):
        source = f"doc{start // PER_SOURCE}"
        await knowledge.put_source("documents", source, [(f"{source}#{i}", text, {"source": source})
                                                         for i, text in enumerate(chunks[start:start + PER_SOURCE])],
                                   source)


async def ingest_bare(index: SqliteIndex, tenant: str, chunks: list[str]) -> None:
    conn = index.conn
    for start in range(0, len(chunks), PER_SOURCE):
        part = chunks[start:start + PER_SOURCE]
        source = f"doc{start // PER_SOURCE}"
        await conn.executemany("INSERT INTO knowledge_chunks (tenant, collection, chunk_id, scope, source, text, "
                               "metadata) VALUES (?, 'documents', ?, '', ?, ?, '{}')",
                               [(tenant, f"{source}#{i}", source, text) for i, text in enumerate(part)])
        await conn.executemany("INSERT INTO knowledge_fts (rowid, scope, tokens) SELECT rowid, '', text FROM "
                               "knowledge_chunks WHERE tenant = ? AND collection = 'documents' AND chunk_id = ?",
                               [(tenant, f"{source}#{i}") for i in range(len(part))])
        await conn.commit()


async def query_bare(index: SqliteIndex, tenant: str, words: list[str]) -> list[str]:
    match = "tokens : (" + " OR ".join(f'"{w}"' for w in words) + ")"
    async with index.conn.execute(
            "SELECT c.chunk_id, c.text FROM knowledge_fts JOIN knowledge_chunks c ON c.rowid = knowledge_fts.rowid "
            "WHERE knowledge_fts MATCH ? AND c.tenant = ? AND c.collection = 'documents' "
            "ORDER BY bm25(knowledge_fts, 0.0, 1.0) LIMIT 5", (match, tenant)) as cursor:
        return [str(row[0]) async for row in cursor]


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


async def pooled(folder: Path, tenants: int, chunks: int, queries: int) -> None:
    layer_index = await SqliteIndex.open(folder / "pool-layer.sqlite")
    bare_index = await SqliteIndex.open(folder / "pool-bare.sqlite")
    rng = random.Random(1)
    spent = {"layer": 0.0, "bare": 0.0}
    samples: dict[str, list[str]] = {}
    for t in range(tenants):
        tenant = f"t{t:04d}"
        data = texts(rng, chunks)
        samples[tenant] = data[:20]
        for name in (("layer", "bare") if t % 2 == 0 else ("bare", "layer")):
            began = time.perf_counter()
            if name == "layer":
                await ingest_layer(TenantKnowledge(layer_index, tenant, PlainCodec(), None), data)
            else:
                await ingest_bare(bare_index, tenant, data)
            spent[name] += time.perf_counter() - began
        if t % 100 == 99:
            print(f"  ingested {t + 1} tenants ({(t + 1) * chunks:,} chunks each side)", flush=True)
    total = tenants * chunks
    print(f"pool ingest: layer {total / spent['layer']:,.0f} chunks/s, bare {total / spent['bare']:,.0f} chunks/s, "
          f"ratio layer/bare time {spent['layer'] / spent['bare']:.2f}x")
    await bare_index.close()
    await timed_queries("pool", layer_index, list(samples), samples, queries)
    await layer_index.close()


async def timed_queries(label: str, index: SqliteIndex | dict[str, SqliteIndex], tenants: list[str],
                        samples: dict[str, list[str]], queries: int) -> None:
    rng = random.Random(2)
    times: dict[str, list[float]] = {"layer": [], "bare": []}
    for q in range(queries):
        tenant = rng.choice(tenants)
        words = rng.choice(samples[tenant]).split()[:40]
        words = rng.sample(words, 3)
        own = index[tenant] if isinstance(index, dict) else index
        for name in (("layer", "bare") if q % 2 == 0 else ("bare", "layer")):
            began = time.perf_counter()
            if name == "layer":
                hits = await TenantKnowledge(own, tenant, PlainCodec(), None).search(
                    "documents", " ".join(words), k=5, mode="lexical")
                assert hits
            else:
                assert await query_bare(own, tenant, words)
            times[name].append(time.perf_counter() - began)
    layer, bare = times["layer"], times["bare"]
    print(f"{label} query ({queries}): layer p50 {pct(layer, .5):.2f} ms p99 {pct(layer, .99):.2f} ms | "
          f"bare p50 {pct(bare, .5):.2f} ms p99 {pct(bare, .99):.2f} ms | "
          f"ratio p50 {statistics.median(layer) / statistics.median(bare):.2f}x")


async def siloed(folder: Path, silos: int, chunks: int, queries: int) -> None:
    rng = random.Random(3)
    indexes: dict[str, SqliteIndex] = {}
    samples: dict[str, list[str]] = {}
    spent = {"layer": 0.0, "bare": 0.0}
    for t in range(silos):
        tenant = f"s{t:03d}"
        data = texts(rng, chunks)
        samples[tenant] = data[:20]
        indexes[tenant] = await SqliteIndex.open(folder / f"silo-{tenant}.sqlite")
        bare = await SqliteIndex.open(folder / f"silo-bare-{tenant}.sqlite")
        for name in (("layer", "bare") if t % 2 == 0 else ("bare", "layer")):
            began = time.perf_counter()
            if name == "layer":
                await ingest_layer(TenantKnowledge(indexes[tenant], tenant, PlainCodec(), None), data)
            else:
                await ingest_bare(bare, tenant, data)
            spent[name] += time.perf_counter() - began
        await bare.close()
    total = silos * chunks
    print(f"silo ingest: layer {total / spent['layer']:,.0f} chunks/s, bare {total / spent['bare']:,.0f} chunks/s, "
          f"ratio layer/bare time {spent['layer'] / spent['bare']:.2f}x")
    await timed_queries("silo", indexes, list(samples), samples, queries)
    for index in indexes.values():
        await index.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--silos", type=int, default=100)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  load {os.getloadavg()[0]:.2f}  "
          f"pool {args.tenants} x {args.chunks}, silos {args.silos} x {args.chunks}")
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(pooled(Path(tmp), args.tenants, args.chunks, args.queries))
        asyncio.run(siloed(Path(tmp), args.silos, args.chunks, args.queries))
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
