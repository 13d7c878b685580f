"""The semantic diff of two projects: what changed in the compiled graphs, and for whom.

Both sides are loaded and every workflow x tenant pair is compiled (see
:mod:`engine.review.pairs`). Pairs are compared node by node on their
:mod:`engine.review.views`, so a change is reported where it lands (the
``draft`` step of Acme's support-triage) together with the layer that
caused it (the workflow, Acme's override, the premium tier, the catalog).
Those causes become the reasons each affected tenant is listed with.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Problem, SpecError
from engine.project import PROJECT_FILE, Project, load_project_partial
from engine.review.pairs import PairKey, ProjectPairs, compile_pairs
from engine.review.revisions import Side, project_paths
from engine.review.views import (
    CODE,
    Cause,
    Locator,
    NodeView,
    PairView,
    Value,
    code_digest,
    flatten,
    more_specific,
    pair_view,
)
from engine.spec.hints import did_you_mean
from engine.spec.source import format_path, load_plain

#: Facts listed in one reason before "... and N more".
MAX_FACTS = 4
ABSENT = object()


def show(value: Any) -> str:
    """A value as a reviewer reads it: bare words, JSON for anything else."""
    if value is ABSENT:
        return "(none)"
    if isinstance(value, str):
        return value if re.fullmatch(r"[A-Za-z0-9_.:/@+*-]+", value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def is_text(value: Any) -> bool:
    """Long or multi-line strings are shown as a text diff rather than before -> after."""
    return isinstance(value, str) and ("\n" in value or len(value) > 100)


# -- one side ------------------------------------------------------------------------------------


@dataclass
class State:
    """One side, loaded and compiled."""

    label: str
    root: Path
    project: Project | None
    load_problems: list[Problem]
    pairs: ProjectPairs | None
    views: dict[PairKey, PairView]

    @property
    def tenants(self) -> dict[str, str]:
        """Tenant id -> tier, for every tenant that loaded."""
        if self.project is None:
            return {}
        return {t: v.spec.tier for t, v in self.project.tenants.items()}

    def runs(self, tenant: str) -> set[str]:
        if self.pairs is None:
            return set()
        return set(self.pairs.runs(tenant))

    def problems(self) -> list[Problem]:
        found = list(self.load_problems)
        if self.pairs is not None:
            found += self.pairs.problems
        return sorted(set(found))

    def tenant_problems(self, tenant: str) -> list[Problem]:
        """Problems in ``tenant``'s own file (which keep it from loading)."""
        file = f"{_tenants_dir(self)}/{tenant}/tenant.yaml"
        return [p for p in self.load_problems if p.file == file]


def _tenants_dir(state: State) -> str:
    if state.project is not None:
        return state.project.spec.paths.tenants.strip("/")
    return "tenants"


def load_state(side: Side) -> State:
    project, problems = load_project_partial(side.root)
    if project is None:
        return State(side.label, side.root, None, problems, None, {})
    pairs = compile_pairs(project)
    locator = Locator(project)
    views = {key: pair_view(pair, project, locator) for key, pair in pairs.pairs.items()}
    return State(side.label, side.root, project, problems, pairs, views)


# -- changes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any
    cause: Cause
    #: Resolved from another field that changed too (a model id from a changed alias).
    implied: bool = False

    @property
    def text(self) -> bool:
        return is_text(self.before) or is_text(self.after)

    def key(self) -> Any:
        return (self.field, _jsonable(self.before), _jsonable(self.after), self.cause)


@dataclass(frozen=True)
class NodeChange:
    """A node added, removed, renamed or changed in one pair."""

    node: str
    kind: str
    status: str
    cause: Cause
    renamed_from: str = ""
    fields: tuple[FieldChange, ...] = ()
    edges_added: tuple[tuple[str, str], ...] = ()
    edges_removed: tuple[tuple[str, str], ...] = ()
    #: Who changed the edges (when they changed).
    edge_cause: Cause | None = None


@dataclass
class PairDiff:
    workflow: str
    tenant: str
    nodes: list[NodeChange]
    header: list[FieldChange]

    @property
    def changed(self) -> bool:
        return bool(self.nodes or self.header)

    def highlight(self) -> frozenset[str]:
        return frozenset(c.node for c in self.nodes if c.status != "removed")


def _jsonable(value: Any) -> Any:
    return None if value is ABSENT else json.dumps(value, sort_keys=True)


