"""A prompt skill declared in YAML: typed inputs, the tier's model rules, usage recorded."""

from __future__ import annotations

import pytest

from engine.engine import Engine
from engine.errors import CompileError, RunError
from engine.project import load_project
from tests.conftest import tenant_yaml

SKILL = """\
apiVersion: tenantflow/v1
kind: Skill
metadata: {name: shorten, version: "2", description: Shorten a text}
input:
  text: {type: string, maxLength: 50}
llm:
  model: MODEL
  prompt: "Shorten for {{ tenant.name }}: {{ input.text }}"
  output: {short: string}
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input: {text: {type: string}}
steps:
  - id: answer
    skill: shorten
    with: {text: "{{ input.text }}"}
  - return: {short: "{{ steps.answer.short }}"}
"""

FIXTURES = """\
responses:
  - step: answer
    match: "Shorten for Beta Inc"
    json: {short: "beta {model}"}
  - step: answer
    json: {short: "{model}"}
"""


def _engine(make_project, model: str) -> Engine:
    root = make_project({"skills/shorten.yaml": SKILL.replace("MODEL", model), "workflows/hello.yaml": WORKFLOW,
                         "fixtures/scripted.yaml": FIXTURES},
                        tenants={"alpha": tenant_yaml("alpha", "standard"),
                                 "beta": tenant_yaml("beta", "premium").replace("{id: beta}", "{id: beta, name: Beta Inc}")})
    return Engine(load_project(root))


async def test_prompt_skill_runs_on_each_tenants_model_with_usage(make_project):
    engine = _engine(make_project, "tier")
    alpha = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "a long text"})
    beta = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "a long text"})
    assert alpha.output == {"short": "medium-v1"}
    assert beta.output == {"short": "beta large-v1"}
    assert [(u["step"], u["model"]) for u in alpha.usage + beta.usage] == [("answer", "medium-v1"), ("answer", "large-v1")]
    assert engine.graph_count() == 1


async def test_prompt_skill_pin_obeys_the_tier(make_project):
    engine = _engine(make_project, "large")
    engine.compile("hello", "beta")  # premium allows large
    with pytest.raises(CompileError) as err:
        engine.compile("hello", "alpha")  # standard does not
    [problem] = err.value.problems
    assert problem.message == "model 'large' is not allowed for tier 'standard' (tenant 'alpha')"
    assert (problem.file, problem.line, problem.location) == ("workflows/hello.yaml", 7, "steps[0].skill")


async def test_prompt_skill_inputs_are_validated(make_project):
    engine = _engine(make_project, "tier")
    with pytest.raises(RunError) as err:
        await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "x" * 51})
    assert err.value.failure.message == "skill 'shorten' got bad inputs: text: longer than maxLength 50"
