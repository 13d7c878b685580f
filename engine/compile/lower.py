"""Lower: an effective workflow becomes an IR graph with guards and memory wired in.

The pass owns the frame (START -> guard.input -> [memory.load] -> steps ->
guard.output -> END), step ids and gotos; each step kind wires its own node
(:meth:`engine.kinds.base.StepKind.lower`).
"""

from __future__ import annotations

from engine.compile.resolve import EffectiveWorkflow
from engine.errors import CompileError, Problem
from engine.ir import END, GUARD_INPUT, GUARD_OUTPUT, MEMORY_LOAD, START, IRNode, WorkflowIR
from engine.kinds.base import Goto, Scope
from engine.kinds.registry import StepKinds, step_kinds
from engine.spec.hints import did_you_mean
from engine.spec.source import DocPath
from engine.spec.workflow import Step


def lower(effective: EffectiveWorkflow, kinds: StepKinds | None = None) -> WorkflowIR:
    """Build the IR: START -> guard.input -> [memory.load] -> steps -> guard.output -> END."""
    return _Lowering(effective, kinds or step_kinds()).run()


class _Lowering:
    def __init__(self, effective: EffectiveWorkflow, kinds: StepKinds):
        self.eff, self.kinds = effective, kinds
        self.ir = WorkflowIR(effective.name, effective.spec, files=dict(effective.templates))
        self.problems: list[Problem] = []
        #: step id -> scope, to check that gotos stay in reach.
        self.scopes: dict[str, Scope] = {}
        self.pending: list[tuple[str, str, str, DocPath, Scope]] = []

    def run(self) -> WorkflowIR:
        ir = self.ir
        ir.add(IRNode(GUARD_INPUT, "guard_input"))
        ir.add(IRNode(GUARD_OUTPUT, "guard_output"))
        ir.connect(START, GUARD_INPUT)
        first = self.sequence(self.eff.spec.steps, ("steps",), GUARD_OUTPUT, ())
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

    # -- what a step kind may do (engine.kinds.base.Lowerer) ------------------------------

    def sequence(self, steps: list[Step], path: DocPath, exit_to: str, scope: Scope) -> str:
        ids = [self._node_id(step, (*path, i)) for i, step in enumerate(steps)]
        for i, step in enumerate(steps):
            follow = ids[i + 1] if i + 1 < len(steps) else exit_to
            self._step(step, ids[i], (*path, i), follow, scope)
        return ids[0]

    def goto(self, source: str, target: str, label: str, path: DocPath, scope: Scope) -> None:
        self.pending.append((source, target, label, path, scope))

    def exit(self, source: str, target: str | Goto, label: str, path: DocPath, scope: Scope) -> None:
        if isinstance(target, Goto):
            self.goto(source, target.step, label, target.path, scope)
        else:
            self.ir.connect(source, target, label, path=path)

    def report(self, path: DocPath, message: str, code: str) -> None:
        self.problems.append(self.eff.problem(path, message, code=code))

    # -- the frame ---------------------------------------------------------------------------

    def _node_id(self, step: Step, path: DocPath) -> str:
        if step.id is not None:
            return step.id
        # A step whose kind needs no id (return) is named by its kind and place: return_2.
        return f"{step.kind}_" + "_".join(str(p) for p in path[1:] if isinstance(p, int))

    def _step(self, step: Step, node_id: str, path: DocPath, follow: str, scope: Scope) -> None:
        kind = self.kinds.of(step)
        if node_id in self.ir.nodes:  # a duplicate id was reported by the loader
            return
        node = self.ir.add(IRNode(node_id, kind.name, step, path, scope))
        self.scopes[node_id] = scope
        nxt: str | Goto = follow
        if step.next is not None:
            if not kind.allows_next:
                self.report((*path, "next"), f"a {kind.name} step cannot have 'next'", code="bad-next")
            nxt = Goto(step.next, (*path, "next"))
        kind.lower(self, node, follow, nxt, scope)

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