def diff_pair(a: PairView, b: PairView) -> PairDiff:
    renames = _renames(a, b)
    inverse = {new: old for old, new in renames.items()}
    a_nodes = {renames.get(n, n): v for n, v in a.nodes.items()}
    moved_tier = a.tier != b.tier
    changes: list[NodeChange] = []
    added = sorted(set(b.nodes) - set(a_nodes))
    removed = sorted(set(a_nodes) - set(b.nodes))
    touched = {n: b.nodes[n].cause for n in added} | {n: a_nodes[n].cause for n in removed}
    touched |= {n: b.nodes[n].cause for n in inverse}
    for node in removed:
        changes.append(NodeChange(node, a_nodes[node].kind, "removed", a_nodes[node].cause))
    for node in added:
        changes.append(NodeChange(node, b.nodes[node].kind, "added", b.nodes[node].cause))
    for node in sorted(set(a_nodes) & set(b.nodes)):
        va, vb = a_nodes[node], b.nodes[node]
        fields = _field_changes(va.fields, vb.fields, b.tenant, moved_tier)
        ea = {(label, renames.get(target, target)): cause for (label, target), cause in va.edges.items()}
        plus = tuple(sorted(set(vb.edges) - set(ea)))
        minus = tuple(sorted(set(ea) - set(vb.edges)))
        if node in inverse:
            changes.append(NodeChange(node, vb.kind, "renamed", vb.cause, inverse[node], tuple(fields), plus, minus))
        elif fields or plus or minus:
            edge_cause = None
            if plus or minus:
                edge_causes = [touched.get(t) or vb.edges.get((lbl, t)) or ea.get((lbl, t)) or vb.cause
                               for lbl, t in (*plus, *minus)]
                edge_cause = _most_specific(edge_causes)
            structural = [f.cause for f in fields if f.cause.scope in _STRUCTURAL]
            structural += [edge_cause] if edge_cause is not None else []
            cause = _most_specific(structural) if structural else vb.cause
            changes.append(NodeChange(node, vb.kind, "changed", cause, "", tuple(fields), plus, minus,
                                      edge_cause))
    header = _field_changes(a.header, b.header, b.tenant, moved_tier)
    return PairDiff(b.workflow, b.tenant, changes, header)


#: Causes that edit a workflow's steps (the others resolve values: tier, catalog, skill, tenant settings).
_STRUCTURAL = ("workflow", "override")


def _most_specific(causes: list[Cause]) -> Cause:
    found = causes[0]
    for cause in causes[1:]:
        found = more_specific(found, cause)
    return found


def _renames(a: PairView, b: PairView) -> dict[str, str]:
    """Steps removed on one side and added on the other with the same content: old id -> new id."""
    gone = sorted(n for n in set(a.nodes) - set(b.nodes) if "." not in n)
    new = [n for n in sorted(set(b.nodes) - set(a.nodes)) if "." not in n]
    renames: dict[str, str] = {}
    for old in gone:
        content = a.nodes[old].content()
        for candidate in new:
            if b.nodes[candidate].content() == content:
                renames[old] = candidate
                new.remove(candidate)
                break
    # Renamed and edited: the same kind, and most values alike.
    for old in [n for n in gone if n not in renames]:
        scored = [(_likeness(a.nodes[old], b.nodes[c]), c) for c in new if b.nodes[c].kind == a.nodes[old].kind]
        scored = [(score, c) for score, c in scored if score >= RENAME_LIKENESS]
        if scored:
            best = sorted(scored, key=lambda item: (-item[0], item[1]))[0][1]
            renames[old] = best
            new.remove(best)
    # Engine nodes named after a step (``<loop>.next``, ``<parallel>.join``) follow it.
    for node in set(a.nodes) - set(b.nodes):
        step, dot, suffix = node.partition(".")
        if dot and step in renames and f"{renames[step]}.{suffix}" in b.nodes:
            renames[node] = f"{renames[step]}.{suffix}"
    return renames


#: Share of equal values above which a removed and an added step of one kind are a rename with edits.
RENAME_LIKENESS = 0.5


def _likeness(a: NodeView, b: NodeView) -> float:
    names = set(a.fields) | set(b.fields)
    if not names:
        return 0.0
    same = sum(1 for n in names if n in a.fields and n in b.fields and a.fields[n].value == b.fields[n].value)
    return same / len(names)


