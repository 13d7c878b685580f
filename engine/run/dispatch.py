"""Skill and tool dispatch: every call of a run goes through the bridge chain, policy and the tool gateway.

The bridge chain (auth, logging, errors) wraps each call; the
implementation serving the tenant is resolved per call (the tenant's own,
else the shared one); Cedar decides the call on the arguments it will run
with; a tool that acts for the user gets a token exchanged from the run's
credential, never the credential itself. A tool's result goes back into a
prompt only after text in it that reads as instructions to the model is
withheld (engine.guardrails.content), the reason logged and kept in its place.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.context import TenantContext
from engine.errors import AuthError
from engine.guardrails.content import withhold_instructions
from engine.identity.credentials import DelegatedToken, current_credential
from engine.identity.exchange import Delegation
from engine.kinds.llm import parse_output
from engine.kinds.model_call import Spend, observed_call
from engine.models.base import ChatRequest, ToolSpec
from engine.policy.authorizer import AccessItem, Authorizer
from engine.project import Project
from engine.run.observe import RUN_TALLY
from engine.run.tenants import TenantDirectory
from engine.skills.bridge import SkillCall, SkillContext, build_chain
from engine.skills.registry import Kind, SkillDef, call_implementation
from engine.telemetry import logs
from engine.telemetry.instruments import active
from engine.templating import compile_value, render_value
from engine.tenancy import TenantSettings
from engine.tools.arguments import check_arguments
from engine.tools.gateway import ToolGateway, ToolRequest
from engine.usage import Meter


class Dispatch:
    """Runs skill and tool calls for the tenant in each call's context."""

    def __init__(self, project: Project, tenants: TenantDirectory, authorizer: Authorizer, quotas: Meter,
                 delegation: Delegation | None):
        self.project, self.tenants, self.authorizer, self.quotas = project, tenants, authorizer, quotas
        self.delegation = delegation
        self.gateway = ToolGateway(project.tools)
        self.spend = Spend(quotas, tenants.settings)
        self.chain = build_chain(project.bridges, self.call_implementation)

    def entitled(self, tenant: TenantSettings, kind: Kind, name: str) -> bool:
        return tenant.entitlements.allows(kind, name)

    async def call_skill(self, call: SkillCall) -> Any:
        """Run a skill or tool call through the bridge chain, for the caller's tenant, in its span."""
        if call.ctx is None:
            return await self.chain(call)
        settings = self.tenants.settings(call.ctx.tenant_id)
        name, _, version = call.name.partition("@")
        call.implementation = impl = self.project.registry.resolve(call.kind, name, settings.tenant_id, version or None)
        call.entitled = lambda ctx, kind, n: self.entitled(self.tenants.settings(ctx.tenant_id), kind,
                                                           n.partition("@")[0])
        call.authorize = self.authorize
        telemetry = active()
        if telemetry is None:
            return await self.chain(call)
        extra = {"tenantflow.skill.version": impl.version if impl else "",
                 "tenantflow.skill.scope": impl.scope if impl else ""}
        with telemetry.tool_span(call.ctx, call.kind, call.name, call.workflow, call.step, extra) as span:
            try:
                return await self.chain(call)
            finally:
                span.set_attribute("tenantflow.attempts", call.attempts)

    def tool_specs(self, tenant: TenantSettings, names: list[str], ctx: TenantContext, step: str = "",
                   ) -> list[ToolSpec]:
        """The tools an LLM step's model may see: resolved, entitled and allowed by policy, in one batch."""
        if ctx.tenant_id != tenant.tenant_id:
            raise AuthError("listing tools needs the tenant context of the run")
        candidates: list[SkillDef] = []
        for name in names:
            definition = self.project.registry.resolve("tool", name, tenant.tenant_id)
            if definition is not None and self.entitled(tenant, "tool", name):
                candidates.append(definition)  # a tool the tenant may not use is never shown to the model
        items = [AccessItem.of(d, None, self.project.tools.source(d.name)) for d in candidates]
        decisions = self.authorizer.decide(ctx, self.tenants.facts(tenant.tenant_id), items, stage="list",
                                           workflow="", step=step)
        specs = []
        for definition, decision in zip(candidates, decisions, strict=True):
            if decision.allowed or self.authorizer.mode == "log_only":
                schema = self.project.tools.input_schema(definition)
                specs.append(ToolSpec(definition.name, definition.description or definition.name, schema))
        return specs

    def authorize(self, call: SkillCall) -> None:
        """Decide ``call`` by policy, on the arguments it will run with; raise AccessDenied if denied."""
        definition, ctx = call.implementation, call.ctx
        if definition is None or ctx is None:
            raise AuthError(f"{call.kind} '{call.name}' has no implementation for this tenant")
        inputs = call.inputs
        source = self.project.tools.source(definition.name) if definition.kind == "tool" else "python"
        if definition.kind == "tool":
            inputs = self.gateway.rewrite(definition.name, ctx, inputs)
        if source == "python":
            inputs = definition.validate_inputs(inputs)
        else:
            inputs = check_arguments(definition.name, self.project.tools.input_schema(definition), inputs)
        self.authorizer.check(ctx, self.tenants.facts(ctx.tenant_id), AccessItem.of(definition, inputs, source),
                              stage="call", workflow=call.workflow, step=call.step)
        call.inputs, call.authorized = inputs, True
        if definition.kind == "tool":
            self.quotas.record_tool_call(ctx.tenant_id)
            tally = RUN_TALLY.get()
            if tally is not None:
                tally.tool_calls += 1

    async def call_implementation(self, call: SkillCall) -> Any:
        definition = call.implementation
        if definition is None or call.ctx is None:
            raise AuthError(f"{call.kind} '{call.name}' has no implementation for this tenant")
        if not call.authorized:
            self.authorize(call)  # a bridge chain that did not ask: the engine never runs an undecided call
        if definition.kind == "tool":
            inputs = definition.validate_inputs(call.inputs)
            token = await self.delegated_token(call, definition)
            request = self.gateway.before(ToolRequest(definition.name, call.ctx, inputs, token))
            skill_ctx = SkillContext(call.ctx, call.workflow, call.step, token=request.token)
            result = await call_implementation(definition, request.arguments, skill_ctx)
            return _without_instructions(call, call.ctx, self.gateway.after(request, definition.dump_output(result)))
        if definition.prompt is not None:
            return await self._run_prompt_skill(definition, definition.validate_inputs(call.inputs), call)
        # call_implementation validates the inputs against the signature as it types them.
        skill_ctx = SkillContext(call.ctx, call.workflow, call.step)
        return definition.dump_output(await call_implementation(definition, call.inputs, skill_ctx))

    async def delegated_token(self, call: SkillCall, definition: SkillDef) -> DelegatedToken | None:
        """The token exchanged for this tool's resource server, or None for a tool that calls none."""
        access = self.project.tools.access(definition.name)
        if access is None:
            return None
        ctx = call.ctx
        assert ctx is not None
        credential = current_credential()
        if credential is None:
            raise AuthError(f"tool '{definition.name}' acts on behalf of the user and needs the run's user token; "
                            "this run has none (run it with a verified token)")
        if (credential.tenant_id, credential.user_id) != (ctx.tenant_id, ctx.user_id):
            raise AuthError("the run's user token is not the tenant context's user")
        if self.delegation is None:
            raise AuthError(f"tool '{definition.name}' needs token exchange: add an identity: section")
        return await self.delegation.token_for(credential, call.workflow, definition.name, access)

    async def _run_prompt_skill(self, definition: SkillDef, inputs: dict[str, Any], call: SkillCall) -> Any:
        assert definition.prompt is not None and call.ctx is not None
        spec = definition.prompt.llm
        settings = self.tenants.settings(call.ctx.tenant_id)
        entry, provider = self.tenants.model(settings, spec.model)
        prompt = compile_value(spec.prompt, file=definition.source, line=0)
        scope = {"input": inputs, "user": {"id": call.ctx.user_id},
                 "tenant": {"id": settings.tenant_id, "tier": settings.tier, "name": settings.name}}
        text = str(render_value(prompt, scope))
        alias = settings.resolve_alias(spec.model)
        request = ChatRequest(
            model_id=entry.model_id, messages=[{"role": "user", "content": [{"text": text}]}],
            system=spec.system, max_tokens=spec.max_tokens or entry.max_tokens, temperature=spec.temperature,
            workflow=call.workflow, step=call.step, tenant_id=settings.tenant_id)
        record = await observed_call(self.spend, call.ctx, settings, entry, alias, call.step,
                                     lambda: provider.converse(request), requested=spec.model)
        call.annotations.setdefault("usage", []).append(record.usage)
        return parse_output(spec, record.response.text)


def _without_instructions(call: SkillCall, ctx: TenantContext, result: Any) -> Any:
    """A tool's result with the text that reads as instructions withheld; each withholding logged."""
    result, withheld = withhold_instructions(result)
    for item in withheld:
        logs.event("tool.output_withheld", logging.WARNING, tenant=ctx.tenant_id, tool=call.name,
                   workflow=call.workflow, step=call.step, path=item.path, family=item.family, score=item.score)
    return result
