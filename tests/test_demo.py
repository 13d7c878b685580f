"""The demo SaaS in the repo: three tenants on three tiers, one workflow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from engine.engine import Engine
from engine.project import load_project
from tests.conftest import REPO

TICKET = {"ticket": "Our site has been down since 9am, is there an outage?", "customer_id": "cus_1001"}


@pytest.fixture
def demo(tmp_path: Path) -> Engine:
    for name in ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures"):
        src = REPO / name
        copy = shutil.copytree if src.is_dir() else shutil.copy2
        copy(src, tmp_path / name)
    return Engine(load_project(tmp_path), checkpointer=InMemorySaver(), store=InMemoryStore())


async def test_three_tiers_get_three_models_on_the_same_workflow(demo: Engine):
    models = {}
    for tenant in ("globex", "initech", "acme"):
        result = await demo.run("support-triage", demo.dev_context(tenant, "u1", "s1"), TICKET)
        models[tenant] = {u["model"] for u in result.usage}
    assert models == {
        "globex": {"amazon.nova-micro-v1:0"},
        "initech": {"amazon.nova-lite-v1:0"},
        "acme": {"arn:aws:bedrock:us-east-1:111122223333:custom-model/acme-support-v2"},
    }


async def test_initech_gets_its_own_classifier_on_the_graph_it_shares_with_globex(demo: Engine):
    assert demo.compile("support-triage", "initech") is demo.compile("support-triage", "globex")
    initech = await demo.run("support-triage", demo.dev_context("initech", "u1", "s1"), TICKET)
    globex = await demo.run("support-triage", demo.dev_context("globex", "u1", "s1"), TICKET)
    assert initech.output["category"] == "outage"  # only Initech's classify_ticket knows outages
    assert globex.output["category"] != "outage"
    assert demo.compile_count == 1


async def test_acme_override_gives_it_its_own_graph_with_the_inserted_step(demo: Engine):
    acme = demo.compile("support-triage", "acme")
    assert acme is not demo.compile("support-triage", "globex")
    assert "compliance_note" in acme.ir.nodes
    result = await demo.run("support-triage", demo.dev_context("acme", "u1", "s1"), TICKET)
    assert "compliance_note" in result.steps


async def test_only_acme_runs_security_alert(demo: Engine):
    from engine.errors import SpecError

    demo.compile("security-alert", "acme")
    for tenant in ("globex", "initech"):
        with pytest.raises(SpecError, match="unknown workflow 'security-alert' for tenant"):
            demo.compile("security-alert", tenant)