def _field_changes(a: dict[str, Value], b: dict[str, Value], tenant: str, moved_tier: bool) -> list[FieldChange]:
    changed: dict[str, tuple[Value | None, Value | None]] = {}
    for name in sorted(set(a) | set(b)):
        va, vb = a.get(name), b.get(name)
        if va is None or vb is None or va.value != vb.value:
            changed[name] = (va, vb)

    def cause_of(name: str) -> Cause:
        va, vb = changed[name]
        some = vb or va
        assert some is not None
        if some.depends and some.depends in changed:
            return cause_of(some.depends)
        causes = [v.cause for v in (va, vb) if v is not None]
        cause = causes[0] if len(causes) == 1 else more_specific(causes[0], causes[1])
        if moved_tier and cause.scope == "tier":
            return Cause("tenant", tenant)
        return cause

    def implied(name: str) -> bool:
        some = changed[name][1] or changed[name][0]
        return some is not None and bool(some.depends) and some.depends in changed

    return [FieldChange(name, va.value if va else ABSENT, vb.value if vb else ABSENT, cause_of(name),
                        implied(name)) for name, (va, vb) in changed.items()]


# -- source files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceChange:
    """A value added, removed or changed in a project or tenant file."""

    file: str
    path: str
    before: Any
    after: Any


def _spec_changes(file: str, a: Any, b: Any) -> list[SourceChange]:
    fa = {format_path(k): v for k, v in flatten(a).items()} if a is not None else {}
    fb = {format_path(k): v for k, v in flatten(b).items()} if b is not None else {}
    return [SourceChange(file, path, fa.get(path, ABSENT), fb.get(path, ABSENT))
            for path in sorted(set(fa) | set(fb)) if fa.get(path, ABSENT) != fb.get(path, ABSENT)]


def _project_data(state: State) -> Any:
    return state.project.spec.model_dump(mode="json", by_alias=True) if state.project else None


def _tenant_data(state: State, tenant: str) -> Any:
    if state.project is None or tenant not in state.project.tenants:
        return None
    return state.project.tenants[tenant].spec.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # added, removed, changed


def _project_files(root: Path) -> dict[str, Path]:
    """Every file the loader may read, by project-relative POSIX path."""
    found: dict[str, Path] = {}
    project_file = root / PROJECT_FILE
    if not project_file.is_file():
        return found
    found[PROJECT_FILE] = project_file
    for rel in project_paths(project_file.read_text(encoding="utf-8", errors="replace")):
        folder = root / rel
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    found[path.relative_to(root).as_posix()] = path
    return found


