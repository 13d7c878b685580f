"""The tier rules a step's model choice obeys, shared by ``llm`` steps and prompt skills."""

from __future__ import annotations

from engine.errors import Problem
from engine.kinds.base import Binding
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath


def check_model(b: Binding, path: DocPath, alias: str) -> list[Problem]:
    """``tier`` is always allowed; a pinned alias must exist and be allowed for the tenant's tier."""
    tenant = b.tenant
    if alias == "tier":
        return []
    if alias not in tenant.catalog:
        return [b.problem(path, f"unknown model alias '{alias}'", hint=did_you_mean(alias, tenant.catalog),
                          code="unknown-model")]
    if alias not in tenant.allowed_models:
        return [b.problem(path, f"model '{alias}' is not allowed for tier '{tenant.tier}' (tenant "
                          f"'{tenant.tenant_id}')", hint=f"allowed: {', '.join(sorted(tenant.allowed_models))}",
                          code="model-not-allowed")]
    return []
