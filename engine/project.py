"""Load a whole project: YAML specs, skills, tools and bridges, all problems at once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from engine.errors import Problem, SpecError
from engine.kinds.registry import step_kinds
from engine.models.registry import ProviderKind, provider_kinds
from engine.policy.bundle import PolicyBundle, load_policies
from engine.skills.bridge import Bridge
from engine.skills.loader import load_bridges, load_skill_folder
from engine.skills.registry import SHARED, SkillRegistry
from engine.spec.hints import did_you_mean
from engine.spec.project import GatewaySpec, ModelEntry, ProjectSpec, ProviderSettings
from engine.spec.source import Document, load_document, load_plain
from engine.spec.tenant import TenantSpec
from engine.spec.validation import validate
from engine.spec.workflow import Step, WorkflowSpec
from engine.startup import gc_paused
from engine.tools.catalog import ToolCatalog
from engine.tools.isolation import silo_endpoints
from engine.tools.loader import load_gateway

PROJECT_FILE = "tenantflow.yaml"

S = TypeVar("S", bound=BaseModel)


@dataclass
class Loaded(Generic[S]):
    """A validated spec and the document it came from (for file:line:col)."""

    spec: S
    doc: Document
    path: Path


class TemplateFiles:
    """The text of the template files a project's workflows read, each read once per load.

    Resolving a workflow for a tenant reads its prompt files through here, so
    every tenant, the structure digest and the compiled graph see the same
    text even while files change on disk; a reload is a new project, with a
    new reading. ``None`` for a file that cannot be read (the check pass
    reports it, at the line that names it).
    """

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}

    def text(self, root: Path, name: str) -> str | None:
        """The text of ``name`` (relative to ``root``, the project's folder)."""
        if name not in self._texts:
            try:
                self._texts[name] = (root / name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[name] = None
        return self._texts[name]


@dataclass(frozen=True)
class Project:
    """A loaded project: every file validated and cross-checked; frozen (a reload loads a new one)."""

    root: Path
    project: Loaded[ProjectSpec]
    workflows: dict[str, Loaded[WorkflowSpec]]
    tenants: dict[str, Loaded[TenantSpec]]
    registry: SkillRegistry
    bridges: list[Bridge]
    #: The tool gateway's catalog: OpenAPI and MCP tools, what each tool needs to act for the user.
    tools: ToolCatalog = field(default_factory=lambda: ToolCatalog(GatewaySpec()))
    #: Cedar policies, parsed and validated against the project's schema.
    policies: PolicyBundle | None = None
    #: Prompt and other template files, read once per load.
    files: TemplateFiles = field(default_factory=TemplateFiles, compare=False, repr=False)
    #: What the compile passes derive from this load's files and share between tenants (a workflow as
    #: every tenant without overrides of it runs it), computed once per load.
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Names of workflows whose files did not load (``validate`` only: a project with problems does not
    #: run). What names them elsewhere is not reported again: the file's own problem is the root cause.
    broken_workflows: frozenset[str] = frozenset()

    @property
    def spec(self) -> ProjectSpec:
        return self.project.spec

    @cached_property
    def callable_workflows(self) -> frozenset[str]:
        """What a ``call`` step may name: every workflow, those whose file did not load included (a call of
        one is that file's problem, reported there)."""
        return frozenset(self.workflows) | self.broken_workflows

    @cached_property
    def workflow_outputs(self) -> dict[str, frozenset[str]]:
        """Each workflow's declared output keys (those that declare an ``output:``), for ``call`` steps."""
        return {name: frozenset(wf.spec.output) for name, wf in self.workflows.items() if wf.spec.output}

    def not_run_hint(self, tenant_id: str, workflow: str) -> str:
        """How a tenant comes to run a workflow it does not: the file and key to change."""
        runs = [w for w in sorted(self.workflows) if self._runs(tenant_id, w)]
        tenant = self.tenants.get(tenant_id)
        where = tenant.doc.file if tenant is not None else f"the tenant file of '{tenant_id}'"
        return (f"it runs: {', '.join(runs) or 'none'}; to run '{workflow}', add it to `workflows:` in {where}")

    def _runs(self, tenant_id: str, workflow: str) -> bool:
        tenant = self.tenants.get(tenant_id)
        return tenant is not None and (not tenant.spec.workflows or workflow in tenant.spec.workflows)

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding tenantflow.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise SpecError([Problem(str(start), 0, 0, "", f"no {PROJECT_FILE} here or in any parent folder",
                             hint="run `tenantflow init DIR` to create a project", code="no-project")])


def load_project(root: Path) -> Project:
    """Load and cross-check every file of the project at ``root``.

    Raises :class:`SpecError` listing every problem found, sorted by file
    and line; a project that loads is safe to compile.
    """
    project, problems = load_project_partial(root)
    if problems or project is None:
        raise SpecError(problems)
    return project


def load_project_partial(root: Path) -> tuple[Project | None, list[Problem]]:
    """Load what is sound and report the rest: workflows and tenants whose files have
    problems are left out, so ``validate`` can still compile everything else and
    report every problem in one pass. ``None`` if the project file itself is unusable.
    """
    with gc_paused():  # what a load makes lives as long as the project: see engine/startup.py
        return _load_project_partial(root.resolve())


def _load_project_partial(root: Path) -> tuple[Project | None, list[Problem]]:
    problems: list[Problem] = []
    project = _load(root / PROJECT_FILE, root, ProjectSpec, "project", problems)
    if project is None:
        return None, problems
    paths = project.spec.paths

    workflows: dict[str, Loaded[WorkflowSpec]] = {}
    broken: set[str] = set()
    for path in sorted((root / paths.workflows).glob("*.yaml")):
        loaded = _load(path, root, step_kinds().workflow_model, "workflow", problems)
        if loaded is None:
            broken.add(_name_of_broken(path))
            continue
        name = loaded.spec.metadata.name
        if name in workflows:
            problems.append(loaded.doc.problem(("metadata", "name"), f"workflow '{name}' is already defined in "
                                               f"{workflows[name].doc.file}", code="duplicate-workflow"))
            continue
        workflows[name] = loaded

    tenants: dict[str, Loaded[TenantSpec]] = {}
    tenant_root = root / paths.tenants
    for path in sorted(tenant_root.glob("*/tenant.yaml")):
        loaded_t = _load(path, root, TenantSpec, "tenant", problems)
        if loaded_t is None:
            continue
        tenant_id = loaded_t.spec.metadata.id
        if tenant_id != path.parent.name:
            problems.append(loaded_t.doc.problem(("metadata", "id"), f"tenant id '{tenant_id}' must match its "
                                                 f"folder name '{path.parent.name}'", code="tenant-folder"))
            continue
        tenants[tenant_id] = loaded_t

    registry = SkillRegistry()
    problems += load_skill_folder(root / paths.skills, SHARED, root, registry)
    for tenant_id in tenants:
        problems += load_skill_folder(tenant_root / tenant_id / "skills", tenant_id, root, registry)
    bridges, bridge_problems = load_bridges(root / paths.skills / "bridge", project.spec.bridge, root)
    problems += bridge_problems
    catalog, gateway_problems = load_gateway(root, project.spec.gateway, registry, project.doc)
    problems += gateway_problems
    catalog.silo, isolation_problems = silo_endpoints({t: (v.spec, v.doc) for t, v in tenants.items()},
                                                      project.spec.gateway)
    problems += isolation_problems

    loaded_project = Project(root, project, workflows, tenants, registry, bridges, tools=catalog,
                             broken_workflows=frozenset(broken - set(workflows)))
    problems += _cross_check(loaded_project)
    bad_files = {p.file for p in problems}
    # A skill file that does not import leaves its skills out (validate reports what names them only
    # once it imports); without the project file or the bridge chain nothing can be compiled.
    if PROJECT_FILE in bad_files or any(p.file.startswith(f"{paths.skills}/bridge/") or p.code.startswith("bridge")
                                        for p in problems):
        return None, problems
    # Policies are validated against a schema built from every skill and tool, so they load last;
    # a project whose policies do not validate does not load: nothing would decide its calls.
    policies, policy_problems = load_policies(
        root, project.spec.policy.folder, paths.tenants, tenants, registry.all(), catalog.schemas())
    if policy_problems:
        return None, problems + policy_problems
    return replace(loaded_project, policies=policies,
                   workflows={n: w for n, w in workflows.items() if w.doc.file not in bad_files},
                   tenants={t: v for t, v in tenants.items() if v.doc.file not in bad_files}), problems


def _name_of_broken(path: Path) -> str:
    """The name a workflow file that did not load gives itself, as far as it can be read (else its file name)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return path.stem
    try:
        name = load_plain(text)["metadata"]["name"]
        if isinstance(name, str):
            return name
    except Exception:  # noqa: BLE001, S110 (a file that does not parse: read its name as text below)
        pass
    found = _NAME_LINE.search(text)
    return found.group(1) if found else path.stem


_NAME_LINE = re.compile(r"\bname:\s*[\"']?([A-Za-z0-9][A-Za-z0-9_-]*)")


def _load(path: Path, root: Path, model: type[S], layer: str, problems: list[Problem]) -> Loaded[S] | None:
    display = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    doc, doc_problems = load_document(path, display, layer)
    problems += doc_problems
    if doc is None or doc_problems:
        return None
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), f"expected a mapping at the top of a {layer} file"))
        return None
    spec, spec_problems = validate(model, doc)
    problems += spec_problems
    return Loaded(spec, doc, path) if spec is not None else None


def iter_steps(steps: list[Step], path: tuple[str | int, ...] = ("steps",)) -> list[tuple[tuple[str | int, ...], Step]]:
    """Every step with its document path, nested ones (parallel branches, loop bodies) included."""
    return step_kinds().iter_steps(steps, path)


def _cross_check(project: Project) -> list[Problem]:
    """References between files: tiers, model aliases, override targets."""
    problems: list[Problem] = []
    spec, doc = project.spec, project.project.doc
    catalog = set(spec.models.catalog)
    providers = provider_kinds()
    for alias, entry in spec.models.catalog.items():
        problems += _check_provider(doc, ("models", "catalog", alias, "provider"), entry.provider, providers)
        problems += _check_options(doc, ("models", "catalog", alias), entry, spec.models.providers, providers)
    for name in spec.models.providers:
        problems += _check_provider(doc, ("models", "providers", name), name, providers, key=True)
    for tier_name, tier in spec.tiers.items():
        for i, alias in enumerate([tier.model, *tier.allowed_models]):
            if alias not in catalog:
                where = ("tiers", tier_name, "model") if i == 0 else ("tiers", tier_name, "allowed_models", i - 1)
                problems.append(doc.problem(where, f"unknown model alias '{alias}'",
                                            hint=did_you_mean(alias, catalog), code="unknown-model"))
    for wf in project.workflows.values():
        seen: dict[str, tuple[str | int, ...]] = {}
        for path, step in iter_steps(wf.spec.steps):
            if step.id is None:
                continue
            if step.id in seen:
                problems.append(wf.doc.problem((*path, "id"), f"duplicate step id '{step.id}' (first used at "
                                               f"{wf.doc.source(seen[step.id])})", code="duplicate-step"))
            else:
                seen[step.id] = path
    for tenant in project.tenants.values():
        t, tdoc = tenant.spec, tenant.doc
        if t.tier not in spec.tiers:
            problems.append(tdoc.problem(("tier",), f"unknown tier '{t.tier}'", hint=did_you_mean(t.tier, spec.tiers),
                                         code="unknown-tier"))
        for alias, entry in t.models.catalog.items():
            problems += _check_provider(tdoc, ("models", "catalog", alias, "provider"), entry.provider, providers)
            problems += _check_options(tdoc, ("models", "catalog", alias), entry, spec.models.providers, providers)
        own = set(t.models.catalog)
        clash = sorted(own & catalog)
        for alias in clash:
            problems.append(tdoc.problem(("models", "catalog", alias), f"model alias '{alias}' is already in the "
                                         "project catalog; a tenant's own models need their own names",
                                         key=True, code="model-clash"))
        if t.models.default is not None and t.models.default not in own | catalog:
            problems.append(tdoc.problem(("models", "default"), f"unknown model alias '{t.models.default}'",
                                         hint=did_you_mean(t.models.default, own | catalog), code="unknown-model"))
        for i, wf_name in enumerate(t.workflows):
            if wf_name not in project.workflows and wf_name not in project.broken_workflows:
                problems.append(tdoc.problem(("workflows", i), f"unknown workflow '{wf_name}'",
                                             hint=did_you_mean(wf_name, project.workflows), code="unknown-workflow"))
        for wf_name, override in t.overrides.items():
            if wf_name in project.broken_workflows:
                continue  # checked once the workflow's own file loads
            if wf_name not in project.workflows:
                problems.append(tdoc.problem(("overrides", wf_name), f"override of unknown workflow '{wf_name}'",
                                             hint=did_you_mean(wf_name, project.workflows), key=True,
                                             code="unknown-workflow"))
                continue
            ids = {s.id for _, s in iter_steps(project.workflows[wf_name].spec.steps) if s.id}
            for step_id in override.steps:
                if step_id not in ids:
                    problems.append(tdoc.problem(("overrides", wf_name, "steps", step_id),
                                                 f"override of unknown step '{step_id}' in workflow '{wf_name}'",
                                                 hint=did_you_mean(step_id, ids), key=True, code="unknown-step"))
            for i, insert in enumerate(override.insert):
                anchor = insert.after or insert.before
                field_name = "after" if insert.after else "before"
                if anchor is None or (insert.after and insert.before):
                    problems.append(tdoc.problem(("overrides", wf_name, "insert", i),
                                                 "an insert needs exactly one of 'after: STEP' or 'before: STEP'",
                                                 code="bad-insert"))
                elif anchor not in ids:
                    problems.append(tdoc.problem(("overrides", wf_name, "insert", i, field_name),
                                                 f"unknown step '{anchor}' in workflow '{wf_name}'",
                                                 hint=did_you_mean(anchor, ids), code="unknown-step"))
    return problems


def _check_options(doc: Document, path: tuple[str | int, ...], entry: ModelEntry,
                   settings: Mapping[str, ProviderSettings], providers: Mapping[str, ProviderKind]) -> list[Problem]:
    """A model's provider options (its own over the provider's), as its provider kind checks them."""
    kind = providers.get(entry.provider)
    if kind is None or kind.check is None:
        return []
    shared = settings[entry.provider].options if entry.provider in settings else {}
    return [doc.problem(path, message, code="provider-options") for message in kind.check({**shared, **entry.options})]


def _check_provider(doc: Document, path: tuple[str | int, ...], name: str, providers: Iterable[str], *,
                    key: bool = False) -> list[Problem]:
    if name in providers:
        return []
    return [doc.problem(path, f"unknown model provider '{name}'", key=key, code="unknown-provider",
                        hint=did_you_mean(name, providers))]
