from pathlib import Path

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
