"""Durable runs: per-step checkpoints (per tier or workflow), resume after a crash, nothing done twice, no raw input kept."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import RunError
from engine.run.runner import NothingToResume
from tests.conftest import REPO, tenant_yaml
from tests.memory.postgres_support import pg_schemas

__all__ = ["pg_schemas"]

EFFECTS_PY = '''\
import os
import signal
from pathlib import Path

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


def _log(ctx: SkillContext, what: str) -> int:
    path = Path(os.environ["TF_EFFECTS_DIR"]) / f"{ctx.tenant.tenant_id}.log"
    with path.open("a") as out:
        out.write(what + "\\n")
    return path.read_text().splitlines().count(what)


@skill("count")
def count(*, text: str, ctx: SkillContext) -> dict:
    return {"text": text, "n": _log(ctx, "count")}


@skill("flaky")
def flaky(*, text: str, ctx: SkillContext) -> dict:
    crash = Path(os.environ["TF_EFFECTS_DIR"]) / f"{ctx.tenant.tenant_id}.crash"
    if crash.exists():
        how = crash.read_text()
        crash.unlink()
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies here, mid-run
        raise RuntimeError("worker lost")
    _log(ctx, "flaky")
    return {"text": text.upper()}
'''

EFFECTS_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: effects}
input:
  text: {type: string}
output:
  reply: {type: string}
memory: {read: [user], write: [user]}
steps:
  - id: first
    skill: count
    with: {text: "{{ input.text }}"}
  - id: save
    remember: {level: user, key: "note-{{ steps.first.n }}", value: "{{ steps.first.text }}"}
  - id: second
    skill: flaky
    with: {text: "{{ steps.first.text }}"}
  - id: answer
    llm: {prompt: "Say {{ steps.second.text }}"}
  - return: {reply: "{{ steps.answer.text }} {{ steps.second.text }}"}
"""

# basic checkpoints after every step (its tier says sync); premium keeps the default, at the end.
PROJECT_TIERS = ("basic: {model: small}", "basic: {model: small, durability: sync}")


def _project(make_project: Any, workflow: str = EFFECTS_YAML) -> Path:
    project = make_project().joinpath("tenantflow.yaml").read_text().replace(*PROJECT_TIERS)
    project = project.replace("stores: {checkpointer: memory, store: memory}", "stores: {checkpointer: sqlite, "
                              "store: sqlite}")
    return make_project({"tenantflow.yaml": project, "skills/effects.py": EFFECTS_PY,
                         "workflows/effects.yaml": workflow}, tenants={
        "alpha": tenant_yaml("alpha", "basic", "guardrails: {pii: {us_ssn: redact, email: block}}\n"),
        "beta": tenant_yaml("beta", "basic", "isolation: {memory: silo}\n"),
        "gamma": tenant_yaml("gamma", "premium"),
    })


@pytest.fixture
def effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "effects"
    folder.mkdir()
    monkeypatch.setenv("TF_EFFECTS_DIR", str(folder))
    return folder


def _log(effects: Path, tenant: str) -> list[str]:
    path = effects / f"{tenant}.log"
    return path.read_text().splitlines() if path.exists() else []


async def _notes(engine: Engine, tenant: str, user: str) -> list[Any]:
    store = await engine.tenants.memory_store(engine.dev_context(tenant, user, "s1"), engine.store)
    assert store is not None
    return [item.value for item in await store.asearch(("tenant", tenant, "user", user))]


async def test_durability_comes_from_the_workflow_else_the_tier_else_exit(make_project, effects) -> None:
    sync_workflow = EFFECTS_YAML.replace("memory: {read", "durability: async\nmemory: {read")
    async with Engine.open(_project(make_project)) as engine:
        assert engine.runner.durability(engine.compile("effects", "alpha"), "alpha") == "sync"
        assert engine.runner.durability(engine.compile("effects", "gamma"), "gamma") == "exit"
    async with Engine.open(_project(make_project, sync_workflow)) as engine:
        assert engine.runner.durability(engine.compile("effects", "alpha"), "alpha") == "async"
        assert engine.runner.durability(engine.compile("effects", "gamma"), "gamma") == "async"


