"""How chunk text and search tokens are stored: in the clear, or sealed with the tenant's data key.

With encryption at rest on, a chunk's text and metadata (title, page, a memory
entry's key) are sealed (AES-GCM, the tenant's current data key, bound to
tenant, collection and chunk id) and the lexical
index holds keyed-hash tokens, ``HMAC(tenant token key, word)``: equal words
match, the words themselves are not readable from the index. The token key is
derived from the tenant's *first* data key (never deleted by tenantflow), so
rotation does not change it and old tokens still match. Vectors are stored
unencrypted: docs/decisions.md, "Encryption at rest", accepts that trade-off
(a silo keeps them in the tenant's own file or schema). Source names (a file's
path, a memory entry's namespace) stay plaintext, like memory keys: they
address the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from engine.memory.keyring import Keyring, TenantKeys

_WORD = re.compile(r"\w+", re.UNICODE)
_SEALED = "aesgcm:"
#: A fixed nonce is safe here: it encrypts only this one constant, so the output is a PRF of the key.
_TOKEN_KEY_NONCE, _TOKEN_KEY_INFO = b"\0" * 12, b"tenantflow-knowledge-token-key"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class TenantCodec(Protocol):
    def seal(self, text: str, aad: tuple[str, ...]) -> str: ...

    def open(self, stored: str, aad: tuple[str, ...]) -> str: ...

    def tokens(self, text: str) -> list[str]: ...


class PlainCodec:
    """Encryption off: text and words as they are."""

    def seal(self, text: str, aad: tuple[str, ...]) -> str:
        return text

    def open(self, stored: str, aad: tuple[str, ...]) -> str:
        return stored

    def tokens(self, text: str) -> list[str]:
        return words(text)


class SealedCodec:
    """Encryption on: sealed text, keyed-hash tokens."""

    def __init__(self, keys: TenantKeys):
        self.keys = keys
        first = min(keys.keys)  # key ids start with a zero-padded version: the smallest is the first key
        self._token_key = keys.keys[first].encrypt(_TOKEN_KEY_NONCE, _TOKEN_KEY_INFO, keys.tenant_id.encode())

    def seal(self, text: str, aad: tuple[str, ...]) -> str:
        key_id, sealed = self.keys.seal(text.encode(), _aad(aad))
        return f"{_SEALED}{key_id}:{base64.b64encode(sealed).decode()}"

    def open(self, stored: str, aad: tuple[str, ...]) -> str:
        from engine.memory.keyring import EncryptionError

        if not stored.startswith(_SEALED):
            raise EncryptionError(f"a knowledge chunk of tenant '{self.keys.tenant_id}' is not sealed while "
                                  "encryption is on: refused")
        key_id, _, data = stored[len(_SEALED):].partition(":")
        return self.keys.open(key_id, base64.b64decode(data), _aad(aad),
                              f"a knowledge chunk of tenant '{self.keys.tenant_id}'").decode()

    def tokens(self, text: str) -> list[str]:
        return ["h" + hmac.new(self._token_key, word.encode(), hashlib.sha256).hexdigest()[:20]
                for word in words(text)]


def _aad(parts: tuple[str, ...]) -> bytes:
    return json.dumps(["tenantflow-knowledge", *parts]).encode()


async def codec_for(keyring: Keyring | None, tenant_id: str) -> TenantCodec:
    """The tenant's codec: plain without a keyring, sealed with the tenant's keys otherwise."""
    if keyring is None:
        return PlainCodec()
    return SealedCodec(await keyring.keys(tenant_id))
