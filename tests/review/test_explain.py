"""``tenantflow explain``: each effective value with the file:line and layer that set it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from engine.cli import main
from tests.conftest import REPO


def _explain(project: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["explain", *args, "-p", str(project)])


def test_the_workflow_as_a_tenant_runs_it_with_overrides_and_resolved_model(project: Path) -> None:
    result = _explain(project, "triage", "steps", "--tenant", "delta")
    assert result.exit_code == 0, result.output
    assert result.stdout == """\
triage for tenant delta (tier standard)

Workflow
  steps.first.id              first                       workflows/triage.yaml:9:9       workflow
  steps.first.skill           echo                        workflows/triage.yaml:10:12     workflow  (shared implementation, version 1: skills/shared.py)
  steps.first.with.text       {{ input.text }}            workflows/triage.yaml:11:18     workflow
  steps.draft.id              draft                       workflows/triage.yaml:12:9      workflow
  steps.draft.llm.max_tokens  200                         tenants/delta/tenant.yaml:9:33  override
  steps.draft.llm.prompt      workflows/prompts/draft.j2  workflows/triage.yaml:14:15     workflow
  steps.draft.llm.model       tier                        (default)                       default  (-> medium (scripted: medium-v1), set by tenantflow.yaml:13:21 (tier))
  steps.draft.retry.attempts  2                           workflows/triage.yaml:16:23     workflow
  steps[2].return.reply       {{ steps.draft.text }}      workflows/triage.yaml:17:21     workflow
"""


def test_settings_name_the_tier_or_the_tenant_file(project: Path) -> None:
    beta = _explain(project, "triage", "model", "--tenant", "beta")
    assert beta.stdout == """\
triage for tenant beta (tier premium)

Settings
  model  large  tenantflow.yaml:14:20  tier  (scripted: large-v1)
"""
    tier = _explain(project, "triage", "tier", "--tenant", "beta")
    assert tier.stdout.splitlines()[-1] == "  tier  premium  tenants/beta/tenant.yaml:4:7  tenant"
    tools = _explain(project, "triage", "entitlements", "--tenant", "beta")
    assert tools.stdout.splitlines()[3:] == [
        "  entitlements.features  []           (default)                      default",
        '  entitlements.skills    ["*"]        (default)                      default',
        '  entitlements.tools     ["notes.*"]  tenants/beta/tenant.yaml:5:23  tenant',
    ]


def test_guardrail_values_from_a_named_profile_say_where_it_was_named(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    demo.mkdir()
    for part in ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures"):
        copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy2
        copy(REPO / part, demo / part)
    lines = (demo / "tenants" / "acme" / "tenant.yaml").read_text(encoding="utf-8").splitlines()
    [named] = [f"tenants/acme/tenant.yaml:{i + 1}:{line.index('hipaa') + 1}" for i, line in enumerate(lines)
               if line.strip() == "profile: hipaa"]
    [prompt_at] = [f"tenants/acme/tenant.yaml:{i + 1}:{line.index('prompts/') + 1}" for i, line in enumerate(lines)
                   if "prompt: prompts/draft_reply.j2" in line]
    result = _explain(demo, "support-triage", "guardrails.profile", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    profile_line = result.stdout.splitlines()[-1]
    assert profile_line.split() == ["guardrails.profile", "hipaa", named, "tenant"]
    pii = _explain(demo, "support-triage", "guardrails.pii.us_ssn", "--tenant", "acme").stdout.splitlines()[-1]
    assert pii.split() == ["guardrails.pii.us_ssn", "block", named, "tenant", "(via",
                           "profile", "hipaa)"]
    prompt = _explain(demo, "support-triage", "steps.draft.llm.prompt", "--tenant", "acme").stdout.splitlines()[-1]
    assert prompt.split() == ["steps.draft.llm.prompt", "tenants/acme/prompts/draft_reply.j2",
                              prompt_at, "override"]
    own = _explain(demo, "support-triage", "steps.classify.skill", "--tenant", "initech").stdout.splitlines()[-1]
    assert own.endswith("workflow  (the tenant's own implementation, version 1: tenants/initech/skills/classify.py)")


def test_json_format_keeps_whole_values(project: Path) -> None:
    result = _explain(project, "triage", "steps.draft.llm.model", "--tenant", "beta", "--format", "json")
    assert json.loads(result.stdout) == {
        "workflow": "triage", "tenant": "beta", "tier": "premium",
        "values": [{"section": "workflow", "path": "steps.draft.llm.model", "value": "tier", "source": "(default)",
                    "layer": "default", "note": "-> large (scripted: large-v1), set by tenantflow.yaml:14:20 (tier)"}],
    }


def _fails(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stderr
    return result.stderr


def test_unknown_names_are_clear_errors_with_a_suggestion(project: Path) -> None:
    assert _fails(_explain(project, "triage", "steps.drat", "--tenant", "beta")) == (
        "no value at 'steps.drat' in triage for tenant 'beta' (did you mean 'steps.draft'?)\n1 problem found\n")
    assert _fails(_explain(project, "triag", "--tenant", "beta")) == (
        "unknown workflow 'triag' (did you mean 'triage'?)\n1 problem found\n")
    assert _fails(_explain(project, "triage", "--tenant", "bet")) == (
        "unknown tenant 'bet' (did you mean 'beta'?)\n1 problem found\n")
