"""Resolve: the effective workflow and settings of one tenant, with provenance.

Layers merge in this order, each value remembering the file and line that
set it: project -> tier -> tenant -> the tenant's overrides of the workflow.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from engine.compile.tracked import (
    Provenance,
    Tracked,
    constant,
    key_provenance,
    lookup,
    merge,
    plain,
    provenance,
    track,
)
from engine.errors import CompileError, Problem
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.merge import MandatoryRuleError, merge_configs
from engine.guardrails.profiles import profile_layer
from engine.kinds.registry import StepKinds, step_kinds
from engine.project import Project
from engine.spec.project import Quotas
from engine.spec.source import DocPath, Document, Source, format_path
from engine.spec.validation import problems_from
from engine.spec.workflow import WorkflowSpec
from engine.telemetry.content import CONTENT_FORBIDDEN_PROFILES
from engine.tenancy import TenantSettings


@dataclass(frozen=True)
class EffectiveWorkflow:
    """A workflow as one tenant runs it: overrides applied, sources kept."""

    name: str
    tenant_id: str
    spec: WorkflowSpec
    data: dict[str, Any]
    provenance: dict[DocPath, Source] = field(repr=False)
    #: Digest of the structure: tenants with equal digests share a compiled graph.
    digest: str
    #: Project-relative template files the workflow reads, with their contents.
    templates: dict[str, str] = field(repr=False)

    def source(self, path: DocPath) -> Source:
        return lookup(self.provenance, path)

    def problem(self, path: DocPath, message: str, *, hint: str = "", code: str = "") -> Problem:
        src = self.source(path)
        return Problem(src.file, src.line, src.col, format_path(src.path or path), message, hint, code)


def resolve_tenant(project: Project, tenant_id: str) -> TenantSettings:
    """Merge project -> tier -> tenant into the tenant's effective settings.

    The project and tier layers are merged once per tier and shared (:func:`_tier_layers`); a tenant pays
    only for what its own file sets, so resolving 10,000 pooled tenants is 10,000 small merges. Provenance
    (each value with the file and line that set it) is built when asked (``explain``, ``diff``), not at
    load: it needs the line tables of the tenant's file, which a tenant that only runs never reads.
    """

    tenant = project.tenants[tenant_id]
    t, tdoc = tenant.spec, tenant.doc
    shared = _tier_layers(project, t.tier)
    if isinstance(shared, CompileError):
        raise CompileError(list(shared.problems))
    tier = project.spec.tiers[t.tier]

    default_model = t.models.default if t.models.default is not None else tier.model
    allowed = shared.allowed
    catalog = project.spec.models.catalog
    if t.models.default is not None or t.models.catalog:
        allowed = frozenset({*allowed, *t.models.catalog, *([t.models.default] if t.models.default else [])})
        catalog = {**catalog, **t.models.catalog}

    guardrails = shared.guardrails
    if _own_guardrails(tdoc, t.guardrails):
        guard_data, problems = _guard_layer(shared.guard_data, t.guardrails, tdoc, ("guardrails",))
        if problems:
            raise CompileError(problems)
        guardrails = GuardrailsConfig.model_validate(guard_data)

    quotas = tier.quotas
    if t.quotas.model_dump(exclude_none=True):
        quotas = Quotas.model_validate({**tier.quotas.model_dump(exclude_none=True),
                                        **t.quotas.model_dump(exclude_none=True)})
    return TenantSettings(
        tenant_id=tenant_id,
        name=t.metadata.name or tenant_id,
        tier=t.tier,
        default_model=default_model,
        allowed_models=allowed,
        catalog=catalog,
        guardrails=guardrails,
        entitlements=t.entitlements,
        quotas=quotas,
        isolation=t.isolation,
        workflows=frozenset(t.workflows),
        provenance=Provenance(lambda: _settings_tree(project, tenant_id, shared)),
        capture_content=t.telemetry.capture_content and guardrails.profile not in CONTENT_FORBIDDEN_PROFILES,
    )


def _own_guardrails(tdoc: Document, data: dict[str, Any]) -> bool:
    return bool(data) or (isinstance(tdoc.data, dict) and "guardrails" in tdoc.data)


def _settings_tree(project: Project, tenant_id: str, shared: _TierLayers) -> Tracked:
    """The tenant's settings with the file and line of every value (the tier's part shared, not copied)."""
    tenant = project.tenants[tenant_id]
    t, tdoc = tenant.spec, tenant.doc
    model = shared.model
    if t.models.default is not None:
        model = track(t.models.default, tdoc, ("models", "default"), "tenant")
    guard_tracked = shared.guard_tracked
    if _own_guardrails(tdoc, t.guardrails):
        if "profile" in t.guardrails:
            named = profile_layer(str(t.guardrails["profile"]))
            guard_tracked = merge(guard_tracked, constant(named, tdoc.source(("guardrails", "profile"))))
        guard_tracked = merge(guard_tracked, track(t.guardrails, tdoc, ("guardrails",), "tenant"))
    quotas_tracked = shared.quotas_tracked
    own_quotas = t.quotas.model_dump(exclude_none=True)
    if own_quotas:
        quotas_tracked = merge(quotas_tracked, track(own_quotas, tdoc, ("quotas",), "tenant"))
    return Tracked({
        "tier": track(t.tier, tdoc, ("tier",), "tenant"),
        "model": model,
        "guardrails": guard_tracked,
        "quotas": quotas_tracked,
        "entitlements": track(t.entitlements.model_dump(), tdoc, ("entitlements",), "tenant"),
        "isolation": track(t.isolation.model_dump(), tdoc, ("isolation",), "tenant"),
    }, tdoc.source(()))


@dataclass(frozen=True)
class _TierLayers:
    """The project and tier layers of one tier's tenants, merged once per load and shared by all of them."""

    model: Tracked
    allowed: frozenset[str]
    guard_data: dict[str, Any]
    guard_tracked: Tracked
    guardrails: GuardrailsConfig
    quotas_tracked: Tracked


