"""``ask`` steps: a run pauses for a person, Cedar decides who may answer, an expired question takes its outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import CompileError
from engine.inputs import InputError
from engine.policy.authorizer import AccessDenied
from engine.run.runner import NothingToResume
from tests.conftest import tenant_yaml

REFUND = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: refund}
input:
  amount: {type: number}
  customer_id: {type: string}
output:
  status: {type: string}
durability: DURABILITY
steps:
  - id: check
    switch:
      - when: "input.amount > 100"
        goto: approve
      - default: small
  - id: small
    set: {status: refunded}
    next: finish
  - id: approve
    ask:
      question: "Refund {{ input.amount }} to {{ input.customer_id }}?"
      answer: {approved: boolean, note: {type: string, required: false}}
      scope: refunds:approve
      expires_s: 3600
      on_expiry: {approved: false}
  - id: decided
    set: {status: "{{ 'expired' if steps.approve.expired else ('refunded' if steps.approve.approved else 'denied') }}"}
  - id: finish
    return: {status: "{{ steps['decided'].status if 'decided' in steps else steps.small.status }}"}
"""

APPROVER = frozenset({"refunds:approve"})


def _project(make_project: Any, durability: str = "exit", workflow: str = REFUND) -> Path:
    return make_project({"workflows/refund.yaml": workflow.replace("DURABILITY", durability)}, tenants={
        "alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "basic")})


def _ctx(tenant: str, user: str, scopes: frozenset[str] = frozenset(), session: str = "s1") -> TenantContext:
    return TenantContext(tenant_id=tenant, tier="basic", user_id=user, session_id=session, scopes=scopes)


BIG = {"amount": 250, "customer_id": "cus_1"}


@pytest.mark.parametrize("durability", ["exit", "sync"])
async def test_a_run_pauses_and_an_authorized_user_of_its_tenant_resumes_it(make_project, durability) -> None:
    async with Engine.open(_project(make_project, durability)) as engine:
        paused = await engine.run("refund", _ctx("alpha", "u1"), BIG)
        assert paused.output == {} and paused.pending is not None
        assert paused.pending["question"] == "Refund 250 to cus_1?"
        assert paused.pending["requested_by"] == "u1" and paused.pending["scope"] == "refunds:approve"
        assert paused.pending["answer_schema"]["required"] == ["approved"]
        assert paused.to_json()["status"] == "waiting"
        # A plain resume does not answer it.
        with pytest.raises(NothingToResume, match="waits for an answer"):
            await engine.resume("refund", _ctx("alpha", "u1"))
        # The requester has no approving scope; nor has another user: Cedar refuses both.
        for user in ("u1", "u3"):
            with pytest.raises(AccessDenied, match="policy denied question 'refund/approve' for tenant 'alpha'"):
                await engine.answer("refund", _ctx("alpha", user), "u1", {"approved": True})
        # An answer that does not fit the step's answer fields is refused before the run goes on.
        with pytest.raises(InputError, match="approved"):
            await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1", {"approved": "yes"})
        done = await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1", {"approved": True})
        assert done.output == {"status": "refunded"} and done.pending is None
        assert done.steps["approve"] == {"approved": True, "answered_by": "boss", "expired": False}
        with pytest.raises(NothingToResume):
            await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1", {"approved": True})


async def test_another_tenants_approver_cannot_answer_and_each_tenant_answers_its_own(make_project) -> None:
    async with Engine.open(_project(make_project)) as engine:
        await engine.run("refund", _ctx("alpha", "u1"), BIG)
        await engine.run("refund", _ctx("beta", "u1"), BIG)
        assert engine.compile("refund", "alpha").graph is engine.compile("refund", "beta").graph
        # beta's approver names alpha's user and session: its tenant comes from its own context, so the
        # answer goes to beta's thread (beta:u1:s1), never alpha's.
        denied = await engine.answer("refund", _ctx("beta", "boss", APPROVER), "u1", {"approved": False})
        assert denied.output == {"status": "denied"} and denied.tenant_id == "beta"
        with pytest.raises(NothingToResume):
            await engine.answer("refund", _ctx("beta", "boss", APPROVER), "u1", {"approved": True})
        # alpha's run is still waiting, untouched.
        approved = await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1", {"approved": True})
        assert approved.output == {"status": "refunded"}
        # A requester id that is not an id (it would widen the thread) is refused.
        with pytest.raises(Exception, match="invalid user id"):
            await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1:s1", {"approved": True})


async def test_an_expired_question_takes_its_declared_outcome(make_project, monkeypatch) -> None:
    import engine.run.runner as runner

    async with Engine.open(_project(make_project)) as engine:
        paused = await engine.run("refund", _ctx("alpha", "u1"), BIG)
        assert paused.pending is not None
        later = paused.pending["expires_at"] + 1
        monkeypatch.setattr(runner.time, "time", lambda: later)
        # Still only an authorized user may close it; the answer given is ignored.
        with pytest.raises(AccessDenied):
            await engine.answer("refund", _ctx("alpha", "u3"), "u1", {"approved": True})
        done = await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1", {"approved": True})
        assert done.output == {"status": "expired"}
        assert done.steps["approve"] == {"approved": False, "answered_by": None, "expired": True}


async def test_without_a_scope_only_the_requester_may_answer(make_project) -> None:
    workflow = REFUND.replace("      scope: refunds:approve\n", "")
    async with Engine.open(_project(make_project, workflow=workflow)) as engine:
        await engine.run("refund", _ctx("alpha", "u1"), BIG)
        with pytest.raises(AccessDenied):
            await engine.answer("refund", _ctx("alpha", "boss", APPROVER), "u1", {"approved": True})
        done = await engine.answer("refund", _ctx("alpha", "u1"), "u1", {"approved": False, "note": "changed my mind"})
        assert done.output == {"status": "denied"}


async def test_a_question_the_output_guard_blocks_never_leaves_the_run(make_project) -> None:
    leaky = REFUND.replace("Refund {{ input.amount }} to {{ input.customer_id }}?",
                           "Refund {{ input.customer_id }}? key AKIAIOSFODNN7EXAMPLE")
    async with Engine.open(_project(make_project, workflow=leaky)) as engine:
        with pytest.raises(Exception, match="The question was blocked by the output guardrail"):
            await engine.run("refund", _ctx("alpha", "u1"), BIG)


def test_on_expiry_must_be_a_valid_answer(make_project) -> None:
    from engine.project import load_project

    bad = REFUND.replace("on_expiry: {approved: false}", "on_expiry: {approve: false}")
    with pytest.raises(CompileError) as caught:
        Engine(load_project(_project(make_project, workflow=bad))).compile("refund", "alpha")
    assert "on_expiry is not a valid answer (missing approved; not an answer field: approve)" in str(caught.value)


def test_the_cli_pauses_and_answers(make_project) -> None:
    import json

    from click.testing import CliRunner

    from engine.cli import main

    workflow = REFUND.replace("      scope: refunds:approve\n", "")  # the requester answers (dev contexts have no scopes)
    root = _project(make_project, "sync", workflow)
    config = root / "tenantflow.yaml"  # each command is a new process: sessions must outlive it
    config.write_text(config.read_text().replace("checkpointer: memory, store: memory", "checkpointer: sqlite, "
                                                 "store: sqlite"))
    base = ["run", "refund", "--tenant", "alpha", "--session", "s1", "--project", str(root)]
    paused = CliRunner().invoke(main, [*base, "--user", "u1", "--input", json.dumps(BIG)])
    assert paused.exit_code == 0, paused.output
    assert json.loads(paused.output)["status"] == "waiting"
    refused = CliRunner().invoke(main, [*base, "--user", "u3", "--requester", "u1", "--answer", '{"approved": true}'])
    assert refused.exit_code == 1 and "policy denied question 'refund/approve'" in refused.output
    done = CliRunner().invoke(main, [*base, "--user", "u1", "--answer", '{"approved": true}'])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["output"] == {"status": "refunded"}


def test_runs_lists_waiting_unfinished_and_done_runs_of_one_tenant(make_project, tmp_path, monkeypatch) -> None:
    import json

    from click.testing import CliRunner

    from engine.cli import main

    root = _project(make_project, "sync")
    config = root / "tenantflow.yaml"
    config.write_text(config.read_text().replace("checkpointer: memory, store: memory", "checkpointer: sqlite, "
                                                 "store: sqlite"))
    base = ["run", "refund", "--tenant", "alpha", "--project", str(root)]
    for user, amount in (("u1", 250), ("u2", 50)):
        assert CliRunner().invoke(main, [*base, "--user", user, "--input", json.dumps({**BIG, "amount": amount})]
                                  ).exit_code == 0
    CliRunner().invoke(main, ["run", "refund", "--tenant", "beta", "--user", "u9", "--project", str(root),
                              "--input", json.dumps(BIG)])

    def runs(*args: str) -> Any:
        result = CliRunner().invoke(main, ["runs", *args, "--project", str(root)])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    listed = {(r["user"], r["status"]) for r in runs("--tenant", "alpha")}
    assert listed == {("u1", "waiting"), ("u2", "done")}
    [waiting] = runs("--tenant", "alpha", "--pending")
    assert waiting["workflow"] == "refund" and waiting["pending"]["question"] == "Refund 250 to cus_1?"
    assert [r["user"] for r in runs("--tenant", "beta", "--pending")] == ["u9"]
    assert runs("--tenant", "alpha", "--user", "u2", "--pending") == []
    assert CliRunner().invoke(main, ["runs", "--pending", "--project", str(root)]).exit_code != 0