@pytest.mark.parametrize("tenant", ["alpha", "beta"])  # beta's checkpoints live in its own file
async def test_a_run_that_failed_mid_way_resumes_without_repeating_its_side_effects(make_project, effects,
                                                                                 tenant) -> None:
    async with Engine.open(_project(make_project)) as engine:
        straight = await engine.run("effects", engine.dev_context(tenant, "u0", "s0"), {"text": "hello"})
        (effects / f"{tenant}.log").unlink()
        (effects / f"{tenant}.crash").write_text("raise")
        ctx = engine.dev_context(tenant, "u1", "s1")
        with pytest.raises(RunError, match="worker lost"):
            await engine.run("effects", ctx, {"text": "hello"})
        assert _log(effects, tenant) == ["count"]
        [listed] = await engine.sessions(tenant).runs("u1")
        assert (listed.workflow, listed.status) == ("effects", "unfinished")
        with pytest.raises(NothingToResume):  # the session's unfinished run is of another workflow
            await engine.resume("hello", ctx)
        resumed = await engine.resume("effects", ctx)
        assert [r.status for r in await engine.sessions(tenant).runs("u1")] == ["done"]
        # The count and the remember write ran once; the step in flight ran again; the answer is the same.
        assert _log(effects, tenant) == ["count", "flaky"]
        assert await _notes(engine, tenant, "u1") == [{"value": "hello"}]
        assert resumed.output == straight.output
        with pytest.raises(NothingToResume, match="no unfinished run"):
            await engine.resume("effects", ctx)
        # Another tenant cannot resume it: its context names its own thread, and finds nothing there.
        other = "beta" if tenant == "alpha" else "alpha"
        with pytest.raises(NothingToResume):
            await engine.resume("effects", engine.dev_context(other, "u1", "s1"))


