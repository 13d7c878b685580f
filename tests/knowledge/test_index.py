"""The knowledge index itself: search modes, the tenant fence, sealed text, TTL, chunking, PDF, embedders."""

from __future__ import annotations

import io
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from botocore.response import StreamingBody
from langchain_core.embeddings import DeterministicFakeEmbedding
from langgraph.store.memory import InMemoryStore

from engine.knowledge.codec import PlainCodec, SealedCodec
from engine.knowledge.documents import chunks_of, read_document
from engine.knowledge.embeddings import EmbeddingError, HashingTestDouble, LangChainEmbedder, TitanEmbedder
from engine.knowledge.index import KnowledgeError, Stored, TenantKnowledge
from engine.knowledge.sqlite_index import SqliteIndex
from engine.memory.key_providers import LocalKeyFile
from engine.memory.keyring import EncryptionError, Keyring

DOCS = [("d#0", "The notebook computer has sixteen gigabytes of memory", {"source": "d", "title": "laptops"}),
        ("d#1", "The weather is nice in Lisbon today", {"source": "d", "title": "weather"})]


async def _pair(path: Any = ":memory:") -> tuple[SqliteIndex, TenantKnowledge, TenantKnowledge]:
    index = await SqliteIndex.open(path)
    alpha = TenantKnowledge(index, "alpha", PlainCodec(), HashingTestDouble(64))
    beta = TenantKnowledge(index, "beta", PlainCodec(), HashingTestDouble(64))
    await alpha.put_source("documents", "d", DOCS, "h1")
    await beta.put_source("documents", "d", [("d#0", "beta notebook computer secret", {"source": "d"})], "h2")
    return index, alpha, beta


@pytest.mark.parametrize("mode", ["lexical", "vector", "hybrid"])
async def test_every_mode_finds_the_tenants_own_passage_first(mode: str) -> None:
    index, alpha, beta = await _pair()
    try:
        hits = await alpha.search("documents", "notebook computer", mode=mode)  # type: ignore[arg-type]
        assert hits[0].text.startswith("The notebook computer") and all("beta" not in h.text for h in hits)
        assert [h.text for h in await beta.search("documents", "notebook computer", mode=mode)] == [  # type: ignore[arg-type]
            "beta notebook computer secret"]
    finally:
        await index.close()


async def test_a_filter_only_narrows_and_cannot_name_another_tenant_into_view() -> None:
    index, alpha, _ = await _pair()
    try:
        assert [h.chunk_id for h in await alpha.search("documents", "weather notebook", filter={"title": "weather"})] \
            == ["d#1"]
        for crafted in ({"tenant": "beta"}, {"source": "d", "tenant_id": "beta"}):
            assert await alpha.search("documents", "notebook secret", filter=crafted) == []
        with pytest.raises(KnowledgeError, match="equality only"):
            await alpha.search("documents", "x", filter={"tenant": {"$in": ["alpha", "beta"]}})
    finally:
        await index.close()


async def test_a_backend_row_of_another_tenant_is_refused_not_returned() -> None:
    index, alpha, _ = await _pair()

    def beta_row(rowid: int) -> Stored:
        return Stored(rowid, "beta", "documents", "d#0", "", "d", "beta secret", "{}")

    async def leaky_lexical(*args: Any) -> list[tuple[Stored, float]]:
        return [(beta_row(1), 1.0)]

    async def leaky_fetch(tenant: str, rowids: Any) -> list[Stored]:
        return [beta_row(rowid) for rowid in rowids]

    try:
        index.lexical = leaky_lexical  # type: ignore[method-assign]
        with pytest.raises(KnowledgeError, match="outside tenant 'alpha'"):
            await alpha.search("documents", "notebook", mode="lexical")
        index.fetch = leaky_fetch  # type: ignore[method-assign]
        with pytest.raises(KnowledgeError, match="outside tenant 'alpha'"):
            await alpha.search("documents", "notebook", mode="vector")
    finally:
        await index.close()


async def test_deleting_one_tenant_leaves_the_other() -> None:
    index, alpha, beta = await _pair()
    try:
        assert await alpha.delete() == 2
        assert await alpha.search("documents", "notebook") == []
        assert len(await beta.search("documents", "notebook")) == 1
    finally:
        await index.close()


async def test_sealed_text_and_keyed_tokens_leave_no_word_readable_and_still_match(tmp_path: Path) -> None:
    keyring = Keyring(InMemoryStore(), LocalKeyFile(tmp_path / "master.key"))
    path = tmp_path / "k.sqlite"
    index = await SqliteIndex.open(path)
    alpha = TenantKnowledge(index, "alpha", SealedCodec(await keyring.keys("alpha")), HashingTestDouble(64))
    beta = TenantKnowledge(index, "beta", SealedCodec(await keyring.keys("beta")), HashingTestDouble(64))
    await alpha.put_source("documents", "d", DOCS, "h1")
    await beta.put_source("documents", "d", [("d#0", "The notebook computer of beta", {})], "h2")
    try:
        assert (await alpha.search("documents", "notebook computer", mode="lexical"))[0].text == DOCS[0][1]
        # Rotation does not change the token key: old chunks still match, new ones too.
        await keyring.rotate("alpha")
        rotated = TenantKnowledge(index, "alpha", SealedCodec(await keyring.keys("alpha", refresh=True)), None)
        assert (await rotated.search("documents", "notebook", mode="lexical"))[0].chunk_id == "d#0"
        # The same word hashes differently per tenant: beta's tokens match nothing of alpha's.
        with closing(sqlite3.connect(path)) as conn:
            tokens = dict(conn.execute("SELECT c.tenant || c.chunk_id, f.tokens FROM knowledge_fts f JOIN "
                                       "knowledge_chunks c ON c.rowid = f.rowid").fetchall())
        assert not set(tokens["alphad#0"].split()) & set(tokens["betad#0"].split())
    finally:
        await index.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("k.sqlite*"))
    for word in (b"notebook", b"gigabytes", b"Lisbon", b"weather"):
        assert word not in raw
    # A sealed chunk copied under another tenant does not open.
    with pytest.raises(EncryptionError):
        SealedCodec(await keyring.keys("beta")).open(alpha.codec.seal("x", ("alpha", "documents", "d#0")),
                                                     ("beta", "documents", "d#0"))


