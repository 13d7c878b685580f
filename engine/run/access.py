"""Who may do what: the project's Cedar authorizer, and token delegation for tools that act for the user."""

from __future__ import annotations

import os

from engine.identity.exchange import (
    BuiltinExchanger,
    Delegation,
    Exchanger,
    HttpExchanger,
    TokenService,
    WorkloadIdentity,
)
from engine.identity.verify import TokenVerifier
from engine.policy.authorizer import Authorizer, static_entities
from engine.policy.bundle import PolicyBundle
from engine.project import Project
from engine.usage import Meter


def build_authorizer(project: Project, bundle: PolicyBundle, quotas: Meter) -> Authorizer:
    """The authorizer over ``bundle``, with every tenant, skill and tool as an entity."""
    tiers = {t: loaded.spec.tier for t, loaded in project.tenants.items()}
    sources = {d.name: project.tools.source(d.name) for d in project.registry.all() if d.kind == "tool"}
    entities = static_entities(bundle, tiers, list(project.registry.all()), sources)
    return Authorizer(bundle, entities, quotas, mode=project.spec.policy.mode)


def build_delegation(project: Project, verifier: TokenVerifier | None, workload: WorkloadIdentity,
                     ) -> tuple[TokenService | None, Delegation | None]:
    """The built-in token service (if the project runs its own) and the delegation tools use."""
    identity = project.spec.identity
    if identity is None or verifier is None:
        return None, None
    exchange = identity.exchange
    exchanger: Exchanger
    token_service = None
    if exchange.service == "builtin":
        audiences = {a.audience for d in project.registry.all() if d.kind == "tool"
                     if (a := project.tools.access(d.name)) is not None}
        token_service = TokenService(verifier, workload, issuer=exchange.issuer, ttl_s=exchange.ttl_s,
                                     audiences=audiences)
        exchanger = BuiltinExchanger(token_service)
    else:
        secret = os.environ.get(exchange.client_secret_env, "") if exchange.client_secret_env else None
        assert exchange.endpoint is not None  # the spec requires it for service: http
        exchanger = HttpExchanger(exchange.endpoint, client_id=exchange.client_id, client_secret=secret,
                                  timeout_s=exchange.timeout_s)
    return token_service, Delegation(exchanger, workload)
