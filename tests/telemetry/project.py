"""A project for the telemetry tests: two tiers, three models, a skill, a tool, two model calls per run."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import tenant_yaml

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: obs}
input:
  text: {type: string}
output:
  reply: {type: string}
steps:
  - id: first
    skill: echo
    with: {text: "{{ input.text }}"}
  - id: look
    tool: notes.lookup
    with: {key: k1}
  - id: answer
    llm: {prompt: "Answer: {{ steps.first.text }}"}
  - id: check
    llm: {model: small, prompt: "Check: {{ steps.answer.text }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""

# A second workflow on the medium model: with it, one premium tenant's runs use all three models.
WORKFLOW_MEDIUM = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: obs_medium}
input:
  text: {type: string}
steps:
  - id: answer
    llm: {model: medium, prompt: "Medium: {{ input.text }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""

# The model's answers mention an email address: the output rules redact it wherever text leaves a run.
FIXTURES = """\
responses:
  - step: answer
    text: "[{model}] write to ops.desk@example.com"
default: "[{model}] fine"
"""

POLICY = """\
@id("entitled")
permit (principal, action in [Tenantflow::Action::"skills", Tenantflow::Action::"tools"], resource)
when { context.entitled };

@id("no-secrets-for-basic")
forbid (principal, action == Tenantflow::Action::"tool:notes.secret", resource)
when { context.tier == "basic" };
"""

SECRET_WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: secret}
input:
  text: {type: string}
steps:
  - id: peek
    tool: notes.secret
    with: {key: "{{ input.text }}"}
  - return: {found: "{{ steps.peek.key }}"}
"""

SECRET_TOOL = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


@tool("notes.secret")
def secret(*, key: str, ctx: SkillContext) -> dict:
    return {"key": key}
'''

TOOLS = "entitlements: {tools: ['notes.*']}\n"

TENANTS = {
    "alpha": tenant_yaml("alpha", "basic", TOOLS + "workflows: [obs, secret]\n"),
    "beta": tenant_yaml("beta", "premium", TOOLS),
}


def files(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"workflows/obs.yaml": WORKFLOW, "workflows/obs_medium.yaml": WORKFLOW_MEDIUM,
            "workflows/secret.yaml": SECRET_WORKFLOW, "skills/secret.py": SECRET_TOOL,
            "fixtures/scripted.yaml": FIXTURES, "policies/platform.cedar": POLICY, **(extra or {})}


def make(make_project: object, tenants: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> Path:
    root: Path = make_project(files(extra), tenants=tenants or TENANTS)  # type: ignore[operator]
    return root
