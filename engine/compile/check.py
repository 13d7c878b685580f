"""Check: invariants proven on the IR before anything is emitted.

Structural (same for every tenant sharing the structure, :func:`check`):
- every path from START reaches ``guard.input`` before any work step, and
  every path to END passes ``guard.output``;
- every step is reachable; cycles only through a loop's own back edge;
  parallel branches are straight lines;
- the workflow's memory plan is sound;
- each step kind's own checks (a loop is bounded, a memory step addresses a
  declared level, a prompt file exists), and every template and expression
  compiles: compiled once here, kept on the IR for the node builders.

Per tenant (:func:`check_bindings`): every skill, tool, model alias and
called workflow a step names exists for the tenant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.compile.references import check_bound_references
from engine.errors import CompileError, Problem, TemplateError
from engine.ir import END, GUARD_INPUT, GUARD_OUTPUT, START, WorkflowIR
from engine.kinds.base import Binding, TemplateRef, problem
from engine.kinds.registry import StepKinds, step_kinds
from engine.skills.registry import SkillRegistry
from engine.spec.source import DocPath, Source
from engine.templating import compile_tree
from engine.tenancy import TenantSettings

Locate = Callable[[DocPath], Source]


def check(ir: WorkflowIR, locate: Locate, kinds: StepKinds | None = None) -> None:
    """Raise CompileError with every structural problem of ``ir``."""
    kinds = kinds or step_kinds()
    problems = [*check_guards(ir, kinds), *check_reachable(ir, locate), *check_cycles(ir, locate),
                *check_branches(ir, locate, kinds), *check_memory(ir, locate), *check_kinds(ir, locate, kinds),
                *check_templates(ir, locate, kinds)]
    if problems:
        raise CompileError(problems)


def _reach(ir: WorkflowIR, start: str, removed: str | None = None) -> set[str]:
    succ = ir.successors()
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node in seen or node == removed:
            continue
        seen.add(node)
        todo.extend(succ.get(node, ()))
    return seen


def check_guards(ir: WorkflowIR, kinds: StepKinds) -> list[Problem]:
    """Guards are proven by reachability with each guard node taken out."""
    file = ir.name
    problems: list[Problem] = []
    for guard in (GUARD_INPUT, GUARD_OUTPUT):
        if guard not in ir.nodes:
            problems.append(Problem(file, 0, 0, "", f"the graph has no {guard} node", code="guard-missing"))
    if problems:
        return problems
    unguarded = sorted(n for n in _reach(ir, START, removed=GUARD_INPUT)
                       if n in ir.nodes and ir.nodes[n].kind in kinds.work)
    if unguarded:
        problems.append(Problem(file, 0, 0, "", f"steps reachable from START without passing {GUARD_INPUT}: "
                                f"{', '.join(unguarded)}", code="guard-bypass"))
    if END in _reach(ir, START, removed=GUARD_OUTPUT):
        problems.append(Problem(file, 0, 0, "", f"a path reaches END without passing {GUARD_OUTPUT}",
                                code="guard-bypass"))
    return problems


def check_reachable(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    reached = _reach(ir, START)
    return [problem(locate, node.path, f"step '{node.id}' is unreachable",
                     hint="no step, goto or branch leads to it", code="unreachable")
            for node in ir.nodes.values() if node.id not in reached and node.step is not None
            and node.kind == node.step.kind]


def check_cycles(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    """Without loop back edges the graph must be acyclic: other cycles are unbounded."""
    succ: dict[str, list[str]] = {}
    written: dict[tuple[str, str], DocPath] = {}
    for edge in ir.edges:
        if not edge.back:
            succ.setdefault(edge.source, []).append(edge.target)
            if edge.path:
                written[(edge.source, edge.target)] = edge.path
    white, grey, black = 0, 1, 2
    color: dict[str, int] = {}
    problems: list[Problem] = []
    stack: list[str] = []

    def visit(node: str) -> None:
        color[node] = grey
        stack.append(node)
        for nxt in succ.get(node, ()):
            if color.get(nxt, white) == grey:
                cycle = stack[stack.index(nxt):]
                # Point at the goto that closes the cycle: that is what the author changes.
                where = written.get((node, nxt)) or (ir.nodes[cycle[0]].path if cycle[0] in ir.nodes else ())
                problems.append(problem(locate, where, "unbounded loop: steps " + " -> ".join([*cycle, nxt])
                                         + " form a cycle", hint="repeat work with a loop step and max_iterations",
                                         code="unbounded-loop"))
            elif color.get(nxt, white) == white:
                visit(nxt)
        stack.pop()
        color[node] = black

    visit(START)
    return problems


def check_branches(ir: WorkflowIR, locate: Locate, kinds: StepKinds) -> list[Problem]:
    """A parallel branch is a straight line of steps, so its join always fires."""
    problems = []
    for node in ir.nodes.values():
        step = node.step
        if step is None or not any(kind == "branch" for kind, _ in node.scope) or node.kind != step.kind:
            continue
        if not kinds.of(step).in_branch:
            problems.append(problem(locate, node.path, f"a {node.kind} step cannot sit inside a parallel branch",
                                     hint="move it after the parallel step, or into a sub-workflow with call",
                                     code="branch-shape"))
        elif step.next is not None or (step.on_error not in (None, "continue", "fail")):
            problems.append(problem(locate, node.path, "steps inside a parallel branch cannot jump (next/on_error)",
                                     hint="use on_error: continue", code="branch-shape"))
    return problems


def check_memory(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    """The workflow's memory plan (each memory step's level is its kind's own check)."""
    plan = ir.spec.memory
    problems = []
    if plan.read and "strategy" in plan.read and ir.spec.metadata.strategy is None:
        problems.append(problem(locate, ("memory", "read"), "reading the strategy level needs metadata.strategy",
                                 code="memory-strategy"))
    for level in plan.write:
        if level in ("global", "strategy"):
            problems.append(problem(locate, ("memory", "write"), f"level '{level}' is read-only to tenants",
                                     code="memory-readonly"))
    return problems


