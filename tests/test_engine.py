from pathlib import Path

import pytest

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


async def test_a_missing_scripted_answer_for_a_json_step_says_what_to_add(make_project) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from engine.errors import RunError

    workflow = (
        "apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {name: hello}\ninput:\n  text: {type: string}\n"
        "steps:\n  - id: rate\n    llm:\n      prompt: \"Rate {{ input.text }}\"\n"
        "      output: {score: number, label: string}\n"
        "  - return: {reply: \"{{ steps.rate.label }}\"}\n")
    engine = Engine(load_project(make_project({"workflows/hello.yaml": workflow})), checkpointer=InMemorySaver())
    with pytest.raises(RunError) as err:
        await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert str(err.value).endswith(
        "the scripted model has no answer for step 'rate': it answered with its fixture's default, not the JSON "
        "object the step's output declares; add to the scripted fixture (or the test case's model.responses):\n"
        "  - step: rate\n    json: {score: 0.5, label: \"...\"}")


BUGGY_SKILLS = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("shout")
def shout(*, text: str, ctx: SkillContext) -> dict[str, str]:
    return {"text": text.uper()}


@skill("count")
def count(*, text: str, ctx: SkillContext) -> int:
    return "many"
'''


@pytest.mark.parametrize(("skill", "expected"), [
    ("shout", "step 'first' failed: AttributeError: 'str' object has no attribute 'uper' "
              "(at skills/buggy.py:7 in shout)"),
    ("count", "step 'first' failed: skill 'count' (skills/buggy.py) returned a value that does not match its return "
              "type: (output): Input should be a valid integer, unable to parse string as an integer"),
])
async def test_a_bug_in_a_skill_names_its_file_and_line(make_project, monkeypatch, skill, expected) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from engine.errors import RunError

    workflow = (
        "apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {name: hello}\ninput:\n  text: {type: string}\n"
        f"steps:\n  - id: first\n    skill: {skill}\n    with: {{text: \"{{{{ input.text }}}}\"}}\n"
        "  - return: {reply: done}\n")
    root = make_project({"workflows/hello.yaml": workflow, "skills/buggy.py": BUGGY_SKILLS})
    monkeypatch.chdir(root)
    engine = Engine(load_project(root), checkpointer=InMemorySaver())
    with pytest.raises(RunError) as err:
        await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert str(err.value) == expected
