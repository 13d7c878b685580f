"""Find and check workflow test files (``kind: WorkflowTest``), every problem at file:line:col.

Files live in ``<workflows>/tests/`` by default. Every name a file uses is
checked against the project before anything runs: the workflow, the
tenants (and whether they run it), mocked skills and tools, and each step
an expectation names, for each tenant the case runs for (a tenant's
override may insert steps the others do not have).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.compile.resolve import resolve_workflow
from engine.errors import CompileError, Problem, SpecError
from engine.kinds.registry import step_kinds
from engine.project import Project, iter_steps
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath, Document, load_document
from engine.spec.validation import validate
from engine.spec.workflow_test import CaseSpec, Expectation, MockSpec, WorkflowTestSpec

TESTS_DIR = "tests"
SUFFIXES = (".yaml", ".yml")


@dataclass
class WorkflowTestFile:
    path: Path
    doc: Document
    spec: WorkflowTestSpec

    @property
    def display(self) -> str:
        return self.doc.file


@dataclass(frozen=True)
class CaseRun:
    """One case of one file, for one tenant, with its expectations merged."""

    file: WorkflowTestFile
    index: int
    case: CaseSpec
    tenant: str
    expect: Expectation
    mocks: dict[str, MockSpec]

    @property
    def workflow(self) -> str:
        return self.file.spec.workflow

    @property
    def name(self) -> str:
        return f"{self.case.name} [{self.tenant}]"

    @property
    def line(self) -> int:
        return self.file.doc.source(("cases", self.index)).line

    def __str__(self) -> str:
        return f"{self.workflow}: {self.name}"


def default_folder(project: Project) -> Path:
    return project.root / project.spec.paths.workflows / TESTS_DIR


def discover(project: Project, paths: list[Path]) -> list[Path]:
    """Test files under ``paths`` (files or folders; default: ``<workflows>/tests/``), sorted."""
    found: set[Path] = set()
    for path in paths or [default_folder(project)]:
        if path.is_dir():
            found |= {p.resolve() for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES}
        elif path.is_file():
            found.add(path.resolve())
    return sorted(found)


def load_tests(project: Project, paths: list[Path], tenant: str | None = None) -> list[CaseRun]:
    """Every case run (case x tenant) of the files under ``paths``; SpecError listing every problem."""
    problems: list[Problem] = []
    runs: list[CaseRun] = []
    if tenant is not None and tenant not in project.tenants:
        raise SpecError([Problem("", 0, 0, "", f"unknown tenant '{tenant}'", did_you_mean(tenant, project.tenants),
                                 code="unknown-tenant")])
    for path in discover(project, paths):
        doc, doc_problems = load_document(path, project.display(path), "test")
        problems += doc_problems
        if doc is None or doc_problems:
            continue
        if not isinstance(doc.data, dict) or doc.data.get("kind") != "WorkflowTest":
            problems.append(doc.problem(("kind",) if isinstance(doc.data, dict) else (),
                                        "expected a workflow test file (kind: WorkflowTest)", code="not-a-test"))
            continue
        spec, spec_problems = validate(WorkflowTestSpec, doc)
        problems += spec_problems
        if spec is None:
            continue
        file = WorkflowTestFile(path, doc, spec)
        file_runs, file_problems = _check(project, file)
        problems += file_problems
        runs += [r for r in file_runs if tenant is None or r.tenant == tenant]
    if problems:
        raise SpecError(problems)
    return runs


def _check(project: Project, file: WorkflowTestFile) -> tuple[list[CaseRun], list[Problem]]:
    spec, doc = file.spec, file.doc
    if spec.workflow not in project.workflows:
        return [], [doc.problem(("workflow",), f"unknown workflow '{spec.workflow}'",
                                hint=did_you_mean(spec.workflow, project.workflows), code="unknown-workflow")]
    problems: list[Problem] = []
    runners = [t for t in sorted(project.tenants) if _runs(project, t, spec.workflow)]
    file_tenants = _check_tenants(project, doc, spec.tenants, ("tenants",), spec.workflow, problems) or runners
    problems += _check_mocks(project, doc, spec.mocks, ("mocks",))
    steps: dict[str, dict[str, str]] = {}
    for t in sorted(set(runners)):
        try:
            eff = resolve_workflow(project, spec.workflow, t)
        except CompileError as exc:
            problems += exc.problems
            continue
        steps[t] = {s.id: s.kind for _, s in iter_steps(eff.spec.steps) if s.id is not None}
    runs: list[CaseRun] = []
    for i, case in enumerate(spec.cases):
        where: DocPath = ("cases", i)
        tenants = file_tenants
        if case.tenants is not None:
            tenants = _check_tenants(project, doc, case.tenants, (*where, "tenants"), spec.workflow, problems)
        problems += _check_mocks(project, doc, case.mocks, (*where, "mocks"))
        mocks = {**spec.mocks, **case.mocks}
        for name in case.expect_by_tenant:
            if name not in tenants:
                problems.append(doc.problem((*where, "expect_by_tenant", name), f"tenant '{name}' is not one this "
                                            f"case runs for ({', '.join(tenants)})", key=True, code="unknown-tenant"))
        for t in tenants:
            expect = _merged(case.expect, case.expect_by_tenant.get(t))
            ids = steps.get(t)
            if ids is not None:
                given: list[tuple[DocPath, Expectation | None]] = [
                    (("expect",), case.expect), (("expect_by_tenant", t), case.expect_by_tenant.get(t))]
                for path, label in given:
                    if label is not None:
                        problems += _check_expectation(doc, label, (*where, *path), ids, t, spec.workflow, mocks)
            runs.append(CaseRun(file, i, case, t, expect, mocks))
    return runs, sorted(set(problems))


def _runs(project: Project, tenant: str, workflow: str) -> bool:
    listed = project.tenants[tenant].spec.workflows
    return not listed or workflow in listed


def _check_tenants(project: Project, doc: Document, tenants: list[str], where: DocPath, workflow: str,
                   problems: list[Problem]) -> list[str]:
    ok = []
    for j, t in enumerate(tenants):
        if t not in project.tenants:
            problems.append(doc.problem((*where, j), f"unknown tenant '{t}'", hint=did_you_mean(t, project.tenants),
                                        code="unknown-tenant"))
        elif not _runs(project, t, workflow):
            problems.append(doc.problem((*where, j), f"tenant '{t}' does not run workflow '{workflow}'",
                                        hint="add the workflow to the tenant's workflows list, or drop the tenant "
                                             "here", code="workflow-not-enabled"))
        else:
            ok.append(t)
    return ok


def _check_mocks(project: Project, doc: Document, mocks: dict[str, MockSpec], where: DocPath) -> list[Problem]:
    names = project.registry.names("skill") | project.registry.names("tool")
    return [doc.problem((*where, name), f"unknown skill or tool '{name}' to mock", hint=did_you_mean(name, names),
                        key=True, code="unknown-mock") for name in mocks if name not in names]


def _check_expectation(doc: Document, expect: Expectation, where: DocPath, ids: dict[str, str], tenant: str,
                       workflow: str, mocks: dict[str, MockSpec]) -> list[Problem]:
    problems: list[Problem] = []
    named: list[tuple[DocPath, str, bool]] = []
    for key in ("ran", "skipped"):
        named += [((*where, key, j), step, False) for j, step in enumerate(getattr(expect, key) or [])]
    for key in ("steps", "models"):
        named += [((*where, key, step), step, True) for step in getattr(expect, key) or {}]
    for path, step, is_key in named:
        if step not in ids:
            problems.append(doc.problem(path, f"workflow '{workflow}' has no step '{step}' for tenant '{tenant}'",
                                        hint=did_you_mean(step, ids), key=is_key, code="unknown-step"))
    for step in expect.models or {}:
        if step in ids and not step_kinds().kind(ids[step]).calls_model:
            problems.append(doc.problem((*where, "models", step), f"step '{step}' is a {ids[step]} step and calls "
                                        "no model", key=True, code="no-model-call"))
    for name in expect.calls or {}:
        if name not in mocks:
            problems.append(doc.problem((*where, "calls", name), f"'{name}' is not mocked in this case, so its calls "
                                        "are not recorded", hint="add it under mocks", key=True, code="unknown-mock"))
    return problems


def _merged(base: Expectation, extra: Expectation | None) -> Expectation:
    if extra is None:
        return base
    data: dict[str, Any] = base.model_dump(exclude_unset=True)
    data.update(extra.model_dump(exclude_unset=True))
    return Expectation.model_validate(data)
