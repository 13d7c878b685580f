"""The JSON Schema of every tenantflow YAML file, for editors (yaml-language-server).

One schema covers all file kinds: ``kind`` selects the branch, so a single
``$schema`` comment works in every file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from engine.spec.project import ProjectSpec
from engine.spec.skill import SkillSpec
from engine.spec.tenant import TenantSpec
from engine.spec.workflow import WorkflowSpec
from engine.spec.workflow_test import WorkflowTestSpec

KINDS: dict[str, type[BaseModel]] = {
    "Project": ProjectSpec,
    "Workflow": WorkflowSpec,
    "Tenant": TenantSpec,
    "Skill": SkillSpec,
    "WorkflowTest": WorkflowTestSpec,
}


def json_schema(workflow: type[BaseModel] = WorkflowSpec) -> dict[str, Any]:
    """The schema; ``workflow`` is the workflow model built from the registered step kinds
    (:attr:`engine.kinds.registry.StepKinds.workflow_model`), so a project's own kinds are in it."""
    models = {**KINDS, "Workflow": workflow}
    refs, defs = models_json_schema([(m, "validation") for m in models.values()], by_alias=True,
                                    ref_template="#/$defs/{model}")
    branches = []
    for kind, model in models.items():
        ref = refs[(model, "validation")]
        branches.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": ref})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tenantflow.dev/schema/tenantflow.schema.json",
        "title": "tenantflow YAML file",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"kind": {"enum": sorted(KINDS)}, "apiVersion": {"const": "tenantflow/v1"}},
        "allOf": branches,
        "$defs": defs.get("$defs", {}),
    }
