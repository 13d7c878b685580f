"""Output format compliance: the output guard checks outputs against their declared schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.engine import Engine
from engine.guardrails.schema import FormatCheck
from engine.project import load_project
from engine.spec.common import FieldSpec
from tests.conftest import tenant_yaml

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: shape}
input:
  text: {type: string}
output:
  reply: {type: string, maxLength: 12}
  category: {type: string, enum: [billing, other]}
steps:
  - id: answer
    llm:
      prompt: "Say: {{ input.text }}"
      output: {reply: string, score: integer}
  - return: {reply: "{{ steps.answer.reply }}", category: "{{ input.text }}"}
"""

FIXTURES = """\
responses:
  - step: answer
    text: '{"reply": "a reply that is far too long", "score": "high"}'
default: "x"
"""


def test_format_check_reports_each_problem() -> None:
    check = FormatCheck({"reply": FieldSpec(type="string", maxLength=5), "n": FieldSpec(type="integer", maximum=3),
                         "kind": FieldSpec(type="string", enum=["a"]), "opt": FieldSpec(required=False)})
    assert [(name, f.type, f.start, f.end) for name, f in check({"reply": "toolong", "n": 7, "kind": "b",
                                                                 "extra": 1})] == [
        ("reply", "too_long", 5, 7), ("n", "out_of_range", 0, 0), ("kind", "not_allowed_value", 0, 0),
        ("extra", "unexpected_field", 0, 0)]
    assert [f.type for _, f in check({"n": True})] == ["missing_field", "wrong_type", "missing_field"]
    assert [f.type for _, f in check("text")] == ["not_an_object"]


@pytest.fixture
def root(make_project) -> Path:
    strict = tenant_yaml("beta", "premium", "guardrails: {output_format: block}\n")
    return make_project({"workflows/shape.yaml": WORKFLOW, "fixtures/scripted.yaml": FIXTURES},
                        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": strict})


async def test_the_workflow_and_llm_step_schemas_are_checked(root: Path) -> None:
    engine = Engine(load_project(root))
    alpha = await engine.run("shape", engine.dev_context("alpha", "u1", "s1"), {"text": "refunds"})
    # default profile: flagged, the response goes through.
    assert alpha.blocked is None
    assert [(r["field"], r["category"], r["type"], r["action"], r["start"], r["end"]) for r in alpha.guard] == [
        ("reply", "format", "too_long", "flag", 12, 28),
        ("category", "format", "not_allowed_value", "flag", 0, 0),
        ("steps.answer.score", "format", "wrong_type", "flag", 0, 0),
    ]
    beta = await engine.run("shape", engine.dev_context("beta", "u1", "s1"), {"text": "refunds"})
    assert beta.blocked == ("The response was blocked by the output guardrail (not_allowed_value, too_long, "
                            "wrong_type).")
    assert beta.output == {}
