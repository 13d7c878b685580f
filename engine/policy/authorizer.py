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

Policy sets are parsed once. A decision's entities are what it reads: the
principal, its tenant, and each resource with its group; never every
tenant's, so a decision costs the same at 3 tenants and at 10,000. The
parsed entities of a (tenant, resources) pair are cached (a bounded LRU);
the user's entity, the only per-user part, is added to them per decision.
A tool list is decided in one batch. Any evaluation error denies: a forbid
that cannot be evaluated (one reading an entity the decision does not
hold, say) must not let a call through.
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


class StaticEntities:
    """Every tenant, tool group and skill or tool implementation as Cedar entity JSON, by uid.

    Checked against the schema once, whole, when built; decisions then take only the entities they read.
    """

    def __init__(self, bundle: PolicyBundle, tenants: Mapping[str, str], definitions: Sequence[SkillDef],
                 sources: Mapping[str, str]):
        self.schema = bundle.schema
        self._tenants = {t: {"uid": _uid("Tenant", t), "attrs": {"tier": tier}, "parents": []}
                         for t, tier in sorted(tenants.items())}
        self._resources: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for d in definitions:
            attrs: dict[str, Any] = {"name": d.name, "scope": d.scope, "version": d.version}
            parents: list[dict[str, str]] = []
            group: list[dict[str, Any]] = []
            if d.kind == "tool":
                attrs["source"] = sources.get(d.name, "python")
                prefix = d.name.split(".", 1)[0]
                parents.append(_uid("Group", prefix))
                group.append({"uid": _uid("Group", prefix), "attrs": {}, "parents": []})
            kind = "Tool" if d.kind == "tool" else "Skill"
            self._resources[(kind, f"{d.scope}/{d.name}@{d.version}")] = [
                {"uid": _uid(kind, f"{d.scope}/{d.name}@{d.version}"), "attrs": attrs, "parents": parents}, *group]
        # Every entity is checked once here: a bad one fails the load, not a decision.
        whole: dict[str, dict[str, Any]] = {}
        for entity in [*self._tenants.values(), *(e for group in self._resources.values() for e in group)]:
            whole[json.dumps(entity["uid"], sort_keys=True)] = entity
        cedarpy.Entities.from_json_str(json.dumps(list(whole.values())), schema=self.schema)

    def for_decision(self, tenant: str, resources: Sequence[tuple[str, str]]) -> cedarpy.Entities:
        """The tenant's entity and each resource's (with its group), parsed; unknown resources are left out
        (a policy reading one then fails to evaluate, which denies)."""
        chosen: dict[str, dict[str, Any]] = {}
        for entity in ([self._tenants[tenant]] if tenant in self._tenants else []):
            chosen[json.dumps(entity["uid"], sort_keys=True)] = entity
        for key in resources:
            for entity in self._resources.get(key, ()):
                chosen[json.dumps(entity["uid"], sort_keys=True)] = entity
        return cedarpy.Entities.from_json_str(json.dumps(list(chosen.values())), schema=self.schema)


def static_entities(bundle: PolicyBundle, tenants: Mapping[str, str], definitions: Sequence[SkillDef],
                    sources: Mapping[str, str]) -> StaticEntities:
    """Tenants, tool groups, and every implementation of every skill and tool, checked once."""
    return StaticEntities(bundle, tenants, definitions, sources)


#: Parsed entity sets kept, one per (tenant, resources decided together). Each is a handful of entities
#: (about 1-3 KB of Rust heap with the Python handle): 1,024 of them stay under a few MB whatever the
#: number of tenants or users, and hold every tool list of a few hundred active tenants.
ENTITY_CACHE = 1024


class Authorizer:
    """Cedar decisions for one project; shared by every run."""

    def __init__(self, bundle: PolicyBundle, entities: StaticEntities, usage: Meter, *,
                 mode: Mode = "enforce", cache: int = ENTITY_CACHE):
        self.bundle, self.entities, self.usage, self.mode = bundle, entities, usage, mode
        self._parsed: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], cedarpy.Entities] = OrderedDict()
        self._cache = cache

    @property
    def cached_entity_sets(self) -> int:
        """How many parsed (tenant, resources) entity sets the cache holds now."""
        return len(self._parsed)

    def _entities_for(self, ctx: TenantContext, resources: Sequence[tuple[str, str]] = (),
                      extra: Sequence[dict[str, Any]] = ()) -> cedarpy.Entities:
        """The principal (``ctx``'s user, in its tenant), its tenant and ``resources``: what a decision reads."""
        key = (ctx.tenant_id, tuple(resources))
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = self.entities.for_decision(ctx.tenant_id, resources)
            while len(self._parsed) > self._cache:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(key)
        user = {"uid": _uid("User", f"{ctx.tenant_id}:{ctx.user_id}"),
                "attrs": {"tenant": ctx.tenant_id, "tier": ctx.tier},
                "parents": [_uid("Tenant", ctx.tenant_id)], "tags": dict(ctx.attributes)}
        # with_added_* returns a new set: the cached one stays as it is for the next user.
        return found.with_added_json_str(json.dumps([user, *extra]))

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
        resources = sorted({("Tool" if i.kind == "tool" else "Skill", resource_id(i)) for i in items})
        entities = self._entities_for(ctx, resources)
        results = cedarpy.is_authorized_batch(requests, self.bundle.policy_set(ctx.tenant_id), entities)
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
        entities = self._entities_for(ctx, extra=[{
            "uid": _uid("Question", question), "parents": [],
            "attrs": {"scope": ctx.tenant_id, "workflow": workflow, "step": step}}])
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
