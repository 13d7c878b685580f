"""Guard nodes: the tenant's guard chain runs before the first step and after the last.

alpha runs the platform's default profile (emails redacted, payment cards
blocked); beta, on the same compiled graph, tightens it: emails blocked, a
denied code name, and an input length limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from engine.engine import Engine
from engine.project import load_project
from tests.conftest import tenant_yaml

CARD = "4111 1111 1111 1111"

PROBES = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

SEEN = []


@skill("probe")
def probe(*, text: str, ctx: SkillContext) -> dict:
    SEEN.append((ctx.tenant.tenant_id, text))
    return {"saw": text}


@skill("contact")
def contact(*, ctx: SkillContext) -> dict:
    return {"email": "owner@corp.example.com", "note": "codename Project Bluebook"}
'''

SEE = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: see}
input:
  text: {type: string}
steps:
  - id: look
    skill: probe
    with: {text: "{{ input.text }}"}
  - return: {saw: "{{ steps.look.saw }}"}
"""

LEAK = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: leak}
input:
  text: {type: string}
steps:
  - id: who
    skill: contact
  - return: {contact: "{{ steps.who.email }}", text: "{{ input.text }}"}
"""

NOTE = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: note}
input:
  text: {type: string}
steps:
  - id: who
    skill: contact
  - return: {note: "{{ steps.who.note }}"}
"""

BETA = tenant_yaml("beta", "premium", (
    "guardrails:\n"
    "  pii: {email: block}\n"
    "  denied_terms: [project bluebook]\n"
    "  max_input_chars: 40\n"))


