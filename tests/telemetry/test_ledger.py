"""The usage ledger: one record per run, written once, even when the run pauses, fails, or its process is killed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import RunError
from engine.project import load_project
from engine.telemetry.ledger import PostgresLedger, RunRecord, SqliteLedger
from tests.conftest import REPO, tenant_yaml
from tests.memory.postgres_support import DSN, pg_schemas
from tests.run.test_durability import EFFECTS_PY, effects

__all__ = ["effects", "pg_schemas"]

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: paid}
input:
  text: {type: string}
steps:
  - id: intro
    llm: {prompt: "Intro {{ input.text }}"}
  - id: second
    skill: flaky
    with: {text: "{{ input.text }}"}
  - id: answer
    llm: {model: medium, prompt: "Say {{ steps.second.text }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""

ASK = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: approve}
input:
  text: {type: string}
steps:
  - id: intro
    llm: {prompt: "Intro {{ input.text }}"}
  - id: approve
    ask:
      question: "Go on with {{ input.text }}?"
      answer: {approved: boolean}
  - id: answer
    llm: {prompt: "Done {{ steps.approve.approved }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""

RUN_SCRIPT = """\
import asyncio, sys
from pathlib import Path
from engine.engine import Engine

async def main():
    async with Engine.open(Path(sys.argv[1])) as engine:
        await engine.run("paid", engine.dev_context(sys.argv[2], "u1", "s1"), {"text": "hello"})

