"""Embedding providers for search by meaning: Bedrock Titan, any LangChain ``Embeddings``, and a test double.

Every provider answers ``await embed(texts) -> list[vector]`` with vectors of
``dimensions`` floats. :class:`HashingTestDouble` is **not a model**: it
hashes words into a fixed-size vector, so texts sharing words are close and
nothing else is. It exists so tests run offline and deterministically; it
says so in its name and in ``label``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from collections.abc import Sequence
from importlib import import_module
from typing import Any, Protocol

from engine.errors import TenantflowError

TITAN_V2 = "amazon.titan-embed-text-v2:0"
_WORD = re.compile(r"\w+", re.UNICODE)


class EmbeddingError(TenantflowError):
    """An embedding provider is misconfigured or failed for good."""

    code = "embedding-failed"


class Embedder(Protocol):
    label: str
    dimensions: int

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else [0.0 for _ in vector]


class HashingTestDouble:
    """A deterministic bag-of-words hash, offline: a TEST DOUBLE, not an embedding model."""

    label = "offline-test-double (word hashing, not a model)"

    def __init__(self, dimensions: int = 256):
        self.dimensions = dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_one(text) for text in texts]

    def embed_one(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "big") % self.dimensions
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
        return normalise(vector)


class LangChainEmbedder:
    """Any LangChain ``Embeddings`` object (``aembed_documents`` / ``aembed_query``)."""

    def __init__(self, embeddings: Any, dimensions: int):
        if not hasattr(embeddings, "aembed_documents"):
            raise EmbeddingError(f"{type(embeddings).__name__} is not a LangChain Embeddings object "
                                 "(it has no aembed_documents)")
        self.embeddings, self.dimensions = embeddings, dimensions
        self.label = f"langchain:{type(embeddings).__name__}"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = await self.embeddings.aembed_documents(list(texts))
        return [normalise([float(x) for x in vector]) for vector in vectors]


class TitanEmbedder:
    """Amazon Titan Text Embeddings V2 through ``bedrock-runtime`` InvokeModel.

    The model embeds one text per call, so a batch is sent as ``concurrency``
    calls at a time (boto3 clients are thread-safe). Throttling is retried
    with exponential backoff up to ``retries`` times; other errors fail the batch.
    """

    def __init__(self, client: Any, *, model_id: str = TITAN_V2, dimensions: int = 1024, concurrency: int = 8,
                 retries: int = 5, backoff_s: float = 0.2):
        if dimensions not in (256, 512, 1024):
            raise EmbeddingError(f"Titan Text Embeddings V2 gives 256, 512 or 1024 dimensions, not {dimensions}")
        self.client, self.model_id, self.dimensions = client, model_id, dimensions
        self.concurrency, self.retries, self.backoff_s = concurrency, retries, backoff_s
        self.label = f"bedrock:{model_id}"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        found: list[list[float]] = []
        for start in range(0, len(texts), self.concurrency):
            batch = texts[start:start + self.concurrency]
            found += await asyncio.gather(*(asyncio.to_thread(self._one, text) for text in batch))
        return found

    def _one(self, text: str) -> list[float]:
        body = json.dumps({"inputText": text, "dimensions": self.dimensions, "normalize": True})
        for attempt in range(self.retries + 1):
            try:
                answer = self.client.invoke_model(modelId=self.model_id, body=body, accept="application/json",
                                                  contentType="application/json")
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
                if code in ("ThrottlingException", "TooManyRequestsException") and attempt < self.retries:
                    time.sleep(self.backoff_s * 2 ** attempt)  # in a worker thread (asyncio.to_thread)
                    continue
                raise EmbeddingError(f"Bedrock embedding with {self.model_id} failed: {code or type(exc).__name__}"
                                     ) from None
            vector = json.loads(answer["body"].read())["embedding"]
            return [float(x) for x in vector]
        raise AssertionError("unreachable")  # the loop returns or raises


def embedder_from(provider: str, *, model_id: str = TITAN_V2, dimensions: int = 1024, region: str | None = None,
                  factory: str | None = None, client: Any = None) -> Embedder | None:
    """The embedder ``stores.knowledge.embeddings`` names; None for ``none`` (lexical search only)."""
    if provider == "none":
        return None
    if provider == "offline-test-double":
        return HashingTestDouble(dimensions)
    if provider == "bedrock":
        if client is None:
            import boto3

            client = boto3.client("bedrock-runtime", region_name=region)
        return TitanEmbedder(client, model_id=model_id, dimensions=dimensions)
    if provider == "langchain":
        if not factory or ":" not in factory:
            raise EmbeddingError("embeddings provider 'langchain' needs factory: 'module:callable' returning a "
                                 "LangChain Embeddings object")
        module, _, name = factory.partition(":")
        try:
            made = getattr(import_module(module), name)()
        except (ImportError, AttributeError) as exc:
            raise EmbeddingError(f"cannot load the embeddings factory '{factory}': {exc}") from None
        return LangChainEmbedder(made, dimensions)
    raise EmbeddingError(f"unknown embeddings provider '{provider}': expected none, offline-test-double, bedrock "
                         "or langchain")
