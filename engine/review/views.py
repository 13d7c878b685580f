"""What a reviewer compares in a compiled pair, and which layer set each value.

A :class:`PairView` flattens one compiled workflow x tenant pair into fields
per node (``llm.prompt``, ``retry.attempts``, ``model.alias``,
``guardrails.pii.phone``, ...), each with the :class:`Cause` that set it:
the workflow, the tenant's override, its tier, the model catalog, a skill
file, the project or the tenant file. Values come from validated specs, so
key order, comments and shorthand (``reply: string``) never show as changes.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.compile.tracked import lookup
from engine.ir import IRNode
from engine.kinds.registry import step_kinds
from engine.project import PROJECT_FILE, Project
from engine.review.pairs import CompiledPair
from engine.spec.source import DocPath, Document, Source, format_path, load_plain

#: Cause scopes, most specific first: when two sides disagree on who set a
#: changed value, the more specific one is the reason.
SCOPES = ("override", "own", "tenant", "tier", "catalog", "skill", "project", "workflow", "engine")


@dataclass(frozen=True, order=True)
class Cause:
    """Who set a value: a scope (see :data:`SCOPES`) and its name (workflow, tenant, tier, alias, ...).

    ``own`` is a tenant's own skill or tool implementation (named by the tenant).
    """

    scope: str
    name: str

    def rank(self) -> int:
        return SCOPES.index(self.scope)


def more_specific(a: Cause, b: Cause) -> Cause:
    return a if a.rank() <= b.rank() else b


@dataclass(frozen=True)
class Value:
    """One field's value and cause; ``depends`` names the field it is resolved from (if any)."""

    value: Any
    cause: Cause
    depends: str = ""


@dataclass
class NodeView:
    kind: str
    #: Who wrote the step the node runs (the workflow, or a tenant's override that inserted it).
    cause: Cause
    fields: dict[str, Value] = field(default_factory=dict)
    #: (label, target) -> who wrote the edge.
    edges: dict[tuple[str, str], Cause] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """The node's values without ids or edges: equal content across a rename means a rename."""
        return {"kind": self.kind, **{k: v.value for k, v in self.fields.items()}}


@dataclass
class PairView:
    workflow: str
    tenant: str
    tier: str
    nodes: dict[str, NodeView]
    #: Workflow-level fields: input, output, memory, metadata.
    header: dict[str, Value]
    description: dict[str, Any]


#: A template file's text is a field of its own, after the field that names the file: ``llm.prompt text``.
TEXT_SUFFIX = " text"
CODE = "implementation.code"


class Locator:
    """Maps a Source to the Cause that set it, for one project."""

    def __init__(self, project: Project):
        self.project = project
        self._docs: dict[str, tuple[str, str, Document]] = {PROJECT_FILE: ("project", "", project.project.doc)}
        for name, wf in project.workflows.items():
            self._docs[wf.doc.file] = ("workflow", name, wf.doc)
        for tenant_id, tenant in project.tenants.items():
            self._docs[tenant.doc.file] = ("tenant", tenant_id, tenant.doc)
        self._positions: dict[str, dict[tuple[int, int], DocPath]] = {}

    def doc_path(self, source: Source) -> DocPath:
        """The path of ``source`` inside its file (looked up by position if the source does not carry it)."""
        if source.path:
            return source.path
        found = self._docs.get(source.file)
        if found is None:
            return ()
        index = self._positions.get(source.file)
        if index is None:
            index = {}
            # Where a mapping and its first value start at one position, the longer path is the value.
            for path, src in sorted(found[2].values.items(), key=lambda item: len(item[0])):
                index[(src.line, src.col)] = path
            self._positions[source.file] = index
        return index.get((source.line, source.col), ())

    def document(self, file: str) -> Document | None:
        found = self._docs.get(file)
        return found[2] if found is not None else None

    def cause(self, source: Source, *, workflow: str = "") -> Cause:
        found = self._docs.get(source.file)
        if source.file.startswith("<") or found is None:
            return Cause("engine", source.file) if source.file.startswith("<") else Cause("workflow", workflow)
        kind, name, _ = found
        path = self.doc_path(source)
        if kind == "project":
            if len(path) > 1 and path[0] == "tiers":
                return Cause("tier", str(path[1]))
            if len(path) > 2 and path[:2] == ("models", "catalog"):
                return Cause("catalog", str(path[2]))
            return Cause("project", str(path[0]) if path else "")
        if kind == "tenant":
            return Cause("override", name) if path[:1] == ("overrides",) else Cause("tenant", name)
        return Cause("workflow", name)


def flatten(data: Any, prefix: tuple[str | int, ...] = ()) -> dict[tuple[str | int, ...], Any]:
    """Leaves of a JSON-like tree by path; lists of scalars are one leaf, empty containers too."""
    if isinstance(data, dict) and data:
        out: dict[tuple[str | int, ...], Any] = {}
        for key in sorted(data, key=str):
            out.update(flatten(data[key], (*prefix, str(key))))
        return out
    if isinstance(data, list) and data and any(isinstance(x, (dict, list)) for x in data):
        out = {}
        for i, item in enumerate(data):
            out.update(flatten(item, (*prefix, i)))
        return out
    return {prefix: data}


