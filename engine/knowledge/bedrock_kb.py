"""Amazon Bedrock Knowledge Bases as where ``retrieve`` steps search a tenant's documents.

:class:`TenantKnowledgeBase` is built for one tenant, like
:class:`~engine.knowledge.index.TenantKnowledge`, and answers the same
``search`` with the same :class:`~engine.knowledge.index.Hit` passages. Every
``Retrieve`` call it makes filters on ``<tenant_key> = <its tenant>``: an
author's metadata filter is only ever ANDed under that condition (``andAll``),
so it can narrow the tenant's passages but never widen or replace the tenant
filter. A silo tenant's own knowledge base gets the same filter (defence in
depth). Every result is checked again: one whose metadata names another tenant
(or none) fails the search closed.

Documents reach a knowledge base through its data source sync, not through
``tenantflow ingest``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from engine.errors import TenantflowError
from engine.ids import require_id
from engine.knowledge.index import Hit, KnowledgeError, Mode

#: Error codes of bedrock-agent-runtime worth another attempt after a pause.
RETRYABLE = frozenset({"ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"})
#: Bedrock's own metadata attributes a passage's source, page and chunk id are read from.
SOURCE_URI, PAGE, CHUNK_ID = ("x-amz-bedrock-kb-source-uri", "x-amz-bedrock-kb-document-page-number",
                              "x-amz-bedrock-kb-chunk-id")
#: Bedrock's search types for tenantflow's modes; lexical alone is not one of them.
SEARCH_TYPES: dict[str, str] = {"vector": "SEMANTIC", "hybrid": "HYBRID"}


class KnowledgeBaseError(KnowledgeError):
    """The knowledge base refused or failed the query (access denied, not found, invalid): not worth retrying."""

    code = "knowledge-base-failed"


class KnowledgeBaseThrottled(KnowledgeError):
    """The knowledge base kept throttling the query: retryable later."""

    code = "knowledge-base-throttled"


class IngestNotSupported(TenantflowError):
    """``tenantflow ingest`` for a tenant whose documents live in a Bedrock knowledge base."""

    code = "ingest-bedrock-kb"


def tenant_filter(tenant_key: str, tenant_id: str, author: dict[str, Any] | None) -> dict[str, Any]:
    """The ``RetrievalFilter`` of a query: the tenant's ``equals``, with the author's conditions ANDed under it."""
    mine: dict[str, Any] = {"equals": {"key": tenant_key, "value": tenant_id}}
    if not author:
        return mine
    if any(isinstance(value, (dict, list)) for value in author.values()):
        raise KnowledgeError("a knowledge filter is a mapping of metadata keys to plain values (equality only)")
    return {"andAll": [mine, *({"equals": {"key": key, "value": value}} for key, value in author.items())]}


class TenantKnowledgeBase:
    """One tenant's documents in a Bedrock knowledge base: every query carries this tenant's filter."""

    def __init__(self, client: Any, knowledge_base_id: str, tenant_id: str, tenant_key: str, *,
                 attempts: int = 4, backoff_s: float = 0.25):
        self.client, self.knowledge_base_id = client, knowledge_base_id
        self.tenant_id, self.tenant_key = require_id("tenant id", tenant_id), tenant_key
        self.attempts, self.backoff_s = attempts, backoff_s

    async def search(self, collection: str, query: str, *, k: int = 5, mode: Mode | None = None,
                     scope: str | None = None, filter: dict[str, Any] | None = None) -> list[Hit]:
        """The ``k`` best passages of this tenant for ``query`` (``filter``: metadata equality, ANDed)."""
        if collection != "documents" or scope is not None:
            raise KnowledgeError("a Bedrock knowledge base holds documents only (memory is searched locally)")
        if mode == "lexical":
            raise KnowledgeError("Bedrock knowledge bases search by meaning (vector) or hybrid, not lexically: "
                                 "drop the step's mode or choose vector or hybrid")
        vector: dict[str, Any] = {"numberOfResults": k,
                                  "filter": tenant_filter(self.tenant_key, self.tenant_id, filter)}
        if mode is not None:
            vector["overrideSearchType"] = SEARCH_TYPES[mode]
        request = {"knowledgeBaseId": self.knowledge_base_id, "retrievalQuery": {"text": query},
                   "retrievalConfiguration": {"vectorSearchConfiguration": vector}}
        response = await asyncio.to_thread(self._retrieve, request)
        return [self._hit(number, result) for number, result in enumerate(response.get("retrievalResults", []))
                if (result.get("content") or {}).get("text")]

    def _retrieve(self, request: dict[str, Any]) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        for attempt in range(self.attempts):
            try:
                response: dict[str, Any] = self.client.retrieve(**request)
                return response
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code, message = str(error.get("Code", "")), str(error.get("Message", ""))
                if code not in RETRYABLE:
                    raise KnowledgeBaseError(f"knowledge base {self.knowledge_base_id} refused the query "
                                             f"({code}: {message})") from None
                if attempt + 1 < self.attempts:
                    time.sleep(self.backoff_s * 2 ** attempt)  # in a worker thread (asyncio.to_thread)
            except BotoCoreError as exc:
                raise KnowledgeBaseError(f"knowledge base {self.knowledge_base_id} could not be reached: "
                                         f"{exc}") from None
        raise KnowledgeBaseThrottled(f"knowledge base {self.knowledge_base_id} throttled the query {self.attempts} "
                                     "times: retryable, try again later (or raise the account's Retrieve quota)")

    def _hit(self, number: int, result: dict[str, Any]) -> Hit:
        metadata: dict[str, Any] = dict(result.get("metadata") or {})
        if metadata.get(self.tenant_key) != self.tenant_id:
            # The query filtered on this tenant; a result of another (or of none) is a bug, so fail closed.
            raise KnowledgeError(f"knowledge base {self.knowledge_base_id} returned a passage outside tenant "
                                 f"'{self.tenant_id}': refused")
        page = metadata.get(PAGE)
        if isinstance(page, float) and page.is_integer():
            metadata[PAGE] = int(page)
        return Hit(chunk_id=str(metadata.get(CHUNK_ID, number)), source=_source(result.get("location") or {},
                                                                                  metadata),
                   text=str(result["content"]["text"]), metadata={**metadata, "page": metadata.get(PAGE)},
                   score=float(result.get("score") or 0.0))


def _source(location: dict[str, Any], metadata: dict[str, Any]) -> str:
    """Where a passage came from: its document's URI, URL or id, whatever the data source type names."""
    for field, key in (("s3Location", "uri"), ("webLocation", "url"), ("confluenceLocation", "url"),
                       ("salesforceLocation", "url"), ("sharePointLocation", "url"),
                       ("kendraDocumentLocation", "uri"), ("customDocumentLocation", "id")):
        value = (location.get(field) or {}).get(key)
        if value:
            return str(value)
    return str(metadata.get(SOURCE_URI) or location.get("type") or "bedrock-knowledge-base")


def bedrock_agent_runtime(region: str | None) -> Any:
    """A bedrock-agent-runtime client; botocore's own retries are off because :class:`TenantKnowledgeBase` retries."""
    import boto3
    from botocore.config import Config

    return boto3.client("bedrock-agent-runtime", region_name=region,
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
