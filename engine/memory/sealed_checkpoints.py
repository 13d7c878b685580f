"""Checkpoints encrypted at rest with their tenant's data key (LangGraph's EncryptedSerializer, AES-256-GCM).

A saver is shared by every pool tenant, and LangGraph's serializer sees only
bytes, so the tenant (and thread) of each write comes from the call:
:class:`SealedCheckpointer` wraps a saver, reads the thread id of every call,
loads the thread's tenant's keys and sets them in a context variable for the
duration of the inner call, which :class:`TenantCipher` reads. Each payload is
stored as ``<type>+aesgcm:<tenant>:<key id>`` and bound (GCM associated data)
to its thread, so a row copied into another tenant's or user's thread does
not decrypt; a payload naming another tenant is refused before any key is tried.

Listing across threads (no thread id) decrypts nothing: encrypted values come
back as None, which is all a list of threads needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer

from engine.ids import thread_owner
from engine.memory.keyring import EncryptionError, Keyring, TenantKeys, UnknownKey

CIPHER = "aesgcm"


@dataclass(frozen=True)
class _Scope:
    """The thread a checkpointer call is for and its tenant's keys; ``keys`` None: listing, decrypt nothing."""

    thread: str
    keys: TenantKeys | None


_scope: ContextVar[_Scope | None] = ContextVar("tenantflow_checkpoint_scope", default=None)
_LISTING = _Scope("", None)


class TenantCipher(CipherProtocol):
    """AES-256-GCM under the current call's tenant key, bound to its thread."""

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        scope = _scope.get()
        if scope is None or scope.keys is None:
            raise EncryptionError("a checkpoint was written outside a tenant's thread, so no tenant key applies; "
                                  "refused (write through the engine's checkpointer with a thread id)")
        key_id, sealed = scope.keys.seal(plaintext, _aad(scope.thread))
        return f"{CIPHER}:{scope.keys.tenant_id}:{key_id}", sealed

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        scope = _scope.get()
        assert scope is not None and scope.keys is not None  # TenantSerializer.loads_typed checked
        tenant, key_id = _parse(ciphername)
        if tenant != scope.keys.tenant_id:
            raise EncryptionError(f"a checkpoint of tenant '{tenant}' was found in thread '{scope.thread}' of "
                                  f"tenant '{scope.keys.tenant_id}'; refused")
        return scope.keys.open(key_id, ciphertext, _aad(scope.thread), f"a checkpoint of thread '{scope.thread}'")


def _aad(thread: str) -> bytes:
    return f"tenantflow-checkpoint:{thread}".encode()


def _parse(ciphername: str) -> tuple[str, str]:
    parts = ciphername.split(":")
    if len(parts) != 3 or parts[0] != CIPHER:
        raise EncryptionError(f"a checkpoint is sealed with '{ciphername}', which tenantflow does not know")
    return parts[1], parts[2]


class TenantSerializer(EncryptedSerializer):
    """LangGraph's EncryptedSerializer with :class:`TenantCipher`; plaintext payloads are refused unless
    ``read_plaintext`` (a migration window for sessions written before encryption was turned on)."""

    def __init__(self, serde: SerializerProtocol, *, read_plaintext: bool = False):
        super().__init__(TenantCipher(), serde)
        self.read_plaintext = read_plaintext

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        scope = _scope.get()
        if scope is None:
            raise EncryptionError("a checkpoint was read outside a tenant's thread; refused")
        if scope.keys is None:
            return None  # listing threads: nothing is decrypted
        if "+" not in data[0] and not self.read_plaintext:
            raise EncryptionError(f"thread '{scope.thread}' holds a checkpoint that is not encrypted while "
                                  "encryption is on: refused (it was written before encryption was turned on, or "
                                  "put there by hand; stores.encryption.read_plaintext: true reads such sessions "
                                  "during a migration)")
        return super().loads_typed(data)


