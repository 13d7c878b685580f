"""Control flow and data nodes as a workflow author sees them run.

switch, parallel (fork and join), loop, call, set, return, next jumps, and
remember/recall through namespaced memory, each for more than one tenant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from engine.engine import Engine
from engine.errors import AuthError
from engine.kinds.base import RunContext
from engine.project import load_project

# Counts calls per (tenant, label), so loops and jumps can be counted exactly.
COUNTER = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

SEEN = []


@skill("count")
def count(*, label: str, ctx: SkillContext) -> dict:
    SEEN.append((ctx.tenant.tenant_id, label))
    return {"label": label, "n": sum(1 for t, l in SEEN if t == ctx.tenant.tenant_id and l == label)}
'''


def _wf(name: str, body: str, inputs: str = "  kind: {type: string}\n", extra: str = "") -> str:
    return (f"apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {{name: {name}}}\n"
            f"input:\n{inputs}{extra}steps:\n{body}")


SWITCH = _wf("switch", """\
  - id: route
    switch:
      - when: "input.kind == 'a'"
        goto: path_a
      - when: "input.kind in ['b', 'bee']"
        goto: path_b
      - default: path_default
  - id: path_a
    skill: count
    with: {label: a}
    next: done
  - id: path_b
    skill: count
    with: {label: b}
    next: done
  - id: path_default
    skill: count
    with: {label: default}
  - id: done
    set: {tenant: "{{ tenant.id }}"}
  - return: {route: "{{ steps.route.goto }}", tenant: "{{ steps.done.tenant }}"}
""")

PARALLEL = _wf("parallel", """\
  - id: fan
    parallel:
      branches:
        left:
          - id: l1
            skill: echo
            with: {text: "left {{ input.kind }}"}
          - id: l2
            set: {shout: "{{ steps.l1.text | upper }}"}
        right:
          - id: r1
            skill: echo
            with: {text: "right {{ input.kind }}"}
  - return: {fan: "{{ steps.fan }}", l1: "{{ steps.l1.text }}", r1: "{{ steps.r1.text }}"}
""")

LOOP = _wf("loop", """\
  - id: spin
    loop:
      max_iterations: 4
      until: "loop.spin >= input.stop"
      steps:
        - id: tick
          skill: count
          with: {label: "tick-{{ loop.spin }}"}
        - id: seen
          set: {iteration: "{{ loop.spin }}"}
  - return: {spin: "{{ steps.spin }}", last: "{{ steps.seen.iteration }}"}
""", inputs="  stop: {type: integer}\n")

CALL = _wf("caller", """\
  - id: own
    llm: {prompt: "Before the call"}
  - id: sub
    call: hello
    with: {text: "from the parent {{ input.kind }}"}
  - return: {sub: "{{ steps.sub }}", reply: "{{ steps.sub.reply }}"}
""")

DATA = _wf("data", """\
  - id: pick
    switch:
      - when: "input.kind == 'early'"
        goto: early
      - when: "input.kind == 'detour'"
        goto: detour
      - default: shape
  - id: early
    return: {who: "early {{ tenant.id }}"}
  - id: shape
    set:
      upper: "{{ input.kind | upper }}"
      parts: "{{ input.kind.split('-') }}"
      tenant: "{{ tenant.id }}"
      user: "{{ user.id }}"
    next: last
  - id: detour
    skill: count
    with: {label: detour}
  - id: last
    set: {from_shape: "{{ steps.shape.parts if steps.shape is defined else [] }}"}
  - return:
      who: "{{ tenant.id }}/{{ user.id }}"
      parts: "{{ steps.last.from_shape }}"
""")

MEMORY = _wf("memory", """\
  - id: before
    recall: {level: user, key: note}
  - id: save
    remember:
      level: user
      key: note
      value: {text: "{{ input.text }}", by: "{{ tenant.id }}"}
  - id: team
    remember:
      level: tenant
      key: "last-{{ user.id }}"
      value: {text: "{{ input.text }}"}
  - return:
      before: "{{ steps.before['items'] }}"
      loaded: "{{ memory }}"
