"""Typed placeholders, consistent within a run: one value, one placeholder, across both guards."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.engine import Engine
from engine.guardrails.chain import GuardChain
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.redact import Placeholders, RunPlaceholders
from engine.project import load_project
from tests.conftest import tenant_yaml

CONTACT = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


@skill("contact")
def contact(*, ctx: SkillContext) -> dict:
    # A CRM lookup that returns the customer's address, and their manager's.
    return {"owner": "ann@example.com", "manager": "max@example.com"}
'''

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: who}
input:
  text: {type: string}
output:
  owner: {type: string}
  manager: {type: string}
  text: {type: string}
steps:
  - id: look
    skill: contact
  - return: {owner: "{{ steps.look.owner }}", manager: "{{ steps.look.manager }}", text: "{{ input.text }}"}
"""


def test_placeholders_number_distinct_values_per_type() -> None:
    names = Placeholders()
    assert [names.get("email", v) for v in ("a@x.io", "b@x.io", "a@x.io")] == ["[EMAIL]", "[EMAIL_2]", "[EMAIL]"]
    assert names.get("phone", "a@x.io") == "[PHONE]"  # types are numbered apart


def test_one_check_is_consistent() -> None:
    result = GuardChain(GuardrailsConfig()).check_value(
        {"a": "ann@example.com wrote to bob@example.com", "b": "cc ann@example.com"}, "input")
    assert result.value == {"a": "[EMAIL] wrote to [EMAIL_2]", "b": "cc [EMAIL]"}


def test_runs_are_bounded() -> None:
    runs = RunPlaceholders(maxsize=2)
    first = runs.start("r1")
    runs.start("r2")
    runs.start("r3")
    assert runs.get("r1") is not first  # forgotten: a fresh numbering, nothing unsafe


@pytest.fixture
def engine(make_project) -> Engine:
    root: Path = make_project({"skills/contact.py": CONTACT, "workflows/who.yaml": WORKFLOW},
                              tenants={"alpha": tenant_yaml("alpha", "basic")})
    return Engine(load_project(root))


async def test_the_output_guard_keeps_the_input_guards_placeholders(engine: Engine) -> None:
    result = await engine.run("who", engine.dev_context("alpha", "u1", "s1"),
                              {"text": "I am max@example.com, ask bob@example.com"})
    # The input guard named max [EMAIL] and bob [EMAIL_2]; the output guard, in the same run, sees
    # max again (from the CRM) and a new address, ann.
    assert result.output == {"owner": "[EMAIL_3]", "manager": "[EMAIL]", "text": "I am [EMAIL], ask [EMAIL_2]"}
    assert "example.com" not in repr(result.to_json())


async def test_a_new_run_numbers_afresh(engine: Engine) -> None:
    ctx = engine.dev_context("alpha", "u1", "s1")
    await engine.run("who", ctx, {"text": "I am max@example.com"})
    second = await engine.run("who", ctx, {"text": "hello"})
    assert second.output == {"owner": "[EMAIL]", "manager": "[EMAIL_2]", "text": "hello"}
