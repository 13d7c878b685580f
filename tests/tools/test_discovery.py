"""`tenantflow skills`: every skill and tool with versions, searchable, and who may use it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from engine.cli import main
from tests.conftest import REPO, tenant_yaml

OWN = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill, tool


@skill("echo", version="2")
def echo(*, text: str, ctx: SkillContext) -> dict:
    """Alpha's own echo, louder."""
    return {"text": text.upper()}


@tool("vault.dump")
def dump(*, key: str, ctx: SkillContext) -> dict:
    """Alpha's private vault."""
    return {}
'''

SHARED_V2 = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


@tool("notes.lookup", version="2")
def lookup(*, key: str, ctx: SkillContext) -> dict:
    """Look a note up by key, faster."""
    return {"key": key}
'''

POLICY = """\
@id("entitled")
permit (principal, action in [Tenantflow::Action::"skills", Tenantflow::Action::"tools"], resource)
when { context.entitled };

@id("notes-not-for-basic")
forbid (principal, action == Tenantflow::Action::"tool:notes.lookup", resource)
when { context.tier == "basic" };
"""


def _project(make_project):
    return make_project({"tenants/alpha/skills/own.py": OWN, "skills/shared_v2.py": SHARED_V2,
                         "policies/platform.cedar": POLICY}, tenants={
        "alpha": tenant_yaml("alpha", "basic", "entitlements: {tools: ['*']}\n"),
        "beta": tenant_yaml("beta", "premium", "entitlements: {tools: ['notes.*']}\n"),
        "gamma": tenant_yaml("gamma", "standard", "entitlements: {tools: []}\n")})


def _json(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["skills", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.output)
    return data


def test_every_skill_and_tool_with_versions_and_who_may_use_it(make_project) -> None:
    root = _project(make_project)
    rows = {(r["kind"], r["name"], r["scope"]): r for r in _json("-p", str(root))}
    assert rows[("tool", "notes.lookup", "shared")]["versions"] == ["1", "2"]
    assert rows[("tool", "notes.lookup", "shared")]["description"] == "Look a note up by key, faster."
    # alpha is entitled but basic (a policy forbids it); gamma is not entitled.
    assert (rows[("tool", "notes.lookup", "shared")]["tenants"], rows[("tool", "notes.lookup", "shared")]["tiers"]) == (
        ["beta"], ["premium"])
    # A tenant's own implementation serves only that tenant; the shared one serves the others.
    assert rows[("skill", "echo", "alpha")]["tenants"] == ["alpha"]
    assert rows[("skill", "echo", "shared")]["tenants"] == ["beta", "gamma"]
    assert rows[("tool", "vault.dump", "alpha")]["tenants"] == ["alpha"]


def test_search_by_text_kind_and_tenant(make_project) -> None:
    root = _project(make_project)
    assert [r["name"] for r in _json("vault", "-p", str(root))] == ["vault.dump"]
    assert [r["name"] for r in _json("note faster", "-p", str(root))] == ["notes.lookup"]
    assert [(r["name"], r["scope"]) for r in _json("--kind", "skill", "-p", str(root))] == [
        ("echo", "shared"), ("echo", "alpha")]
    # beta must not learn of alpha's private tool.
    assert [r["name"] for r in _json("--tenant", "beta", "-p", str(root))] == ["echo", "notes.lookup"]


def test_the_demo_registry_text_listing() -> None:
    result = CliRunner().invoke(main, ["skills", "security", "-p", str(REPO)])
    assert result.exit_code == 0
    assert "tool security.ip_reputation v1 [python]\n" in result.output
    assert "tenants: acme; tiers: premium" in result.output
    missing = CliRunner().invoke(main, ["skills", "--tenant", "acmee", "-p", str(REPO)])
    assert missing.exit_code == 1 and "unknown tenant 'acmee'" in missing.output
