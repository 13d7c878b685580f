"""``tool:`` steps: a tool of the gateway (Python, OpenAPI or MCP), called through the bridge chain and policy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.errors import Problem
from engine.ir import IRNode
from engine.kinds.base import Binding, Build, NodeFn, StepKind
from engine.kinds.skill import build_call, call_label, call_outputs, describe_call
from engine.skills.registry import SkillRegistry
from engine.spec.hints import did_you_mean
from engine.spec.workflow import Step
from engine.tenancy import TenantSettings


class Tool(StepKind):
    name = "tool"
    spec = str
    work = True

    def bind(self, node: IRNode, b: Binding) -> Iterable[Problem]:
        assert node.step is not None
        name: str = node.step.body
        path, tenant = (*node.path, "tool"), b.tenant
        tools = b.skills.names("tool", tenant.tenant_id)
        if name not in tools:
            return [b.problem(path, f"unknown tool '{name}' for tenant '{tenant.tenant_id}'",
                              hint=did_you_mean(name, tools), code="unknown-tool")]
        if not tenant.entitlements.allows("tool", name):
            return [b.problem(path, f"tenant '{tenant.tenant_id}' is not entitled to tool '{name}'",
                              hint="add it to entitlements.tools in the tenant file", code="not-entitled")]
        return []

    def bound_outputs(self, step: Step, b: Binding) -> frozenset[str] | None:
        return call_outputs("tool", step.body, b)

    def describe(self, node: IRNode, body: Any, tenant: TenantSettings, skills: SkillRegistry) -> dict[str, Any]:
        return describe_call("tool", body, tenant, skills)

    def label(self, described: dict[str, Any]) -> str:
        return call_label("tool", described)

    def build(self, node: IRNode, b: Build) -> NodeFn:
        return build_call(node, b, "tool")
