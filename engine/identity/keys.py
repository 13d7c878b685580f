"""Where an issuer's verification keys come from: a JWKS URL, a JWKS file, a PEM key, or a dev secret.

JWKS keys are looked up by the token's ``kid``. A JWKS URL is fetched on
first use and cached; an unknown ``kid`` triggers one early refetch (the
issuer may have rotated its keys), rate-limited so a flood of tokens with
made-up ``kid`` values cannot turn into a flood of fetches.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from engine.errors import AuthError

#: An unknown kid refetches a JWKS URL at most this often.
MIN_REFETCH_S = 10.0
MIN_SECRET_BYTES = 32


class KeySource(Protocol):
    def key_for(self, kid: str | None, alg: str) -> Any:
        """The key verifying a token with this header, or raise AuthError."""
        ...


class SecretKey:
    """An HMAC secret read from an environment variable (development only)."""

    def __init__(self, issuer: str, env: str):
        self.issuer, self.env = issuer, env

    def key_for(self, kid: str | None, alg: str) -> Any:
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


class PemKey:
    """One PEM public key (RSA, EC or Ed25519)."""

    def __init__(self, issuer: str, path: Path):
        self.issuer, self.path = issuer, path
        self._key: Any = None

    def key_for(self, kid: str | None, alg: str) -> Any:
        if self._key is None:
            try:
                self._key = load_pem_public_key(self.path.read_bytes())
            except (OSError, ValueError) as exc:
                raise AuthError(f"issuer '{self.issuer}': cannot load public key {self.path.name}: "
                                f"{exc.__class__.__name__}") from None
        return self._key


def _key_from_set(issuer: str, keys: dict[str, tuple[PyJWK, str | None]], kid: str | None, alg: str) -> Any | None:
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


def _parse_jwks(issuer: str, text: str, where: str) -> dict[str, tuple[PyJWK, str | None]]:
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


class JwksFile:
    """A JWKS document on disk, read once."""

    def __init__(self, issuer: str, path: Path):
        self.issuer, self.path = issuer, path
        self._keys: dict[str, tuple[PyJWK, str | None]] | None = None

    def key_for(self, kid: str | None, alg: str) -> Any:
        if self._keys is None:
            try:
                text = self.path.read_text(encoding="utf-8")
            except OSError as exc:
                raise AuthError(f"issuer '{self.issuer}': cannot read {self.path.name}: {exc.strerror}") from None
            self._keys = _parse_jwks(self.issuer, text, self.path.name)
        key = _key_from_set(self.issuer, self._keys, kid, alg)
        if key is None:
            raise AuthError(f"unknown signing key id '{kid}' for issuer '{self.issuer}'")
        return key


Fetch = Callable[[str], str]


def http_get(url: str, timeout_s: float = 5.0) -> str:
    """GET ``url``; raise OSError on any transport or HTTP failure."""
    import httpx  # only projects that fetch a JWKS pay for importing an HTTP client

    try:
        response = httpx.get(url, timeout=timeout_s, follow_redirects=False)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise OSError(f"{exc.__class__.__name__}") from None
    return response.text


class JwksUrl:
    """A JWKS endpoint: cached for ``cache_s``, refetched early once for an unknown ``kid``."""

    def __init__(self, issuer: str, url: str, cache_s: float, *, fetch: Fetch = http_get,
                 clock: Callable[[], float] = time.monotonic, min_refetch_s: float = MIN_REFETCH_S):
        self.issuer, self.url, self.cache_s = issuer, url, cache_s
        self._fetch, self._clock, self._min_refetch_s = fetch, clock, min_refetch_s
        self._keys: dict[str, tuple[PyJWK, str | None]] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        try:
            text = self._fetch(self.url)
        except OSError as exc:
            raise AuthError(f"issuer '{self.issuer}': cannot fetch its JWKS: {exc.__class__.__name__}") from None
        self._keys = _parse_jwks(self.issuer, text, "the JWKS endpoint's answer")
        self._fetched_at = self._clock()

    def key_for(self, kid: str | None, alg: str) -> Any:
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self.cache_s:
                self._refresh()
            key = _key_from_set(self.issuer, self._keys, kid, alg)
            if key is None and self._fetched_at is not None and now - self._fetched_at >= self._min_refetch_s:
                self._refresh()  # the issuer may have rotated its keys since the last fetch
                key = _key_from_set(self.issuer, self._keys, kid, alg)
            if key is None:
                raise AuthError(f"unknown signing key id '{kid}' for issuer '{self.issuer}'")
            return key
