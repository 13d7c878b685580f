"""Development tokens: signed with a development issuer's secret, accepted by that issuer only."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt

from engine.errors import AuthError
from engine.identity.keys import SecretKey
from engine.spec.project import IdentitySpec, IssuerSpec


def development_issuer(spec: IdentitySpec | None, name: str | None = None) -> IssuerSpec:
    if spec is None:
        raise AuthError("the project trusts no token issuer: add an identity: section to tenantflow.yaml")
    candidates = [i for i in spec.issuers if i.development and i.secret_env and (name is None or i.issuer == name)]
    if not candidates:
        raise AuthError("no development issuer in tenantflow.yaml's identity.issuers (one with secret_env and "
                        "development: true)" + (f" named '{name}'" if name else ""))
    return candidates[0]


def mint_dev_token(spec: IdentitySpec | None, *, tenant: str, user: str, scopes: Iterable[str] = (),
                   ttl_s: int = 3600, tier: str | None = None, issuer: str | None = None,
                   attributes: dict[str, str] | None = None, now: float | None = None) -> str:
    """A token for ``user`` of ``tenant``, in the claim layout the development issuer maps."""
    chosen = development_issuer(spec, issuer)
    secret = SecretKey(chosen.issuer, chosen.secret_env or "").secret()
    mapping = chosen.claims
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": chosen.issuer, "aud": chosen.audience[0], "sub": user, "iat": issued,
                              "exp": issued + ttl_s, "jti": uuid.uuid4().hex, mapping.tenant: tenant,
                              mapping.user: user, mapping.scopes: " ".join(sorted(set(scopes)))}
    if tier is not None and mapping.tier:
        claims[mapping.tier] = tier
    for key, value in (attributes or {}).items():
        if key in mapping.attributes:
            claims[mapping.attributes[key]] = value
    return jwt.encode(claims, secret, algorithm=chosen.algorithms[0])
