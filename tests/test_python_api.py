"""The README's "Running a graph in your own runtime" block, run as written on a copy of the demo project."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine import Engine, InputError, fresh_run
from tests.conftest import REPO


def _readme_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Running a graph in your own runtime", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None
    return found.group(1)


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures", "policies"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def test_the_readme_block_runs_the_compiled_graph_with_the_engines_run_context(demo_dir: Path) -> None:
    block = _readme_block()
    assert len([line for line in block.splitlines() if line.strip()]) <= 10
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    output = await namespace["triage"]("I was charged twice for my last visit")
    assert output["reply"]
    assert (demo_dir / ".tenantflow").is_dir()  # the project's own SQLite checkpointer kept the run


async def test_the_same_graph_runs_two_tenants_each_with_its_own_context(demo_dir: Path) -> None:
    async with Engine.open(demo_dir) as engine:
        globex, initech = engine.compile("support-triage", "globex"), engine.compile("support-triage", "initech")
        assert globex is initech  # one compiled graph: the tenant comes from the run context
        outputs = {}
        for tenant, compiled in (("globex", globex), ("initech", initech)):
            ctx = engine.dev_context(tenant, "u1", "s1")
            context = engine.run_context("support-triage", ctx, {"ticket": "Site down since 9am",
                                                                 "customer_id": "cus_1001"})
            state = await compiled.graph.ainvoke(fresh_run(), engine.run_config("support-triage", ctx),
                                                 context=context)
            outputs[tenant] = state
        # Each tenant's run used its own tier model, and its checkpoint is in its own thread.
        assert {u["model"] for u in outputs["globex"]["usage"]} == {"amazon.nova-micro-v1:0"}
        assert {u["model"] for u in outputs["initech"]["usage"]} == {"amazon.nova-lite-v1:0"}
        assert (await engine.sessions("globex").list(user_id="u1"))[0].session_id == "s1"


async def test_run_context_refuses_input_the_workflow_does_not_declare(demo_dir: Path) -> None:
    async with Engine.open(demo_dir) as engine:
        ctx = engine.dev_context("acme", "u1", "s1")
        with pytest.raises(InputError, match="ticket"):
            engine.run_context("support-triage", ctx, {"customer_id": "mem_20417"})


async def test_a_graph_run_without_the_run_context_is_refused(demo_dir: Path) -> None:
    from engine.errors import AuthError

    async with Engine.open(demo_dir) as engine:
        compiled = engine.compile("support-triage", "acme")
        ctx = engine.dev_context("acme", "u1", "s1")
        with pytest.raises(AuthError, match="no tenant context"):
            await compiled.graph.ainvoke(fresh_run(), engine.run_config("support-triage", ctx))