def code_digest(path: Path) -> str:
    """A digest of a skill file's meaning: Python by its syntax tree (comments and layout do not count)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return ""
    key = (path.suffix, hashlib.sha256(raw).hexdigest())
    if key not in _DIGESTS:
        _DIGESTS[key] = _meaning_digest(path, raw.decode("utf-8", "replace"))
    return _DIGESTS[key]


#: (suffix, content hash) -> meaning digest: every pair of both sides names the same few files.
_DIGESTS: dict[tuple[str, str], str] = {}


def _meaning_digest(path: Path, text: str) -> str:
    if path.suffix == ".py":
        try:
            text = ast.dump(ast.parse(text))
        except SyntaxError:
            pass
    elif path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            text = json.dumps(load_plain(text), sort_keys=True, default=str)
        except yaml.YAMLError:
            pass
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def pair_view(pair: CompiledPair, project: Project, locator: Locator) -> PairView:
    eff, ir, settings = pair.effective, pair.ir, pair.settings
    described = {n["id"]: n for n in pair.description["nodes"]}

    def step_cause(path: DocPath) -> Cause:
        return locator.cause(lookup(eff.provenance, path), workflow=pair.workflow)

    nodes: dict[str, NodeView] = {}
    for node in ir.nodes.values():
        # A step's id says who wrote it: an override merged into a step keeps the workflow's id.
        is_step = node.step is not None and node.kind == node.step.kind
        has_id = is_step and node.step is not None and node.step.id is not None
        view = NodeView(node.kind, step_cause((*node.path, "id") if has_id else node.path))
        if is_step:
            _step_fields(node, view, step_cause, eff.templates)
        resolved = described.get(node.id, {})
        if "model" in resolved:
            _model_fields(node, view, resolved["model"], pair, locator)
        if "implementation" in resolved:
            _implementation_fields(view, node.kind, resolved, pair, project)
        if node.kind in ("guard_input", "guard_output"):
            guard = settings.guardrails.model_dump(mode="json")
            for key, value in flatten(guard, ("guardrails",)).items():
                src = lookup(settings.provenance, key)
                view.fields[format_path(key)] = Value(value, locator.cause(src))
        if node.kind == "memory_load":
            view.fields["memory.read"] = Value(list(eff.spec.memory.read), step_cause(("memory", "read")))
        nodes[node.id] = view
    for edge in ir.edges:
        if edge.source in nodes:
            where = edge.path or ir.nodes[edge.source].path
            nodes[edge.source].edges[(edge.label, edge.target)] = step_cause(where)

    header: dict[str, Value] = {}
    spec = eff.spec.model_dump(mode="json", by_alias=True, exclude_none=True,
                               include={"metadata", "input", "output", "memory"})
    for key, value in flatten(spec).items():
        header[format_path(key)] = Value(value, Cause("workflow", pair.workflow))
    return PairView(pair.workflow, pair.tenant, settings.tier, nodes, header, pair.description)


def _step_fields(node: IRNode, view: NodeView, step_cause: Any, templates: dict[str, str]) -> None:
    step = node.step
    assert step is not None
    kind = step_kinds().of(step)
    key = step.kind
    data = step.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"id", kind.field_name or key})
    data[key] = kind.view(step.body)
    for path, value in flatten(data).items():
        view.fields[format_path(path)] = Value(value, step_cause((*node.path, *path)))
    for sub, name in kind.step_files(step):
        if name in templates:
            field_name = format_path((key, *sub))
            view.fields[field_name + TEXT_SUFFIX] = Value(templates[name], view.fields[field_name].cause,
                                                          depends=field_name)


def _model_fields(node: IRNode, view: NodeView, model: dict[str, Any], pair: CompiledPair, locator: Locator) -> None:
    settings = pair.settings
    requested = model["requested"]
    if requested == "tier":
        cause = locator.cause(lookup(settings.provenance, ("model",)))
    else:
        cause = view.fields["llm.model"].cause if "llm.model" in view.fields else Cause("workflow", pair.workflow)
    alias = model["alias"]
    # The catalog entry is the project's, or the tenant's own model.
    project_catalog = locator.project.spec.models.catalog
    entry_cause = Cause("catalog", alias) if alias in project_catalog else Cause("tenant", pair.tenant)
    view.fields["model.alias"] = Value(alias, cause, depends="llm.model")
    view.fields["model.model_id"] = Value(model["model_id"], entry_cause, depends="model.alias")
    view.fields["model.provider"] = Value(model["provider"], entry_cause, depends="model.alias")
    entry = settings.catalog.get(alias)
    if entry is not None:
        for key, value in flatten(entry.model_dump(mode="json", exclude={"model_id", "provider", "description"}),
                                  ("model",)).items():
            view.fields[format_path(key)] = Value(value, entry_cause, depends="model.alias")


def _implementation_fields(view: NodeView, kind: str, resolved: dict[str, Any], pair: CompiledPair,
                           project: Project) -> None:
    """Which implementation serves a step that names one (a skill or a tool), under the kind's own key."""
    impl = resolved["implementation"]
    name = str(resolved.get(kind) or "").partition("@")[0]
    depends = kind
    # The tenant's own implementation, or the shared one every tenant without its own gets.
    cause = Cause("own", pair.tenant) if impl["scope"] == pair.tenant else Cause("skill", name)
    # Which implementation serves the step follows from its name; the rest follows from which one it is.
    view.fields["implementation.scope"] = Value(impl["scope"], cause, depends=depends)
    for key in ("version", "source"):
        view.fields[f"implementation.{key}"] = Value(impl[key], cause, depends="implementation.scope")
    digest = code_digest(project.root / impl["source"])
    view.fields[CODE] = Value(f"{impl['source']}#{digest}", cause, depends="implementation.source")
