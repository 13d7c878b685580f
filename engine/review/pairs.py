"""Every workflow x tenant pair of a project, compiled through :func:`engine.compile.pipeline.compile_workflow`.

The same pipeline as the Engine's; the canonical description
(:func:`engine.compile.render.describe`) reads the IR, not the emitted
graph, so review tools stop before ``emit`` and never import LangGraph's
builder, most of the start-up time of a command on a small machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.compile.pipeline import Checked, compile_workflow
from engine.compile.render import describe
from engine.compile.resolve import EffectiveWorkflow, resolve_tenant
from engine.errors import CompileError, Problem
from engine.ir import WorkflowIR
from engine.project import Project
from engine.tenancy import TenantSettings

PairKey = tuple[str, str]


@dataclass
class CompiledPair:
    """One workflow as one tenant runs it: effective spec, IR and canonical description."""

    workflow: str
    tenant: str
    effective: EffectiveWorkflow
    ir: WorkflowIR
    settings: TenantSettings
    description: dict[str, Any]


@dataclass
class ProjectPairs:
    """Every pair of a project that compiled, and the problems of those that did not."""

    project: Project
    settings: dict[str, TenantSettings] = field(default_factory=dict)
    pairs: dict[PairKey, CompiledPair] = field(default_factory=dict)
    #: Pairs the tenant runs that did not compile, with their problems.
    failed: dict[PairKey, list[Problem]] = field(default_factory=dict)
    #: Tenants whose settings did not resolve, with their problems.
    failed_tenants: dict[str, list[Problem]] = field(default_factory=dict)

    @property
    def problems(self) -> list[Problem]:
        found = [p for ps in self.failed.values() for p in ps]
        found += [p for ps in self.failed_tenants.values() for p in ps]
        return sorted(set(found))

    def runs(self, tenant: str) -> list[str]:
        """Workflows ``tenant`` runs (compiled or not), sorted."""
        settings = self.settings.get(tenant)
        if settings is None:
            return []
        return sorted(w for w in self.project.workflows if settings.runs(w))


def compile_pairs(project: Project, *, tenants: list[str] | None = None,
                  workflows: list[str] | None = None) -> ProjectPairs:
    """Compile every pair (or those of ``tenants`` / ``workflows``), collecting problems per pair."""
    out = ProjectPairs(project)
    checked = Checked()
    for tenant in sorted(project.tenants if tenants is None else tenants):
        try:
            settings = resolve_tenant(project, tenant)
        except CompileError as exc:
            out.failed_tenants[tenant] = exc.problems
            continue
        out.settings[tenant] = settings
        for workflow in sorted(project.workflows if workflows is None else workflows):
            if not settings.runs(workflow):
                continue
            try:
                out.pairs[(workflow, tenant)] = compile_pair(project, workflow, settings, checked)
            except CompileError as exc:
                out.failed[(workflow, tenant)] = exc.problems
    return out


def compile_pair(project: Project, workflow: str, settings: TenantSettings, checked: Checked | None = None,
                 ) -> CompiledPair:
    """Compile one pair; ``checked`` shares structural checks between equal structures."""
    compiled = compile_workflow(project, workflow, settings, checked=checked)
    eff, ir = compiled.effective, compiled.ir
    description = describe(ir, settings, project.registry, eff.digest, compiled.kinds)
    return CompiledPair(workflow, settings.tenant_id, eff, ir, settings, description)