@pytest.fixture
def root(make_project) -> Path:
    return make_project({"skills/probes.py": PROBES, "workflows/see.yaml": SEE, "workflows/leak.yaml": LEAK,
                         "workflows/note.yaml": NOTE},
                        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": BETA})


@pytest.fixture
def engine(root: Path) -> Engine:
    return Engine(load_project(root))


def _seen(engine: Engine) -> list[tuple[str, str]]:
    definition = engine.project.registry.resolve("skill", "probe", "alpha")
    assert definition is not None and definition.fn is not None
    seen: list[tuple[str, str]] = definition.fn.__globals__["SEEN"]
    return seen


@pytest.mark.parametrize("tenant", ["alpha", "beta"])
async def test_a_payment_card_in_the_input_is_blocked_before_any_step(engine: Engine, tenant: str) -> None:
    result = await engine.run("see", engine.dev_context(tenant, "u1", "s1"), {"text": f"card {CARD}"})
    assert result.blocked == "Your message was blocked by the input guardrail (payment_card)."
    assert result.steps == {}
    assert result.output == {}
    assert result.guard == [{"stage": "input", "field": "text", "category": "pii", "type": "payment_card",
                             "action": "block", "start": 5, "end": 24, "confidence": 0.95, "detector": "pii"}]
    assert _seen(engine) == []
    shown = repr(result.to_json())
    assert CARD not in shown and "4111" not in shown and "1111" not in shown


async def test_a_blocked_card_number_is_not_kept_in_any_checkpoint(root: Path) -> None:
    saver = InMemorySaver()
    engine = Engine(load_project(root), checkpointer=saver)
    ctx = engine.dev_context("alpha", "u1", "s1")
    result = await engine.run("see", ctx, {"text": f"card {CARD}"})
    assert result.blocked
    history = [s async for s in engine.compile("see", "alpha").graph.aget_state_history(
        {"configurable": {"thread_id": ctx.thread_id}})]
    assert history
    assert all("4111" not in repr(snapshot.values) for snapshot in history)


async def test_a_blocked_run_does_not_block_the_next_one_in_the_session(root: Path) -> None:
    engine = Engine(load_project(root), checkpointer=InMemorySaver())
    ctx = engine.dev_context("alpha", "u1", "s1")
    blocked = await engine.run("see", ctx, {"text": f"card {CARD}"})
    assert blocked.blocked
    clean = await engine.run("see", ctx, {"text": "hello"})
    assert (clean.blocked, clean.output, clean.guard) == (None, {"saw": "hello"}, [])
    assert _seen(engine) == [("alpha", "hello")]


async def test_an_email_is_redacted_before_the_skill_sees_it(engine: Engine) -> None:
    result = await engine.run("see", engine.dev_context("alpha", "u1", "s1"), {"text": "mail ann@example.com please"})
    assert result.blocked is None
    assert result.steps["look"] == {"saw": "mail [EMAIL] please"}
    assert result.output == {"saw": "mail [EMAIL] please"}
    assert result.guard == [{"stage": "input", "field": "text", "category": "pii", "type": "email",
                             "action": "redact", "start": 5, "end": 20, "confidence": 0.95, "detector": "pii"}]
    assert _seen(engine) == [("alpha", "mail [EMAIL] please")]


async def test_a_tenant_tightening_its_profile_blocks_what_another_only_redacts(engine: Engine) -> None:
    text = {"text": "mail ann@example.com"}
    alpha = await engine.run("see", engine.dev_context("alpha", "u1", "s1"), text)
    beta = await engine.run("see", engine.dev_context("beta", "u1", "s1"), text)
    assert alpha.output == {"saw": "mail [EMAIL]"} and alpha.blocked is None
    assert beta.blocked == "Your message was blocked by the input guardrail (email)."
    assert (beta.steps, beta.output) == ({}, {})
    assert [(g["type"], g["action"]) for g in alpha.guard] == [("email", "redact")]
    assert [(g["type"], g["action"]) for g in beta.guard] == [("email", "block")]
    assert _seen(engine) == [("alpha", "mail [EMAIL]")]
    assert engine.compile("see", "alpha").graph is engine.compile("see", "beta").graph
    assert engine.graph_count() == 1


@pytest.mark.parametrize("text", ["what is Project Bluebook?", "PROJECT\n  bluebook status"])
async def test_denied_terms_are_per_tenant(engine: Engine, text: str) -> None:
    alpha = await engine.run("see", engine.dev_context("alpha", "u1", "s1"), {"text": text})
    beta = await engine.run("see", engine.dev_context("beta", "u1", "s1"), {"text": text})
    assert alpha.output == {"saw": text} and alpha.guard == []
    assert beta.blocked == "Your message was blocked by the input guardrail (denied_term)."
    assert beta.steps == {}
    [record] = beta.guard
    assert (record["category"], record["type"], record["action"]) == ("denied_term", "denied_term", "block")
    assert "bluebook" not in repr(beta.to_json()).lower()
    assert _seen(engine) == [("alpha", text)]


async def test_denied_terms_apply_to_the_output_too(engine: Engine) -> None:
    alpha = await engine.run("note", engine.dev_context("alpha", "u1", "s1"), {"text": "x"})
    beta = await engine.run("note", engine.dev_context("beta", "u1", "s1"), {"text": "x"})
    assert alpha.output == {"note": "codename Project Bluebook"}
    assert beta.blocked == "The response was blocked by the output guardrail (denied_term)."
    assert beta.output == {}


async def test_the_input_length_limit_is_per_tenant(engine: Engine) -> None:
    at_limit, over = "x" * 40, "x" * 41
    ok = await engine.run("see", engine.dev_context("beta", "u1", "s1"), {"text": at_limit})
    assert ok.output == {"saw": at_limit}
    blocked = await engine.run("see", engine.dev_context("beta", "u1", "s1"), {"text": over})
    assert blocked.blocked == "Your message was blocked by the input guardrail (max_chars)."
    assert blocked.guard == [{"stage": "input", "field": "text", "category": "length", "type": "max_chars",
                              "action": "block", "start": 40, "end": 41, "confidence": 1.0, "detector": "length"}]
    alpha = await engine.run("see", engine.dev_context("alpha", "u1", "s1"), {"text": over})
    assert alpha.output == {"saw": over}
    assert _seen(engine) == [("beta", at_limit), ("alpha", over)]


async def test_the_output_guard_redacts_pii_a_skill_returns(engine: Engine) -> None:
    alpha = await engine.run("leak", engine.dev_context("alpha", "u1", "s1"), {"text": "who owns this?"})
    assert alpha.blocked is None
    assert alpha.output == {"contact": "[EMAIL]", "text": "who owns this?"}
    assert alpha.guard == [{"stage": "output", "field": "contact", "category": "pii", "type": "email",
                            "action": "redact", "start": 0, "end": 22, "confidence": 0.95, "detector": "pii"}]
    assert "owner@corp.example.com" not in repr(alpha.to_json())
    # beta blocks emails: the same finding on the output blocks the response.
    beta = await engine.run("leak", engine.dev_context("beta", "u1", "s1"), {"text": "who owns this?"})
    assert beta.blocked == "The response was blocked by the output guardrail (email)."
    assert beta.output == {}
    assert "owner@corp.example.com" not in repr(beta.to_json())
