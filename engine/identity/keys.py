"""Where an issuer's verification keys come from: a JWKS file, a PEM key, or a dev secret (a JWKS URL:
:mod:`engine.identity.jwks`).

JWKS keys are looked up by the token's ``kid``.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from engine.errors import AuthError

MIN_SECRET_BYTES = 32


class KeySource(Protocol):
    def key_for(self, kid: str | None, alg: str, *, wait: bool = True) -> Any:
        """The key verifying a token with this header, or raise AuthError. ``wait=False``: never wait for the
        network (the caller awaited :meth:`pending` first)."""
        ...

    def pending(self, kid: str | None) -> Future[None] | None:
        """A fetch in flight that a lookup of ``kid`` should wait for; None: it can be answered now."""
        ...


class LocalKeys:
    """A key source that never fetches: nothing is ever pending."""

    def pending(self, kid: str | None) -> Future[None] | None:
        return None


class SecretKey(LocalKeys):
    """An HMAC secret read from an environment variable (development only)."""

    def __init__(self, issuer: str, env: str):
        self.issuer, self.env = issuer, env

    def key_for(self, kid: str | None, alg: str, *, wait: bool = True) -> Any:
        return self.secret()

    def secret(self) -> bytes:
        value = os.environ.get(self.env, "")
        if not value:
            raise AuthError(f"issuer '{self.issuer}': environment variable {self.env} is not set (it holds the "
                            "development signing secret)")
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise AuthError(f"issuer '{self.issuer}': the secret in {self.env} is shorter than {MIN_SECRET_BYTES} "
                            "bytes")
        return value.encode()


class PemKey(LocalKeys):
    """One PEM public key (RSA, EC or Ed25519)."""

    def __init__(self, issuer: str, path: Path):
        self.issuer, self.path = issuer, path
        self._key: Any = None

    def key_for(self, kid: str | None, alg: str, *, wait: bool = True) -> Any:
        if self._key is None:
            try:
                self._key = load_pem_public_key(self.path.read_bytes())
            except (OSError, ValueError) as exc:
                raise AuthError(f"issuer '{self.issuer}': cannot load public key {self.path.name}: "
                                f"{exc.__class__.__name__}") from None
        return self._key


def key_from_set(issuer: str, keys: dict[str, tuple[PyJWK, str | None]], kid: str | None, alg: str) -> Any | None:
    if kid is None:
        if len(keys) != 1:
            raise AuthError(f"token has no 'kid' header and issuer '{issuer}' publishes {len(keys)} keys")
        found, declared = next(iter(keys.values()))
    elif kid in keys:
        found, declared = keys[kid]
    else:
        return None
    if declared is not None and declared != alg:
        raise AuthError(f"key '{kid}' of issuer '{issuer}' is for {declared}, not {alg}")
    return found.key


def parse_jwks(issuer: str, text: str, where: str) -> dict[str, tuple[PyJWK, str | None]]:
    try:
        data = json.loads(text)
        entries = data["keys"] if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValueError("no 'keys' list")
        # A published key set never holds shared secrets: an "oct" key would let
        # anyone who reads the JWKS sign tokens.
        usable = [e for e in entries if isinstance(e, dict) and e.get("kty") != "oct"]
        key_set = PyJWKSet.from_dict({"keys": usable})
    except (ValueError, KeyError, PyJWKError, PyJWKSetError) as exc:
        raise AuthError(f"issuer '{issuer}': {where} is not a usable JWKS: {exc}") from None
    declared = {str(e.get("kid", "")): e.get("alg") for e in usable}
    return {k.key_id or "": (k, declared.get(k.key_id or "")) for k in key_set.keys}


class JwksFile(LocalKeys):
    """A JWKS document on disk, read once."""

    def __init__(self, issuer: str, path: Path):
        self.issuer, self.path = issuer, path
        self._keys: dict[str, tuple[PyJWK, str | None]] | None = None

    def key_for(self, kid: str | None, alg: str, *, wait: bool = True) -> Any:
        if self._keys is None:
            try:
                text = self.path.read_text(encoding="utf-8")
            except OSError as exc:
                raise AuthError(f"issuer '{self.issuer}': cannot read {self.path.name}: {exc.strerror}") from None
            self._keys = parse_jwks(self.issuer, text, self.path.name)
        key = key_from_set(self.issuer, self._keys, kid, alg)
        if key is None:
            raise AuthError(f"unknown signing key id '{kid}' for issuer '{self.issuer}'")
        return key
