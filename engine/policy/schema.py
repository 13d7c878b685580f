"""The Cedar schema of a project: fixed entity types, one action per skill and per tool.

As in AgentCore Policy, every tool (and skill) is its own action, so its
``context.input`` is typed from the tool's input schema and a policy that
reads ``context.input.limit`` is checked against the tool that has it. Two
action groups, ``Action::"skills"`` and ``Action::"tools"``, let a policy
speak of all of them at once. Input attributes are optional (``?``): a tool
list is decided before any input exists, so policies test ``has`` first.

    namespace Tenantflow {
      entity Tenant = { "tier": String };
      entity User in [Tenant] = { "tenant": String, "tier": String } tags String;
      entity Group;                                  // tools by prefix: billing, kb, ...
      entity Skill = { "name": String, "scope": String, "version": String };
      entity Tool in [Group] = { "name": String, "scope": String, "version": String, "source": String };
      action "tool:billing.get_invoices" in ["tools"] appliesTo { ... context: { ..., "input": {...} } };
    }
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NAMESPACE = "Tenantflow"

ENTITY_TYPES = """\
  entity Tenant = { "tier": String };
  entity User in [Tenant] = { "tenant": String, "tier": String } tags String;
  entity Group;
  entity Skill = { "name": String, "scope": String, "version": String };
  entity Tool in [Group] = { "name": String, "scope": String, "version": String, "source": String };
  type Quota = {
    "requests_last_minute": Long, "tool_calls_last_minute": Long, "tokens_today": Long,
    "requests_per_minute"?: Long, "tokens_per_day"?: Long, "concurrency"?: Long
  };
"""

#: Context attributes every action has, besides ``input``.
COMMON_CONTEXT = ('"tenant": String, "tier": String, "features": Set<String>, "entitled": Bool, '
                  '"scopes": Set<String>, "quota": Quota, "workflow": String, "step": String, "stage": String')


@dataclass(frozen=True)
class ActionDef:
    """One action of the schema: a skill or tool name and the Cedar types of its inputs."""

    kind: str  # "skill" | "tool"
    name: str
    inputs: tuple[tuple[str, str], ...]

    @property
    def action_id(self) -> str:
        return f"{self.kind}:{self.name}"


def cedar_type(schema: dict[str, Any]) -> str | None:
    """The Cedar type of a JSON Schema, or None where Cedar has no exact equivalent (numbers, objects)."""
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return cedar_type(options[0]) if len(options) == 1 else None
    kind = schema.get("type")
    if kind == "string":
        return "String"
    if kind == "integer":
        return "Long"
    if kind == "boolean":
        return "Bool"
    if kind == "array":
        item = cedar_type(schema.get("items") or {})
        return f"Set<{item}>" if item in ("String", "Long", "Bool") else None
    return None


def input_types(json_schema: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    props = json_schema.get("properties") or {}
    found = []
    for name, prop in sorted(props.items()):
        if isinstance(prop, dict):
            typed = cedar_type(prop)
            if typed is not None:
                found.append((str(name), typed))
    return tuple(found)


def schema_text(actions: list[ActionDef]) -> str:
    lines = [f"namespace {NAMESPACE} {{", ENTITY_TYPES, '  action "skills";', '  action "tools";']
    for action in sorted(actions, key=lambda a: a.action_id):
        inputs = ", ".join(f"{json.dumps(n)}?: {t}" for n, t in action.inputs)
        resource = "Skill" if action.kind == "skill" else "Tool"
        lines.append(f'  action {json.dumps(action.action_id)} in ["{action.kind}s"] appliesTo {{ '
                     f"principal: [User], resource: [{resource}], context: {{ {COMMON_CONTEXT}, "
                     f'"input": {{ {inputs} }} }} }};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def project_input(value: Any, cedar: str) -> Any:
    """``value`` as Cedar JSON for type ``cedar``, or None if it does not fit exactly."""
    if cedar == "String":
        return value if isinstance(value, str) else None
    if cedar == "Long":
        return value if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63 else None
    if cedar == "Bool":
        return value if isinstance(value, bool) else None
    if cedar.startswith("Set<") and isinstance(value, (list, tuple, set, frozenset)):
        inner = cedar[4:-1]
        items = [project_input(v, inner) for v in value]
        return None if any(i is None for i in items) else items
    return None
