"""Verify a user's JWT against the project's trusted issuers and read its tenant context.

Every check runs before any claim is believed: size, header, a trusted
issuer, an algorithm that issuer allows, a key that issuer owns, the
signature, then ``exp``/``nbf``/``iat`` (with the issuer's leeway), ``aud``
and ``iss``. Only then are the tenant, user, tier, scopes and request
attributes read, through the issuer's claim mapping. Every refusal is a
:class:`TokenRejected` naming what was wrong, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from jwt import exceptions as jwt_errors

from engine.errors import AuthError
from engine.identity.jwks import JwksUrl, KeysUnavailable, http_get
from engine.identity.keys import JwksFile, KeySource, PemKey, SecretKey
from engine.ids import is_valid_id
from engine.spec.project import IdentitySpec, IssuerSpec


class TokenRejected(AuthError):
    """A token was refused; ``reason`` is a stable code (``expired``, ``alg-none``, ...)."""

    code = "auth"

    def __init__(self, reason: str, message: str, *, issuer: str = ""):
        self.reason, self.issuer = reason, issuer
        super().__init__(f"token rejected: {message}")


@dataclass(frozen=True)
class TokenIdentity:
    """What a verified token says about the caller, read through its issuer's claim mapping."""

    issuer: str
    subject: str
    tenant_id: str
    user_id: str
    tier: str | None
    scopes: frozenset[str]
    attributes: tuple[tuple[str, str], ...]
    expires_at: int
    #: The issuer's clock leeway that verification allowed past ``expires_at``.
    leeway_s: int = 0


def _when(ts: Any) -> str:
    try:
        return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError):
        return repr(ts)


def key_source(spec: IssuerSpec, root: Path, fetch: Callable[[str], str] = http_get) -> KeySource:
    if spec.secret_env:
        return SecretKey(spec.issuer, spec.secret_env)
    if spec.public_key_file:
        return PemKey(spec.issuer, root / spec.public_key_file)
    if spec.jwks_file:
        return JwksFile(spec.issuer, root / spec.jwks_file)
    assert spec.jwks_url is not None  # the spec requires exactly one source
    return JwksUrl(spec.issuer, spec.jwks_url, spec.jwks_cache_s, fetch=fetch)


#: Verified tokens remembered (by digest) at most this long, and never past their ``exp``: a key that an
#: issuer withdraws from its JWKS stops verifying the tokens it signed within this time, as a new fetch would.
VERIFIED_TTL_S = 60.0
VERIFIED_CACHE_SIZE = 4096


