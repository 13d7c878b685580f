"""Check every reference of every template and expression against what the workflow declares.

``{{ input.tikcet }}`` passes Jinja2's compiler: it is only undefined when it
renders, on the path that reaches it. This pass reads each compiled template's
syntax tree and checks each dotted reference before anything runs:

- ``input.<field>`` against the workflow's ``input:`` (when it declares one);
- ``steps.<id>`` against the steps of the workflow, and against where the
  reference sits: a step's output exists only after the step ran, so the step
  must come before this one on some path (a loop's or parallel's own templates
  may also name the steps inside it);
- ``steps.<id>.<key>`` against the keys the step's kind says it outputs
  (:meth:`engine.kinds.base.StepKind.outputs`: an llm step's ``output:`` or
  ``text``, a ``set`` step's keys, a ``parallel`` step's branch names, ...;
  per tenant, :meth:`~engine.kinds.base.StepKind.bound_outputs`: a skill's
  output model, a ``call`` step's called workflow's ``output:``), plus
  ``error`` for a step with ``on_error``;
- ``memory.<level>`` against ``memory.read``, ``loop.<id>`` against the loop
  steps, ``tenant.<id|tier|name>``, ``user.<id>``, and any other name against
  the template's own variables (``{% set %}``, ``{% for %}``).

Where a reference's type is declared (an ``input:`` field, an llm step's
``output:`` field), comparing it with a literal of another type (a number with
``'3'``: never equal, and ``<`` fails when it runs) or iterating a string (one
character at a time) is a warning, kept on ``ir.warnings`` (code
``template-type``): it never fails a compile.

A reference under ``is defined`` or ``| default(...)`` may be absent by design:
only the names in it are checked, not whether the step has run.

Problems point at the file, line and column of the reference: inside a ``.j2``
file, or inside the YAML value (a block scalar's own lines included).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes

from engine.errors import Problem
from engine.ir import IRNode, WorkflowIR
from engine.kinds.base import Binding
from engine.kinds.registry import StepKinds
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath, Source, format_path
from engine.templating import ENV, Template

Locate = Callable[[DocPath], Source]
ReadFile = Callable[[str], "str | None"]

ROOTS = ("input", "steps", "memory", "loop", "tenant", "user")
#: What Jinja2 offers every template besides the data (the sandbox refuses what is unsafe in them).
_JINJA_NAMES = frozenset(ENV.globals) | {"true", "false", "none", "True", "False", "None"}
_FIELDS = {"tenant": ("id", "tier", "name"), "user": ("id",)}
#: Python and JavaScript names authors reach for, and what Jinja2 says instead.
_INSTEAD = {"len": "use a filter: 'x | length'", "null": "write 'none'", "undefined": "test it: 'x is defined'",
            "str": "use a filter: 'x | string'", "int": "use a filter: 'x | int'", "float": "use a filter: 'x | float'",
            "this": "a template sees input, steps, memory, loop, tenant and user",
            "self": "a template sees input, steps, memory, loop, tenant and user"}


@dataclass(frozen=True)
class Reference:
    root: str
    segments: tuple[str | int, ...]
    line: int
    #: Under ``is defined`` / ``| default``: may be absent by design.
    guarded: bool
    #: Inside a ``{% for %}`` body, where ``loop`` is Jinja2's loop variable.
    in_for: bool


@dataclass(frozen=True)
class PendingReference:
    """``steps.<step>.<key>`` where the step's keys depend on the tenant; ``where`` is its place."""

    step: str
    key: str
    where: Problem


def check_bound_references(ir: WorkflowIR, b: Binding, kinds: StepKinds) -> list[Problem]:
    """The pending references of ``ir`` against the output keys of the implementations ``b``'s tenant gets."""
    problems: list[Problem] = []
    keys_of: dict[str, frozenset[str] | None] = {}
    for pending in ir.pending_references:
        if pending.step not in keys_of:
            step = ir.nodes[pending.step].step
            assert step is not None
            found = kinds.of(step).bound_outputs(step, b)
            if found is not None and step.on_error not in (None, "fail"):
                found = found | {"error"}
            keys_of[pending.step] = found
        keys = keys_of[pending.step]
        if keys is not None and pending.key not in keys:
            w = pending.where
            problems.append(Problem(w.file, w.line, w.col, w.location,
                                    f"step '{pending.step}' has no output '{pending.key}' "
                                    f"(in 'steps.{pending.step}.{pending.key}')", did_you_mean(pending.key, keys),
                                    code="template-reference"))
    return problems


