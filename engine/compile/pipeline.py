"""``compile_workflow``: resolve -> lower -> check -> bind, one pure pipeline; emit on demand.

The Engine, the review tools (graph, explain, snapshot, diff) and the CLI
all compile through here. Structural checks are the same for every tenant
whose effective workflow has the same digest, so a :class:`Checked` cache
runs them (and compiles the templates) once per structure; the per-tenant
binding check runs for each tenant.

Stopping before :meth:`Compiled.emit` gives the canonical description and
every problem without importing LangGraph's builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.compile.check import check, check_bindings
from engine.compile.lower import lower
from engine.compile.references import check_references
from engine.compile.resolve import EffectiveWorkflow, resolve_workflow
from engine.errors import CompileError, Problem
from engine.ir import WorkflowIR
from engine.kinds.registry import StepKinds, step_kinds
from engine.project import Project
from engine.tenancy import TenantSettings

if TYPE_CHECKING:
    from engine.compile.emit import Builder


@dataclass
class Checked:
    """Structures already lowered and checked, by digest: their IR (with compiled templates) and problems."""

    entries: dict[str, tuple[WorkflowIR, list[Problem]]] = field(default_factory=dict)


@dataclass
class Compiled:
    """One workflow as one tenant runs it: its effective spec and its checked IR."""

    workflow: str
    tenant: str
    effective: EffectiveWorkflow
    ir: WorkflowIR
    kinds: StepKinds

    @property
    def digest(self) -> str:
        return self.effective.digest

    def emit(self) -> Builder:
        """The LangGraph ``StateGraph`` of this structure (uncompiled)."""
        from engine.compile.emit import emit

        return emit(self.ir, self.effective.source, self.kinds)


def compile_workflow(project: Project, workflow: str, settings: TenantSettings, *,
                     checked: Checked | None = None, kinds: StepKinds | None = None,
                     effective: EffectiveWorkflow | None = None) -> Compiled:
    """Compile ``workflow`` for the tenant of ``settings``; raise CompileError with every problem.

    Structural and per-tenant problems are reported together, in one round. ``effective``: the tenant's
    resolved workflow, when the caller resolved it already (to look its digest up first).
    """
    kinds = kinds or step_kinds()
    cache = checked if checked is not None else Checked()
    # Tenants without overrides of the workflow share one resolution per load (resolve_workflow keeps it).
    eff = effective if effective is not None else resolve_workflow(project, workflow, settings.tenant_id, kinds)
    entry = cache.entries.get(eff.digest)
    if entry is None:
        ir = lower(eff, kinds)
        try:
            check(ir, eff.source, kinds)
            found: list[Problem] = []
        except CompileError as exc:
            found = exc.problems
        found += check_references(ir, eff.source, kinds, lambda file: project.files.text(project.root, file))
        entry = (ir, found)
        cache.entries[eff.digest] = entry
    ir, problems = entry
    problems = list(problems)
    try:
        check_bindings(ir, settings, project.registry, project.callable_workflows, eff.source, kinds,
                       project.workflow_outputs)
    except CompileError as exc:
        problems += exc.problems
    if problems:
        raise CompileError(problems)
    return Compiled(workflow, settings.tenant_id, eff, ir, kinds)
