"""What wraps the tenants' data keys: a local key file (development) or an AWS KMS key (production).

Both bind a wrapped key to its tenant: the local file through AES-GCM's
associated data, KMS through the EncryptionContext ``{"tenantflow:tenant":
<id>}``, which KMS also writes into CloudTrail. A wrapped key copied to another
tenant's entry does not unwrap.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.memory.keyring import NONCE_BYTES, EncryptionError

KEY_BYTES = 32
#: The KMS encryption context key naming the tenant a data key belongs to.
KMS_CONTEXT_KEY = "tenantflow:tenant"


class LocalKeyFile:
    """Wraps data keys with a 256-bit key read from ``path``, made there (mode 0600) on first use.

    For development only: the file usually sits beside the data it protects, so
    whoever can copy the data folder can copy the key too. Use ``kms`` in production.
    """

    name = "local"

    def __init__(self, path: Path):
        self.path = path
        self._kek: AESGCM | None = None
        self._fingerprint = ""

    def _key(self) -> AESGCM:
        if self._kek is None:
            raw = self._read_or_make()
            self._kek, self._fingerprint = AESGCM(raw), hashlib.sha256(raw).hexdigest()[:12]
        return self._kek

    def _read_or_make(self) -> bytes:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made earlier, or by another process a moment ago: read it
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
        mode = self.path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise EncryptionError(f"the key file {self.path} can be read by other users (mode {oct(mode & 0o777)}); "
                                  f"run chmod 600 {self.path}")
        raw = self.path.read_bytes()
        if len(raw) != KEY_BYTES:
            raise EncryptionError(f"the key file {self.path} holds {len(raw)} bytes, not a {KEY_BYTES}-byte key "
                                  "(it is damaged, or not tenantflow's)")
        return raw

    async def generate(self, tenant_id: str) -> tuple[bytes, bytes]:
        plaintext = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(NONCE_BYTES)
        return plaintext, nonce + self._key().encrypt(nonce, plaintext, _aad(tenant_id))

    async def unwrap(self, tenant_id: str, wrapped: bytes) -> bytes:
        kek = self._key()
        try:
            return kek.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(tenant_id))
        except InvalidTag:
            raise EncryptionError(
                f"a data key of tenant '{tenant_id}' does not unwrap with the key file {self.path} (fingerprint "
                f"{self._fingerprint}): the file is not the one that wrapped it (replaced, or lost and made "
                "anew), or the key was copied from another tenant; restore the original key file") from None

    def describe(self) -> dict[str, str]:
        self._key()
        return {"provider": self.name, "key_file": str(self.path), "fingerprint": self._fingerprint}


def _aad(tenant_id: str) -> bytes:
    return f"tenantflow-data-key:{tenant_id}".encode()


class KmsKeys:
    """Wraps data keys with the AWS KMS key ``key_id``: GenerateDataKey to make one, Decrypt to unwrap it.

    ``client`` is a boto3 KMS client (made from ``region`` when not given); its calls run in a thread.
    """

    name = "kms"

    def __init__(self, key_id: str, *, region: str | None = None, client: Any = None):
        self.key_id, self.region = key_id, region
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("kms", region_name=self.region)
        return self._client

    async def generate(self, tenant_id: str) -> tuple[bytes, bytes]:
        made = await self._call("GenerateDataKey", tenant_id, self.client.generate_data_key, KeyId=self.key_id,
                                KeySpec="AES_256", EncryptionContext=_context(tenant_id))
        return bytes(made["Plaintext"]), bytes(made["CiphertextBlob"])

    async def unwrap(self, tenant_id: str, wrapped: bytes) -> bytes:
        opened = await self._call("Decrypt", tenant_id, self.client.decrypt, CiphertextBlob=wrapped,
                                  KeyId=self.key_id, EncryptionContext=_context(tenant_id))
        return bytes(opened["Plaintext"])

    async def _call(self, what: str, tenant_id: str, method: Any, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return dict(await asyncio.to_thread(method, **kwargs))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            hint = (" (the wrapped key is not this tenant's, or was made under another KMS key)"
                    if error.get("Code") == "InvalidCiphertextException" else "")
            raise EncryptionError(f"KMS {what} for tenant '{tenant_id}' with key {self.key_id} failed: "
                                  f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}{hint}") from None
        except BotoCoreError as exc:
            raise EncryptionError(f"KMS {what} for tenant '{tenant_id}' with key {self.key_id} failed: {exc}") \
                from None

    def describe(self) -> dict[str, str]:
        return {"provider": self.name, "kms_key_id": self.key_id, "region": self.region or "(boto3 default)"}


def _context(tenant_id: str) -> dict[str, str]:
    return {KMS_CONTEXT_KEY: tenant_id}
