"""The Cedar schema of a project: fixed entity types, one action per skill and per tool.

As in AgentCore Policy, every tool (and skill) is its own action, so its
``context.input`` is typed from the tool's input schema and a policy that
reads ``context.input.limit`` is checked against the tool that has it
(strings, integers, booleans, numbers as ``decimal``, sets and records of
them; see :func:`cedar_type`). Two action groups, ``Action::"skills"`` and
``Action::"tools"``, let a policy speak of all of them at once. A tool's own
input attributes are optional (``?``): a tool list is decided before any
input exists, so policies test ``has`` first; inside a record, the
attributes its JSON Schema requires are required.

    namespace Tenantflow {
      entity Tenant = { "tier": String };
      entity User in [Tenant] = { "tenant": String, "tier": String } tags String;
      entity Group;                                  // tools by prefix: billing, kb, ...
      entity Skill = { "name": String, "scope": String, "version": String };
      entity Tool in [Group] = { "name": String, "scope": String, "version": String, "source": String };
      entity Question = { "scope": String, "workflow": String, "step": String };   // an ask step's question
      action "answer" appliesTo { principal: [User], resource: [Question], ... };
      action "tool:billing.get_invoices" in ["tools"] appliesTo { ... context: { ..., "input": {...} } };
    }
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Any, TypeAlias

NAMESPACE = "Tenantflow"

ENTITY_TYPES = """\
  entity Tenant = { "tier": String };
  entity User in [Tenant] = { "tenant": String, "tier": String } tags String;
  entity Group;
  entity Skill = { "name": String, "scope": String, "version": String };
  entity Tool in [Group] = { "name": String, "scope": String, "version": String, "source": String };
  entity Question = { "scope": String, "workflow": String, "step": String };
  type Quota = {
    "requests_last_minute": Long, "tool_calls_last_minute": Long, "tokens_today": Long,
    "requests_per_minute"?: Long, "tokens_per_day"?: Long, "concurrency"?: Long
  };
"""

#: Context attributes every action has, besides ``input``.
COMMON_CONTEXT = ('"tenant": String, "tier": String, "features": Set<String>, "entitled": Bool, '
                  '"scopes": Set<String>, "quota": Quota, "workflow": String, "step": String, "stage": String')


@dataclass(frozen=True)
class SetOf:
    """Cedar's ``Set<item>``."""

    item: CedarType


@dataclass(frozen=True)
class Record:
    """A Cedar record: the attributes its JSON Schema requires are required, the others optional."""

    fields: tuple[tuple[str, CedarType], ...]
    required: frozenset[str] = frozenset()


#: A Cedar type of an input: ``"String"``, ``"Long"``, ``"Bool"`` or ``"decimal"``, a set or a record.
#: Plain values, so that two implementations' types of a field compare with ``==``.
CedarType: TypeAlias = "str | SetOf | Record"

#: How deep records and sets may nest in a tool's input before the rest is left out of the schema.
MAX_DEPTH = 4
# Cedar's decimal: at most four digits after the point, a 64-bit integer once scaled by 10^4.
_DECIMAL_PLACES = 4
_DECIMAL_QUANTUM = Decimal(1).scaleb(-_DECIMAL_PLACES)
_DECIMAL_LIMIT = Decimal(2**63 - 1).scaleb(-_DECIMAL_PLACES)


@dataclass(frozen=True)
class ActionDef:
    """One action of the schema: a skill or tool name and the Cedar types of its inputs."""

    kind: str  # "skill" | "tool"
    name: str
    inputs: tuple[tuple[str, CedarType], ...]

    @property
    def action_id(self) -> str:
        return f"{self.kind}:{self.name}"


