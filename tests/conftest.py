"""Shared fixtures: small projects written into tmp_path, as a user would write them."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

PROJECT_YAML = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: testproj}
models:
  catalog:
    small: {provider: scripted, model_id: small-v1, price_per_1k: {input: 0.001, output: 0.002}}
    medium: {provider: scripted, model_id: medium-v1, price_per_1k: {input: 0.003, output: 0.006}}
    large: {provider: scripted, model_id: large-v1, price_per_1k: {input: 0.01, output: 0.03}}
  providers:
    scripted: {fixtures: fixtures/scripted.yaml}
tiers:
  basic: {model: small}
  standard: {model: medium, allowed_models: [small]}
  premium: {model: large, allowed_models: [medium, small]}
stores: {checkpointer: memory, store: memory}
"""

FIXTURES_YAML = """\
responses:
  - step: answer
    text: "[{model}] answer"
default: "[{model}] default"
"""

SKILLS_PY = '''\
from engine.skills.decorators import skill, tool
from engine.skills.bridge import SkillContext


@skill("echo")
def echo(*, text: str, ctx: SkillContext) -> dict:
    return {"text": text, "impl": "shared", "tenant": ctx.tenant.tenant_id}


@tool("notes.lookup")
def lookup(*, key: str, ctx: SkillContext) -> dict:
    return {"key": key, "tenant": ctx.tenant.tenant_id}
'''

WORKFLOW_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input:
  text: {type: string}
output:
  reply: {type: string}
steps:
  - id: first
    skill: echo
    with: {text: "{{ input.text }}"}
  - id: answer
    llm: {prompt: "Say: {{ steps.first.text }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""


def tenant_yaml(tenant_id: str, tier: str = "basic", extra: str = "") -> str:
    return f"apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {{id: {tenant_id}}}\ntier: {tier}\n" + extra


ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a small valid project into tmp_path; ``files`` replaces or adds files by relative path."""

    def make(files: dict[str, str] | None = None, *, tenants: dict[str, str] | None = None) -> Path:
        root = tmp_path / "proj"
        base = {
            "tenantflow.yaml": PROJECT_YAML,
            "fixtures/scripted.yaml": FIXTURES_YAML,
            "skills/shared.py": SKILLS_PY,
            "workflows/hello.yaml": WORKFLOW_YAML,
        }
        for tenant_id, text in (tenants if tenants is not None else {
            "alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "premium"),
        }).items():
            base[f"tenants/{tenant_id}/tenant.yaml"] = text
        base.update(files or {})
        for rel, text in base.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        bridge = root / "skills" / "bridge"
        if not bridge.exists():
            shutil.copytree(REPO / "skills" / "bridge", bridge, ignore=shutil.ignore_patterns("__pycache__"))
        return root

    return make


@pytest.fixture
def bedrock_client(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real bedrock-runtime client with fake credentials, for botocore's Stubber."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def bedrock_stubber(bedrock_client: Any) -> Iterator[Any]:
    """The Stubber on ``bedrock_client``: every request is checked against the real service model."""
    from botocore.stub import Stubber

    with Stubber(bedrock_client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def services_required() -> bool:
    """CI sets TENANTFLOW_REQUIRE_SERVICES=1 so tests needing PostgreSQL or Redis never skip silently."""
    return os.environ.get("TENANTFLOW_REQUIRE_SERVICES") == "1"
