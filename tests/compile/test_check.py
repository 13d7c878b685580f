"""The check pass proves guard, reachability and boundedness invariants on the IR."""

from __future__ import annotations

import pytest

from engine.compile.check import check
from engine.compile.lower import lower
from engine.compile.resolve import resolve_workflow
from engine.errors import CompileError
from engine.ir import END, GUARD_INPUT, GUARD_OUTPUT, START, IREdge
from engine.project import load_project


def _ir(make_project):
    project = load_project(make_project())
    eff = resolve_workflow(project, "hello", "alpha")
    return lower(eff), eff


def test_lowered_workflow_passes_every_check(make_project):
    ir, eff = _ir(make_project)
    check(ir, eff.source)
    assert [e for e in ir.edges if e.source == START] == [IREdge(START, GUARD_INPUT)]


def test_graph_whose_start_skips_the_input_guard_is_refused(make_project):
    ir, eff = _ir(make_project)
    ir.edges = [e for e in ir.edges if e.source != START] + [IREdge(START, "first")]
    with pytest.raises(CompileError) as err:
        check(ir, eff.source)
    messages = [p.message for p in err.value.problems]
    assert "steps reachable from START without passing guard.input: answer, first" in messages


def test_graph_with_a_side_door_around_the_input_guard_is_refused(make_project):
    ir, eff = _ir(make_project)
    # START still reaches the guard, but also a work step directly.
    ir.edges.append(IREdge(START, "answer"))
    with pytest.raises(CompileError) as err:
        check(ir, eff.source)
    assert any(p.code == "guard-bypass" and "answer" in p.message for p in err.value.problems)


def test_graph_reaching_end_without_the_output_guard_is_refused(make_project):
    ir, eff = _ir(make_project)
    ir.edges = [e for e in ir.edges if e.target != GUARD_OUTPUT or e.source == GUARD_INPUT]
    ir.edges.append(IREdge("return_2", END))
    with pytest.raises(CompileError) as err:
        check(ir, eff.source)
    assert "a path reaches END without passing guard.output" in [p.message for p in err.value.problems]


def test_graph_without_guard_nodes_is_refused(make_project):
    ir, eff = _ir(make_project)
    del ir.nodes[GUARD_INPUT]
    with pytest.raises(CompileError) as err:
        check(ir, eff.source)
    assert [p.message for p in err.value.problems] == ["the graph has no guard.input node"]


def test_cycle_outside_a_loop_step_is_unbounded(make_project):
    ir, eff = _ir(make_project)
    ir.edges.append(IREdge("answer", "first", "again"))
    with pytest.raises(CompileError) as err:
        check(ir, eff.source)
    problem = next(p for p in err.value.problems if p.code == "unbounded-loop")
    assert problem.message == "unbounded loop: steps first -> answer -> first form a cycle"
    assert (problem.file, problem.line) == ("workflows/hello.yaml", 9)


def test_loop_back_edge_is_the_one_allowed_cycle(make_project):
    workflow = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input: {text: {type: string}}
steps:
  - id: again
    loop:
      max_iterations: 3
      steps:
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
  - return: {n: "{{ steps.again.iterations }}"}
"""
    project = load_project(make_project({"workflows/hello.yaml": workflow}))
    eff = resolve_workflow(project, "hello", "alpha")
    ir = lower(eff)
    check(ir, eff.source)
    assert [e for e in ir.edges if e.back] == [IREdge("again.next", "first", "again", back=True)]
