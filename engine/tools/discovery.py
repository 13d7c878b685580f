"""Registry and discovery: every skill and tool, its versions, and who may use it.

"Who may use it" is decided as for a tool list shown to a model: the name
resolves for the tenant, its entitlements allow it, and its policies permit
it at the ``list`` stage for a user of that tenant with no request
attributes. Decisions that depend on a user's attributes, quota usage or
the call's input can still deny a call at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.context import TenantContext
from engine.policy.authorizer import AccessItem, Authorizer, TenantFacts
from engine.skills.registry import SkillDef, SkillRegistry
from engine.tools.catalog import ToolCatalog

DISCOVERY_USER = "discovery"


@dataclass
class Listing:
    kind: str
    name: str
    versions: list[str]
    description: str
    source: str
    #: "shared", or the tenant whose own implementation this is.
    scope: str
    tenants: list[str] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "versions": self.versions, "description": self.description,
                "source": self.source, "scope": self.scope, "tenants": self.tenants, "tiers": self.tiers}


def _matches(listing: Listing, query: str) -> bool:
    text = f"{listing.kind} {listing.name} {listing.description} {listing.source}".lower()
    return all(word in text for word in query.lower().split())


def _key(version: str) -> tuple[int, ...] | tuple[str]:
    parts = version.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (version,)


def registry_listing(registry: SkillRegistry, catalog: ToolCatalog, tenant_ids: Iterable[str],
                     facts: Callable[[str], TenantFacts], authorizer: Authorizer, *, query: str = "",
                     kind: str | None = None, tenant: str | None = None) -> list[Listing]:
    """Every skill and tool (one row per name and scope), filtered by ``query``, ``kind`` and ``tenant``.

    ``facts`` gives a tenant's tier and entitlements and, with ``authorizer``, decides
    its policies: the run layer passes its own (``Engine.tenants.facts``, ``Engine.authorizer``).
    """
    grouped: dict[tuple[str, str, str], list[SkillDef]] = {}
    for definition in registry.all():
        grouped.setdefault((definition.kind, definition.name, definition.scope), []).append(definition)
    listings: dict[tuple[str, str, str], Listing] = {}
    for (k, name, scope), defs in grouped.items():
        newest = max(defs, key=lambda d: _key(d.version))
        source = catalog.source(name) if k == "tool" else ("prompt" if newest.prompt else "python")
        listings[(k, name, scope)] = Listing(k, name, sorted((d.version for d in defs), key=_key),
                                             newest.description, source, scope)
    tenants = sorted(tenant_ids) if tenant is None else [tenant]
    for tenant_id in tenants:
        tenant_facts = facts(tenant_id)
        ctx = TenantContext(tenant_id=tenant_id, tier=tenant_facts.tier, user_id=DISCOVERY_USER,
                            session_id=DISCOVERY_USER, issuer="discovery")
        candidates: list[tuple[Listing, SkillDef]] = []
        for (k, name, _scope), listing in listings.items():
            resolved = registry.resolve("tool" if k == "tool" else "skill", name, tenant_id)
            if resolved is None or resolved.scope != listing.scope:
                continue  # this row's implementation does not serve this tenant
            if tenant_facts.entitled(resolved.kind, name):
                candidates.append((listing, resolved))
        items = [AccessItem.of(d, None, catalog.source(d.name) if d.kind == "tool" else "python")
                 for _, d in candidates]
        decisions = authorizer.decide(ctx, tenant_facts, items, stage="list", workflow="", step="")
        for (listing, _), decision in zip(candidates, decisions, strict=True):
            if decision.allowed:
                listing.tenants.append(tenant_id)
                if tenant_facts.tier not in listing.tiers:
                    listing.tiers.append(tenant_facts.tier)
    found = [item for item in listings.values() if (kind is None or item.kind == kind)
             and (not query or _matches(item, query)) and (tenant is None or item.tenants)]
    for item in found:
        item.tiers.sort()
    return sorted(found, key=lambda item: (item.kind, item.name, item.scope != "shared", item.scope))