def check_kinds(ir: WorkflowIR, locate: Locate, kinds: StepKinds) -> list[Problem]:
    """Each step kind's own structural checks."""
    problems: list[Problem] = []
    for node in ir.nodes.values():
        if node.step is not None and node.kind == node.step.kind:
            problems += kinds.of(node.step).check(node, ir, locate)
    return problems


def check_templates(ir: WorkflowIR, locate: Locate, kinds: StepKinds) -> list[Problem]:
    """Compile every template and condition of every step, once; keep them on the IR for the builders."""
    errors: list[TemplateError] = []
    for node in ir.nodes.values():
        step = node.step
        if step is None or node.kind != step.kind:
            continue
        refs = list(kinds.of(step).templates(step))
        if step.with_ is not None:
            # ``with`` is common to every kind: the values a step is called with.
            refs.insert(0, TemplateRef(("with",), step.with_))
        for ref in refs:
            path = (*node.path, *ref.sub)
            before = len(errors)
            compiled = compile_tree(ref.value, locate, path, expression=ref.expression, errors=errors)
            if len(errors) == before:
                ir.compiled[path] = compiled
    return [e.problem() for e in errors]


def check_bindings(ir: WorkflowIR, tenant: TenantSettings, skills: SkillRegistry, workflows: Iterable[str],
                   locate: Locate, kinds: StepKinds | None = None,
                   workflow_outputs: dict[str, frozenset[str]] | None = None) -> None:
    """Raise CompileError unless everything ``ir`` names exists for ``tenant``; ``workflow_outputs``: the
    output keys each workflow declares (for ``call`` steps)."""
    kinds = kinds or step_kinds()
    binding = Binding(tenant, skills, frozenset(workflows), locate, ir.files, workflow_outputs or {})
    problems: list[Problem] = []
    for node in ir.nodes.values():
        if node.step is not None and node.kind == node.step.kind:
            problems += kinds.of(node.step).bind(node, binding)
    problems += check_bound_references(ir, binding, kinds)
    if problems:
        raise CompileError(problems)