def _tier_layers(project: Project, tier_name: str) -> _TierLayers | CompileError:
    """What every tenant of ``tier_name`` starts from (or the problems of the project's and tier's layers)."""
    key = ("tier-layers", tier_name)
    found: _TierLayers | CompileError | None = project.derived.get(key)
    if found is not None:
        return found
    pdoc = project.project.doc
    tier = project.spec.tiers[tier_name]
    tier_path: DocPath = ("tiers", tier_name)
    # Guardrails: built-in profile -> project -> tier (-> tenant, per tenant). A layer may
    # tighten but never loosen a rule an earlier layer made mandatory.
    guard_data: dict[str, Any] = profile_layer("default")
    guard_tracked = constant(guard_data, Source("<built-in profile default>", 0, 0, "engine"))
    problems: list[Problem] = []
    for data, path, layer in [(project.spec.guardrails, ("guardrails",), "project"),
                              (tier.guardrails, (*tier_path, "guardrails"), "tier")]:
        leakage = data.get("leakage")
        if isinstance(leakage, dict):
            # Marks say whose data it is; shared by a tier, they would mark no one.
            problems += [pdoc.problem((*path, "leakage", key), f"{key} identify one tenant; declare them in the "
                                      f"tenant's file, not in the {layer} guardrails", code="guardrail-config")
                         for key in ("markers", "canaries") if key in leakage]
        guard_data, refused = _guard_layer(guard_data, data, pdoc, path)
        if refused:
            problems += refused
            break
        if "profile" in data:
            guard_tracked = merge(guard_tracked, constant(profile_layer(str(data["profile"])),
                                                          pdoc.source((*path, "profile"))))
        guard_tracked = merge(guard_tracked, track(data, pdoc, path, layer))
    result: _TierLayers | CompileError
    if problems:
        result = CompileError(problems)
    else:
        result = _TierLayers(
            model=track(tier.model, pdoc, (*tier_path, "model"), "tier"),
            allowed=frozenset({tier.model, *tier.allowed_models}),
            guard_data=guard_data, guard_tracked=guard_tracked,
            guardrails=GuardrailsConfig.model_validate(guard_data),
            quotas_tracked=track(tier.quotas.model_dump(exclude_none=True), pdoc, (*tier_path, "quotas"), "tier"))
    project.derived[key] = result
    return result