def cedar_type(schema: dict[str, Any], depth: int = 0, defs: dict[str, Any] | None = None) -> CedarType | None:
    """The Cedar type of a JSON Schema, or None where Cedar has no faithful equivalent.

    Strings, integers (Long), booleans, numbers (Cedar's ``decimal``: four digits after the point),
    arrays of any of these (Set) and objects with properties (a record; the attributes the schema
    requires are required, so a policy can compare it with a record literal).
    ``defs`` are the ``$defs`` that ``$ref`` points into (Pydantic puts nested models there).
    """
    if depth > MAX_DEPTH:
        return None
    defs = defs or {}
    reference = schema.get("$ref")
    if isinstance(reference, str):
        target = defs.get(reference.rsplit("/", 1)[-1]) if reference.startswith(("#/$defs/", "#/definitions/")) \
            else None
        return cedar_type(target, depth + 1, defs) if isinstance(target, dict) else None
    for combinator in ("anyOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if isinstance(s, dict) and s.get("type") != "null"]
            return cedar_type(options[0], depth, defs) if len(options) == 1 else None
    kind = schema.get("type")
    if kind == "string":
        return "String"
    if kind == "integer":
        return "Long"
    if kind == "boolean":
        return "Bool"
    if kind == "number":
        return "decimal"
    if kind == "array":
        item = cedar_type(schema.get("items") or {}, depth + 1, defs)
        return SetOf(item) if item is not None else None
    if kind == "object":
        fields = input_types(schema, depth + 1, defs)
        required = frozenset(schema.get("required") or ()) & {name for name, _ in fields}
        return Record(fields, required) if fields else None
    return None


def input_types(json_schema: dict[str, Any], depth: int = 0,
                defs: dict[str, Any] | None = None) -> tuple[tuple[str, CedarType], ...]:
    """The Cedar types of an object schema's properties (those that have one)."""
    if defs is None:
        defs = json_schema.get("$defs") or json_schema.get("definitions") or {}
    props = json_schema.get("properties") or {}
    found = []
    for name, prop in sorted(props.items()):
        if isinstance(prop, dict):
            typed = cedar_type(prop, depth, defs)
            if typed is not None:
                found.append((str(name), typed))
    return tuple(found)


def render(cedar: CedarType) -> str:
    """A type as the Cedar schema writes it."""
    if isinstance(cedar, str):
        return cedar
    if isinstance(cedar, SetOf):
        return f"Set<{render(cedar.item)}>"
    return "{ " + ", ".join(f"{json.dumps(name)}{'' if name in cedar.required else '?'}: {render(typed)}"
                            for name, typed in cedar.fields) + " }"


def schema_text(actions: list[ActionDef]) -> str:
    lines = [f"namespace {NAMESPACE} {{", ENTITY_TYPES, '  action "skills";', '  action "tools";',
             # Answering an ``ask`` step's question: resource Question::"<tenant>/<workflow>/<step>",
             # context.entitled says whether the step's own rule (its scope, or the requester) allows it.
             f'  action "answer" appliesTo {{ principal: [User], resource: [Question], context: {{ {COMMON_CONTEXT}, '
             '"input": { "requester": String, "expired": Bool } } };']
    for action in sorted(actions, key=lambda a: a.action_id):
        inputs = ", ".join(f"{json.dumps(n)}?: {render(t)}" for n, t in action.inputs)
        resource = "Skill" if action.kind == "skill" else "Tool"
        lines.append(f'  action {json.dumps(action.action_id)} in ["{action.kind}s"] appliesTo {{ '
                     f"principal: [User], resource: [{resource}], context: {{ {COMMON_CONTEXT}, "
                     f'"input": {{ {inputs} }} }} }};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def project_input(value: Any, cedar: CedarType) -> Any:
    """``value`` as Cedar JSON for type ``cedar``, or None if it does not fit.

    A record keeps the optional attributes that fit (the others are absent, as policies test with
    ``has``); one whose required attribute is missing or does not fit does not fit as a whole.
    """
    if cedar == "String":
        return value if isinstance(value, str) else None
    if cedar == "Long":
        # Beyond Cedar's 64 bits, clamped (as decimals are): a limit a policy writes still catches it.
        return max(-(2**63), min(2**63 - 1, value)) if isinstance(value, int) and not isinstance(value, bool) else None
    if cedar == "Bool":
        return value if isinstance(value, bool) else None
    if cedar == "decimal":
        return _decimal(value)
    if isinstance(cedar, SetOf) and isinstance(value, (list, tuple, set, frozenset)):
        items = [project_input(v, cedar.item) for v in value]
        return None if any(i is None for i in items) else items
    if isinstance(cedar, Record) and isinstance(value, dict):
        found = {}
        for name, typed in cedar.fields:
            projected = project_input(value[name], typed) if name in value else None
            if projected is not None:
                found[name] = projected
            elif name in cedar.required:
                return None
        return found
    return None


def _decimal(value: Any) -> dict[str, Any] | None:
    """A number as Cedar's ``decimal`` extension value.

    Cedar keeps four digits after the point and about 9.2e14 either way. A number with more digits is
    rounded away from zero, and one beyond the range is clamped to it: a limit a policy writes with
    ``greaterThan`` still catches it (leaving it out would make ``has`` false, and such a forbid pass).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if exact.is_nan():
        return None
    bounded = max(-_DECIMAL_LIMIT, min(_DECIMAL_LIMIT, exact)) if exact.is_finite() else \
        (_DECIMAL_LIMIT if exact > 0 else -_DECIMAL_LIMIT)
    text = format(bounded.quantize(_DECIMAL_QUANTUM, rounding=ROUND_UP), "f")
    return {"__extn": {"fn": "decimal", "arg": text}}
