"""The tenant directory: every tenant's settings, resolved when the engine is built (at load and at reload).

Nothing here is resolved lazily per request: a request for a tenant reads
what the directory already holds. A tenant whose settings do not resolve
(``tenantflow validate`` reports it) keeps its problems here: its requests
fail with them, and every other tenant runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from langgraph.store.base import BaseStore

from engine.compile.resolve import resolve_tenant
from engine.context import TenantContext
from engine.errors import AuthError, CompileError, ModelError, Problem
from engine.guardrails.chain import GuardChain, chain_for
from engine.guardrails.leakage import LeakageIndex, marks_from_layers
from engine.knowledge.index import DocumentSearch, TenantKnowledge
from engine.knowledge.stores import KnowledgeStores
from engine.memory.backends import TenantStores
from engine.models.base import ModelProvider
from engine.models.registry import Providers
from engine.policy.authorizer import TenantFacts
from engine.project import Project
from engine.spec.hints import did_you_mean
from engine.spec.project import ModelEntry
from engine.startup import gc_paused
from engine.tenancy import TenantSettings


class TenantDirectory:
    """Settings, policy facts, models and guard chains of every tenant of a project."""

    def __init__(self, project: Project, providers: Providers, stores: TenantStores | None = None,
                 knowledge: KnowledgeStores | None = None):
        self.project, self.providers, self.stores, self.knowledge_stores = project, providers, stores, knowledge
        self._settings: dict[str, TenantSettings] = {}
        #: Tenants whose settings did not resolve, with their problems.
        self.failed: dict[str, list[Problem]] = {}
        with gc_paused():  # long-lived objects only: see engine/startup.py
            for tenant_id in project.tenants:
                try:
                    self._settings[tenant_id] = resolve_tenant(project, tenant_id)
                except CompileError as exc:
                    self.failed[tenant_id] = exc.problems
            self._facts = {t: self._facts_of(s) for t, s in self._settings.items()}
        self._models: dict[tuple[str, str], tuple[ModelEntry, ModelProvider]] = {}
        self._chains: dict[str, GuardChain] = {}
        self._leakage: LeakageIndex | None = None

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings)

    def settings(self, tenant_id: str) -> TenantSettings:
        found = self._settings.get(tenant_id)
        if found is None:
            if tenant_id in self.failed:
                raise CompileError(self.failed[tenant_id])
            hint = did_you_mean(tenant_id, self.project.tenants)
            raise AuthError(f"unknown tenant '{tenant_id}'" + (f" ({hint})" if hint.startswith("did") else ""))
        return found

    def facts(self, tenant_id: str) -> TenantFacts:
        """What policies read about a tenant: tier, feature flags (tier's and tenant's), quotas, entitlements."""
        self.settings(tenant_id)  # an unknown tenant is refused by name
        return self._facts[tenant_id]

    def _facts_of(self, settings: TenantSettings) -> TenantFacts:
        tier = self.project.spec.tiers.get(settings.tier)
        features = frozenset([*(tier.features if tier else []), *settings.entitlements.features])
        return TenantFacts(settings.tenant_id, settings.tier, features, settings.quotas, settings.entitlements.allows)

    def silo_memory(self, tenant_id: str) -> bool:
        """Whether ``tenant_id``'s memory and checkpoints live apart (False for a tenant this project lacks)."""
        found = self._settings.get(tenant_id)
        return found is not None and found.isolation.memory == "silo"

    def model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]:
        """The catalog entry and provider for a step's model choice, for this tenant."""
        key = (tenant.tenant_id, alias)
        found = self._models.get(key)
        if found is None:
            found = self._models[key] = self._resolve_model(tenant, alias)
        return found

    def _resolve_model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]:
        chosen = tenant.default_model if alias == "tier" else alias
        if chosen not in tenant.allowed_models or chosen not in tenant.catalog:
            raise ModelError(f"model '{chosen}' is not allowed for tenant '{tenant.tenant_id}'")
        entry = tenant.catalog[chosen]
        settings = self.project.spec.models.providers.get(entry.provider)
        fixtures = None
        if settings is not None and settings.fixtures is not None:
            fixtures = str(self.project.root / settings.fixtures)
        provider = self.providers.get(entry.provider, fixtures=fixtures,
                                      region_name=settings.region if settings else None,
                                      options={**(settings.options if settings else {}), **entry.options})
        return entry, provider

    def guard_chain(self, tenant_id: str) -> GuardChain:
        """The tenant's guard chain (shared by every tenant with the same guardrail settings).

        Its output guard looks for the other tenants' marks with the
        project's leakage index; the tenant's own marks do not split the cache.
        """
        found = self._chains.get(tenant_id)
        if found is None:
            found = self._chains[tenant_id] = chain_for(self.settings(tenant_id).guardrails, self.leakage_index())
        return found

    def leakage_index(self) -> LeakageIndex:
        """Every tenant's identifying marks (id, name, markers, canaries), built once per directory."""
        if self._leakage is None:
            project = self.project.spec
            self._leakage = LeakageIndex(
                marks_from_layers(tenant_id, tenant.spec.metadata.name, [
                    project.guardrails,
                    tier.guardrails if (tier := project.tiers.get(tenant.spec.tier)) is not None else {},
                    tenant.spec.guardrails,
                ])
                for tenant_id, tenant in self.project.tenants.items()
            )
        return self._leakage

    async def memory_store(self, ctx: TenantContext, default: BaseStore | None) -> BaseStore | None:
        """The store holding this tenant's memory: its own if its memory is siloed, else the shared one."""
        if self.stores is None:
            return default
        return await self.stores.for_tenant(ctx.tenant_id, self.settings(ctx.tenant_id).isolation.memory)

    async def knowledge(self, ctx: TenantContext, purpose: str) -> TenantKnowledge | None:
        """The tenant's knowledge index for ``documents`` (isolation.rag) or ``memory`` (isolation.memory)."""
        if self.knowledge_stores is None:
            return None
        isolation = self.settings(ctx.tenant_id).isolation
        return await self.knowledge_stores.for_tenant(ctx.tenant_id,
                                                      isolation.rag if purpose == "documents" else isolation.memory)

    async def documents(self, ctx: TenantContext) -> DocumentSearch | None:
        """Where the tenant's ``retrieve`` steps search: its local index or Bedrock knowledge base (isolation.rag)."""
        if self.knowledge_stores is None:
            return None
        return await self.knowledge_stores.documents_for(ctx.tenant_id, self.settings(ctx.tenant_id).isolation.rag)

    @property
    def root(self) -> Path:
        return self.project.root
