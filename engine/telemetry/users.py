"""The hashed user id on spans and ledger records: a keyed hash, so the same user correlates but is not shown.

The key comes from the environment variable ``telemetry.user_hash_key_env``
names (TENANTFLOW_USER_HASH_KEY); without one, the project's name is the key,
which hides user ids from a casual reader but not from someone who knows the
name and guesses ids: set a secret key in production.

>>> use_key(b"k"); user_hash("acme", "u1") == user_hash("acme", "u1") != user_hash("globex", "u1")
True
>>> len(user_hash("acme", "u1"))
16
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

_key = b""


def use_key(key: bytes) -> None:
    global _key
    _key = key


@lru_cache(maxsize=65536)
def _hash(key: bytes, tenant: str, user: str) -> str:
    return hmac.new(key, f"{tenant}\0{user}".encode(), hashlib.sha256).hexdigest()[:16]


def current_key() -> bytes:
    """The key hashes are made with now (a cache of hashed attributes keys on it)."""
    return _key


def user_hash(tenant: str, user: str) -> str:
    """16 hex digits of HMAC-SHA256(key, tenant NUL user)."""
    return _hash(_key, tenant, user)
