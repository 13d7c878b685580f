"""Check: invariants proven on the IR before anything is emitted.

Structural (same for every tenant sharing the structure):
- every path from START reaches ``guard.input`` before any work step, and
  every path to END passes ``guard.output``;
- every step is reachable; every loop is bounded; cycles only through a
  loop's own back edge; parallel branches are straight lines;
- memory steps address only levels the workflow declared.

Per tenant (``check_bindings``): every skill, tool, model alias and called
workflow exists for the tenant, and every template compiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.compile.ir import END, GUARD_INPUT, GUARD_OUTPUT, START, WORK_KINDS, WorkflowIR
from engine.compile.resolve import PROMPT_SUFFIXES, EffectiveWorkflow, TenantSettings
from engine.errors import CompileError, Problem, TemplateError
from engine.skills.registry import SkillRegistry
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath, Source
from engine.spec.workflow import Step
from engine.templating import compile_tree, load_template_file

Locate = Callable[[DocPath], Source]


def check(ir: WorkflowIR, locate: Locate) -> None:
    """Raise CompileError with every structural problem of ``ir``."""
    problems = [*check_guards(ir), *check_reachable(ir, locate), *check_cycles(ir, locate),
                *check_loops(ir, locate), *check_branches(ir, locate), *check_memory(ir, locate)]
    if problems:
        raise CompileError(problems)


def _problem(locate: Locate, path: DocPath, message: str, hint: str = "", code: str = "") -> Problem:
    from engine.spec.source import format_path

    src = locate(path)
    return Problem(src.file, src.line, src.col, format_path(src.path or path), message, hint, code)


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


def check_guards(ir: WorkflowIR) -> list[Problem]:
    """Guards are proven by reachability with each guard node taken out."""
    file = ir.name
    problems: list[Problem] = []
    for guard in (GUARD_INPUT, GUARD_OUTPUT):
        if guard not in ir.nodes:
            problems.append(Problem(file, 0, 0, "", f"the graph has no {guard} node", code="guard-missing"))
    if problems:
        return problems
    unguarded = sorted(n for n in _reach(ir, START, removed=GUARD_INPUT)
                       if n in ir.nodes and ir.nodes[n].kind in WORK_KINDS)
    if unguarded:
        problems.append(Problem(file, 0, 0, "", f"steps reachable from START without passing {GUARD_INPUT}: "
                                f"{', '.join(unguarded)}", code="guard-bypass"))
    if END in _reach(ir, START, removed=GUARD_OUTPUT):
        problems.append(Problem(file, 0, 0, "", f"a path reaches END without passing {GUARD_OUTPUT}",
                                code="guard-bypass"))
    return problems


def check_reachable(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    reached = _reach(ir, START)
    return [_problem(locate, node.path, f"step '{node.id}' is unreachable",
                     hint="no step, goto or branch leads to it", code="unreachable")
            for node in ir.nodes.values() if node.id not in reached and node.step is not None
            and node.kind not in ("loop_next", "join")]


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
                problems.append(_problem(locate, where, "unbounded loop: steps " + " -> ".join([*cycle, nxt])
                                         + " form a cycle", hint="repeat work with a loop step and max_iterations",
                                         code="unbounded-loop"))
            elif color.get(nxt, white) == white:
                visit(nxt)
        stack.pop()
        color[node] = black

    visit(START)
    return problems


def check_loops(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    problems = []
    for node in ir.nodes.values():
        if node.kind == "loop" and node.step is not None and node.step.loop is not None:
            if node.step.loop.max_iterations is None:
                problems.append(_problem(locate, (*node.path, "loop"), f"unbounded loop '{node.id}': "
                                         "max_iterations is required", hint="add max_iterations: N",
                                         code="unbounded-loop"))
    return problems


def check_branches(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    """A parallel branch is a straight line of steps, so its join always fires."""
    problems = []
    for node in ir.nodes.values():
        if node.step is None or not any(kind == "branch" for kind, _ in node.scope) or node.kind in ("join",):
            continue
        step = node.step
        if node.kind in ("switch", "loop", "parallel", "return"):
            problems.append(_problem(locate, node.path, f"a {node.kind} step cannot sit inside a parallel branch",
                                     hint="move it after the parallel step, or into a sub-workflow with call",
                                     code="branch-shape"))
        elif step.next is not None or (step.on_error not in (None, "continue", "fail")):
            problems.append(_problem(locate, node.path, "steps inside a parallel branch cannot jump (next/on_error)",
                                     hint="use on_error: continue", code="branch-shape"))
    return problems


def check_memory(ir: WorkflowIR, locate: Locate) -> list[Problem]:
    plan = ir.spec.memory
    problems = []
    for node in ir.nodes.values():
        step = node.step
        if step is None:
            continue
        if node.kind == "remember" and step.remember is not None and step.remember.level not in plan.write:
            problems.append(_problem(locate, (*node.path, "remember", "level"),
                                     f"remember writes level '{step.remember.level}' but the workflow declares "
                                     f"memory.write: [{', '.join(plan.write)}]", code="memory-undeclared"))
            if step.remember.level in ("global", "strategy"):
                problems.append(_problem(locate, (*node.path, "remember", "level"),
                                         f"level '{step.remember.level}' is read-only to tenants",
                                         code="memory-readonly"))
        if node.kind == "recall" and step.recall is not None and step.recall.level not in plan.read:
            problems.append(_problem(locate, (*node.path, "recall", "level"),
                                     f"recall reads level '{step.recall.level}' but the workflow declares "
                                     f"memory.read: [{', '.join(plan.read)}]", code="memory-undeclared"))
    if plan.read and "strategy" in plan.read and ir.spec.metadata.strategy is None:
        problems.append(_problem(locate, ("memory", "read"), "reading the strategy level needs metadata.strategy",
                                 code="memory-strategy"))
    for level in plan.write:
        if level in ("global", "strategy"):
            problems.append(_problem(locate, ("memory", "write"), f"level '{level}' is read-only to tenants",
                                     code="memory-readonly"))
    return problems


def check_bindings(ir: WorkflowIR, eff: EffectiveWorkflow, tenant: TenantSettings, registry: SkillRegistry,
                   workflows: Iterable[str], root: str) -> None:
    """Raise CompileError unless everything ``ir`` names exists for ``tenant``."""
    from pathlib import Path

    locate = eff.source
    known_workflows = set(workflows)
    problems: list[Problem] = []
    skills = registry.names("skill", tenant.tenant_id)
    tools = registry.names("tool", tenant.tenant_id)
    for node in ir.nodes.values():
        step = node.step
        if step is None or node.kind in ("loop_next", "join"):
            continue
        path = node.path
        if step.skill is not None:
            name, _, version = step.skill.partition("@")
            impl = registry.resolve("skill", name, tenant.tenant_id, version or None)
            if impl is not None and impl.prompt is not None:
                # A prompt skill's model obeys the same tier rules as an llm step.
                problems += _check_model(locate, (*path, "skill"), impl.prompt.llm.model, tenant)
            if impl is None:
                problems.append(_problem(locate, (*path, "skill"), f"unknown skill '{step.skill}' for tenant "
                                         f"'{tenant.tenant_id}'", hint=did_you_mean(name, skills),
                                         code="unknown-skill"))
            elif not tenant.entitlements.allows("skill", name):
                problems.append(_problem(locate, (*path, "skill"), f"tenant '{tenant.tenant_id}' is not entitled to "
                                         f"skill '{name}'", hint="add it to entitlements.skills in the tenant file",
                                         code="not-entitled"))
        if step.tool is not None and step.tool not in tools:
            problems.append(_problem(locate, (*path, "tool"), f"unknown tool '{step.tool}' for tenant "
                                     f"'{tenant.tenant_id}'", hint=did_you_mean(step.tool, tools), code="unknown-tool"))
        elif step.tool is not None and not tenant.entitlements.allows("tool", step.tool):
            problems.append(_problem(locate, (*path, "tool"), f"tenant '{tenant.tenant_id}' is not entitled to tool "
                                     f"'{step.tool}'", hint="add it to entitlements.tools in the tenant file",
                                     code="not-entitled"))
        if step.llm is not None:
            problems += _check_model(locate, (*path, "llm", "model"), step.llm.model, tenant)
            for i, tool_name in enumerate(step.llm.tools):
                if tool_name not in tools:
                    problems.append(_problem(locate, (*path, "llm", "tools", i), f"unknown tool '{tool_name}'",
                                             hint=did_you_mean(tool_name, tools), code="unknown-tool"))
            prompt = step.llm.prompt
            try:
                if prompt.endswith(PROMPT_SUFFIXES):
                    if not (Path(root) / prompt).is_file():
                        problems.append(_problem(locate, (*path, "llm", "prompt"), f"prompt file '{prompt}' not found",
                                                 code="missing-template"))
                    else:
                        load_template_file(Path(root) / prompt, prompt)
                else:
                    compile_tree(prompt, locate, (*path, "llm", "prompt"))
            except TemplateError as exc:
                problems.append(exc.problem())
        if step.call is not None:
            if step.call not in known_workflows:
                problems.append(_problem(locate, (*path, "call"), f"unknown workflow '{step.call}'",
                                         hint=did_you_mean(step.call, known_workflows), code="unknown-workflow"))
            elif not tenant.runs(step.call):
                problems.append(_problem(locate, (*path, "call"), f"tenant '{tenant.tenant_id}' does not run "
                                         f"workflow '{step.call}'", code="workflow-not-enabled"))
        problems += _check_expressions(locate, path, step)
    if problems:
        raise CompileError(problems)


def _check_model(locate: Locate, path: DocPath, alias: str, tenant: TenantSettings) -> list[Problem]:
    if alias == "tier":
        return []
    if alias not in tenant.catalog:
        return [_problem(locate, path, f"unknown model alias '{alias}'", hint=did_you_mean(alias, tenant.catalog),
                         code="unknown-model")]
    if alias not in tenant.allowed_models:
        return [_problem(locate, path, f"model '{alias}' is not allowed for tier '{tenant.tier}' (tenant "
                         f"'{tenant.tenant_id}')", hint=f"allowed: {', '.join(sorted(tenant.allowed_models))}",
                         code="model-not-allowed")]
    return []


def _check_expressions(locate: Locate, path: DocPath, step: Step) -> list[Problem]:
    """Compile every template and condition of a step so syntax errors surface at compile time."""
    errors: list[TemplateError] = []
    for key, value in (("with", step.with_), ("set", step.set), ("return", step.return_)):
        if value is not None:
            compile_tree(value, locate, (*path, key), errors=errors)
    for i, case in enumerate(step.switch or []):
        if case.when is not None:
            compile_tree(case.when, locate, (*path, "switch", i, "when"), expression=True, errors=errors)
    if step.loop is not None and step.loop.until is not None:
        compile_tree(step.loop.until, locate, (*path, "loop", "until"), expression=True, errors=errors)
    if step.remember is not None:
        compile_tree(step.remember.model_dump(), locate, (*path, "remember"), errors=errors)
    if step.recall is not None:
        compile_tree(step.recall.model_dump(), locate, (*path, "recall"), errors=errors)
    if step.llm is not None and step.llm.system is not None:
        compile_tree(step.llm.system, locate, (*path, "llm", "system"), errors=errors)
    return [e.problem() for e in errors]
