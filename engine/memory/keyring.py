"""Each tenant's data keys: made on first use, wrapped by a key provider, kept wrapped in the store, rotated.

Envelope encryption: checkpoints and memory values are sealed with AES-256-GCM
under a *data key* of their tenant; the data key itself is stored only
*wrapped* (encrypted) by a key provider (:mod:`engine.memory.key_providers`: a
local key file for development, AWS KMS in production), in the project's
store under the namespace ``("tenantflow_keys", <tenant>)``. A process unwraps
a data key once and keeps it in memory.

A tenant has one or more key versions. Each has an id ``<version>-<random>``
(``000002-9f1c04aa``): the newest encrypts new writes, every older one still
decrypts what it sealed, so rotating (:meth:`Keyring.rotate`) loses no
session. The random part means two processes that make a tenant's first key
(or rotate) at the same moment each store a key of their own instead of
overwriting one another's: both keys stay readable.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from langgraph.store.base import BaseStore

from engine.errors import TenantflowError
from engine.ids import require_id

#: The store namespace of the wrapped data keys (never a tenant's memory level: those start with "tenant").
KEYS_NAMESPACE = "tenantflow_keys"
#: Bytes of a GCM nonce: random per message (2^32 messages per key keep the collision chance negligible).
NONCE_BYTES = 12
_MAX_VERSIONS = 1000


class EncryptionError(TenantflowError):
    """Encrypted data cannot be written or read: no usable key, another tenant's or thread's payload, tampering."""

    code = "encryption"


class UnknownKey(EncryptionError):
    """A payload names a key version this process has not loaded (another process may have just rotated)."""


class KeyProvider(Protocol):
    """Wraps and unwraps data keys. ``name`` is stored with each wrapped key."""

    name: str

    async def generate(self, tenant_id: str) -> tuple[bytes, bytes]:
        """A new 256-bit data key for ``tenant_id``: (plaintext, wrapped)."""
        ...

    async def unwrap(self, tenant_id: str, wrapped: bytes) -> bytes:
        """The plaintext of a data key ``generate`` wrapped for ``tenant_id``; EncryptionError if it cannot."""
        ...

    def describe(self) -> dict[str, str]:
        """What wraps the keys, for ``tenantflow keys status`` (never key material)."""
        ...


@dataclass(frozen=True)
class TenantKeys:
    """The data keys of one tenant this process has unwrapped; ``current`` encrypts new writes."""

    tenant_id: str
    keys: Mapping[str, AESGCM]
    current: str
    loaded_at: float = field(compare=False)

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        """(key id, nonce + ciphertext) of ``plaintext`` under the current key, bound to ``aad``."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return self.current, nonce + self.keys[self.current].encrypt(nonce, plaintext, aad)

    def open(self, key_id: str, sealed: bytes, aad: bytes, what: str) -> bytes:
        """The plaintext of ``sealed``; UnknownKey for a key not loaded, EncryptionError if it does not decrypt."""
        aead = self.keys.get(key_id)
        if aead is None:
            raise UnknownKey(f"{what} is sealed with key '{key_id}' of tenant '{self.tenant_id}', which this "
                             f"process does not know (known: {', '.join(sorted(self.keys))})")
        try:
            return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag:
            raise EncryptionError(f"{what} does not decrypt with key '{key_id}' of tenant '{self.tenant_id}': it was "
                                  "copied from another thread, tenant or key, or altered; refused") from None


