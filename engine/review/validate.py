"""``tenantflow validate``: every file, and every workflow compiled for every tenant that runs it.

A workflow no tenant runs is still compiled, against the defaults of each
tier (a stand-in tenant per tier, entitled to every tool), so a new workflow
file is checked before the first tenant lists it; a warning names the tenant
files that could. A template using a reference against its declared type
(``template-type``) is a warning too. Problems that only follow from another
are not reported twice: a tenant naming a workflow whose file did not load,
or a step naming a skill while a skill file failed to import, waits for that
file's fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.compile.pipeline import Checked, compile_workflow
from engine.compile.resolve import resolve_tenant
from engine.errors import CompileError, Problem
from engine.project import Loaded, Project, load_project_partial
from engine.spec.source import Document
from engine.spec.tenant import TenantSpec
from engine.startup import gc_paused

#: Compile problems that a skill file failing to import explains (the skill it defines is missing).
_FOLLOWS_FROM_SKILL_FILES = frozenset({"unknown-skill"})


@dataclass
class Validation:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: workflow x tenant pairs compiled (tier stand-ins not counted).
    pairs: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"ok": not self.problems, "pairs": self.pairs,
                "problems": [_problem_json(p) for p in self.problems],
                "warnings": [_problem_json(p) for p in self.warnings]}


def _problem_json(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "col": p.col, "location": p.location, "message": p.message,
            "hint": p.hint, "code": p.code}


def validate_project(root: Path) -> Validation:
    # A validation makes long-lived objects (the project, every tenant's settings, one IR per structure) and
    # little cyclic garbage: with the collector on, its passes over 10,000 tenants' objects took a third of it.
    with gc_paused():
        return _validate_project(root)


def _validate_project(root: Path) -> Validation:
    from engine.engine import Engine

    project, problems = load_project_partial(root)
    result = Validation()
    if project is None:
        result.problems = sorted(set(problems))
        return result
    engine = Engine(project)
    # Compiled to the checked IR, not emitted: emitting a LangGraph graph finds no problem the passes
    # do not, and cost about 10 ms and 0.3 MB per structure (1,000 structures: 10 s).
    checked = Checked()
    compiled: list[Problem] = []
    warnings: set[Problem] = set()
    for tenant in sorted(project.tenants):
        try:
            settings = engine.settings(tenant)
        except CompileError as exc:
            problems += exc.problems
            continue
        for workflow in sorted(project.workflows):
            if not settings.runs(workflow):
                continue
            try:
                warnings.update(compile_workflow(project, workflow, settings, checked=checked,
                                                 kinds=engine.graphs.kinds).ir.warnings)
                result.pairs += 1
            except CompileError as exc:
                compiled += exc.problems
    unlisted = [w for w in sorted(project.workflows) if not any(
        not t.spec.workflows or w in t.spec.workflows for t in project.tenants.values())]
    if unlisted:
        compiled += _compile_for_tiers(project, unlisted, warnings)
        warnings.update(_unlisted_warning(project, w) for w in unlisted)
    result.warnings = sorted(warnings)
    if any(p.code == "skill-import" for p in problems):
        compiled = [p for p in compiled if p.code not in _FOLLOWS_FROM_SKILL_FILES]
    result.problems = sorted(set(problems + compiled))
    return result


def tier_stand_ins(project: Project) -> tuple[Project, dict[str, str]]:
    """``project`` with one stand-in tenant per tier (its defaults, every tool entitled): tier -> tenant id."""
    tenants = dict(project.tenants)
    ids: dict[str, str] = {}
    for tier in sorted(project.spec.tiers):
        tenant_id = f"{tier}-tier-defaults"
        while tenant_id in tenants:
            tenant_id += "-"
        data = {"apiVersion": "tenantflow/v1", "kind": "Tenant",
                "metadata": {"id": tenant_id, "name": f"the defaults of tier {tier}"},
                "tier": tier, "entitlements": {"tools": ["*"]}}
        doc = Document(f"<defaults of tier {tier}>", data, {}, {})
        tenants[tenant_id] = Loaded(TenantSpec.model_validate(data), doc,
                                    project.root / project.spec.paths.tenants / tenant_id / "tenant.yaml")
        ids[tier] = tenant_id
    return replace(project, tenants=tenants), ids


def _compile_for_tiers(project: Project, workflows: list[str], warnings: set[Problem]) -> list[Problem]:
    stand_in, ids = tier_stand_ins(project)
    checked = Checked()
    problems: list[Problem] = []
    for tenant_id in ids.values():
        try:
            settings = resolve_tenant(stand_in, tenant_id)
        except CompileError as exc:
            problems += exc.problems
            continue
        for workflow in workflows:
            try:
                warnings.update(compile_workflow(stand_in, workflow, settings, checked=checked).ir.warnings)
            except CompileError as exc:
                problems += exc.problems
    return problems


def _unlisted_warning(project: Project, workflow: str) -> Problem:
    wf = project.workflows[workflow]
    files = [t.doc.file for _, t in sorted(project.tenants.items())]
    hint = (f"to run it, add it to `workflows:` in {_listing(files)}" if files
            else "no tenant file exists yet to list it")
    tiers = ", ".join(sorted(project.spec.tiers))
    return wf.doc.problem(("metadata", "name"), f"no tenant runs workflow '{workflow}': it was checked against the "
                          f"defaults of every tier ({tiers})", hint=hint, code="workflow-unlisted")


def _listing(files: list[str], limit: int = 5) -> str:
    shown = ", ".join(files[:limit])
    return shown + (f" and {len(files) - limit} more tenant files" if len(files) > limit else "")
