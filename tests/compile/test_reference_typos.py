"""Every single-character typo in every template reference of the demo workflows, checked.

For each reference of each template and condition the demo's workflows hold
(as each of their tenants runs them), every name in it (the root, the next
name, the one after) gets every single-character typo: a letter dropped,
two swapped, one replaced, one added. A typo makes the reference undefined
when the new name is not defined there, by what the run would hold: the
names a template sees, the workflow's input fields, its step ids, the keys a
step answers with (an llm step's `output:` or `text`, a `set` step's keys,
a skill's return type for the tenant), the memory levels read, the loop ids,
`tenant`'s and `user`'s fields. The reference check (the pass `tenantflow
validate` runs) must report 100 % of those, and nothing for the others.

Typos in the keys of a step whose answer has no declared type (a tool that
returns a plain dict) cannot be told from a right key before the run: they
are counted, not asserted.
"""

from __future__ import annotations

import string
from dataclasses import replace

from jinja2 import nodes

from engine.compile.references import ROOTS, PendingReference, _Checker, _references, check_bound_references
from engine.compile.resolve import resolve_workflow
from engine.engine import Engine
from engine.errors import Problem
from engine.kinds.base import Binding
from engine.kinds.registry import step_kinds
from engine.project import load_project
from engine.templating import ENV, Template
from tests.conftest import REPO

PAIRS = [("support-triage", "acme"), ("support-triage", "globex"), ("support-triage", "initech"),
         ("security-alert", "acme"), ("summarize", "globex")]
FIELDS = {"tenant": {"id", "tier", "name"}, "user": {"id"}}


def typos(name: str) -> set[str]:
    letters = string.ascii_lowercase + "_"
    out = {name[:i] + name[i + 1:] for i in range(len(name))}
    out |= {name[:i] + name[i + 1] + name[i] + name[i + 2:] for i in range(len(name) - 1)}
    out |= {name[:i] + c + name[i + 1:] for i in range(len(name)) for c in letters}
    out |= {name[:i] + c + name[i:] for i in range(len(name) + 1) for c in letters}
    return {t for t in out if t and t != name and t.isidentifier()}


def test_every_single_character_typo_that_makes_a_reference_undefined_is_caught() -> None:
    project = load_project(REPO)
    engine = Engine(project)
    kinds = step_kinds()
    caught = undefined = still_defined = flagged_defined = unknowable = sound = 0
    missed: list[str] = []
    for workflow, tenant in PAIRS:
        compiled = engine.compile(workflow, tenant)
        ir = compiled.ir
        eff = resolve_workflow(project, workflow, tenant)
        settings = engine.settings(tenant)
        binding = Binding(settings, project.registry, frozenset(project.workflows), eff.source, ir.files)
        checker = _Checker(ir, {n.id: n for n in ir.nodes.values() if n.step is not None and n.kind == n.step.kind},
                           kinds, eff.source, lambda f: project.files.text(project.root, f))
        steps = checker.steps
        outputs = {}
        for step_id, node in steps.items():
            assert node.step is not None
            keys = kinds.of(node.step).bound_outputs(node.step, binding)
            outputs[step_id] = None if keys is None else keys | (
                {"error"} if node.step.on_error not in (None, "fail") else set())
        by_path = {n.path: n for n in steps.values()}
        for path, value in ir.compiled.items():
            node = next(by_path[path[:end]] for end in range(len(path), 0, -1) if path[:end] in by_path)
            templates = [(path, value)] if isinstance(value, Template) else [
                ((*path, *sub), t) for sub, t in _flatten(value, ())]
            for _, template in templates:
                tree = ENV.parse(template.source)
                local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
                for ref in _references(tree):
                    if ref.root in local or (ref.root == "loop" and ref.in_for) or ref.root not in ROOTS:
                        continue
                    # As written, the demo's references are all sound.
                    assert not _problems(checker, node, ref, local, ir, binding, kinds), (template.file, ref)
                    sound += 1
                    names = [ref.root, *[s for s in ref.segments[:2] if isinstance(s, str)]]
                    for level, name in enumerate(names):
                        defined = _defined(level, names, ir, steps, outputs, local)
                        if defined is None:
                            unknowable += len(typos(name))
                            continue
                        for typo in typos(name):
                            mutated = [*names[:level], typo, *names[level + 1:]]
                            typo_ref = replace(ref, root=mutated[0], segments=(*mutated[1:], *ref.segments[2:]))
                            found = _problems(checker, node, typo_ref, local, ir, binding, kinds)
                            if typo in defined:
                                still_defined += 1
                                flagged_defined += found
                            else:
                                undefined += 1
                                if found:
                                    caught += 1
                                else:
                                    missed.append(f"{workflow}/{tenant} {template.file}: {'.'.join(mutated)}")
    print(f"\n{sound} references; single-character typos: {undefined} make a reference undefined, {caught} caught "
          f"({100 * caught / max(undefined, 1):.1f} %); {still_defined} name another defined value "
          f"({flagged_defined} of them flagged); {unknowable} on keys no type declares (not counted)")
    assert sound > 50 and undefined > 1000
    assert missed == []
    assert caught == undefined
    assert flagged_defined == 0


def _problems(checker, node, ref, local, ir, binding, kinds) -> bool:  # type: ignore[no-untyped-def]
    """Does the reference check report ``ref`` (as the check pass, then the per-tenant pass, would)?"""
    checker.pending.clear()
    if checker._problem(node, ref, local) is not None:
        return True
    saved = ir.pending_references
    try:
        ir.pending_references = [PendingReference(step, str(r.segments[1]), Problem("f", 1, 1, "", ""))
                                 for step, r in checker.pending]
        return bool(check_bound_references(ir, binding, kinds))
    finally:
        ir.pending_references = saved


def _flatten(value: object, sub: tuple[str | int, ...]):  # type: ignore[no-untyped-def]
    if isinstance(value, Template):
        yield sub, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, (*sub, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _flatten(v, (*sub, i))


def _defined(level: int, names: list[str], ir, steps, outputs, local) -> set[str] | None:  # type: ignore[no-untyped-def]
    """What a name at ``level`` of the reference may be, by what a run holds there; None: not known before it."""
    if level == 0:
        return {*ROOTS, *local, *ENV.globals}
    root = names[0]
    if level == 1:
        return {"input": set(ir.spec.input), "steps": set(steps), "memory": set(ir.spec.memory.read or ()),
                "loop": {i for i, n in steps.items() if n.kind == "loop"}, **FIELDS}.get(root)
    if root == "steps" and names[1] in steps:
        return outputs[names[1]]
    return None