def _guard_layer(guard_data: dict[str, Any], data: dict[str, Any], doc: Document, path: DocPath,
                 ) -> tuple[dict[str, Any], list[Problem]]:
    """Merge one guardrails layer over what the earlier ones made; the problems if it may not apply.

    A named profile applies where it is named, on top of what the earlier layers made mandatory:
    switching profiles cannot loosen a mandatory rule either.
    """
    try:
        if "profile" in data:
            try:
                guard_data = merge_configs(guard_data, profile_layer(str(data["profile"])))
            except MandatoryRuleError as exc:
                return guard_data, [doc.problem((*path, "profile"), str(loosening), code="guardrail-loosened")
                                    for loosening in exc.loosenings]
        guard_data = merge_configs(guard_data, data)
        GuardrailsConfig.model_validate(guard_data)
    except MandatoryRuleError as exc:
        return guard_data, [doc.problem((*path, *(loosening.where or loosening.rule).split(".")), str(loosening),
                                        code="guardrail-loosened") for loosening in exc.loosenings]
    except ValidationError as exc:
        return guard_data, problems_from(exc, GuardrailsConfig, doc, root=path)
    except ValueError as exc:  # an unknown profile name
        return guard_data, [doc.problem((*path, "profile"), str(exc), code="guardrail-config")]
    return guard_data, []


def resolve_workflow(project: Project, workflow: str, tenant_id: str, kinds: StepKinds | None = None,
                     ) -> EffectiveWorkflow:
    """Apply the tenant's overrides to ``workflow``; raise CompileError if the result is invalid.

    Template files are read here, once: the structure digest and the graph both come from this text.
    """
    kinds = kinds or step_kinds()
    wf = project.workflows[workflow]
    tenant = project.tenants[tenant_id]
    override = tenant.spec.overrides.get(workflow)
    # Every tenant without overrides of the workflow runs the same effective workflow: validated once per load.
    shared_key = ("effective", workflow, kinds)
    shared: EffectiveWorkflow | None = project.derived.get(shared_key) if override is None else None
    if shared is not None:
        return replace(shared, tenant_id=tenant_id)
    tree = track(wf.doc.data, wf.doc, (), "workflow")
    if override is not None:
        base: DocPath = ("overrides", workflow)
        tree = _apply_overrides(tree, tenant.doc, base, kinds)
    tree = _rebase_files(tree, project, kinds)
    data = plain(tree)
    prov = provenance(tree)
    spec = _validate_effective(data, prov, key_provenance(tree), kinds)
    templates = _read_templates(project, spec, kinds)
    digest = structure_digest(data, templates)
    effective = EffectiveWorkflow(workflow, tenant_id, spec, data, prov, digest, templates)
    if override is None:
        project.derived[shared_key] = effective
    return effective


