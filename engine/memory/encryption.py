"""Encryption at rest, as ``stores.encryption`` configures it: the keyring, and the sealed checkpointer and store.

Only what persists is sealed: SQLite and PostgreSQL checkpointers and stores.
The in-process ``memory`` kinds keep plaintext (they never reach a disk).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from engine.memory.key_providers import KmsKeys, LocalKeyFile
from engine.memory.keyring import EncryptionError, KeyProvider, Keyring
from engine.memory.sealed_checkpoints import seal_saver
from engine.memory.sealed_store import SealedStore
from engine.spec.project import EncryptionSpec, StoresSpec

#: The local provider's key file under the data folder, unless ``stores.encryption.key_file`` names one.
DEFAULT_KEY_FILE = Path("keys") / "master.key"


def key_provider(spec: EncryptionSpec, base_dir: Path, data_dir: Path) -> KeyProvider:
    """The provider ``spec`` names (``provider: none`` has none: do not call this for it)."""
    if spec.provider == "kms":
        assert spec.kms is not None  # the spec's validator requires it
        return KmsKeys(spec.kms.key_id, region=spec.kms.region)
    path = base_dir / Path(spec.key_file).expanduser() if spec.key_file else data_dir / DEFAULT_KEY_FILE
    return LocalKeyFile(path)


def encrypts(config: StoresSpec) -> bool:
    """Whether ``config`` seals anything: encryption is on and the checkpointer or the store persists.

    The wrapped data keys live in the store, so a persistent checkpointer over a ``memory`` store would lose
    the keys of its checkpoints at exit: refused (EncryptionError), rather than sessions unreadable later.
    """
    if config.encryption.provider == "none" or (config.checkpointer, config.store) == ("memory", "memory"):
        return False
    if config.store == "memory":
        raise EncryptionError(f"stores: the checkpointer is {config.checkpointer} but the store is memory, and "
                              "encryption keeps the tenants' wrapped data keys in the store: they would be lost at "
                              "exit with every checkpoint they seal. Use a sqlite or postgres store, or "
                              "encryption: {provider: none}")
    return True


def open_keyring(config: StoresSpec, shared_store: BaseStore, base_dir: Path, data_dir: Path) -> Keyring:
    """The keyring of a project whose wrapped data keys live in ``shared_store`` (the raw one, not sealed)."""
    return Keyring(shared_store, key_provider(config.encryption, base_dir, data_dir),
                   refresh_s=config.encryption.refresh_s)


def seal_checkpointer(saver: BaseCheckpointSaver[Any], keyring: Keyring,
                      config: StoresSpec) -> BaseCheckpointSaver[Any]:
    if config.checkpointer == "memory":
        return saver
    return seal_saver(saver, keyring, read_plaintext=config.encryption.read_plaintext)


def seal_store(store: BaseStore, keyring: Keyring, config: StoresSpec) -> BaseStore:
    if config.store == "memory":
        return store
    return SealedStore(store, keyring, read_plaintext=config.encryption.read_plaintext)