def _meaning(path: Path) -> Any:
    """What a file means, regardless of comments, key order and layout (None: only its bytes)."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            return ("yaml", json.dumps(load_plain(text), sort_keys=True, default=str))
        if path.suffix == ".py":
            return ("py", ast.dump(ast.parse(text)))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, SyntaxError, ValueError):
        return None
    return None


def _file_changes(a: State, b: State) -> tuple[list[FileChange], list[str]]:
    """Skill files added, removed or changed in meaning; files changed in form only."""
    fa, fb = _project_files(a.root), _project_files(b.root)
    skills_dirs = {_skills_dir(s) for s in (a, b)}
    tenants_dirs = {_tenants_dir(s) for s in (a, b)}

    def is_skill(rel: str) -> bool:
        parts = rel.split("/")
        in_shared = any(rel.startswith(f"{d}/") for d in skills_dirs)
        in_tenant = any(rel.startswith(f"{d}/") for d in tenants_dirs) and len(parts) > 3 and parts[2] == "skills"
        return (in_shared or in_tenant) and rel.endswith((".py", ".yaml", ".yml"))

    skills: list[FileChange] = []
    form_only: list[str] = []
    for rel in sorted(set(fa) | set(fb)):
        pa, pb = fa.get(rel), fb.get(rel)
        if pa is not None and pb is not None:
            if pa.read_bytes() == pb.read_bytes():
                continue
            ma, mb = _meaning(pa), _meaning(pb)
            if ma is not None and ma == mb:
                form_only.append(rel)
            elif is_skill(rel):
                skills.append(FileChange(rel, "changed"))
        elif is_skill(rel):
            skills.append(FileChange(rel, "added" if pa is None else "removed"))
    return skills, form_only


def _skills_dir(state: State) -> str:
    return state.project.spec.paths.skills.strip("/") if state.project is not None else "skills"


# -- reasons -------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Reason:
    """Why one tenant is affected: a cause, and what it changed."""

    scope: str
    name: str
    text: str


@dataclass
class ReasonGroup:
    """One reason shared by several tenants, with the phrase naming them."""

    reason: Reason
    tenants: list[str]
    who: str

    def __str__(self) -> str:
        return f"{self.who}: {self.reason.text}"


def _implementation_fact(scope: FieldChange, fields: tuple[FieldChange, ...]) -> str:
    sources = [f for f in fields if f.field == "implementation.source"]
    before, after = (show(sources[0].before), show(sources[0].after)) if sources else ("", "")
    if scope.before == "shared":
        return f"{after} replaces the shared {before}"
    if scope.after == "shared":
        return f"{before} is gone, the shared {after} serves it again"
    return f"implementation {show(scope.before)} -> {show(scope.after)}"


def _field_fact(change: FieldChange) -> str:
    name = change.field
    if name == CODE:
        source = str(change.after if change.after is not ABSENT else change.before).rsplit("#", 1)[0]
        return f"code of {source} changed"
    if change.text or name.endswith(" text"):
        return f"{name} changed"
    label = "model" if name == "model.alias" else name
    return f"{label} {show(change.before)} -> {show(change.after)}"


def _node_fact(change: NodeChange) -> str:
    what = "step" if "." not in change.node and change.kind not in ("guard_input", "guard_output") else "node"
    if change.status == "added":
        return f"{what} {change.node} added"
    if change.status == "removed":
        return f"{what} {change.node} removed"
    return f"{what} {change.renamed_from} renamed to {change.node}"


def _reasons_of_pair(diff: PairDiff) -> dict[Cause, list[str]]:
    """Facts of one pair's changes, by cause: steps for the workflow and overrides, values for the rest."""
    facts: dict[Cause, list[str]] = defaultdict(list)
    touched = {c.node for c in diff.nodes if c.status != "changed"} | {c.renamed_from for c in diff.nodes}
    for change in diff.nodes:
        if change.status in ("added", "removed"):
            if change.cause.scope in _STRUCTURAL:
                facts[change.cause].append(_node_fact(change))
            continue
        what = "step" if "." not in change.node and change.kind not in ("guard_input", "guard_output") else "node"
        fields: dict[Cause, list[str]] = defaultdict(list)
        for f in change.fields:
            if f.implied:
                continue
            if f.cause.scope in _STRUCTURAL:
                fields[f.cause].append(f.field)
            elif f.field == "implementation.scope":
                facts[f.cause].append(_implementation_fact(f, change.fields))
            else:
                facts[f.cause].append(_field_fact(f))
        # Edges to a step that was added, removed or renamed are that step's change, already listed.
        if change.edge_cause is not None and any(e[1] not in touched
                                                 for e in (*change.edges_added, *change.edges_removed)):
            fields[change.edge_cause].append("edges")
        if change.status == "renamed":
            edited = fields.pop(change.cause, [])
            if change.cause.scope in _STRUCTURAL:
                facts[change.cause].append(_node_fact(change) + (f" and changed ({', '.join(edited)})"
                                                                 if edited else ""))
        for cause, names in fields.items():
            facts[cause].append(f"{what} {change.node} changed ({', '.join(names)})")
    for f in diff.header:
        facts[f.cause].append(f"{f.field.split('.', 1)[0]} changed ({_field_fact(f)})")
    return facts


def _reason_text(cause: Cause, workflow: str, facts: list[str]) -> str:
    unique = list(dict.fromkeys(f for f in facts if f))
    listed = ", ".join(unique[:MAX_FACTS]) + (f", ... and {len(unique) - MAX_FACTS} more"
                                                if len(unique) > MAX_FACTS else "")
    if cause.scope == "workflow":
        return f"workflow {cause.name} changed: {listed}"
    if cause.scope == "override":
        return f"its override of {workflow} changed: {listed}"
    if cause.scope == "tier":
        return f"tier {cause.name} changed: {listed}"
    if cause.scope == "catalog":
        return f"model {cause.name} changed: {listed}"
    if cause.scope == "skill":
        return f"shared skill {cause.name} changed: {listed}"
    if cause.scope == "tenant":
        return f"its tenant settings changed: {listed}"
    if cause.scope == "own":
        return f"its own skills changed: {listed}"
    if cause.scope == "project":
        return f"project {cause.name} changed: {listed}"
    return f"built-in {cause.name} changed: {listed}"


_LOST_STEP = re.compile(r"^overrides\.([^.]+)\.(steps\.([^.]+)|insert\[\d+\]\.(after|before))$")


def _lost_overrides(problems: list[Problem], tenant: str) -> list[Reason]:
    """Overrides that name a step the workflow no longer has."""
    found: list[Reason] = []
    for p in problems:
        match = _LOST_STEP.match(p.location)
        if p.code != "unknown-step" or match is None:
            continue
        workflow = match.group(1)
        step = match.group(3) or re.search(r"unknown step '([^']+)'", p.message).group(1)  # type: ignore[union-attr]
        what = f"override of step {step}" if match.group(3) else f"insert {match.group(4)} step {step}"
        found.append(Reason("override", tenant, f"its {what} no longer applies ({workflow} has no step {step})"))
    return found


# -- the whole diff ------------------------------------------------------------------------------