def structure_digest(data: dict[str, Any], templates: dict[str, str]) -> str:
    canonical = json.dumps({"workflow": data, "templates": templates}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _apply_overrides(tree: Tracked, tdoc: Document, base: DocPath, kinds: StepKinds) -> Tracked:
    spec_data = tdoc.data["overrides"][base[1]]
    for step_id in spec_data.get("steps", {}):
        overlay = track(spec_data["steps"][step_id], tdoc, (*base, "steps", step_id), "override")
        tree = _edit_step(tree, step_id, lambda step, overlay=overlay: merge(step, overlay), kinds)
    for i, insert in enumerate(spec_data.get("insert", [])):
        new = track(insert["step"], tdoc, (*base, "insert", i, "step"), "override")
        anchor = insert.get("after") or insert.get("before")
        tree = _insert_step(tree, anchor, new, kinds, after="after" in insert)
    return tree


def _map_step_lists(tree: Tracked, fn: Any, kinds: StepKinds) -> Tracked:
    """Rebuild ``tree`` applying ``fn`` to every list of steps (top, and those nested kinds hold)."""

    def visit_steps(steps: Tracked) -> Tracked:
        if not isinstance(steps.value, list):
            return steps  # malformed: validation of the merged result reports it
        items = [visit_step(s) for s in steps.value]
        result: Tracked = fn(Tracked(items, steps.source))
        return result

    def visit_step(step: Tracked) -> Tracked:
        if not isinstance(step.value, dict):
            return step
        value = dict(step.value)
        for key, kind in kinds.kinds.items():
            if key in value:
                value[key] = _map_at(value[key], list(kind.raw_children(plain(value[key]))), visit_steps)
        return Tracked(value, step.source)

    top = dict(tree.value)
    top["steps"] = visit_steps(top["steps"])
    return Tracked(top, tree.source)


def _map_at(value: Tracked, paths: list[DocPath], visit: Any) -> Tracked:
    """``value`` with ``visit`` applied to what sits at each of ``paths`` inside it."""
    for path in paths:
        value = _replace(value, path, visit)
    return value


def _replace(value: Tracked, path: DocPath, visit: Any) -> Tracked:
    if not path:
        result: Tracked = visit(value)
        return result
    if not isinstance(value.value, dict) or path[0] not in value.value:
        return value
    return Tracked({**value.value, path[0]: _replace(value.value[path[0]], path[1:], visit)}, value.source, value.key)


def _step_id(step: Tracked) -> Any:
    if isinstance(step.value, dict) and "id" in step.value:
        return step.value["id"].value
    return None


def _edit_step(tree: Tracked, step_id: str, edit: Any, kinds: StepKinds) -> Tracked:
    def fn(steps: Tracked) -> Tracked:
        return Tracked([edit(s) if _step_id(s) == step_id else s for s in steps.value], steps.source)

    return _map_step_lists(tree, fn, kinds)


def _insert_step(tree: Tracked, anchor: str, new: Tracked, kinds: StepKinds, *, after: bool) -> Tracked:
    def fn(steps: Tracked) -> Tracked:
        out: list[Tracked] = []
        for s in steps.value:
            if _step_id(s) == anchor and not after:
                out.append(new)
            out.append(s)
            if _step_id(s) == anchor and after:
                out.append(new)
        return Tracked(out, steps.source)

    return _map_step_lists(tree, fn, kinds)


def _rebase_files(tree: Tracked, project: Project, kinds: StepKinds) -> Tracked:
    """Template files are relative to the file that named them; make them project-relative."""

    def rebase(value: Tracked, kind_files: list[DocPath]) -> Tracked:
        for sub in kind_files:
            value = _replace(value, sub, lambda named: Tracked(
                project.display(((project.root / named.source.file).parent / named.value).resolve()),
                named.source, named.key))
        return value

    def fn(steps: Tracked) -> Tracked:
        out = []
        for s in steps.value:
            if isinstance(s.value, dict):
                for key, kind in kinds.kinds.items():
                    if key in s.value:
                        files = [sub for sub, _ in kind.files(plain(s.value[key]))]
                        if files:
                            s = Tracked({**s.value, key: rebase(s.value[key], files)}, s.source, s.key)
            out.append(s)
        return Tracked(out, steps.source)

    return _map_step_lists(tree, fn, kinds)


def _validate_effective(data: dict[str, Any], prov: dict[DocPath, Source], keys: dict[DocPath, Source],
                        kinds: StepKinds) -> WorkflowSpec:
    model = kinds.workflow_model
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        doc = _ProvenanceDocument(prov, keys)
        raise CompileError(problems_from(exc, model, doc)) from None


class _ProvenanceDocument(Document):
    """A Document view over provenance, so validation errors of merged data
    point at whichever file set the offending value."""

    def __init__(self, prov: dict[DocPath, Source], keys: dict[DocPath, Source]):
        super().__init__("<effective>", None)
        self._prov, self._key_prov = prov, keys

    def source(self, path: DocPath, *, key: bool = False) -> Source:
        if key and path in self._key_prov:
            return self._key_prov[path]
        return lookup(self._prov, path)

    def problem(self, path: DocPath, message: str, *, hint: str = "", key: bool = False, code: str = "") -> Problem:
        src = self.source(path, key=key)
        return Problem(src.file, src.line, src.col, format_path(src.path or path), message, hint, code)


def _read_templates(project: Project, spec: WorkflowSpec, kinds: StepKinds) -> dict[str, str]:
    """The text of every template file the workflow's steps name; a file that cannot be read is left out
    (the check pass reports it, at the line that names it)."""
    templates: dict[str, str] = {}
    for _, step in kinds.iter_steps(spec.steps):
        for _, name in kinds.of(step).step_files(step):
            text = project.files.text(project.root, name)
            if text is not None:
                templates[name] = text
    return templates
