"""Vectors as stored (float32 bytes) and the top k of a tenant's rows by cosine similarity."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from engine.errors import require_extra


def _numpy() -> ModuleType:
    """numpy, which only search by meaning needs (the [knowledge] extra); search by words runs without it."""
    require_extra("knowledge", "numpy", "search by meaning (stores.knowledge.embeddings)")
    import numpy

    return numpy


def as_blob(vector: Sequence[float] | None) -> bytes | None:
    return None if vector is None else _numpy().asarray(vector, dtype=_numpy().float32).tobytes()


def top_k(rows: Sequence[tuple[int, bytes]], query: Sequence[float], k: int) -> list[tuple[int, float]]:
    """(rowid, cosine similarity) of the ``k`` rows closest to ``query``; vectors are stored normalised."""
    if not rows or k <= 0:
        return []
    np = _numpy()
    matrix = np.frombuffer(b"".join(blob for _, blob in rows), dtype=np.float32).reshape(len(rows), -1)
    wanted = np.asarray(query, dtype=np.float32)
    if matrix.shape[1] != wanted.shape[0]:
        raise ValueError(f"stored vectors have {matrix.shape[1]} dimensions, the query {wanted.shape[0]}: the "
                         "embedding model changed; re-ingest (tenantflow ingest --force)")
    scores = matrix @ wanted
    # argpartition finds the k best in linear time; only those k are sorted.
    best = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(rows[int(i)][0], float(scores[int(i)])) for i in best]