class TokenVerifier:
    """The project's trusted issuers, each with its key source (JWKS fetched lazily and cached).

    A token that verified is remembered by its SHA-256 digest (never the token itself) until it expires or
    for :data:`VERIFIED_TTL_S`, whichever comes first: a caller sending the same token again, or a client
    retrying after a 429, costs a lookup instead of a signature check. A token that differs in any byte is
    another digest and is verified in full; a refused token is never remembered.
    """

    def __init__(self, spec: IdentitySpec, root: Path, *, clock: Callable[[], float] = time.time,
                 fetch: Callable[[str], str] = http_get, cache_size: int = VERIFIED_CACHE_SIZE):
        self.spec = spec
        self._clock = clock
        self._issuers = {i.issuer: i for i in spec.issuers}
        self.keys: dict[str, KeySource] = {i.issuer: key_source(i, root, fetch) for i in spec.issuers}
        self._verified: OrderedDict[bytes, tuple[IssuerSpec, dict[str, Any], float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # verify() runs in worker threads too

    def issuer(self, name: str) -> IssuerSpec | None:
        return self._issuers.get(name)

    def remembered(self, token: str) -> bool:
        """Whether :meth:`verify` would answer ``token`` from memory (no key fetch, no signature check)."""
        return self._recall(_digest(token)) is not None

    def pending(self, token: str) -> Future[None] | None:
        """A JWKS fetch in flight that verifying ``token`` should wait for (starting one if it is due), or None
        when :meth:`verify` can decide now. Reads the token's ``iss`` and ``kid`` unverified, only to choose."""
        if not isinstance(token, str) or token.count(".") != 2 or self.remembered(token):
            return None
        try:
            header, unverified = _peek(token)
        except TokenRejected:
            return None
        name, kid = unverified.get("iss"), header.get("kid")
        if not isinstance(name, str) or name not in self.keys or not (kid is None or isinstance(kid, str)):
            return None
        return self.keys[name].pending(kid)

    def prefetch(self) -> list[Future[None]]:
        """Fetch the JWKS of every issuer that has one and no keys yet (startup, reload); the fetches in flight."""
        found = [source.prefetch() for source in self.keys.values() if isinstance(source, JwksUrl)]
        return [f for f in found if f is not None]

    def verify(self, token: str, *, wait: bool = True) -> tuple[IssuerSpec, dict[str, Any]]:
        """The issuer and the verified claims of ``token``; raise TokenRejected otherwise.

        ``wait=False``: never wait for a JWKS fetch (the caller awaited :meth:`pending` first)."""
        if not isinstance(token, str) or not token:
            raise TokenRejected("missing", "no token")
        digest = _digest(token)
        found = self._recall(digest)
        if found is not None:
            return found
        spec, claims = self._verify(token, wait)
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            until = min(float(exp), self._clock() + VERIFIED_TTL_S)
            with self._lock:
                self._verified[digest] = (spec, dict(claims), until)
                while len(self._verified) > self._cache_size:
                    self._verified.popitem(last=False)
        return spec, claims

    def _recall(self, digest: bytes) -> tuple[IssuerSpec, dict[str, Any]] | None:
        with self._lock:
            found = self._verified.get(digest)
            if found is None:
                return None
            if self._clock() >= found[2]:
                del self._verified[digest]
                return None
            self._verified.move_to_end(digest)
        return found[0], dict(found[1])

    def _verify(self, token: str, wait: bool) -> tuple[IssuerSpec, dict[str, Any]]:
        size = len(token.encode("utf-8", "replace"))
        if size > self.spec.max_token_bytes:
            raise TokenRejected("oversized", f"token is {size} bytes; at most {self.spec.max_token_bytes} are accepted")
        if token.count(".") != 2:
            raise TokenRejected("malformed", "not a signed JWT (expected three dot-separated parts)")
        # Only to choose which issuer's rules apply; nothing read here is trusted yet.
        header, unverified = _peek(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise TokenRejected("alg-none", "unsigned token (alg 'none') refused")
        name = unverified.get("iss")
        if not isinstance(name, str) or not name:
            raise TokenRejected("no-issuer", "token has no 'iss' claim")
        spec = self._issuers.get(name)
        if spec is None:
            raise TokenRejected("untrusted-issuer", f"issuer '{name}' is not trusted "
                                f"(trusted: {', '.join(sorted(self._issuers))})")
        if alg not in spec.algorithms:
            raise TokenRejected("algorithm", f"algorithm '{alg}' is not allowed for issuer '{name}' "
                                f"(allowed: {', '.join(spec.algorithms)})", issuer=name)
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRejected("malformed", "the 'kid' header is not a string", issuer=name)
        try:
            key = self.keys[name].key_for(kid, alg, wait=wait)
        except TokenRejected:
            raise
        except KeysUnavailable as exc:
            raise TokenRejected("jwks-unavailable", str(exc), issuer=name) from None
        except AuthError as exc:
            reason = "unknown-kid" if "unknown signing key id" in str(exc) else "key"
            raise TokenRejected(reason, str(exc), issuer=name) from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[alg], audience=spec.audience, issuer=name, leeway=spec.leeway_s,
                options={"require": ["exp", "iss", "aud"], "verify_signature": True, "verify_exp": True,
                         "verify_nbf": True, "verify_iat": True, "verify_aud": True, "verify_iss": True},
            )
        except jwt_errors.ExpiredSignatureError:
            raise TokenRejected("expired", f"token expired at {_when(unverified.get('exp'))} "
                                f"(leeway {spec.leeway_s} s)", issuer=name) from None
        except jwt_errors.ImmatureSignatureError:
            start = unverified.get("nbf", unverified.get("iat"))
            raise TokenRejected("not-yet-valid", f"token is not valid before {_when(start)} "
                                f"(leeway {spec.leeway_s} s)", issuer=name) from None
        except jwt_errors.InvalidAudienceError:
            raise TokenRejected("audience", f"token audience {unverified.get('aud')!r} is not accepted by issuer "
                                f"'{name}' (expected {', '.join(spec.audience)})", issuer=name) from None
        except jwt_errors.InvalidIssuerError:
            raise TokenRejected("issuer", f"token issuer {unverified.get('iss')!r} is not '{name}'",
                                issuer=name) from None
        except jwt_errors.MissingRequiredClaimError as exc:
            raise TokenRejected("missing-claim", f"token lacks the required claim '{exc.claim}'",
                                issuer=name) from None
        except jwt_errors.InvalidSignatureError:
            raise TokenRejected("signature", "signature does not verify (tampered, or signed with another key)",
                                issuer=name) from None
        except (jwt_errors.InvalidKeyError, jwt_errors.InvalidAlgorithmError) as exc:
            raise TokenRejected("key", f"the key of issuer '{name}' cannot verify {alg}: {exc}",
                                issuer=name) from None
        except jwt_errors.InvalidTokenError as exc:
            raise TokenRejected("invalid", f"{exc}", issuer=name) from None
        return spec, claims

    def identify(self, token: str, *, wait: bool = True) -> TokenIdentity:
        """Verify ``token`` and read the caller's identity through its issuer's claim mapping."""
        spec, claims = self.verify(token, wait=wait)
        return identity_from_claims(spec, claims)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _segment(part: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error):
        raise TokenRejected("malformed", f"cannot decode the token's {what}") from None
    if not isinstance(data, dict):
        raise TokenRejected("malformed", f"the token's {what} is not a JSON object")
    return data


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, unverified: one base64 + JSON pass each (PyJWT verifies them again)."""
    header, payload, _signature = token.split(".")
    return _segment(header, "header"), _segment(payload, "payload")


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; ``a.b`` reaches into nested objects unless ``a.b`` itself is a claim."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def identity_from_claims(spec: IssuerSpec, claims: dict[str, Any]) -> TokenIdentity:
    mapping = spec.claims
    tenant = _claim(claims, mapping.tenant)
    if tenant is None or tenant == "":
        raise TokenRejected("no-tenant", f"token has no tenant claim '{mapping.tenant}'", issuer=spec.issuer)
    if not isinstance(tenant, str) or not is_valid_id(tenant):
        raise TokenRejected("bad-tenant", f"tenant claim '{mapping.tenant}' is not a valid tenant id",
                            issuer=spec.issuer)
    user = _claim(claims, mapping.user)
    if not isinstance(user, str) or not user:
        raise TokenRejected("no-user", f"token has no user claim '{mapping.user}'", issuer=spec.issuer)
    if not is_valid_id(user):
        raise TokenRejected("bad-user", f"user claim '{mapping.user}' is not a valid id "
                            "([A-Za-z0-9][A-Za-z0-9_-]*); map the user to another claim", issuer=spec.issuer)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise TokenRejected("missing-claim", "token lacks the required claim 'sub'", issuer=spec.issuer)
    raw_scopes = _claim(claims, mapping.scopes)
    if isinstance(raw_scopes, str):
        scopes = frozenset(raw_scopes.split())
    elif isinstance(raw_scopes, list) and all(isinstance(s, str) for s in raw_scopes):
        scopes = frozenset(raw_scopes)
    elif raw_scopes is None:
        scopes = frozenset()
    else:
        raise TokenRejected("bad-scopes", f"scope claim '{mapping.scopes}' is neither a string nor a list of strings",
                            issuer=spec.issuer)
    tier = _claim(claims, mapping.tier) if mapping.tier else None
    attributes = []
    for key, claim_name in sorted(mapping.attributes.items()):
        value = _claim(claims, claim_name)
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            attributes.append((key, str(value)))
    return TokenIdentity(issuer=spec.issuer, subject=subject, tenant_id=tenant, user_id=user,
                         tier=tier if isinstance(tier, str) else None, scopes=scopes,
                         attributes=tuple(attributes), expires_at=int(claims["exp"]), leeway_s=spec.leeway_s)