asyncio.run(main())
"""


def _project(make_project: Any) -> Path:
    text = make_project().joinpath("tenantflow.yaml").read_text()
    text = text.replace("basic: {model: small}", "basic: {model: small, allowed_models: [medium], durability: sync}")
    text = text.replace("premium: {model: large, allowed_models: [medium, small]}",
                        "premium: {model: large, allowed_models: [medium, small], durability: sync}")
    text = text.replace("stores: {checkpointer: memory, store: memory}", "stores: {checkpointer: sqlite, store: sqlite}")
    return make_project({"tenantflow.yaml": text, "skills/effects.py": EFFECTS_PY, "workflows/paid.yaml": WORKFLOW,
                         "workflows/approve.yaml": ASK},
                        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "premium")})


def _records(root: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(root / ".tenantflow" / "usage.sqlite") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM usage_runs ORDER BY started_at")]


async def test_one_record_per_run_with_tokens_and_cost_per_model(make_project, effects) -> None:  # noqa: F811
    root = _project(make_project)
    async with Engine.open(root) as engine:
        a = await engine.run("paid", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
        b = await engine.run("paid", engine.dev_context("beta", "u2", "s2"), {"text": "hi"})
        rows = engine.ledger.rows() if engine.ledger else []
    records = _records(root)
    assert [(r["tenant"], r["tier"], r["workflow"], r["session"], r["outcome"]) for r in records] == [
        ("alpha", "basic", "paid", "s1", "completed"), ("beta", "premium", "paid", "s2", "completed")]
    for record, result in zip(records, (a, b), strict=True):
        usage = result.to_json()["usage"]
        assert (record["input_tokens"], record["output_tokens"]) == (usage["input_tokens"], usage["output_tokens"])
        assert record["cost_usd"] == pytest.approx(usage["cost_usd"], abs=1e-12)
        assert record["version"].startswith("1@") and len(record["user_hash"]) == 16
        assert "u1" not in repr(record) and "u2" not in repr(record)
    assert sorted({(r.tenant, r.model) for r in rows}) == [("alpha", "medium-v1"), ("alpha", "small-v1"),
                                                           ("beta", "large-v1"), ("beta", "medium-v1")]


async def test_a_failed_run_then_resumed_keeps_one_record(make_project, effects) -> None:  # noqa: F811
    root = _project(make_project)
    async with Engine.open(root) as engine:
        (effects / "alpha.crash").write_text("raise")
        ctx = engine.dev_context("alpha", "u1", "s1")
        with pytest.raises(RunError):
            await engine.run("paid", ctx, {"text": "hi"})
        [failed] = _records(root)
        assert (failed["outcome"], failed["input_tokens"] > 0) == ("failed", True)  # the intro call was paid for
        resumed = await engine.resume("paid", ctx)
    [record] = _records(root)
    assert record["run_id"] == failed["run_id"] and record["outcome"] == "completed"
    assert record["input_tokens"] == resumed.to_json()["usage"]["input_tokens"] > failed["input_tokens"]
    assert sorted(json.loads(record["models"])) == ["medium-v1", "small-v1"]


async def test_a_run_killed_with_sigkill_then_resumed_elsewhere_is_written_once(make_project, effects,  # noqa: F811
                                                                               tmp_path) -> None:
    root = _project(make_project)
    (effects / "beta.crash").write_text("kill")
    script = tmp_path / "run.py"
    script.write_text(RUN_SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(root), "beta"], env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    assert _records(root) == []  # the killed process never finished the run: nothing written yet
    async with Engine.open(root) as engine:
        ctx = engine.dev_context("beta", "u1", "s1")
        run_id = (await engine.compile("paid", "beta").graph.aget_state(
            {"configurable": {"thread_id": ctx.thread_id}})).metadata["run_id"]
        resumed = await engine.resume("paid", ctx)
    [record] = _records(root)
    usage = resumed.to_json()["usage"]
    # The intro call the killed process made (kept in its checkpoint) and the answer after the resume.
    assert (record["run_id"], record["outcome"]) == (run_id, "completed")
    assert (record["input_tokens"], record["output_tokens"]) == (usage["input_tokens"], usage["output_tokens"])
    assert sorted(json.loads(record["models"])) == ["large-v1", "medium-v1"]


async def test_a_paused_run_and_its_answer_are_one_record_and_the_meter_counts_each_call_once(
        make_project, effects) -> None:  # noqa: F811
    root = _project(make_project)
    async with Engine.open(root) as engine:
        ctx = engine.dev_context("alpha", "u1", "s1")
        paused = await engine.run("approve", ctx, {"text": "hi"})
        assert paused.pending is not None
        [waiting] = _records(root)
        assert waiting["outcome"] == "waiting"
        tokens_paused = engine.quotas.usage("alpha")["tokens_today"]
        done = await engine.answer("approve", ctx, "u1", {"approved": True})
        tokens_done = engine.quotas.usage("alpha")["tokens_today"]
    [record] = _records(root)
    total = done.to_json()["usage"]
    assert record["run_id"] == waiting["run_id"] and record["outcome"] == "completed"
    assert record["input_tokens"] + record["output_tokens"] == total["input_tokens"] + total["output_tokens"]
    assert tokens_done == total["input_tokens"] + total["output_tokens"] > tokens_paused


async def test_the_ledger_in_postgresql(pg_schemas) -> None:  # noqa: F811
    ledger = await PostgresLedger(DSN, pg_schemas.shared).open()
    try:
        record = RunRecord(run_id="r1", tenant="acme", tier="basic", user_hash="h", workflow="w", version="1@x",
                           session="s", started_at=1_000.0, duration_ms=5.0, outcome="waiting", tool_calls=1,
                           models=RunRecord.models_of([{"model": "m", "input_tokens": 3, "output_tokens": 1,
                                                        "cost_usd": 0.25}]))
        await ledger.write(record)
        await ledger.write(replace(record, outcome="completed", tool_calls=2, models=RunRecord.models_of(
            [{"model": "m", "input_tokens": 3, "output_tokens": 1, "cost_usd": 0.25}] * 2)))
        await ledger.write(replace(record, run_id="r2", tenant="globex"))
        rows = ledger.rows(tenant="acme")
    finally:
        await ledger.close()
    assert [(r.run_id, r.outcome, r.input_tokens, r.cost_usd, r.tool_calls) for r in rows] == [
        ("r1", "completed", 6, 0.5, 3)]


def test_the_sqlite_ledger_reads_by_tenant_and_date(tmp_path: Path) -> None:
    import asyncio

    ledger = SqliteLedger(tmp_path / "usage.sqlite")
    base = RunRecord(run_id="r1", tenant="acme", tier="basic", user_hash="h", workflow="w", version="1@x",
                     session="s", started_at=1_000.0, duration_ms=5.0, outcome="completed")
    asyncio.run(ledger.write(base))
    asyncio.run(ledger.write(replace(base, run_id="r2", started_at=90_000.0)))
    asyncio.run(ledger.write(replace(base, run_id="r3", tenant="globex")))
    assert [r.run_id for r in ledger.rows(tenant="acme", since=50_000.0)] == ["r2"]
    assert [r.model for r in ledger.rows(tenant="globex")] == [""]


async def test_a_ledger_that_cannot_write_does_not_fail_the_run(make_project, effects) -> None:  # noqa: F811
    from tests.runtime.support import captured_logs

    class Broken(SqliteLedger):
        async def write(self, record: RunRecord) -> None:
            raise OSError("disk full")

    root = _project(make_project)
    engine = Engine(load_project(root), ledger=Broken(root / "broken.sqlite"))
    with captured_logs() as logs:
        result = await engine.run("paid", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert result.output["reply"]
    [failed] = logs.records("ledger.write_failed")
    assert (failed["tenant_id"], failed["outcome"], failed["error_type"]) == ("alpha", "completed", "OSError")