class Keyring:
    """The data keys of every tenant of a project, wrapped by ``provider`` and kept in ``store``.

    Example::

        keyring = Keyring(store, LocalKeyFile(Path(".tenantflow/keys/master.key")))
        keys = await keyring.keys("acme")          # made (version 1) on first use
        await keyring.rotate("acme")               # new writes use version 2; version 1 still decrypts
    """

    def __init__(self, store: BaseStore, provider: KeyProvider, *, refresh_s: float = 60.0):
        self.store, self.provider, self.refresh_s = store, provider, refresh_s
        self._tenants: dict[str, TenantKeys] = {}
        self._unwrapped: dict[tuple[str, str], AESGCM] = {}
        self._lock = asyncio.Lock()

    def cached(self, tenant_id: str) -> TenantKeys | None:
        """The keys of ``tenant_id`` already loaded in this process, however old."""
        return self._tenants.get(tenant_id)

    def fresh(self, tenant_id: str) -> TenantKeys | None:
        """The keys of ``tenant_id`` if loaded within ``refresh_s``: the hot path, no coroutine to await."""
        found = self._tenants.get(tenant_id)
        return found if found is not None and time.monotonic() - found.loaded_at < self.refresh_s else None

    async def keys(self, tenant_id: str, *, refresh: bool = False) -> TenantKeys:
        """The keys of ``tenant_id``: made on first use, read again from the store after ``refresh_s`` or when
        ``refresh`` (a payload named a key this process has not seen)."""
        found = self._tenants.get(tenant_id)
        if found is not None and not refresh and time.monotonic() - found.loaded_at < self.refresh_s:
            return found
        async with self._lock:
            found = self._tenants.get(tenant_id)
            if found is not None and not refresh and time.monotonic() - found.loaded_at < self.refresh_s:
                return found
            found = await self._load(require_id("tenant id", tenant_id))
            if found is None:
                await self._add(tenant_id, 1)
                found = await self._load(tenant_id)
                assert found is not None  # the key just stored is listed
            self._tenants[tenant_id] = found
            return found

    async def rotate(self, tenant_id: str) -> str:
        """Make a new key version of ``tenant_id`` for new writes; older versions keep decrypting. Its id."""
        async with self._lock:
            versions = await self._wrapped(require_id("tenant id", tenant_id))
            newest = max((_version(key_id) for key_id in versions), default=0)
            key_id = await self._add(tenant_id, newest + 1)
            loaded = await self._load(tenant_id)
            assert loaded is not None
            self._tenants[tenant_id] = loaded
            return key_id

    async def status(self, tenant_id: str) -> dict[str, Any]:
        """The key versions of ``tenant_id`` (ids, creation times, what wrapped them), never key material."""
        versions = await self._wrapped(require_id("tenant id", tenant_id))
        ordered = sorted(versions)
        return {"tenant": tenant_id, "current": ordered[-1] if ordered else None,
                "versions": [{"id": key_id, "created": versions[key_id].get("created"),
                              "provider": versions[key_id].get("provider")} for key_id in ordered]}

    async def tenants(self) -> list[str]:
        """Every tenant that has a data key."""
        found = await self.store.alist_namespaces(prefix=(KEYS_NAMESPACE,), max_depth=2, limit=100_000)
        return sorted(ns[1] for ns in found if len(ns) == 2)

    async def _wrapped(self, tenant_id: str) -> dict[str, dict[str, Any]]:
        items = await self.store.asearch((KEYS_NAMESPACE, tenant_id), limit=_MAX_VERSIONS)
        return {item.key: item.value for item in items if tuple(item.namespace) == (KEYS_NAMESPACE, tenant_id)}

    async def _add(self, tenant_id: str, version: int) -> str:
        plaintext, wrapped = await self.provider.generate(tenant_id)
        key_id = f"{version:06d}-{secrets.token_hex(4)}"
        # Stored before any use: nothing is ever sealed under a key that is not in the store.
        await self.store.aput((KEYS_NAMESPACE, tenant_id), key_id, {
            "wrapped": base64.b64encode(wrapped).decode(), "provider": self.provider.name,
            "created": datetime.now(UTC).isoformat(timespec="seconds")}, index=False)
        self._unwrapped[(tenant_id, key_id)] = AESGCM(plaintext)
        return key_id

    async def _load(self, tenant_id: str) -> TenantKeys | None:
        versions = await self._wrapped(tenant_id)
        if not versions:
            return None
        keys: dict[str, AESGCM] = {}
        for key_id, value in versions.items():
            aead = self._unwrapped.get((tenant_id, key_id))
            if aead is None:
                plaintext = await self.provider.unwrap(tenant_id, _wrapped_bytes(tenant_id, key_id, value))
                aead = self._unwrapped[(tenant_id, key_id)] = AESGCM(plaintext)
            keys[key_id] = aead
        return TenantKeys(tenant_id, keys, max(keys), time.monotonic())


def _version(key_id: str) -> int:
    return int(key_id.split("-", 1)[0])


def _wrapped_bytes(tenant_id: str, key_id: str, value: Mapping[str, Any]) -> bytes:
    try:
        return base64.b64decode(str(value["wrapped"]), validate=True)
    except (KeyError, ValueError):
        raise EncryptionError(f"key '{key_id}' of tenant '{tenant_id}' in the store is damaged (no wrapped key)") \
            from None
