"""Decide skill and tool calls with Cedar: principal, action, resource, context; default deny, forbid wins.

- principal: ``User::"<tenant>:<user>"`` in ``Tenant::"<tenant>"``, request
  attributes as tags;
- action: ``Action::"tool:<name>"`` or ``Action::"skill:<name>"`` (groups
  ``"tools"``, ``"skills"``);
- resource: the implementation that would run, ``Tool::"<scope>/<name>@<version>"``
  (scope ``shared`` or the owning tenant), in ``Group::"<prefix>"``;
- context: tenant, tier, feature flags, whether the tenant file entitles it,
  the caller's scopes, current quota usage, workflow, step, stage
  (``list`` when choosing the tools an LLM step may see, ``call`` when one
  runs) and the call's typed input.

Policy sets and the static entities are parsed once; a user's entity is
added once per user (cached); a tool list is decided in one batch. Any
evaluation error denies: a forbid that cannot be evaluated must not let a
call through.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import cedarpy
from opentelemetry import trace

from engine.context import TenantContext
from engine.errors import AuthError, PolicyDenied
from engine.policy.bundle import PolicyBundle
from engine.policy.schema import NAMESPACE, project_input
from engine.skills.registry import Kind, SkillDef
from engine.spec.project import Quotas
from engine.telemetry import logs
from engine.telemetry.instruments import active
from engine.usage.meter import Meter

Stage = Literal["list", "call"]
Mode = Literal["enforce", "log_only"]


class AccessDenied(AuthError, PolicyDenied):
    """A policy denied a skill or tool call. It is an AuthError too, so no ``on_error`` routes around it."""

    code = "policy"

    def __init__(self, kind: str, name: str, tenant: str, reasons: Sequence[str], errors: Sequence[str] = ()):
        self.kind, self.name, self.tenant = kind, name, tenant
        self.reasons, self.errors = tuple(reasons), tuple(errors)
        if errors:
            why = f"policy evaluation failed ({errors[0]})"
        elif reasons:
            why = f"forbidden by {', '.join(reasons)}"
        else:
            why = "no policy permits it"
        super().__init__(f"policy denied {kind} '{name}' for tenant '{tenant}': {why}")


@dataclass(frozen=True)
class AccessItem:
    """One thing to decide: a skill or tool, the implementation that would serve it, and its input."""

    kind: Kind
    name: str
    scope: str
    version: str
    source: str = "python"
    inputs: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, definition: SkillDef, inputs: Mapping[str, Any] | None = None, source: str = "python") -> AccessItem:
        return cls(definition.kind, definition.name, definition.scope, definition.version, source, inputs)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Policies that decided: the permits for Allow, the forbids (if any) for Deny, as ``file:line``.
    reasons: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TenantFacts:
    """What the authorizer needs from a tenant's settings."""

    tenant_id: str
    tier: str
    features: frozenset[str]
    quotas: Quotas
    entitled: Any  # Callable[[str, str], bool]


def _uid(kind: str, id_: str) -> dict[str, str]:
    return {"type": f"{NAMESPACE}::{kind}", "id": id_}


def resource_id(item: AccessItem) -> str:
    return f"{item.scope}/{item.name}@{item.version}"


def static_entities(bundle: PolicyBundle, tenants: Mapping[str, str], definitions: Sequence[SkillDef],
                    sources: Mapping[str, str]) -> cedarpy.Entities:
    """Tenants, tool groups, and every implementation of every skill and tool, parsed once."""
    entities: list[dict[str, Any]] = [
        {"uid": _uid("Tenant", t), "attrs": {"tier": tier}, "parents": []} for t, tier in sorted(tenants.items())]
    groups: set[str] = set()
    for d in definitions:
        attrs: dict[str, Any] = {"name": d.name, "scope": d.scope, "version": d.version}
        parents: list[dict[str, str]] = []
        if d.kind == "tool":
            attrs["source"] = sources.get(d.name, "python")
            group = d.name.split(".", 1)[0]
            groups.add(group)
            parents.append(_uid("Group", group))
        entities.append({"uid": _uid("Tool" if d.kind == "tool" else "Skill", f"{d.scope}/{d.name}@{d.version}"),
                         "attrs": attrs, "parents": parents})
    entities += [{"uid": _uid("Group", g), "attrs": {}, "parents": []} for g in sorted(groups)]
    return cedarpy.Entities.from_json_str(json.dumps(entities), schema=bundle.schema)


