"""Every workflow x tenant pair of a project, compiled through the pure passes.

``resolve -> lower -> check -> check_bindings`` is everything
:meth:`engine.engine.Engine.compile` proves before it emits the LangGraph
graph; the canonical description (:func:`engine.render.describe`) reads the
IR, not the emitted graph. Stopping before ``emit`` gives the same
description and the same problems without importing LangGraph, which is
most of the start-up time of a command on a small machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.compile.check import check, check_bindings
from engine.compile.ir import WorkflowIR
from engine.compile.lower import lower
from engine.compile.resolve import EffectiveWorkflow, TenantSettings, resolve_tenant, resolve_workflow
from engine.errors import CompileError, Problem
from engine.project import Project
from engine.render import describe

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
    checked: dict[str, list[Problem]] = {}
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


def compile_pair(project: Project, workflow: str, settings: TenantSettings,
                 checked: dict[str, list[Problem]] | None = None) -> CompiledPair:
    """Compile one pair; ``checked`` caches structural problems by digest (shared by equal structures)."""
    eff = resolve_workflow(project, workflow, settings.tenant_id)
    ir = lower(eff)
    cache = checked if checked is not None else {}
    if eff.digest not in cache:
        try:
            check(ir, eff.source)
            cache[eff.digest] = []
        except CompileError as exc:
            cache[eff.digest] = exc.problems
    problems = list(cache[eff.digest])
    try:
        check_bindings(ir, eff, settings, project.registry, project.workflows, str(project.root))
    except CompileError as exc:
        problems += exc.problems
    if problems:
        raise CompileError(problems)
    description = describe(ir, settings, project.registry, eff.digest)
    return CompiledPair(workflow, settings.tenant_id, eff, ir, settings, description)