@dataclass
class GroupedChange:
    """A node's change across the tenants it happened for; each field and edge with its own tenants."""

    node: str
    kind: str
    status: str
    renamed_from: str
    tenants: list[str]
    fields: list[tuple[FieldChange, list[str]]] = field(default_factory=list)
    #: ("+" or "-", (label, target), tenants).
    edges: list[tuple[str, tuple[str, str], list[str]]] = field(default_factory=list)


@dataclass
class WorkflowDiff:
    name: str
    #: Tenants running it on either side.
    running: list[str]
    changes: list[GroupedChange] = field(default_factory=list)
    header: list[tuple[FieldChange, list[str]]] = field(default_factory=list)
    now_runs: list[str] = field(default_factory=list)
    no_longer_runs: list[str] = field(default_factory=list)
    #: (tenants, highlighted nodes, canonical description after) for the changed pairs.
    graphs: list[tuple[list[str], frozenset[str], dict[str, Any]]] = field(default_factory=list)
    status: str = "changed"


@dataclass
class Diff:
    before: str
    after: str
    tenant: str | None
    reasons: list[ReasonGroup]
    affected: dict[str, list[str]]
    unaffected: list[str]
    workflows: list[WorkflowDiff]
    project: list[SourceChange]
    tenants: dict[str, list[SourceChange]]
    tenants_added: list[str]
    tenants_removed: list[str]
    skills: list[FileChange]
    form_only: list[str]
    problems_before: list[Problem]
    problems_after: list[Problem]
    pairs: int

    @property
    def semantic(self) -> bool:
        return bool(self.affected or self.workflows or self.project or self.tenants or self.tenants_added
                    or self.tenants_removed or self.skills)