""", inputs="  text: {type: string}\n", extra="memory: {read: [tenant, user], write: [tenant, user]}\n")

FILES = {"skills/counter.py": COUNTER, "workflows/switch.yaml": SWITCH, "workflows/parallel.yaml": PARALLEL,
         "workflows/loop.yaml": LOOP, "workflows/caller.yaml": CALL, "workflows/data.yaml": DATA,
         "workflows/memory.yaml": MEMORY}


@pytest.fixture
def root(make_project) -> Path:
    return make_project(FILES)


@pytest.fixture
def engine(root: Path) -> Engine:
    return Engine(load_project(root))


def _seen(engine: Engine) -> list[tuple[str, str]]:
    definition = engine.project.registry.resolve("skill", "count", "alpha")
    assert definition is not None and definition.fn is not None
    seen: list[tuple[str, str]] = definition.fn.__globals__["SEEN"]
    return seen


# -- switch -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "goto", "label"), [
    ("a", "path_a", "a"),
    ("b", "path_b", "b"),
    ("bee", "path_b", "b"),
])
async def test_switch_takes_the_first_matching_case(engine: Engine, kind: str, goto: str, label: str) -> None:
    for tenant in ("alpha", "beta"):
        result = await engine.run("switch", engine.dev_context(tenant, "u1", "s1"), {"kind": kind})
        assert result.output == {"route": goto, "tenant": tenant}
        assert sorted(result.steps) == sorted(["route", goto, "done"])
    assert _seen(engine) == [("alpha", label), ("beta", label)]


async def test_switch_default_runs_only_the_default_step(engine: Engine) -> None:
    result = await engine.run("switch", engine.dev_context("beta", "u1", "s1"), {"kind": "zzz"})
    assert sorted(result.steps) == ["done", "path_default", "route"]
    assert result.output["tenant"] == "beta"
    assert _seen(engine) == [("beta", "default")]


async def test_switch_default_records_the_step_it_went_to(engine: Engine) -> None:
    result = await engine.run("switch", engine.dev_context("beta", "u1", "s1"), {"kind": "zzz"})
    assert result.steps["route"] == {"goto": "path_default"}


# -- parallel ---------------------------------------------------------------------------------

async def test_parallel_runs_every_branch_and_joins_their_last_outputs(engine: Engine) -> None:
    for tenant in ("alpha", "beta"):
        result = await engine.run("parallel", engine.dev_context(tenant, "u1", "s1"), {"kind": "k"})
        left = {"text": "left k", "impl": "shared", "tenant": tenant}
        right = {"text": "right k", "impl": "shared", "tenant": tenant}
        assert result.steps["l1"] == left and result.steps["r1"] == right
        assert result.steps["l2"] == {"shout": "LEFT K"}
        # The parallel step's own output: branch name -> that branch's last output.
        assert result.steps["fan"] == {"left": {"shout": "LEFT K"}, "right": right}
        assert result.output == {"fan": {"left": {"shout": "LEFT K"}, "right": right},
                                 "l1": "left k", "r1": "right k"}
    assert engine.graph_count() == 1


# -- loop -------------------------------------------------------------------------------------

async def test_loop_stops_at_max_iterations(engine: Engine) -> None:
    result = await engine.run("loop", engine.dev_context("alpha", "u1", "s1"), {"stop": 99})
    assert result.steps["spin"] == {"iterations": 4}
    assert result.output == {"spin": {"iterations": 4}, "last": 4}
    assert _seen(engine) == [("alpha", "tick-1"), ("alpha", "tick-2"), ("alpha", "tick-3"), ("alpha", "tick-4")]


async def test_loop_ends_early_when_until_holds(engine: Engine) -> None:
    result = await engine.run("loop", engine.dev_context("beta", "u1", "s1"), {"stop": 2})
    assert result.steps["spin"] == {"iterations": 2}
    assert result.output == {"spin": {"iterations": 2}, "last": 2}
    assert _seen(engine) == [("beta", "tick-1"), ("beta", "tick-2")]


async def test_loop_body_runs_once_when_until_holds_at_once(engine: Engine) -> None:
    result = await engine.run("loop", engine.dev_context("alpha", "u1", "s1"), {"stop": 1})
    assert result.output == {"spin": {"iterations": 1}, "last": 1}
    assert _seen(engine) == [("alpha", "tick-1")]


# -- call -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("tenant", "model", "price_in", "price_out"), [
    ("alpha", "small-v1", 0.001, 0.002),
    ("beta", "large-v1", 0.01, 0.03),
])
async def test_call_puts_the_sub_workflow_output_under_its_step_and_counts_its_usage(
        engine: Engine, tenant: str, model: str, price_in: float, price_out: float) -> None:
    result = await engine.run("caller", engine.dev_context(tenant, "u1", "s1"), {"kind": "x"})
    assert result.steps["sub"] == {"reply": f"[{model}] answer"}
    assert result.output == {"sub": {"reply": f"[{model}] answer"}, "reply": f"[{model}] answer"}
    # The parent's own LLM step and the callee's, both billed to this tenant's run.
    assert [(u["step"], u["tenant"], u["model"]) for u in result.usage] == [
        ("own", tenant, model), ("answer", tenant, model)]
    for u in result.usage:
        assert u["cost_usd"] == round(u["input_tokens"] / 1000 * price_in + u["output_tokens"] / 1000 * price_out, 8)
    summary = result.to_json()["usage"]
    assert summary["models"] == [model]
    assert summary["input_tokens"] == sum(u["input_tokens"] for u in result.usage) > 0


# -- set, return, next ------------------------------------------------------------------------

async def test_set_and_next_jump_over_a_step(engine: Engine) -> None:
    for tenant, user in (("alpha", "u1"), ("beta", "u2")):
        result = await engine.run("data", engine.dev_context(tenant, user, "s1"), {"kind": "red-green"})
        assert result.steps["shape"] == {"upper": "RED-GREEN", "parts": ["red", "green"], "tenant": tenant,
                                         "user": user}
        assert sorted(result.steps) == ["last", "pick", "shape"]
        assert result.output == {"who": f"{tenant}/{user}", "parts": ["red", "green"]}
    assert _seen(engine) == []


async def test_the_step_a_next_jumps_over_still_runs_on_its_own_path(engine: Engine) -> None:
    result = await engine.run("data", engine.dev_context("beta", "u2", "s1"), {"kind": "detour"})
    assert sorted(result.steps) == ["detour", "last", "pick"]
    assert result.output == {"who": "beta/u2", "parts": []}
    assert _seen(engine) == [("beta", "detour")]


async def test_return_ends_the_run_with_its_output(engine: Engine) -> None:
    for tenant in ("alpha", "beta"):
        result = await engine.run("data", engine.dev_context(tenant, "u1", "s1"), {"kind": "early"})
        assert result.output == {"who": f"early {tenant}"}
        assert sorted(result.steps) == ["pick"]
    assert _seen(engine) == []


# -- memory -----------------------------------------------------------------------------------

@pytest.fixture
def memory_engine(root: Path) -> Engine:
    return Engine(load_project(root), checkpointer=InMemorySaver(), store=InMemoryStore())


async def test_memory_never_crosses_tenants_with_the_same_user_id(memory_engine: Engine) -> None:
    engine = memory_engine
    first = await engine.run("memory", engine.dev_context("alpha", "u1", "s1"), {"text": "alpha's secret"})
    assert first.output == {"before": [], "loaded": {"tenant": [], "user": []}}
    assert first.steps["save"] == {"level": "user", "key": "note"}

    # Same user id, other tenant: nothing of alpha's, by recall or by the memory load.
    beta = await engine.run("memory", engine.dev_context("beta", "u1", "s1"), {"text": "beta's note"})
    assert beta.output == {"before": [], "loaded": {"tenant": [], "user": []}}

    # alpha's same user, in a new session, finds its own note; beta's note is not there.
    again = await engine.run("memory", engine.dev_context("alpha", "u1", "s2"), {"text": "second"})
    assert again.output == {
        "before": [{"text": "alpha's secret", "by": "alpha", "key": "note"}],
        "loaded": {"tenant": [{"text": "alpha's secret", "key": "last-u1"}],
                   "user": [{"text": "alpha's secret", "by": "alpha", "key": "note"}]},
    }
    # And beta's own user finds only beta's.
    beta_again = await engine.run("memory", engine.dev_context("beta", "u1", "s2"), {"text": "x"})
    assert beta_again.output["before"] == [{"text": "beta's note", "by": "beta", "key": "note"}]
    assert "alpha" not in repr(beta_again.output)
    assert engine.graph_count() == 1


async def test_memory_of_another_user_of_the_same_tenant_stays_private(memory_engine: Engine) -> None:
    engine = memory_engine
    await engine.run("memory", engine.dev_context("alpha", "u1", "s1"), {"text": "u1's note"})
    other = await engine.run("memory", engine.dev_context("alpha", "u2", "s1"), {"text": "u2's note"})
    assert other.output == {"before": [],
                            "loaded": {"tenant": [{"text": "u1's note", "key": "last-u1"}], "user": []}}


def _thread(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


async def test_a_thread_of_another_tenant_is_refused_before_any_step_runs(memory_engine: Engine) -> None:
    engine = memory_engine
    store = engine.store
    assert isinstance(store, InMemoryStore)
    compiled = engine.compile("switch", "alpha")
    with pytest.raises(AuthError) as caught:
        await compiled.graph.ainvoke({"input": {"kind": "a"}}, config=_thread("beta:u1:s1"),
                                     context=RunContext(engine.dev_context("alpha", "u1", "s1"), engine.services))
    assert str(caught.value) == "thread 'beta:u1:s1' does not belong to tenant 'alpha'"
    assert _seen(engine) == []
    # A memory workflow writes nothing either.
    with pytest.raises(AuthError):
        await engine.compile("memory", "alpha").graph.ainvoke(
            {"input": {"text": "alpha's data"}}, config=_thread("beta:u1:s1"),
            context=RunContext(engine.dev_context("alpha", "u1", "s1"), engine.services))
    assert store.search(("tenant",)) == []
    # A graph run with a bare tenant context, without the engine's services, is refused before any step.
    with pytest.raises(AuthError, match="no tenant context"):
        await compiled.graph.ainvoke({"input": {"kind": "a"}}, config=_thread("alpha:u1:s1"),
                                     context=engine.dev_context("alpha", "u1", "s1"))
    assert _seen(engine) == []
    # The owner runs on its own thread.
    own = await compiled.graph.ainvoke({"input": {"kind": "a"}}, config=_thread("alpha:u1:s1"),
                                       context=RunContext(engine.dev_context("alpha", "u1", "s1"), engine.services))
    assert own["output"] == {"route": "path_a", "tenant": "alpha"}
    assert _seen(engine) == [("alpha", "a")]


async def test_a_refused_run_writes_nothing_into_the_other_tenants_thread(memory_engine: Engine) -> None:
    engine = memory_engine
    graph = engine.compile("memory", "alpha").graph
    with pytest.raises(AuthError):
        await graph.ainvoke({"input": {"text": "alpha's data"}}, config=_thread("beta:u1:s1"),
                            context=engine.dev_context("alpha", "u1", "s1"))
    assert engine.checkpointer is not None
    assert [c async for c in engine.checkpointer.alist(_thread("beta:u1:s1"))] == []


async def test_a_second_run_in_the_same_session_starts_from_clean_run_state(memory_engine: Engine) -> None:
    engine = memory_engine
    ctx = engine.dev_context("beta", "u1", "s1")
    first = await engine.run("hello", ctx, {"text": "one"})
    second = await engine.run("hello", ctx, {"text": "two"})
    assert [(u["step"], u["model"]) for u in first.usage] == [("answer", "large-v1")]
    assert [(u["step"], u["model"]) for u in second.usage] == [("answer", "large-v1")]
    # Steps of an earlier run do not show up in a later one that took another route.
    switch_ctx = engine.dev_context("alpha", "u1", "s3")
    await engine.run("switch", switch_ctx, {"kind": "a"})
    again = await engine.run("switch", switch_ctx, {"kind": "b"})
    assert sorted(again.steps) == ["done", "path_b", "route"]
    assert again.output == {"route": "path_b", "tenant": "alpha"}
