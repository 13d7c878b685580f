"""Why a tenant gets what it gets: its effective configuration, each value with the file and line that set it.

Two parts: the tenant's settings (tier, model, guardrails, quotas,
entitlements, isolation), merged project -> tier -> tenant, and the
workflow as the tenant runs it (its overrides applied). Each value names
its layer (project, tier, tenant, override, workflow), or ``default`` when
no file sets it, or ``built-in`` for a built-in guardrail profile. LLM and
skill steps also say what they resolve to for this tenant: the model alias
and id, the implementation file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.compile.resolve import EffectiveWorkflow, resolve_tenant, resolve_workflow
from engine.errors import Problem, SpecError
from engine.ir import IRNode
from engine.kinds.registry import step_kinds
from engine.project import Project, iter_steps
from engine.review.views import Locator, flatten
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath, Source
from engine.tenancy import TenantSettings

#: How wide a value may be in the text table before it is cut.
VALUE_WIDTH = 48
#: Cause scope -> the layer a reader knows it by.
_LAYERS = {"override": "override", "own": "tenant", "tenant": "tenant", "tier": "tier", "catalog": "project",
           "project": "project", "workflow": "workflow", "engine": "built-in", "skill": "skill"}


@dataclass(frozen=True)
class Entry:
    """One effective value and where it came from."""

    path: str
    value: Any
    #: ``file:line:col``, or ``(default)``, or a built-in source such as ``<built-in profile default>``.
    source: str
    layer: str
    #: What the value resolves to for this tenant, or how it was set (``via profile hipaa``).
    note: str = ""


@dataclass
class Explanation:
    workflow: str
    tenant: str
    tier: str
    settings: list[Entry]
    steps: list[Entry]

    def entries(self) -> list[Entry]:
        return [*self.settings, *self.steps]


def explain(project: Project, workflow: str, tenant: str) -> Explanation:
    """The effective configuration of ``workflow`` for ``tenant``, with provenance."""
    if tenant not in project.tenants:
        raise SpecError([Problem("", 0, 0, "", f"unknown tenant '{tenant}'", did_you_mean(tenant, project.tenants),
                                 code="unknown-tenant")])
    settings = resolve_tenant(project, tenant)
    if workflow not in project.workflows or not settings.runs(workflow):
        listed = workflow in project.workflows
        whose = f" for tenant '{tenant}'" if listed else ""
        hint = project.not_run_hint(tenant, workflow) if listed else did_you_mean(workflow, project.workflows)
        raise SpecError([Problem("", 0, 0, "", f"unknown workflow '{workflow}'{whose}", hint,
                                 code="unknown-workflow")])
    eff = resolve_workflow(project, workflow, tenant)
    locator = Locator(project)
    return Explanation(workflow, tenant, settings.tier, _settings_entries(project, settings, locator),
                       _workflow_entries(project, eff, settings, locator))


def _where(prov: Mapping[DocPath, Source], locator: Locator, path: DocPath) -> tuple[str, str, str]:
    """(source text, layer, note) of the value at ``path``."""
    if path not in prov:
        return "(default)", "default", ""  # only an ancestor was written: the value is the spec's default
    src = prov[path]
    if src.file.startswith("<"):
        return src.file, "built-in", ""
    layer = _LAYERS[locator.cause(src).scope]
    doc = locator.document(src.file)
    if src.path:
        if doc is not None and src.path not in doc.values:
            return "(default)", "default", ""
        return str(src), layer, ""
    # A value from a named guardrail profile: its source is where the profile was named.
    written = locator.doc_path(src)
    if written[-1:] == ("profile",) and path[-1:] != ("profile",):
        return str(src), layer, f"via profile {_profile_at(locator, src)}"
    return str(src), layer, ""


def _profile_at(locator: Locator, src: Source) -> str:
    doc = locator.document(src.file)
    if doc is None:
        return "?"
    value: Any = doc.data
    for part in locator.doc_path(src):
        value = value[part]
    return str(value)


def _settings_entries(project: Project, settings: TenantSettings, locator: Locator) -> list[Entry]:
    tree: dict[str, Any] = {
        "tier": settings.tier,
        "model": settings.default_model,
        "guardrails": settings.guardrails.model_dump(mode="json"),
        "quotas": settings.quotas.model_dump(mode="json", exclude_none=True),
        "entitlements": settings.entitlements.model_dump(mode="json"),
        "isolation": settings.isolation.model_dump(mode="json"),
    }
    entries: list[Entry] = []
    for path, value in flatten(tree).items():
        where, layer, note = _where(settings.provenance, locator, path)
        if path == ("model",):
            entry = settings.catalog.get(settings.default_model)
            if entry is not None:
                note = f"{entry.provider}: {entry.model_id}"
        entries.append(Entry(_render(path), value, where, layer, note))
    tenant = project.tenants[settings.tenant_id]
    if "workflows" in tenant.doc.data:
        src = tenant.doc.source(("workflows",))
        entries.append(Entry("workflows", sorted(settings.workflows), str(src), "tenant"))
    else:
        entries.append(Entry("workflows", "(all)", "(default)", "default"))
    # A silo tenant's own tool deployments: set in its tenant file only (engine.tools.isolation).
    for name, url in sorted(tenant.spec.gateway.endpoints.items()):
        src = tenant.doc.source(("gateway", "endpoints", name))
        entries.append(Entry(f"gateway.endpoints.{name}", url, str(src), "tenant"))
    return entries


def _workflow_entries(project: Project, eff: EffectiveWorkflow, settings: TenantSettings,
                      locator: Locator) -> list[Entry]:
    names = _step_names(eff)
    entries: list[Entry] = []
    for path, value in flatten(eff.data).items():
        where, layer, _ = _where(eff.provenance, locator, path)
        entries.append(Entry(_render(path, names), value, where, layer))
    # What each step resolves to for this tenant (its kind's canonical description): the model, the implementation.
    kinds = step_kinds()
    for doc_path, step in iter_steps(eff.spec.steps):
        base = _render(doc_path, names)
        index = {e.path: i for i, e in enumerate(entries)}
        described = kinds.of(step).describe(IRNode(step.id or "", step.kind, step, doc_path), step.body, settings,
                                            project.registry)
        if "model" in described:
            key = f"{base}.{step.kind}.model"
            note = _model_note(described["model"]["requested"], settings, locator)
            if key in index:
                entries[index[key]] = _with_note(entries[index[key]], note)
            else:
                last = max(i for p, i in index.items() if p.startswith(f"{base}.{step.kind}."))
                entries.insert(last + 1, Entry(key, "tier", "(default)", "default", note))
        impl = described.get("implementation")
        key = f"{base}.{step.kind}"
        if impl is not None and key in index:
            whose = "the tenant's own" if impl["scope"] == settings.tenant_id else "shared"
            note = f"{whose} implementation, version {impl['version']}: {impl['source']}"
            entries[index[key]] = _with_note(entries[index[key]], note)
    return entries


def _model_note(requested: str, settings: TenantSettings, locator: Locator) -> str:
    alias = settings.default_model if requested == "tier" else requested
    entry = settings.catalog.get(alias)
    target = f"{alias} ({entry.provider}: {entry.model_id})" if entry is not None else alias
    if requested != "tier":
        return f"pinned: {target}"
    where, layer, _ = _where(settings.provenance, locator, ("model",))
    return f"-> {target}, set by {where} ({layer})"


def _with_note(entry: Entry, note: str) -> Entry:
    return Entry(entry.path, entry.value, entry.source, entry.layer, note)


def _step_names(eff: EffectiveWorkflow) -> dict[DocPath, str]:
    """Document path of each step with an id -> its id (paths show ids, not list positions)."""
    return {path: step.id for path, step in iter_steps(eff.spec.steps) if step.id is not None}


def _render(path: DocPath, names: dict[DocPath, str] | None = None) -> str:
    """``("steps", 4, "llm", "model")`` -> ``steps.draft.llm.model`` (``steps[6]`` for a step without id)."""
    out = ""
    for i, part in enumerate(path):
        step_id = names.get(path[: i + 1]) if names else None
        if step_id is not None:
            out += f".{step_id}"
        elif isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_path(text: str) -> list[str]:
    """``steps.draft.llm`` or ``steps[4].llm`` -> components."""
    return [p for p in re.split(r"\.|\[|\]", text) if p]


def select(explanation: Explanation, path: str | None) -> list[Entry]:
    """The entries at or under ``path`` (all without one); SpecError with a did-you-mean if none."""
    entries = explanation.entries()
    if not path:
        return entries
    wanted = parse_path(path)
    found = [e for e in entries if parse_path(e.path)[: len(wanted)] == wanted]
    if found:
        return found
    known = sorted({".".join(parse_path(e.path)[: len(wanted)]) for e in entries})
    raise SpecError([Problem("", 0, 0, "", f"no value at '{path}' in {explanation.workflow} for tenant "
                             f"'{explanation.tenant}'", did_you_mean(".".join(wanted), known), code="unknown-path")])


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    first = text.splitlines()[0] if text else '""' if isinstance(value, str) else text
    cut = first if len(first) <= VALUE_WIDTH and "\n" not in text else first[: VALUE_WIDTH - 3] + "..."
    return cut


def to_text(explanation: Explanation, path: str | None = None) -> str:
    chosen = select(explanation, path)
    settings = {id(e) for e in explanation.settings}
    out = [f"{explanation.workflow} for tenant {explanation.tenant} (tier {explanation.tier})"]
    width = max((len(e.path) for e in chosen), default=0)
    values = [_show(e.value) for e in chosen]
    value_width = max((len(v) for v in values), default=0)
    where_width = max((len(e.source) for e in chosen), default=0)
    section = ""
    for entry, value in zip(chosen, values, strict=True):
        title = "settings" if id(entry) in settings else "workflow"
        if title != section:
            out += ["", title.capitalize()]
            section = title
        line = f"  {entry.path:<{width}}  {value:<{value_width}}  {entry.source:<{where_width}}  {entry.layer}"
        if entry.note:
            line += f"  ({entry.note})"
        out.append(line.rstrip())
    return "\n".join(out) + "\n"


def to_json(explanation: Explanation, path: str | None = None) -> str:
    chosen = select(explanation, path)
    settings = {id(e) for e in explanation.settings}
    data = {
        "workflow": explanation.workflow, "tenant": explanation.tenant, "tier": explanation.tier,
        "values": [{"section": "settings" if id(e) in settings else "workflow", "path": e.path, "value": e.value,
                    "source": e.source, "layer": e.layer, "note": e.note} for e in chosen],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