def diff_states(a: State, b: State, tenant: str | None = None) -> Diff:
    """Compare two loaded sides; ``tenant`` narrows every section to that tenant."""
    tiers_a, tiers_b = a.tenants, b.tenants
    failed_a = {t for t in _tenant_ids(a) if a.tenant_problems(t)}
    failed_b = {t for t in _tenant_ids(b) if b.tenant_problems(t)}
    everyone = sorted(set(tiers_a) | set(tiers_b) | failed_a | failed_b)
    if tenant is not None and tenant not in everyone:
        raise SpecError([Problem("", 0, 0, "", f"unknown tenant '{tenant}' (in neither {a.label} nor {b.label})",
                                 did_you_mean(tenant, everyone), code="unknown-tenant")])
    if tenant is not None:
        everyone = [t for t in everyone if t == tenant]
    wanted = set(everyone)

    reasons: dict[str, set[Reason]] = defaultdict(set)
    # Facts by tenant and cause (and workflow, for overrides), merged into one reason per cause.
    facts: dict[str, dict[tuple[Cause, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    pair_diffs: dict[PairKey, PairDiff] = {}
    keys_a = {k for k in a.views if k[1] in wanted}
    keys_b = {k for k in b.views if k[1] in wanted}
    for key in sorted(keys_a & keys_b):
        pd = diff_pair(a.views[key], b.views[key])
        if pd.changed:
            pair_diffs[key] = pd
            for cause, found in _reasons_of_pair(pd).items():
                facts[key[1]][(cause, key[0] if cause.scope == "override" else "")] += found

    # A project file that does not load leaves nothing to compare on that side: say so, not "tenant removed".
    broken = [side for side, other in ((a, b), (b, a)) if side.project is None and other.project is not None]
    for side in broken:
        first = side.load_problems[0] if side.load_problems else None
        text = (f"the project does not load in {side.label}: {first}" if side is b
                else f"the project loads again in {b.label}")
        for t in everyone:
            reasons[t].add(Reason("project", PROJECT_FILE, text))
    if broken:
        everyone_or_none: list[str] = []
    else:
        everyone_or_none = everyone
    # Tenants and pairs present on one side only.
    for t in everyone_or_none:
        if t in failed_b and t not in failed_a:
            lost = _lost_overrides(b.tenant_problems(t), t)
            reasons[t].update(lost or [Reason("tenant", t, f"its tenant file has problems in {b.label}: "
                                                          f"{b.tenant_problems(t)[0].message}")])
        elif t not in tiers_a and t not in failed_a and t in tiers_b:
            reasons[t].add(Reason("tenant", t, "tenant added"))
        elif t not in tiers_b and t not in failed_b and t in tiers_a:
            reasons[t].add(Reason("tenant", t, "tenant removed"))
        elif t in failed_a and t not in failed_b:
            reasons[t].add(Reason("tenant", t, f"its tenant file loads again in {b.label}"))
        elif t in tiers_a and t in tiers_b and tiers_a[t] != tiers_b[t]:
            facts[t][(Cause("tenant", t), "")].insert(0, f"moved from tier {tiers_a[t]} to tier {tiers_b[t]}")
    workflows_a = set(a.project.workflows) if a.project else set()
    workflows_b = set(b.project.workflows) if b.project else set()
    runs_a = {t: a.runs(t) for t in everyone}
    runs_b = {t: b.runs(t) for t in everyone}
    both = {t for t in everyone if t in tiers_a and t in tiers_b and t not in failed_a | failed_b}
    for t in sorted(both):
        for w in sorted(runs_b[t] - runs_a[t]):
            text = f"workflow {w} added" if w not in workflows_a else f"now runs {w}"
            reasons[t].add(Reason("workflow" if w not in workflows_a else "tenant", w if w not in workflows_a else t,
                                  text))
        for w in sorted(runs_a[t] - runs_b[t]):
            text = f"workflow {w} removed" if w not in workflows_b else f"no longer runs {w}"
            reasons[t].add(Reason("workflow" if w not in workflows_b else "tenant", w if w not in workflows_b else t,
                                  text))
    # Pairs that compile on one side only.
    failed_pairs_a = a.pairs.failed if a.pairs else {}
    failed_pairs_b = b.pairs.failed if b.pairs else {}
    for (w, t), problems in sorted(failed_pairs_b.items()):
        if t in wanted and (w, t) not in failed_pairs_a and t in both:
            blamed = [p for p in problems if p.location.startswith(f"overrides.{w}")]
            if blamed:
                reasons[t].add(Reason("override", t, f"its override of {w} no longer applies: {blamed[0].message}"))
            else:
                reasons[t].add(Reason("workflow", w, f"{w} no longer compiles for it: {problems[0].message}"))
    for (w, t), _problems in sorted(failed_pairs_a.items()):
        if t in wanted and (w, t) in b.views and t in both:
            reasons[t].add(Reason("workflow", w, f"{w} compiles again for it"))
    # Tenant settings that are not part of any graph: quotas, isolation, entitlements.
    bridge_facts = _bridge_changes(a, b)
    for t in sorted(both):
        for cause, found in _settings_changes(a, b, t).items():
            facts[t][(cause, "")] += found
        if bridge_facts:
            facts[t][(Cause("project", "bridge"), "")] += bridge_facts
    for t, by_cause in facts.items():
        for (cause, workflow), found in by_cause.items():
            reasons[t].add(Reason(cause.scope, cause.name, _reason_text(cause, workflow, found)))

    workflows = [] if broken else _workflow_diffs(a, b, pair_diffs, everyone, runs_a, runs_b, workflows_a,
                                                  workflows_b)
    affected = {t: sorted(r.text for r in reasons[t]) for t in everyone if reasons[t]}
    groups = _group_reasons(reasons, a, b, everyone, runs_a, runs_b)
    skills, form_only = _file_changes(a, b)
    project_changes = [] if broken else _spec_changes(PROJECT_FILE, _project_data(a), _project_data(b))
    tenant_changes: dict[str, list[SourceChange]] = {}
    for t in everyone:
        file = f"{_tenants_dir(b)}/{t}/tenant.yaml"
        changed = _spec_changes(file, _tenant_data(a, t), _tenant_data(b, t)) if t in tiers_a and t in tiers_b else []
        if changed:
            tenant_changes[t] = changed
    if tenant is not None:
        project_changes = _narrow_project(project_changes, a, b, tenant)
        prefix = f"{_tenants_dir(b)}/"
        skills = [s for s in skills if not s.path.startswith(prefix) or s.path.startswith(f"{prefix}{tenant}/")]
        form_only = [f for f in form_only if not f.startswith(prefix) or f.startswith(f"{prefix}{tenant}/")]
    pairs = len(keys_a & keys_b)
    return Diff(
        before=a.label, after=b.label, tenant=tenant, reasons=groups, affected=affected,
        unaffected=[t for t in everyone if t not in affected], workflows=workflows, project=project_changes,
        tenants=tenant_changes,
        tenants_added=[t for t in everyone_or_none if t in tiers_b and t not in tiers_a and t not in failed_a],
        tenants_removed=[t for t in everyone_or_none if t in tiers_a and t not in tiers_b and t not in failed_b],
        skills=skills, form_only=form_only,
        problems_before=_narrow_problems(a, tenant), problems_after=_narrow_problems(b, tenant), pairs=pairs,
    )


def _tenant_ids(state: State) -> set[str]:
    """Tenants with a file on this side, loaded or not."""
    tenants_dir = _tenants_dir(state)
    return {p.parent.name for p in (state.root / tenants_dir).glob("*/tenant.yaml")}


def _narrow_problems(state: State, tenant: str | None) -> list[Problem]:
    problems = state.problems()
    if tenant is None:
        return problems
    prefix = f"{_tenants_dir(state)}/"
    return [p for p in problems if not p.file.startswith(prefix) or p.file.startswith(f"{prefix}{tenant}/")]


def _narrow_project(changes: list[SourceChange], a: State, b: State, tenant: str) -> list[SourceChange]:
    tiers = {s.tenants[tenant] for s in (a, b) if tenant in s.tenants}
    models: set[str] = set()
    for state in (a, b):
        if state.pairs is not None and tenant in state.pairs.settings:
            models |= set(state.pairs.settings[tenant].allowed_models)
    kept = []
    for c in changes:
        parts = c.path.split(".")
        if parts[0] == "tiers" and parts[1] not in tiers:
            continue
        if parts[:2] == ["models", "catalog"] and parts[2] not in models:
            continue
        kept.append(c)
    return kept


def _bridge_changes(a: State, b: State) -> list[str]:
    """The bridge chain wraps every skill and tool call of every tenant: a change to it affects them all."""
    if a.project is None or b.project is None:
        return []
    facts = []
    chain_a, chain_b = a.project.spec.bridge, b.project.spec.bridge
    if chain_a != chain_b:
        facts.append(f"chain {show(chain_a)} -> {show(chain_b)}")
    for name in sorted(set(chain_a) & set(chain_b)):
        rel_a = f"{_skills_dir(a)}/bridge/{name}.py"
        rel_b = f"{_skills_dir(b)}/bridge/{name}.py"
        if code_digest(a.root / rel_a) != code_digest(b.root / rel_b):
            facts.append(f"code of {rel_b} changed")
    return facts


def _settings_changes(a: State, b: State, tenant: str) -> dict[Cause, list[str]]:
    """Facts about a tenant's settings that no graph shows: quotas, isolation, entitlements, tool endpoints,
    allowed models."""
    assert a.pairs is not None and b.pairs is not None
    sa, sb = a.pairs.settings.get(tenant), b.pairs.settings.get(tenant)
    facts: dict[Cause, list[str]] = defaultdict(list)
    if sa is None or sb is None:
        return facts
    moved = sa.tier != sb.tier
    for section in ("quotas", "isolation", "entitlements"):
        da = flatten(getattr(sa, section).model_dump(mode="json"), (section,))
        db = flatten(getattr(sb, section).model_dump(mode="json"), (section,))
        for key in sorted(set(da) | set(db), key=str):
            before, after = da.get(key, ABSENT), db.get(key, ABSENT)
            if before == after:
                continue
            cause = Cause("tenant", tenant)
            if section == "quotas" and not moved:
                src = sb.provenance.get(key) or sa.provenance.get(key)
                if src is not None and src.layer == "tier":
                    cause = Cause("tier", sb.tier)
            facts[cause].append(f"{format_path(key)} {show(before)} -> {show(after)}")
    # A silo tenant's own tool deployments (engine.tools.isolation): where its tool calls go.
    ea, eb = _tool_endpoints(a, tenant), _tool_endpoints(b, tenant)
    for name in sorted(set(ea) | set(eb)):
        before, after = ea.get(name, ABSENT), eb.get(name, ABSENT)
        if before != after:
            facts[Cause("tenant", tenant)].append(f"gateway.endpoints.{name} {show(before)} -> {show(after)}")
    allowed_a, allowed_b = sorted(sa.allowed_models), sorted(sb.allowed_models)
    # The tenant's own or tier model is always allowed: its change is reported as a model change.
    if allowed_a != allowed_b and set(allowed_a) - {sa.default_model} != set(allowed_b) - {sb.default_model}:
        own_a = set(sa.catalog) - set(a.project.spec.models.catalog if a.project else {})
        own_b = set(sb.catalog) - set(b.project.spec.models.catalog if b.project else {})
        cause = Cause("tenant", tenant) if moved or own_a != own_b else Cause("tier", sb.tier)
        facts[cause].append(f"allowed models {show(allowed_a)} -> {show(allowed_b)}")
    return facts


def _tool_endpoints(state: State, tenant: str) -> dict[str, str]:
    loaded = state.project.tenants.get(tenant) if state.project is not None else None
    return dict(loaded.spec.gateway.endpoints) if loaded is not None else {}


def _group_reasons(reasons: dict[str, set[Reason]], a: State, b: State, everyone: list[str],
                   runs_a: dict[str, set[str]], runs_b: dict[str, set[str]]) -> list[ReasonGroup]:
    by_reason: dict[Reason, list[str]] = defaultdict(list)
    for t in everyone:
        for r in reasons.get(t, ()):
            by_reason[r].append(t)
    groups = []
    order = ("project", "tier", "catalog", "skill", "workflow", "override", "own", "tenant", "engine")
    for reason in sorted(by_reason, key=lambda r: (order.index(r.scope), r.name, r.text)):
        tenants = sorted(by_reason[reason])
        who = ", ".join(tenants)
        if reason.scope == "tier":
            tier_tenants = sorted({t for s in (a, b) for t, tier in s.tenants.items() if tier == reason.name})
            if tenants == tier_tenants and len(tenants) > 0:
                who = f"all {reason.name} tenants ({who})"
        elif reason.scope == "workflow":
            running = sorted(t for t in everyone if reason.name in runs_a[t] | runs_b[t])
            if tenants == running and len(tenants) > 1:
                who = f"all tenants running {reason.name} ({who})"
        elif reason.scope in ("project", "engine", "catalog", "skill"):
            if tenants == everyone and len(tenants) > 1:
                who = f"all tenants ({who})"
        groups.append(ReasonGroup(reason, tenants, who))
    return groups


def _workflow_diffs(a: State, b: State, pair_diffs: dict[PairKey, PairDiff], everyone: list[str],
                    runs_a: dict[str, set[str]], runs_b: dict[str, set[str]],
                    workflows_a: set[str], workflows_b: set[str]) -> list[WorkflowDiff]:
    out: list[WorkflowDiff] = []
    for w in sorted(workflows_a | workflows_b):
        running = sorted(t for t in everyone if w in runs_a[t] | runs_b[t])
        wd = WorkflowDiff(w, running)
        if w not in workflows_a:
            wd.status = "added"
        elif w not in workflows_b:
            wd.status = "removed"
        grouped: dict[Any, GroupedChange] = {}
        field_groups: dict[Any, dict[Any, tuple[FieldChange, list[str]]]] = defaultdict(dict)
        edge_groups: dict[Any, dict[Any, tuple[str, tuple[str, str], list[str]]]] = defaultdict(dict)
        headers: dict[Any, tuple[FieldChange, list[str]]] = {}
        graphs: dict[Any, tuple[list[str], frozenset[str], dict[str, Any]]] = {}
        for (pw, t), pd in sorted(pair_diffs.items()):
            if pw != w:
                continue
            for change in pd.nodes:
                key = (change.status, change.node, change.kind, change.renamed_from)
                grouped.setdefault(key, GroupedChange(change.node, change.kind, change.status, change.renamed_from,
                                                      [])).tenants.append(t)
                for fc in change.fields:
                    field_groups[key].setdefault(fc.key(), (fc, []))[1].append(t)
                for sign, edges in (("+", change.edges_added), ("-", change.edges_removed)):
                    for edge in edges:
                        edge_groups[key].setdefault((sign, edge), (sign, edge, []))[2].append(t)
            for fc in pd.header:
                headers.setdefault(fc.key(), (fc, []))[1].append(t)
            desc = b.views[(w, t)].description
            highlight = pd.highlight()
            graph_key = (desc["structure_digest"], tuple(sorted(highlight)),
                         json.dumps([n.get("model", {}).get("alias") for n in desc["nodes"]]))
            graphs.setdefault(graph_key, ([], highlight, desc))[0].append(t)
        for key, group in grouped.items():
            group.fields = sorted(field_groups[key].values(), key=lambda item: (item[0].field, item[1]))
            group.edges = sorted(edge_groups[key].values(), key=lambda item: (item[1], item[0]))
        wd.changes = sorted(grouped.values(), key=lambda g: (_status_order(g.status), g.node, g.tenants))
        wd.header = list(headers.values())
        wd.graphs = list(graphs.values())
        both = [t for t in everyone if t in a.tenants and t in b.tenants]
        wd.now_runs = [t for t in both if w in runs_b[t] and w not in runs_a[t]]
        wd.no_longer_runs = [t for t in both if w in runs_a[t] and w not in runs_b[t]]
        if wd.changes or wd.header or wd.now_runs or wd.no_longer_runs or wd.status != "changed":
            out.append(wd)
    return out


def _status_order(status: str) -> int:
    return ("removed", "added", "renamed", "changed").index(status)


def semantic_diff(a: Side, b: Side, tenant: str | None = None) -> Diff:
    """Load both sides and compare them."""
    return diff_states(load_state(a), load_state(b), tenant)

