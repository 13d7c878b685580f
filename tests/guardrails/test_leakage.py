"""Leakage across tenants: another tenant's marks in an output, tool result, retrieved text or memory.

alpha and beta share one compiled graph. A shared "lookup" tool has a
cross-tenant bug: it returns beta's record to whoever asks. The output
guard of alpha's run must catch beta's canary and name (in any disguise),
while beta's own marks pass beta's guard.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from engine.engine import Engine
from engine.errors import CompileError
from engine.guardrails.leakage import LeakageIndex, TenantMarks, marks_from_layers
from engine.project import load_project
from tests.conftest import tenant_yaml

CANARY = "CANARY-beta-5b1f0e7d"

LEAKY = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

RECORDS = {}


@skill("lookup")
def lookup(*, key: str, ctx: SkillContext) -> dict:
    # The bug under test: a cache keyed without the tenant returns whatever was stored last.
    return {"note": RECORDS.get(key, "nothing on file")}
'''

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: answer}
input:
  key: {type: string}
output:
  summary: {type: string}
steps:
  - id: fetch
    skill: lookup
    with: {key: "{{ input.key }}"}
  - return: {summary: "{{ steps.fetch.note }}"}
"""

QUIET = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: quiet}
input:
  key: {type: string}
output:
  summary: {type: string}
steps:
  - id: fetch
    skill: lookup
    with: {key: "{{ input.key }}"}
  - return: {summary: "Looked it up."}
