"""A tenant's effective settings: what the engine resolves once per tenant, at load and at reload.

Built by :func:`engine.compile.resolve.resolve_tenant` (project -> tier ->
tenant, with provenance); read by step kinds at compile and run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.guardrails.config import GuardrailsConfig
from engine.spec.project import ModelEntry, Quotas
from engine.spec.source import DocPath, Source
from engine.spec.tenant import Entitlements, IsolationSpec


@dataclass(frozen=True)
class TenantSettings:
    """Everything tenant-specific the engine resolves for a tenant."""

    tenant_id: str
    name: str
    tier: str
    default_model: str
    allowed_models: frozenset[str]
    catalog: dict[str, ModelEntry]
    guardrails: GuardrailsConfig
    entitlements: Entitlements
    quotas: Quotas
    isolation: IsolationSpec
    workflows: frozenset[str]
    #: Where each value was set (flattened from the tracked tree on first read).
    provenance: Mapping[DocPath, Source] = field(repr=False, compare=False)
    #: The tenant opted in to prompt and completion text on its spans and its guardrail profile allows it.
    capture_content: bool = False

    def resolve_alias(self, requested: str) -> str:
        """The catalog alias a step's ``model:`` means for this tenant (``tier``: its own or its tier's)."""
        return self.default_model if requested == "tier" else requested

    def runs(self, workflow: str) -> bool:
        return not self.workflows or workflow in self.workflows
