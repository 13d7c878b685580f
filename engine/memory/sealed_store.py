"""Memory values encrypted at rest with their tenant's data key: a wrapper around any LangGraph store.

A tenant's memory lives under ``("tenant", <id>, ...)`` (see
:mod:`engine.memory.namespaces`), so the namespace of every put names the key
to use. The value is stored as ``{"sealed": "aesgcm:<tenant>:<key id>",
"data": <base64 nonce + ciphertext>}``, bound (GCM associated data) to its
namespace and key: a value copied to another tenant's, user's or key's row
does not decrypt, and a value naming another tenant is refused outright.
The platform's shared levels (``global``, ``strategy``) are no tenant's and
stay plaintext. Keys, namespaces and timestamps stay plaintext too: they
address the data (do not template secrets into memory keys).

A store cannot filter what it cannot read, so a search with a ``filter``
under tenant namespaces is answered here: every item under the prefix is read,
decrypted and matched with LangGraph's own comparison (the one its in-memory
store uses), then ``offset`` and ``limit`` apply. Sealed values get no vector
index entry (``index=False``); see docs/decisions.md for how search by meaning
coexists with encryption.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from langgraph.store.base import BaseStore, Item, Op, PutOp, Result, SearchItem, SearchOp
from langgraph.store.memory import _compare_values

from engine.memory.keyring import EncryptionError, Keyring, TenantKeys, UnknownKey

CIPHER = "aesgcm"
_I = TypeVar("_I", bound=Item)
#: Items read per round trip while answering a filtered search.
_PAGE = 500


def _tenant_of(namespace: Sequence[str]) -> str | None:
    return namespace[1] if len(namespace) >= 2 and namespace[0] == "tenant" else None


def _may_hold_tenants(prefix: Sequence[str]) -> bool:
    return not prefix or prefix[0] == "tenant"


def _aad(namespace: Sequence[str], key: str) -> bytes:
    return json.dumps(["tenantflow-memory", list(namespace), key]).encode()


def _is_sealed(value: dict[str, Any]) -> bool:
    return set(value) == {"sealed", "data"} and str(value.get("sealed", "")).startswith(f"{CIPHER}:")


class SealedStore(BaseStore):
    """``inner`` with every tenant-level value sealed under its tenant's current key.

    ``read_plaintext`` reads tenant values stored before encryption was turned on (a migration window).
    """

    def __init__(self, inner: BaseStore, keyring: Keyring, *, read_plaintext: bool = False):
        self.inner, self.keyring, self.read_plaintext = inner, keyring, read_plaintext

    # -- async -------------------------------------------------------------------------------------------------
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        keys = {tenant: await self.keyring.keys(tenant) for tenant in _put_tenants(ops)}
        passed = [i for i, op in enumerate(ops) if not _filtered(op)]
        answers = await self.inner.abatch([_sealed_op(ops[i], keys) for i in passed])
        results: list[Result] = [None] * len(ops)
        for i, answer in zip(passed, answers, strict=True):
            results[i] = await self._aopen(answer)
        for i, op in enumerate(ops):
            if _filtered(op):
                assert isinstance(op, SearchOp)
                results[i] = _matching(op, await self._aread_all(op))
        return results

    async def _aread_all(self, op: SearchOp) -> list[SearchItem]:
        found: list[SearchItem] = []
        while True:
            page = await self.inner.asearch(op.namespace_prefix, query=op.query, limit=_PAGE, offset=len(found),
                                            refresh_ttl=op.refresh_ttl)
            found += page
            if len(page) < _PAGE:
                await self._aopen(found)  # loads (or reloads) the keys the items need
                return self._open_search(found)

    async def _aopen(self, answer: Result) -> Result:
        for tenant in {_tenant_of(item.namespace) for item in _items(answer)} - {None}:
            assert tenant is not None
            await self.keyring.keys(tenant)
        try:
            return self._open(answer)
        except UnknownKey:  # sealed under a key another process made since: read the tenant's keys again
            for tenant in {_tenant_of(item.namespace) for item in _items(answer)} - {None}:
                assert tenant is not None
                await self.keyring.keys(tenant, refresh=True)
            return self._open(answer)

    # -- sync: only with keys this process has loaded already ------------------------------------------------
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        keys = {tenant: self._cached(tenant) for tenant in _put_tenants(ops)}
        results: list[Result] = []
        for op in ops:
            if _filtered(op):
                assert isinstance(op, SearchOp)
                found: list[SearchItem] = []
                while True:
                    page = self.inner.search(op.namespace_prefix, query=op.query, limit=_PAGE, offset=len(found))
                    found += page
                    if len(page) < _PAGE:
                        break
                results.append(_matching(op, self._open_search(found)))
            else:
                results.append(self._open(self.inner.batch([_sealed_op(op, keys)])[0]))
        return results

    def _cached(self, tenant: str) -> TenantKeys:
        keys = self.keyring.cached(tenant)
        if keys is None:
            raise EncryptionError(f"the keys of tenant '{tenant}' are not loaded yet: use the store's async API")
        return keys

    # -- opening what the store returned -----------------------------------------------------------------------
    def _open(self, answer: Result) -> Result:
        if isinstance(answer, Item):
            return self._open_item(answer)
        if isinstance(answer, list):
            opened: list[Any] = [self._open_item(item) if isinstance(item, Item) else item for item in answer]
            return opened
        return answer

    def _open_search(self, items: list[SearchItem]) -> list[SearchItem]:
        return [self._open_item(item) for item in items]

    def _open_item(self, item: _I) -> _I:
        tenant = _tenant_of(item.namespace)
        if tenant is None:
            return item
        value = item.value
        if not _is_sealed(value):
            if self.read_plaintext:
                return item
            raise EncryptionError(f"the memory item '{item.key}' of tenant '{tenant}' is not encrypted while "
                                  "encryption is on: refused (written before encryption was turned on, or put there "
                                  "by hand; stores.encryption.read_plaintext: true reads it during a migration)")
        _, sealed_for, key_id = str(value["sealed"]).split(":", 2)
        if sealed_for != tenant:
            raise EncryptionError(f"the memory item '{item.key}' under tenant '{tenant}' is sealed for tenant "
                                  f"'{sealed_for}'; refused")
        keys = self._cached(tenant)
        plain = keys.open(key_id, base64.b64decode(str(value["data"])), _aad(item.namespace, item.key),
                          f"the memory item '{item.key}' of tenant '{tenant}'")
        opened = json.loads(plain)
        item_copy = copy.copy(item)  # the same class (Item or SearchItem, with its score), the value opened
        item_copy.value = opened
        return item_copy


def _put_tenants(ops: Sequence[Op]) -> set[str]:
    return {tenant for op in ops if isinstance(op, PutOp) and op.value is not None
            and (tenant := _tenant_of(op.namespace)) is not None}


def _filtered(op: Op) -> bool:
    return isinstance(op, SearchOp) and bool(op.filter) and _may_hold_tenants(op.namespace_prefix)


def _sealed_op(op: Op, keys: dict[str, TenantKeys]) -> Op:
    if not isinstance(op, PutOp) or op.value is None:
        return op
    tenant = _tenant_of(op.namespace)
    if tenant is None:
        return op
    key_id, sealed = keys[tenant].seal(json.dumps(op.value, separators=(",", ":")).encode(),
                                       _aad(op.namespace, op.key))
    # No vector index entry: it would be computed from the ciphertext (docs/decisions.md, "Encryption at rest").
    return PutOp(op.namespace, op.key, {"sealed": f"{CIPHER}:{tenant}:{key_id}",
                                        "data": base64.b64encode(sealed).decode()}, index=False, ttl=op.ttl)


def _items(answer: Result) -> list[Item]:
    if isinstance(answer, Item):
        return [answer]
    if isinstance(answer, list):
        return [item for item in answer if isinstance(item, Item)]
    return []


def _matching(op: SearchOp, items: list[SearchItem]) -> list[SearchItem]:
    assert op.filter is not None
    kept = [item for item in items
            if all(_compare_values(item.value.get(key), wanted) for key, wanted in op.filter.items())]
    return kept[op.offset:op.offset + op.limit]