async def test_under_exit_durability_a_failed_step_resumes_but_a_killed_worker_leaves_nothing(
        make_project, effects, tmp_path) -> None:
    root = _project(make_project)
    async with Engine.open(root) as engine:
        (effects / "gamma.crash").write_text("raise")
        ctx = engine.dev_context("gamma", "u1", "s1")
        with pytest.raises(RunError):
            await engine.run("effects", ctx, {"text": "hello"})
        # A step that raises still lets LangGraph write the run's one checkpoint as the run exits.
        resumed = await engine.resume("effects", ctx)
        assert resumed.output["reply"].endswith("HELLO") and _log(effects, "gamma") == ["count", "flaky"]
    # A worker killed mid-run never reaches that write: there is nothing to resume, only to send again.
    (effects / "gamma.crash").write_text("kill")
    script = tmp_path / "run.py"
    script.write_text(RUN_SCRIPT.replace('"alpha", "u1"', '"gamma", "u2"'))
    done = subprocess.run([sys.executable, str(script), str(root)], env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    async with Engine.open(root) as engine:
        with pytest.raises(NothingToResume, match="no unfinished run"):
            await engine.resume("effects", engine.dev_context("gamma", "u2", "s1"))


RUN_SCRIPT = """\
import asyncio, sys
from pathlib import Path
from engine.engine import Engine

async def main():
    async with Engine.open(Path(sys.argv[1])) as engine:
        await engine.run("effects", engine.dev_context("alpha", "u1", "s1"), {"text": "hello"})

asyncio.run(main())
"""


async def test_a_worker_killed_with_sigkill_mid_run_is_resumed_by_another_process(make_project, effects,
                                                                                tmp_path) -> None:
    root = _project(make_project)
    (effects / "alpha.crash").write_text("kill")
    script = tmp_path / "run.py"
    script.write_text(RUN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(script), str(root)], env=env, capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    assert _log(effects, "alpha") == ["count"]
    async with Engine.open(root) as engine:
        resumed = await engine.resume("effects", engine.dev_context("alpha", "u1", "s1"))
        assert _log(effects, "alpha") == ["count", "flaky"]
        assert await _notes(engine, "alpha", "u1") == [{"value": "hello"}]
        straight = await engine.run("effects", engine.dev_context("alpha", "u2", "s1"), {"text": "hello"})
        assert resumed.output == straight.output


async def test_per_step_checkpoints_never_hold_the_raw_input_the_guard_redacted_or_blocked(make_project,
                                                                                          effects) -> None:
    from tests.runtime.support import captured_logs

    root = _project(make_project)
    with captured_logs() as logged:
        await _guarded_runs(root, effects)
    with sqlite3.connect(root / ".tenantflow" / "checkpoints.sqlite") as db:
        (saved,) = db.execute("SELECT count(*) FROM checkpoints WHERE thread_id = 'alpha:u1:s2'").fetchone()
    assert saved >= 4  # alpha's tier checkpoints after every step: these checkpoints are per step
    stored = b"".join(p.read_bytes() for p in (root / ".tenantflow").rglob("*") if p.is_file())
    logs = "\n".join(logged.lines).encode()
    assert logs  # the runs logged (the failed step, the calls)
    for raw in (b"078-05-1120", b"078051120", b"ada.lovelace"):
        assert raw not in stored and raw not in logs


async def _guarded_runs(root: Path, effects: Path) -> None:
    async with Engine.open(root) as engine:
        redacted = await engine.run("effects", engine.dev_context("alpha", "u1", "s1"),
                                    {"text": "my ssn is 078-05-1120"})
        assert "078-05-1120" not in str(redacted.output) and not redacted.blocked
        (effects / "alpha.crash").write_text("raise")
        with pytest.raises(RunError):  # a run that stops mid-way leaves its per-step checkpoints behind
            await engine.run("effects", engine.dev_context("alpha", "u1", "s2"), {"text": "ssn 078-05-1120"})
        blocked = await engine.run("effects", engine.dev_context("alpha", "u1", "s3"),
                                   {"text": "write to ada.lovelace@example.com"})
        assert blocked.blocked


def test_the_cli_resumes_a_sessions_unfinished_run(make_project, effects) -> None:
    import json

    from click.testing import CliRunner

    from engine.cli import main

    root = str(_project(make_project))
    base = ["run", "effects", "--tenant", "alpha", "--user", "u1", "--session", "s1", "--project", root]
    (effects / "alpha.crash").write_text("raise")
    failed = CliRunner().invoke(main, [*base, "--input", '{"text": "hi"}'])
    assert failed.exit_code == 1 and "worker lost" in failed.output
    resumed = CliRunner().invoke(main, [*base, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.output)["output"]["reply"].endswith("HI") and _log(effects, "alpha") == ["count", "flaky"]
    again = CliRunner().invoke(main, [*base, "--resume"])
    assert again.exit_code == 1 and "no unfinished run of 'effects'" in again.output
    both = CliRunner().invoke(main, [*base, "--resume", "--input", "{}"])
    assert both.exit_code == 1 and "give --input (a new run), --resume" in both.output


async def test_on_postgres_another_worker_resumes_the_run_and_no_table_holds_the_raw_input(
        make_project, effects, pg_schemas) -> None:
    root = _project(make_project)
    config = root / "tenantflow.yaml"
    config.write_text(config.read_text().replace("stores: {checkpointer: sqlite, store: sqlite}\n",
                                                 pg_schemas.stores_yaml()))
    (effects / "beta.crash").write_text("raise")
    async with Engine.open(root) as first:
        with pytest.raises(RunError, match="worker lost"):
            await first.run("effects", first.dev_context("beta", "u1", "s1"), {"text": "ssn 078-05-1120"})
    async with Engine.open(root) as second:  # another worker, sharing only the database
        resumed = await second.resume("effects", second.dev_context("beta", "u1", "s1"))
        assert _log(effects, "beta") == ["count", "flaky"] and not resumed.blocked
        assert len(await _notes(second, "beta", "u1")) == 1
    dump = pg_schemas.dump()
    assert b"beta:u1:s1" in dump and b"078-05-1120" not in dump
