"""The run-time services a graph's nodes reach through their run context (:class:`engine.kinds.base.Services`)."""

from __future__ import annotations

from typing import Any

from langgraph.store.base import BaseStore

from engine.context import TenantContext
from engine.guardrails.chain import GuardChain
from engine.kinds.model_call import Spend
from engine.knowledge.index import DocumentSearch, TenantKnowledge
from engine.models.base import ModelProvider, ToolSpec
from engine.run.dispatch import Dispatch
from engine.run.runner import Runner
from engine.run.tenants import TenantDirectory
from engine.skills.bridge import SkillCall
from engine.spec.project import ModelEntry
from engine.tenancy import TenantSettings


class RunServices:
    """One per engine, shared by every run and tenant: each call names its tenant."""

    def __init__(self, tenants: TenantDirectory, dispatch: Dispatch, runner: Runner):
        self.tenants, self.dispatch, self.runner = tenants, dispatch, runner

    def settings(self, tenant_id: str) -> TenantSettings:
        return self.tenants.settings(tenant_id)

    def guard_chain(self, tenant_id: str) -> GuardChain:
        return self.tenants.guard_chain(tenant_id)

    def model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]:
        return self.tenants.model(tenant, alias)

    async def call_skill(self, call: SkillCall) -> Any:
        return await self.dispatch.call_skill(call)

    def tool_specs(self, tenant: TenantSettings, names: list[str], ctx: TenantContext, step: str = "",
                   ) -> list[ToolSpec]:
        return self.dispatch.tool_specs(tenant, names, ctx, step)

    async def memory_store(self, ctx: TenantContext, default: BaseStore | None) -> BaseStore | None:
        return await self.tenants.memory_store(ctx, default)

    async def knowledge(self, ctx: TenantContext, purpose: str) -> TenantKnowledge | None:
        return await self.tenants.knowledge(ctx, purpose)

    async def documents(self, ctx: TenantContext) -> DocumentSearch | None:
        return await self.tenants.documents(ctx)

    async def invoke_workflow(self, workflow: str, payload: dict[str, Any], ctx: TenantContext) -> dict[str, Any]:
        return await self.runner.invoke_workflow(workflow, payload, ctx)

    @property
    def spend(self) -> Spend:
        return self.dispatch.spend
