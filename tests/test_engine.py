from pathlib import Path

from engine.engine import Engine
from engine.project import load_project


async def test_minimal_project_runs_for_two_tenants_on_their_tier_models(make_project):
    root: Path = make_project()
    engine = Engine(load_project(root))
    alpha = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    beta = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "hi"})
    assert alpha.output == {"reply": "[small-v1] answer"}
    assert beta.output == {"reply": "[large-v1] answer"}
    assert [u["model"] for u in alpha.usage] == ["small-v1"]
    assert engine.graph_count() == 1


async def test_a_second_run_on_the_same_session_starts_with_fresh_records(make_project):
    from langgraph.checkpoint.memory import InMemorySaver

    engine = Engine(load_project(make_project()), checkpointer=InMemorySaver())
    ctx = engine.dev_context("alpha", "u1", "s1")
    first = await engine.run("hello", ctx, {"text": "one"})
    second = await engine.run("hello", ctx, {"text": "two"})
    assert len(first.usage) == len(second.usage) == 1
    assert second.steps["first"]["text"] == "two"
    assert second.to_json()["usage"]["input_tokens"] == second.usage[0]["input_tokens"]


async def test_unknown_tenant_and_workflow_are_clear_errors(make_project):
    import pytest

    from engine.errors import AuthError, SpecError

    engine = Engine(load_project(make_project()))
    with pytest.raises(AuthError, match="unknown tenant 'gamma'"):
        engine.dev_context("gamma")
    with pytest.raises(SpecError) as err:
        engine.compile("helo", "alpha")
    assert str(err.value) == "unknown workflow 'helo' (did you mean 'hello'?)"