"""

ALPHA = tenant_yaml("alpha", "basic", "guardrails:\n  leakage:\n    canaries: [CANARY-alpha-0c4d11aa]\n")
BETA = tenant_yaml("beta", "premium", (
    "guardrails:\n"
    "  leakage:\n"
    "    markers: [Beta Bank, betabank.example]\n"
    f"    canaries: [{CANARY}]\n")).replace("metadata: {id: beta}", "metadata: {id: beta, name: Beta Bank}")


@pytest.fixture
def root(make_project) -> Path:
    return make_project({"skills/leaky.py": LEAKY, "workflows/answer.yaml": WORKFLOW, "workflows/quiet.yaml": QUIET},
                        tenants={"alpha": ALPHA, "beta": BETA})


@pytest.fixture
def engine(root: Path) -> Engine:
    return Engine(load_project(root), checkpointer=InMemorySaver())


def store(engine: Engine, key: str, value: str) -> None:
    definition = engine.project.registry.resolve("skill", "lookup", "alpha")
    assert definition is not None and definition.fn is not None
    definition.fn.__globals__["RECORDS"][key] = value


# -- the index on its own --------------------------------------------------------------------------

INDEX = LeakageIndex([
    TenantMarks("alpha", ("alpha",), ("CANARY-alpha-0c4d11aa",)),
    TenantMarks("beta", ("beta", "Beta Bank", "betabank.example"), (CANARY,)),
])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"note: {CANARY}", "tenant_canary"),
        ("Balance at BETA   BANK is fine", "tenant_marker"),
        ("see https://betabank.example/x", "tenant_marker"),
        # Disguises: zero-width characters, Cyrillic look-alikes, full-width letters, words run together.
        ("ask Be\u200bta Ba\u200bnk", "tenant_marker"),
        ("ask Веtа Ваnk", "tenant_marker"),
        ("ask Ｂｅｔａ Ｂａｎｋ", "tenant_marker"),
        ("ask BetaBank", "tenant_marker"),
        ("canary-beta-5b1f0e7d!", "tenant_canary"),
    ],
)
def test_another_tenants_marks_are_found_in_any_disguise(text: str, kind: str) -> None:
    findings = INDEX.scan(text, tenant="alpha")
    assert [f.type for f in findings] == [kind]
    assert findings[0].category == "leakage"
    # Offsets point into the original text: the span holds the disguised mark.
    assert text[findings[0].start : findings[0].end].strip()


def test_a_tenants_own_marks_are_not_leaks() -> None:
    assert INDEX.scan(f"Welcome to Beta Bank, {CANARY}", tenant="beta") == []
    assert [f.type for f in INDEX.scan("Alpha sees beta", tenant="beta")] == ["tenant_marker"]
    # "alpha" is a common word: lower-case and with no organisation word beside it, it names no one.
    assert INDEX.scan("alpha sees beta", tenant="beta") == []
    assert [f.type for f in INDEX.scan("the tenant alpha sees beta", tenant="beta")] == ["tenant_marker"]


def test_marks_are_whole_words() -> None:
    assert INDEX.scan("the alphabet and betamax", tenant="beta") == []


def test_marks_from_layers_honours_opt_outs() -> None:
    marks = marks_from_layers("acme", "Acme Health", [{"leakage": {"match_name": False}},
                                                     {"leakage": {"markers": ["acme.example"], "canaries": [3]}}])
    assert marks == TenantMarks("acme", ("acme", "acme.example"), ())


def test_many_tenants_one_index() -> None:
    index = LeakageIndex(TenantMarks(f"tenant{i:04d}", (f"tenant{i:04d}",), (f"CANARY-{i:04d}-x",))
                         for i in range(2000))
    assert [f.type for f in index.scan("data of tenant0042 here", tenant="tenant0001")] == ["tenant_marker"]
    assert index.scan("nothing to see", tenant="tenant0001") == []


# -- two tenants, one compiled graph --------------------------------------------------------------

async def test_a_tool_result_with_another_tenants_canary_blocks_the_response(engine: Engine) -> None:
    store(engine, "acct-1", f"Balance 1,200 for Beta Bank customer, ref {CANARY}")
    alpha = await engine.run("answer", engine.dev_context("alpha", "u1", "s1"), {"key": "acct-1"})
    assert alpha.blocked == "The response was blocked by the output guardrail (tenant_canary, tenant_marker)."
    assert alpha.output == {}
    kinds = sorted({(r["field"], r["type"], r["action"]) for r in alpha.guard})
    assert kinds == [
        ("steps.fetch.note", "tenant_canary", "block"), ("steps.fetch.note", "tenant_marker", "block"),
        ("summary", "tenant_canary", "block"), ("summary", "tenant_marker", "block"),
    ]
    shown = json.dumps(alpha.to_json()) + json.dumps(alpha.steps)
    assert CANARY not in shown and "Beta Bank" not in shown and "beta" not in shown.lower()
    # beta, on the same compiled graph, may see its own data.
    beta = await engine.run("answer", engine.dev_context("beta", "u1", "s1"), {"key": "acct-1"})
    assert (beta.blocked, beta.guard) == (None, [])
    assert beta.output == {"summary": f"Balance 1,200 for Beta Bank customer, ref {CANARY}"}
    assert engine.compile("answer", "alpha").graph is engine.compile("answer", "beta").graph


async def test_leaked_data_is_caught_even_when_the_output_does_not_show_it(engine: Engine) -> None:
    store(engine, "acct-2", f"internal {CANARY}")
    alpha = await engine.run("quiet", engine.dev_context("alpha", "u1", "s2"), {"key": "acct-2"})
    assert alpha.blocked == "The response was blocked by the output guardrail (tenant_canary)."
    [record] = alpha.guard
    assert (record["field"], record["detector"]) == ("steps.fetch.note", "leakage")
    # The step's result is masked in state, so no checkpoint keeps the other tenant's data.
    assert alpha.steps["fetch"] == {"note": "internal [TENANT_CANARY]"}
    history = [s async for s in engine.compile("quiet", "alpha").graph.aget_state_history(
        {"configurable": {"thread_id": engine.dev_context("alpha", "u1", "s2").thread_id}})]
    assert history and all(CANARY not in repr(snapshot.values) for snapshot in history)


async def test_an_adversarial_disguise_does_not_get_through(engine: Engine) -> None:
    # Zero-width spaces, Cyrillic letters and a changed case, as a prompt-injected tool might write it.
    disguised = "c\u200banary-ВЕТА-5b1f0e7d"
    store(engine, "acct-3", f"forwarding {disguised} as asked")
    alpha = await engine.run("answer", engine.dev_context("alpha", "u1", "s3"), {"key": "acct-3"})
    assert alpha.blocked
    assert {r["type"] for r in alpha.guard} == {"tenant_canary"}


async def test_redact_masks_the_marks_and_lets_the_response_through(root: Path) -> None:
    (root / "tenants/alpha/tenant.yaml").write_text(
        ALPHA + "  action: redact\n".replace("  action", "    action"), encoding="utf-8")
    engine = Engine(load_project(root))
    store(engine, "acct-4", "Your balance; see betabank.example for details")
    alpha = await engine.run("answer", engine.dev_context("alpha", "u1", "s4"), {"key": "acct-4"})
    assert alpha.blocked is None
    assert alpha.output == {"summary": "Your balance; see [TENANT_MARKER] for details"}
    assert {r["action"] for r in alpha.guard} == {"redact"}


async def test_leakage_shares_chains_between_tenants_with_equal_rules(root: Path) -> None:
    (root / "tenants/gamma/tenant.yaml").parent.mkdir(parents=True)
    (root / "tenants/gamma/tenant.yaml").write_text(tenant_yaml(
        "gamma", "basic", "guardrails:\n  leakage:\n    canaries: [CANARY-gamma-1]\n"), encoding="utf-8")
    engine = Engine(load_project(root))
    # The tenants differ only in their own marks: one chain, one set of compiled detectors.
    assert engine.guard_chain("alpha") is engine.guard_chain("gamma") is engine.guard_chain("beta")
    # Each still reports the others' marks, not its own.
    assert [f.type for f in engine.leakage_index().scan("CANARY-gamma-1", tenant="alpha")] == ["tenant_canary"]
    assert engine.leakage_index().scan("CANARY-gamma-1", tenant="gamma") == []


def test_marks_belong_in_the_tenant_file(make_project) -> None:
    project = (make_project().joinpath("tenantflow.yaml").read_text()
               .replace("  basic: {model: small}\n",
                        "  basic:\n    model: small\n    guardrails:\n      leakage: {markers: [Shared Name]}\n"))
    root = make_project({"tenantflow.yaml": project})
    with pytest.raises(CompileError) as caught:
        Engine(load_project(root)).settings("alpha")
    [problem] = caught.value.problems
    assert str(problem) == (
        "tenantflow.yaml:15:26: tiers.basic.guardrails.leakage.markers: markers identify one tenant; declare them "
        "in the tenant's file, not in the tier guardrails"
    )
