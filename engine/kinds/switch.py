"""``switch:`` steps: the first case whose condition holds chooses the next step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

from engine.ir import IRNode
from engine.kinds.base import (
    Build,
    Goto,
    Lowerer,
    NodeFn,
    RunContext,
    Scope,
    StepKind,
    TemplateRef,
    context_of,
    variables,
)
from engine.spec.common import Strict
from engine.spec.workflow import Step

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from engine.state import RunState


class SwitchCase(Strict):
    when: str | None = None
    goto: str | None = None
    default: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> SwitchCase:
        if self.default is not None:
            if self.when is not None or self.goto is not None:
                raise ValueError("a default case has only 'default: STEP'")
        elif self.when is None or self.goto is None:
            raise ValueError("a case needs both 'when: EXPRESSION' and 'goto: STEP' (or is 'default: STEP')")
        return self


class Switch(StepKind):
    name = "switch"
    allows_next = False
    in_branch = False
    shape = ("{", "}")
    constraints = {"min_length": 1}

    def spec_type(self, step: Any) -> Any:
        return list[SwitchCase]

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        for i, case in enumerate(step.body):
            if case.when is not None:
                yield TemplateRef(("switch", i, "when"), case.when, expression=True)

    def outputs(self, step: Step) -> frozenset[str] | None:
        return frozenset({"goto"})

    def lower(self, lw: Lowerer, node: IRNode, follow: str, nxt: str | Goto, scope: Scope) -> None:
        has_default = False
        for i, case in enumerate(_cases(node)):
            if case.default is not None:
                has_default = True
                lw.goto(node.id, case.default, "default", (*node.path, "switch", i, "default"), scope)
            else:
                assert case.goto is not None
                lw.goto(node.id, case.goto, f"case{i}", (*node.path, "switch", i, "goto"), scope)
        if not has_default:
            lw.ir.connect(node.id, follow, "default")

    def edge_text(self, node: IRNode, label: str) -> str:
        if label.startswith("case"):
            when = _cases(node)[int(label[4:])].when
            if when is not None:
                return when
        return label

    def build(self, node: IRNode, b: Build) -> NodeFn:
        cases = [(f"case{i}", b.expression(node, ("switch", i, "when"), c.when), c.goto)
                 for i, c in enumerate(_cases(node)) if c.when is not None]
        default = next(e.target for e in b.ir.outgoing(node.id) if e.label == "default")

        async def run(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
            scope = variables(state, context_of(runtime))
            for label, condition, target in cases:
                if condition.render(scope):
                    return {"route": {node.id: label}, "steps": {node.id: {"goto": target}}}
            return {"route": {node.id: "default"}, "steps": {node.id: {"goto": default}}}

        return run


def _cases(node: IRNode) -> list[SwitchCase]:
    assert node.step is not None
    cases: list[SwitchCase] = node.step.body
    return cases