async def test_ttl_expires_an_entry_from_search_and_sweep_removes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    index = await SqliteIndex.open(":memory:")
    alpha = TenantKnowledge(index, "alpha", PlainCodec(), None)
    try:
        await alpha.put_source("memory", "m", [("m", "short lived note", {})], "", ttl_s=60)
        assert len(await alpha.search("memory", "note")) == 1
        import engine.knowledge.index as module

        later = module.time.time() + 61
        monkeypatch.setattr(module.time, "time", lambda: later)
        assert await alpha.search("memory", "note") == []
        assert [(e.tenant, e.source) for e in await index.sweep(later)] == [("alpha", "m")]
    finally:
        await index.close()


def test_modes_needing_embeddings_say_so() -> None:
    knowledge = TenantKnowledge(None, "alpha", PlainCodec(), None)  # type: ignore[arg-type]
    assert knowledge.default_mode == "lexical"
    with pytest.raises(KnowledgeError, match="needs embeddings"):
        import asyncio

        asyncio.run(knowledge.search("documents", "x", mode="hybrid"))


def _pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of text per page (Helvetica), xref offsets computed."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(len(pages)))}] "
               f"/Count {len(pages)} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_pdf_pages_markdown_titles_and_overlapping_chunks(tmp_path: Path) -> None:
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(_pdf(["Page one talks about pumps", "Page two talks about valves"]))
    chunks = chunks_of(read_document(pdf, "manual.pdf"), 200, 20)
    assert [(c[1], c[2]["page"], c[2]["title"]) for c in chunks] == [
        ("Page one talks about pumps", 1, "manual"), ("Page two talks about valves", 2, "manual")]
    md = tmp_path / "guide.md"
    md.write_text("intro\n\n# Pump guide\n\n" + " ".join(f"word{i}" for i in range(400)), encoding="utf-8")
    chunks = chunks_of(read_document(md, "guide.md"), 300, 60)
    assert {c[2]["title"] for c in chunks} == {"Pump guide"} and "page" not in chunks[0][2]
    assert all(len(c[1]) <= 300 for c in chunks)
    first, second = chunks[0][1].split(), chunks[1][1].split()
    assert second[0] in first  # the next chunk starts inside the previous one: overlap
    for bad, message in (("x.docx", "cannot ingest '.docx'"), ("broken.pdf", "not a readable PDF")):
        (tmp_path / bad).write_bytes(b"not really")
        with pytest.raises(KnowledgeError, match=message):
            read_document(tmp_path / bad, bad)


# -- embedders ---------------------------------------------------------------------------------------------------

def _titan_answer(vector: list[float]) -> dict[str, Any]:
    body = json.dumps({"embedding": vector, "inputTextTokenCount": 3}).encode()
    return {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"}


async def test_titan_embeds_in_batches_and_retries_throttling(bedrock_client: Any, bedrock_stubber: Any) -> None:
    texts = ["a", "b", "c"]
    expected = {"modelId": "amazon.titan-embed-text-v2:0", "accept": "application/json",
                "contentType": "application/json"}
    # Batches of two, one call at a time in this test; the second call is throttled once, then answered.
    bedrock_stubber.add_response("invoke_model", _titan_answer([1.0] * 256),
                                 {**expected, "body": json.dumps({"inputText": "a", "dimensions": 256,
                                                                  "normalize": True})})
    bedrock_stubber.add_client_error("invoke_model", service_error_code="ThrottlingException", http_status_code=429)
    bedrock_stubber.add_response("invoke_model", _titan_answer([2.0] * 256))
    bedrock_stubber.add_response("invoke_model", _titan_answer([3.0] * 256))
    titan = TitanEmbedder(bedrock_client, dimensions=256, concurrency=1, backoff_s=0)
    vectors = await titan.embed(texts)
    assert [v[0] for v in vectors] == [1.0, 2.0, 3.0] and all(len(v) == 256 for v in vectors)


async def test_titan_gives_up_on_other_errors_without_the_text(bedrock_client: Any, bedrock_stubber: Any) -> None:
    bedrock_stubber.add_client_error("invoke_model", service_error_code="AccessDeniedException", http_status_code=403)
    with pytest.raises(EmbeddingError, match="AccessDeniedException") as raised:
        await TitanEmbedder(bedrock_client, concurrency=1).embed(["secret words"])
    assert "secret words" not in str(raised.value)
    with pytest.raises(EmbeddingError, match="256, 512 or 1024"):
        TitanEmbedder(bedrock_client, dimensions=300)


async def test_any_langchain_embeddings_object_and_the_labelled_test_double() -> None:
    langchain = LangChainEmbedder(DeterministicFakeEmbedding(size=32), 32)
    (vector,) = await langchain.embed(["hello"])
    assert len(vector) == 32 and abs(sum(x * x for x in vector) - 1) < 1e-6
    with pytest.raises(EmbeddingError, match="not a LangChain Embeddings"):
        LangChainEmbedder(object(), 8)
    double = HashingTestDouble(64)
    assert "not a model" in double.label
    assert await double.embed(["same words"]) == await HashingTestDouble(64).embed(["same words"])