def check_references(ir: WorkflowIR, locate: Locate, kinds: StepKinds, read: ReadFile) -> list[Problem]:
    """Every reference problem of every template kept on ``ir`` (compiled by the check pass); type warnings
    go to ``ir.warnings``."""
    steps = {n.id: n for n in ir.nodes.values() if n.step is not None and n.kind == n.step.kind}
    by_path = {n.path: n for n in steps.values()}
    checker = _Checker(ir, steps, kinds, locate, read)
    problems: list[Problem] = []
    for path, compiled in ir.compiled.items():
        node = _owner(by_path, path)
        if node is None:
            continue
        for sub, template in _templates(compiled, ()):
            problems += checker.check(node, (*path, *sub), template)
    return problems


def _owner(by_path: dict[DocPath, IRNode], path: DocPath) -> IRNode | None:
    for end in range(len(path), 0, -1):
        found = by_path.get(path[:end])
        if found is not None:
            return found
    return None


def _templates(value: Any, sub: DocPath) -> Iterator[tuple[DocPath, Template]]:
    if isinstance(value, Template):
        yield sub, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _templates(item, (*sub, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _templates(item, (*sub, i))


class _Checker:
    def __init__(self, ir: WorkflowIR, steps: dict[str, IRNode], kinds: StepKinds, locate: Locate,
                 read: ReadFile):
        self.ir, self.steps, self.kinds, self.locate, self.read = ir, steps, kinds, locate, read
        self.inputs = set(ir.spec.input)
        self.memory = set(ir.spec.memory.read or ())
        self.loops = {i for i, n in steps.items() if n.kind == "loop"}
        self._before: dict[str, set[str]] = {}
        self.pending: list[tuple[str, Reference]] = []

    def check(self, node: IRNode, path: DocPath, template: Template) -> list[Problem]:
        try:
            tree = ENV.parse(template.source)
        except Exception:  # noqa: BLE001 (a syntax error is the check pass's own problem)
            return []
        local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        problems = []
        seen: dict[tuple[int, str, tuple[str | int, ...]], int] = {}
        for ref in _references(tree):
            self.pending.clear()
            found = self._problem(node, ref, local)
            for step_id, pending in self.pending:
                where = self._at(path, template, pending, 1, "", "", 0)
                self.ir.pending_references.append(PendingReference(step_id, str(pending.segments[1]), where))
            if found is not None:
                message, hint, bad = found
                # The same mistake twice on one line: the second problem points at the second one.
                key = (ref.line, ref.root, ref.segments[:bad + 1])
                nth = seen[key] = seen.get(key, -1) + 1
                problems.append(self._at(path, template, ref, bad, message, hint, nth))
        for ref, message, hint in self._mismatches(tree, local):
            self.ir.warnings.append(self._at(path, template, ref, len(ref.segments) - 1, message, hint, 0,
                                             code="template-type"))
        return problems

    def _mismatches(self, tree: nodes.Node, local: set[str]) -> Iterator[tuple[Reference, str, str]]:
        """Comparisons of a typed reference with a literal of another type, and loops over a string."""
        for compare in tree.find_all(nodes.Compare):
            left = compare.expr
            for operand in compare.ops:
                if operand.op in _ORDERING:
                    for a, b in ((left, operand.expr), (operand.expr, left)):
                        typed = self._typed(a, local)
                        if typed is not None and isinstance(b, nodes.Const):
                            found = _mismatch(typed[1], b.value)
                            if found is not None:
                                yield typed[0], *found
                left = operand.expr
        for loop in tree.find_all(nodes.For):
            typed = self._typed(loop.iter, local)
            if typed is not None and typed[1] == "string":
                yield (typed[0], "iterates over a string, one character at a time",
                       "declare the field as type: array to loop over its items")

    def _typed(self, node: nodes.Node, local: set[str]) -> tuple[Reference, str] | None:
        """``node`` as a reference, and its declared type, where one is declared."""
        chain = _chain(node)
        if chain is None or chain[2] or chain[0] in local:
            return None
        root, segs, _ = chain
        declared: str | None = None
        if root == "input" and len(segs) == 1:
            spec = self.ir.spec.input.get(str(segs[0]))
            declared = spec.type if spec is not None else None
        elif root == "steps" and len(segs) == 2:
            target = self.steps.get(str(segs[0]))
            if target is not None and target.step is not None:
                declared = self.kinds.of(target.step).output_types(target.step).get(str(segs[1]))
        if declared is None:
            return None
        return Reference(root, segs, node.lineno, guarded=False, in_for=False), declared

    def _problem(self, node: IRNode, ref: Reference, local: set[str]) -> tuple[str, str, int] | None:
        """(message, hint, index of the bad segment: -1 for the root) of ``ref``, or None when it is sound."""
        root, segs = ref.root, ref.segments
        if root in local or root in _JINJA_NAMES or (root == "loop" and ref.in_for):
            return None
        if root not in ROOTS:
            hint = _INSTEAD.get(root) or did_you_mean(root, [*ROOTS, *local])
            return f"unknown name '{root}'", hint or f"a template sees {', '.join(ROOTS)}", -1
        if not segs or not isinstance(segs[0], str):
            return None
        first = segs[0]
        if root == "input":
            if self.inputs and first not in self.inputs:
                return f"input has no field '{first}'", did_you_mean(first, self.inputs), 0
        elif root == "steps":
            return self._step(node, ref, first)
        elif root == "memory":
            if first not in self.memory:
                return (f"memory level '{first}' is not read by this workflow",
                        did_you_mean(first, self.memory) if self.memory else "declare it in memory.read", 0)
        elif root == "loop":
            if first not in self.loops:
                return f"no loop step '{first}'", did_you_mean(first, self.loops), 0
        elif first not in _FIELDS[root]:
            return f"{root} has no field '{first}'", did_you_mean(first, _FIELDS[root]), 0
        return None

    def _step(self, node: IRNode, ref: Reference, step_id: str) -> tuple[str, str, int] | None:
        target = self.steps.get(step_id)
        if target is None:
            return f"no step '{step_id}' in this workflow", did_you_mean(step_id, self.steps), 0
        if not ref.guarded and step_id not in self._available(node):
            return (f"step '{step_id}' has not run when step '{node.id}' runs, on any path",
                    "a step's output exists only after it ran: move the reference, or test it with "
                    "'is defined'", 0)
        if len(ref.segments) < 2 or not isinstance(ref.segments[1], str):
            return None
        assert target.step is not None
        keys = self.kinds.of(target.step).outputs(target.step)
        if keys is None:
            # The keys depend on the tenant's implementation: checked per tenant (check_bound_references).
            self.pending.append((step_id, ref))
            return None
        if target.step.on_error not in (None, "fail"):
            keys = keys | {"error"}
        key = ref.segments[1]
        if key not in keys:
            return f"step '{step_id}' has no output '{key}'", did_you_mean(key, keys), 1
        return None

    def _available(self, node: IRNode) -> set[str]:
        """Steps that can have run before ``node`` (its ancestors), and the steps nested in it."""
        found = self._before.get(node.id)
        if found is None:
            preds: dict[str, list[str]] = {}
            for edge in self.ir.edges:
                preds.setdefault(edge.target, []).append(edge.source)
            seen: set[str] = set()
            todo = list(preds.get(node.id, ()))
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo.extend(preds.get(current, ()))
            depth = len(node.path)
            seen |= {s for s, n in self.steps.items() if len(n.path) > depth and n.path[:depth] == node.path}
            found = self._before[node.id] = seen
        return found

    def _at(self, path: DocPath, template: Template, ref: Reference, bad: int, message: str, hint: str,
            nth: int, code: str = "template-reference") -> Problem:
        lines = template.source.split("\n")
        text = lines[ref.line - 1] if 0 < ref.line <= len(lines) else ""
        col = _column(text, ref, bad, nth)
        written = f"{ref.root}{''.join(f'.{s}' for s in ref.segments[:max(bad, 0) + 1])}"
        message = f"{message} (in '{written}')" if bad >= 0 else message
        src = self.locate(path)
        if template.file != src.file:  # a template file: its own lines
            return Problem(template.file, ref.line, col, format_path(src.path or path), message, hint, code=code)
        line, col = _in_yaml(self.read(src.file), src, ref.line, col, template)
        return Problem(src.file, line, col, format_path(src.path or path), message, hint, code=code)


#: Comparisons whose operands must be of one type (``in`` is not one: ``'a' in input.tags``).
_ORDERING = frozenset({"eq", "ne", "lt", "gt", "lteq", "gteq"})


def _mismatch(declared: str, value: object) -> tuple[str, str] | None:
    """(message, hint) when a reference declared ``declared`` is compared with the literal ``value``."""
    if declared in ("number", "integer") and isinstance(value, str):
        try:
            float(value)
            fix = f"write the number without quotes: {value}"
        except ValueError:
            fix = "compare it with a number, or declare the field as type: string"
        return (f"a {declared} compared with the string {value!r}",
                f"a {declared} never equals a string, and < or > fails when it runs; {fix}")
    if declared == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return (f"a string compared with the number {value}",
                f"a string never equals a number, and < or > fails when it runs; quote it: '{value}', "
                f"or declare the field as type: number")
    return None


def _column(text: str, ref: Reference, bad: int, nth: int = 0) -> int:
    """1-based column of the ``nth`` occurrence of the reference in ``text`` (its line of the template)."""
    pattern = re.escape(ref.root)
    for seg in ref.segments[:max(bad, 0) + 1]:
        pattern += (rf"\s*(?:\.\s*{re.escape(str(seg))}|\[\s*['\"]?{re.escape(str(seg))}['\"]?\s*\])")
    found = list(re.finditer(rf"(?<![\w.]){pattern}", text)) or list(
        re.finditer(rf"(?<![\w.]){re.escape(ref.root)}\b", text))
    return found[min(nth, len(found) - 1)].start() + 1 if found else 1


def _in_yaml(text: str | None, src: Source, line: int, col: int, template: Template) -> tuple[int, int]:
    """File line and column of (``line``, ``col``) of a template written as the YAML value at ``src``."""
    if text is None:
        return src.line, src.col
    rows = text.split("\n")
    start = rows[src.line - 1][src.col - 1:] if 0 < src.line <= len(rows) else ""
    if _wrapped(template) and not start.lstrip("'\"").startswith("{{"):
        col = max(col - 3, 1)  # a condition (when:, until:) is compiled as "{{ <condition> }}"
    if start[:1] in ("|", ">"):
        # A block scalar: the template's first line is the line after the indicator.
        body = next((r for r in rows[src.line:] if r.strip()), "")
        indent = len(body) - len(body.lstrip(" "))
        return src.line + line, indent + col
    if line == 1:
        return src.line, src.col + (1 if start[:1] in ("'", '"') else 0) + col - 1
    return src.line + line - 1, col


def _wrapped(template: Template) -> bool:
    return template._expression is not None and template.source.startswith("{{ ") and template.source.endswith(" }}")


def _references(tree: nodes.Node) -> Iterator[Reference]:
    yield from _walk(tree, guarded=False, in_for=False)


def _walk(node: nodes.Node, *, guarded: bool, in_for: bool) -> Iterator[Reference]:
    chain = _chain(node)
    if chain is not None:
        root, segs, inner = chain
        yield Reference(root, segs, node.lineno, guarded, in_for)
        for extra in inner:  # a computed index: steps[name], where `name` is itself a reference
            yield from _walk(extra, guarded=guarded, in_for=in_for)
        return
    if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
        yield from _walk(node.node, guarded=True, in_for=in_for)
        for arg in node.args:
            yield from _walk(arg, guarded=guarded, in_for=in_for)
        return
    if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None:
        yield from _walk(node.node, guarded=True, in_for=in_for)
        for arg in node.args:
            yield from _walk(arg, guarded=guarded, in_for=in_for)
        return
    if isinstance(node, nodes.For):
        yield from _walk(node.iter, guarded=guarded, in_for=in_for)
        for child in [*node.body, *node.else_]:
            yield from _walk(child, guarded=guarded, in_for=True)
        if node.test is not None:
            yield from _walk(node.test, guarded=guarded, in_for=True)
        return
    for child in node.iter_child_nodes():
        yield from _walk(child, guarded=guarded, in_for=in_for)


def _chain(node: nodes.Node) -> tuple[str, tuple[str | int, ...], list[nodes.Node]] | None:
    """``steps.a['b'].c`` -> ("steps", ("a", "b", "c"), []); a computed index stops the chain there."""
    segs: list[str | int] = []
    inner: list[nodes.Node] = []
    current = node
    while True:
        if isinstance(current, nodes.Getattr):
            segs.append(current.attr)
            current = current.node
        elif isinstance(current, nodes.Getitem):
            if isinstance(current.arg, nodes.Const) and isinstance(current.arg.value, (str, int)):
                segs.append(current.arg.value)
            else:
                inner.append(current.arg)
                segs.clear()  # only what precedes a computed index can be checked
            current = current.node
        elif isinstance(current, nodes.Name) and current.ctx == "load":
            return current.name, tuple(reversed(segs)), inner
        else:
            return None
