"""Lower: an effective workflow becomes an IR graph with guards and memory wired in."""

from __future__ import annotations

from engine.compile.ir import (
    END,
    GUARD_INPUT,
    GUARD_OUTPUT,
    MEMORY_LOAD,
    START,
    IRNode,
    WorkflowIR,
)
from engine.compile.resolve import EffectiveWorkflow
from engine.errors import CompileError, Problem
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath
from engine.spec.workflow import Step

Scope = tuple[tuple[str, str], ...]

#: on_error values that are not step ids.
ON_ERROR_KEYWORDS = ("continue", "fail")


def lower(effective: EffectiveWorkflow) -> WorkflowIR:
    """Build the IR: START -> guard.input -> [memory.load] -> steps -> guard.output -> END."""
    return _Lowering(effective).run()


class _Goto:
    """A successor written by the author (``next:``), resolved once all steps exist."""

    def __init__(self, step: str, path: DocPath):
        self.step, self.path = step, path


class _Lowering:
    def __init__(self, effective: EffectiveWorkflow):
        self.eff = effective
        self.ir = WorkflowIR(effective.name, effective.spec)
        self.problems: list[Problem] = []
        #: step id -> scope, to check that gotos stay in reach.
        self.scopes: dict[str, Scope] = {}
        self.pending: list[tuple[str, str, str, DocPath, Scope]] = []

    def run(self) -> WorkflowIR:
        ir = self.ir
        ir.add(IRNode(GUARD_INPUT, "guard_input"))
        ir.add(IRNode(GUARD_OUTPUT, "guard_output"))
        ir.connect(START, GUARD_INPUT)
        first = self._sequence(self.eff.spec.steps, ("steps",), GUARD_OUTPUT, ())
        after_guard = first
        if self.eff.spec.memory.read:
            ir.add(IRNode(MEMORY_LOAD, "memory_load"))
            ir.connect(MEMORY_LOAD, first)
            after_guard = MEMORY_LOAD
        ir.connect(GUARD_INPUT, after_guard, "ok")
        ir.connect(GUARD_INPUT, GUARD_OUTPUT, "blocked")
        ir.connect(GUARD_OUTPUT, END)
        self._resolve_gotos()
        if self.problems:
            raise CompileError(self.problems)
        return ir

    def _sequence(self, steps: list[Step], path: DocPath, exit_to: str, scope: Scope) -> str:
        """Lower a list of steps; return the id of its entry node."""
        ids = [self._node_id(step, (*path, i)) for i, step in enumerate(steps)]
        for i, step in enumerate(steps):
            follow = ids[i + 1] if i + 1 < len(steps) else exit_to
            self._step(step, ids[i], (*path, i), follow, scope)
        return ids[0]

    def _node_id(self, step: Step, path: DocPath) -> str:
        if step.id is not None:
            return step.id
        # A return step may go without an id; name it by its place.
        return "return_" + "_".join(str(p) for p in path[1:] if isinstance(p, int))

    def _step(self, step: Step, node_id: str, path: DocPath, follow: str, scope: Scope) -> None:
        ir = self.ir
        kind = step.kind
        if node_id in ir.nodes:  # a duplicate id was reported by the loader
            return
        ir.add(IRNode(node_id, kind, step, path, scope))  # type: ignore[arg-type]
        self.scopes[node_id] = scope
        nxt: str | _Goto = follow
        if step.next is not None:
            if kind in ("return", "switch"):
                self.problems.append(self.eff.problem((*path, "next"), f"a {kind} step cannot have 'next'",
                                                      code="bad-next"))
            nxt = _Goto(step.next, (*path, "next"))
        if kind == "return":
            ir.connect(node_id, GUARD_OUTPUT)
        elif kind == "switch":
            assert step.switch is not None
            has_default = False
            for i, case in enumerate(step.switch):
                if case.default is not None:
                    has_default = True
                    self._goto(node_id, case.default, "default", (*path, "switch", i, "default"), scope)
                else:
                    assert case.goto is not None
                    self._goto(node_id, case.goto, f"case{i}", (*path, "switch", i, "goto"), scope)
            if not has_default:
                ir.connect(node_id, follow, "default")
        elif kind == "loop":
            assert step.loop is not None
            tail = f"{node_id}.next"
            inner: Scope = (*scope, ("loop", node_id))
            body = self._sequence(step.loop.steps, (*path, "loop", "steps"), tail, inner)
            ir.add(IRNode(tail, "loop_next", step, path, scope))
            ir.connect(node_id, body)
            ir.connect(tail, body, "again", back=True)
            self._exit(tail, nxt, "done", path, scope)
        elif kind == "parallel":
            assert step.parallel is not None
            join = f"{node_id}.join"
            ir.add(IRNode(join, "join", step, path, scope))
            for name, branch in step.parallel.branches.items():
                inner = (*scope, ("branch", f"{node_id}/{name}"))
                entry = self._sequence(branch, (*path, "parallel", "branches", name), join, inner)
                ir.connect(node_id, entry)
            self._exit(join, nxt, "", path, scope)
        else:
            on_error = step.on_error
            if on_error is not None and on_error not in ON_ERROR_KEYWORDS:
                self._goto(node_id, on_error, "error", (*path, "on_error"), scope)
                self._exit(node_id, nxt, "ok", path, scope)
            else:
                self._exit(node_id, nxt, "", path, scope)

    def _exit(self, source: str, target: str | _Goto, label: str, path: DocPath, scope: Scope) -> None:
        if isinstance(target, _Goto):
            self._goto(source, target.step, label, target.path, scope)
        else:
            self.ir.connect(source, target, label, path=path)

    def _goto(self, source: str, target: str, label: str, path: DocPath, scope: Scope) -> None:
        self.pending.append((source, target, label, path, scope))

    def _resolve_gotos(self) -> None:
        steps = {n.id for n in self.ir.nodes.values() if n.step is not None and "." not in n.id}
        for source, target, label, path, scope in self.pending:
            if target not in steps:
                self.problems.append(self.eff.problem(path, f"goto to unknown step '{target}'",
                                                      hint=did_you_mean(target, steps), code="unknown-goto"))
                continue
            target_scope = self.scopes[target]
            if target_scope != scope[: len(target_scope)] or any(k == "branch" for k, _ in scope[len(target_scope):]):
                self.problems.append(self.eff.problem(
                    path, f"goto '{target}' jumps into a loop or into/out of a parallel branch",
                    hint="a goto may target a step in the same list or in an enclosing loop's list",
                    code="goto-scope"))
                continue
            self.ir.connect(source, target, label, path=path)