class Authorizer:
    """Cedar decisions for one project; shared by every run."""

    def __init__(self, bundle: PolicyBundle, entities: cedarpy.Entities, usage: Meter, *,
                 mode: Mode = "enforce", user_cache: int = 4096):
        self.bundle, self.entities, self.usage, self.mode = bundle, entities, usage, mode
        self._users: OrderedDict[tuple[str, str, str, tuple[tuple[str, str], ...]], cedarpy.Entities] = OrderedDict()
        self._user_cache = user_cache

    def _entities_for(self, ctx: TenantContext) -> cedarpy.Entities:
        key = (ctx.tenant_id, ctx.user_id, ctx.tier, ctx.attributes)
        found = self._users.get(key)
        if found is None:
            user = {"uid": _uid("User", f"{ctx.tenant_id}:{ctx.user_id}"),
                    "attrs": {"tenant": ctx.tenant_id, "tier": ctx.tier},
                    "parents": [_uid("Tenant", ctx.tenant_id)], "tags": dict(ctx.attributes)}
            found = self._users[key] = self.entities.with_added_json_str(json.dumps([user]))
            while len(self._users) > self._user_cache:
                self._users.popitem(last=False)
        else:
            self._users.move_to_end(key)
        return found

    def _request(self, ctx: TenantContext, facts: TenantFacts, item: AccessItem, quota: dict[str, int],
                 stage: Stage, workflow: str, step: str) -> dict[str, Any]:
        action_id = f"{item.kind}:{item.name}"
        action = self.bundle.actions.get(action_id)
        typed: dict[str, Any] = {}
        if action is not None and item.inputs:
            for field_name, cedar in action.inputs:
                if field_name in item.inputs:
                    value = project_input(item.inputs[field_name], cedar)
                    if value is not None:
                        typed[field_name] = value
        context = {"tenant": ctx.tenant_id, "tier": facts.tier, "features": sorted(facts.features),
                   "entitled": bool(facts.entitled(item.kind, item.name)), "scopes": sorted(ctx.scopes),
                   "quota": quota, "workflow": workflow, "step": step, "stage": stage, "input": typed}
        return {"principal": _uid("User", f"{ctx.tenant_id}:{ctx.user_id}"), "action": _uid("Action", action_id),
                "resource": _uid("Tool" if item.kind == "tool" else "Skill", resource_id(item)), "context": context}

    def decide(self, ctx: TenantContext, facts: TenantFacts, items: Sequence[AccessItem], *, stage: Stage,
               workflow: str, step: str) -> list[Decision]:
        """One decision per item, evaluated in one Cedar batch."""
        if not items:
            return []
        quota = self.usage.snapshot(ctx.tenant_id, facts.quotas)
        requests = [self._request(ctx, facts, item, quota, stage, workflow, step) for item in items]
        results = cedarpy.is_authorized_batch(requests, self.bundle.policy_set(ctx.tenant_id), self._entities_for(ctx))
        decisions = []
        for item, result in zip(items, results, strict=True):
            errors = tuple(str(e) for e in result.diagnostics.errors)
            if f"{item.kind}:{item.name}" not in self.bundle.actions:
                errors = (f"unknown action '{item.kind}:{item.name}'", *errors)
            allowed = result.allowed and not errors
            decisions.append(Decision(allowed, tuple(result.diagnostics.reasons), errors))
        return decisions

    def check(self, ctx: TenantContext, facts: TenantFacts, item: AccessItem, *, stage: Stage, workflow: str,
              step: str) -> Decision:
        """Decide one call; raise AccessDenied if denied (in LOG_ONLY mode, log it and let it through)."""
        [decision] = self.decide(ctx, facts, [item], stage=stage, workflow=workflow, step=step)
        if not decision.allowed:
            self._denied(ctx, item, decision, workflow, step)
            if self.mode == "enforce":
                raise AccessDenied(item.kind, item.name, ctx.tenant_id, decision.reasons, decision.errors)
        return decision

    def check_answer(self, ctx: TenantContext, facts: TenantFacts, *, workflow: str, step: str, requester: str,
                     entitled: bool, expired: bool) -> Decision:
        """May ``ctx``'s user answer the question of ``step`` that ``requester`` is waiting on (same tenant)?

        Action ``answer`` on ``Question::"<tenant>/<workflow>/<step>"``; ``context.entitled`` is the
        step's own rule, ``context.input.requester`` the user who started the run. AccessDenied if not.
        """
        quota = self.usage.snapshot(ctx.tenant_id, facts.quotas)
        question = f"{ctx.tenant_id}/{workflow}/{step}"
        entities = self._entities_for(ctx).with_added_json_str(json.dumps([{
            "uid": _uid("Question", question), "parents": [],
            "attrs": {"scope": ctx.tenant_id, "workflow": workflow, "step": step}}]))
        context = {"tenant": ctx.tenant_id, "tier": facts.tier, "features": sorted(facts.features),
                   "entitled": entitled, "scopes": sorted(ctx.scopes), "quota": quota, "workflow": workflow,
                   "step": step, "stage": "answer", "input": {"requester": requester, "expired": expired}}
        request = {"principal": _uid("User", f"{ctx.tenant_id}:{ctx.user_id}"), "action": _uid("Action", "answer"),
                   "resource": _uid("Question", question), "context": context}
        [result] = cedarpy.is_authorized_batch([request], self.bundle.policy_set(ctx.tenant_id), entities)
        errors = tuple(str(e) for e in result.diagnostics.errors)
        decision = Decision(result.allowed and not errors, tuple(result.diagnostics.reasons), errors)
        if not decision.allowed:
            item = AccessItem("skill", f"answer {workflow}/{step}", ctx.tenant_id, "")
            self._denied(ctx, item, decision, workflow, step)
            if self.mode == "enforce":
                raise AccessDenied("question", f"{workflow}/{step}", ctx.tenant_id, decision.reasons, decision.errors)
        return decision

    def _denied(self, ctx: TenantContext, item: AccessItem, decision: Decision, workflow: str, step: str) -> None:
        event = "policy.denied" if self.mode == "enforce" else "policy.would_deny"
        # On the call's span too (the logging bridge's), so a trace shows what was or would be refused.
        trace.get_current_span().add_event(event, {"policy.mode": self.mode, "policy.reasons": list(decision.reasons),
                                                   "tenantflow.skill": item.name})
        telemetry = active()
        if telemetry is not None:
            telemetry.policy_denied(ctx, self.mode, item.kind)
        logs.event(event, logging.WARNING, **ctx.log_fields(), **{
            "gen_ai.workflow.name": workflow, "tenantflow.step": step, "tenantflow.kind": item.kind,
            "tenantflow.skill": item.name, "policy.mode": self.mode, "policy.reasons": list(decision.reasons),
            "policy.errors": list(decision.errors)})