def seal_saver(saver: BaseCheckpointSaver[Any], keyring: Keyring, *,
               read_plaintext: bool = False) -> SealedCheckpointer:
    """``saver`` writing and reading through its tenants' keys."""
    saver.serde = TenantSerializer(saver.serde, read_plaintext=read_plaintext)
    return SealedCheckpointer(saver, keyring)


class SealedCheckpointer(BaseCheckpointSaver[Any]):
    """Runs every call of ``inner`` (whose serde is a :class:`TenantSerializer`) in its thread's key scope."""

    def __init__(self, inner: BaseCheckpointSaver[Any], keyring: Keyring):
        super().__init__(serde=inner.serde)
        self.inner, self.keyring = inner, keyring

    @property
    def config_specs(self) -> list[Any]:
        return list(self.inner.config_specs)

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.inner.get_next_version(current, channel)

    async def _scope_of(self, config: RunnableConfig | None, refresh: bool = False) -> _Scope:
        thread = (config or {}).get("configurable", {}).get("thread_id")
        if thread is None:
            return _LISTING
        owner = thread_owner(str(thread))
        keys = None if refresh else self.keyring.fresh(owner)
        return _Scope(str(thread), keys if keys is not None else await self.keyring.keys(owner, refresh=refresh))

    def _scope_sync(self, config: RunnableConfig | None) -> _Scope:
        thread = (config or {}).get("configurable", {}).get("thread_id")
        if thread is None:
            return _LISTING
        owner = thread_owner(str(thread))
        keys = self.keyring.cached(owner)
        if keys is None:
            raise EncryptionError(f"the keys of tenant '{owner}' are not loaded yet: read its checkpoints with the "
                                  "async API (aget_state, aget_tuple) first")
        return _Scope(str(thread), keys)

    # -- reads: a payload sealed under a key version another process made reloads the keys once --------------
    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        for refresh in (False, True):
            token = _scope.set(await self._scope_of(config, refresh))
            try:
                return await self.inner.aget_tuple(config)
            except UnknownKey:
                if refresh:
                    raise
            finally:
                _scope.reset(token)
        raise AssertionError("unreachable")

    async def alist(self, config: RunnableConfig | None, **kwargs: Any) -> AsyncIterator[CheckpointTuple]:
        for refresh in (False, True):
            token = _scope.set(await self._scope_of(config, refresh))
            try:  # collected inside the scope: an async generator's context is its consumer's
                items = [item async for item in self.inner.alist(config, **kwargs)]
                break
            except UnknownKey:
                if refresh:
                    raise
            finally:
                _scope.reset(token)
        for item in items:
            yield item

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        token = _scope.set(self._scope_sync(config))
        try:
            return self.inner.get_tuple(config)
        finally:
            _scope.reset(token)

    def list(self, config: RunnableConfig | None, **kwargs: Any) -> Iterator[CheckpointTuple]:
        token = _scope.set(self._scope_sync(config))
        try:
            items = list(self.inner.list(config, **kwargs))
        finally:
            _scope.reset(token)
        return iter(items)

    # -- writes -------------------------------------------------------------------------------------------------
    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        token = _scope.set(await self._scope_of(config))
        try:
            return await self.inner.aput(config, checkpoint, metadata, new_versions)
        finally:
            _scope.reset(token)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        token = _scope.set(await self._scope_of(config))
        try:
            await self.inner.aput_writes(config, writes, task_id, task_path)
        finally:
            _scope.reset(token)

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
            new_versions: ChannelVersions) -> RunnableConfig:
        token = _scope.set(self._scope_sync(config))
        try:
            return self.inner.put(config, checkpoint, metadata, new_versions)
        finally:
            _scope.reset(token)

    def put_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                   task_path: str = "") -> None:
        token = _scope.set(self._scope_sync(config))
        try:
            self.inner.put_writes(config, writes, task_id, task_path)
        finally:
            _scope.reset(token)

    def delete_thread(self, thread_id: str) -> None:
        self.inner.delete_thread(thread_id)

    async def adelete_thread(self, thread_id: str) -> None:
        await self.inner.adelete_thread(thread_id)
