"""A project's policies, loaded once: schema, platform files, each tenant's files, parsed policy sets.

Platform-wide policies live in ``policies/*.cedar``; a tenant's own in
``tenants/<id>/policies/*.cedar``. A tenant's decisions use the platform's
policies plus its own, never another tenant's. A project without a
``policies/`` folder gets the baseline: permit what the tenant file's
entitlements allow (the behaviour before policies existed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cedarpy

from engine.errors import Problem
from engine.policy.files import PolicyFile, read_policy_file, read_policy_text
from engine.policy.schema import ActionDef, CedarType, input_types, schema_text
from engine.skills.registry import SkillDef

BASELINE_FILE = "<baseline>"
BASELINE = '@id("baseline-entitlements")\npermit(principal, action, resource) when { context.entitled };\n'


@dataclass
class PolicyBundle:
    schema_text: str
    schema: cedarpy.Schema
    actions: dict[str, ActionDef]
    platform: list[PolicyFile]
    tenants: dict[str, list[PolicyFile]]
    baseline: bool
    _sets: dict[str, cedarpy.PolicySet] = field(default_factory=dict, repr=False)

    def files(self, tenant: str) -> list[PolicyFile]:
        return [*self.platform, *self.tenants.get(tenant, [])]

    def policy_set(self, tenant: str) -> cedarpy.PolicySet:
        """The tenant's policy set (platform + its own), parsed once and reused."""
        key = tenant if tenant in self.tenants else ""
        found = self._sets.get(key)
        if found is None:
            merged: dict[str, Any] = {}
            for policy_file in self.files(key):
                merged.update(policy_file.policies)
            found = self._sets[key] = cedarpy.PolicySet.from_json_str(
                json.dumps({"staticPolicies": merged, "templates": {}, "templateLinks": []}))
        return found

    def annotation(self, tenant: str, policy_id: str) -> str:
        for policy_file in self.files(tenant):
            if policy_id in policy_file.annotations:
                return policy_file.annotations[policy_id]
        return ""


def action_defs(definitions: Iterable[SkillDef], tool_schemas: Mapping[str, dict[str, Any]]) -> dict[str, ActionDef]:
    """One action per skill and tool name; inputs typed from its schema (union over implementations)."""
    found: dict[tuple[str, str], dict[str, CedarType | None]] = {}
    for definition in definitions:
        schema = _input_schema(definition, tool_schemas)
        fields = found.setdefault((definition.kind, definition.name), {})
        for name, typed in input_types(schema):
            # Two implementations disagreeing on a field's type: leave the field out rather than guess.
            fields[name] = typed if fields.get(name, typed) == typed else None
    return {f"{kind}:{name}": ActionDef(kind, name, tuple(sorted((k, v) for k, v in fields.items() if v is not None)))
            for (kind, name), fields in found.items()}


def _input_schema(definition: SkillDef, tool_schemas: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    if definition.kind == "tool" and definition.name in tool_schemas:
        return tool_schemas[definition.name]
    if definition.prompt is not None:
        return {"properties": {k: f.json_schema() for k, f in definition.prompt.input.items()}}
    if definition.input_model is not None:
        schema: dict[str, Any] = definition.input_model.model_json_schema()
        return schema
    return {}


def load_policies(root: Path, folder: str, tenants_folder: str, tenant_ids: Iterable[str],
                  definitions: Iterable[SkillDef], tool_schemas: Mapping[str, dict[str, Any]],
                  ) -> tuple[PolicyBundle | None, list[Problem]]:
    actions = action_defs(definitions, tool_schemas)
    text = schema_text(list(actions.values()))
    try:
        schema = cedarpy.Schema.from_str(text)
    except ValueError as exc:  # a skill or tool name Cedar cannot carry
        return None, [Problem(folder, 0, 0, "", f"cannot build the Cedar schema: {exc}", code="policy-schema")]
    problems: list[Problem] = []
    platform_dir = root / folder
    baseline = not platform_dir.is_dir()
    platform: list[PolicyFile] = []
    if baseline:
        parsed, found = read_policy_text(BASELINE, BASELINE_FILE, schema, actions)
        problems += found
        if parsed is not None:
            platform.append(parsed)
    else:
        platform, found = _read_folder(root, platform_dir, schema, actions)
        problems += found
    tenants: dict[str, list[PolicyFile]] = {}
    for tenant in sorted(tenant_ids):
        tenant_dir = root / tenants_folder / tenant / "policies"
        if tenant_dir.is_dir():
            tenants[tenant], found = _read_folder(root, tenant_dir, schema, actions)
            problems += found
    if problems:
        return None, problems
    return PolicyBundle(text, schema, actions, platform, tenants, baseline), []


def _read_folder(root: Path, folder: Path, schema: cedarpy.Schema,
                 actions: Mapping[str, ActionDef]) -> tuple[list[PolicyFile], list[Problem]]:
    files: list[PolicyFile] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.cedar")):
        display = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        parsed, found = read_policy_file(path, display, schema, actions)
        problems += found
        if parsed is not None:
            files.append(parsed)
    return files, problems

