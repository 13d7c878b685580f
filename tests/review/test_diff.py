"""``tenantflow diff`` on a fixture git repository: which tenants each kind of change affects, and why."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from engine.cli import main
from tests.review.conftest import edit, git, write_project

TENANTFLOW = Path(sys.executable).parent / "tenantflow"


def _diff(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args, "-p", str(repo)])


def _text(result: Result) -> str:
    """The output with commit ids (which depend on the bridge files copied in) replaced."""
    assert result.exit_code == 0, result.output
    return re.sub(r"\(([0-9a-f]{7})\)", "(SHA)", result.stdout)


def test_a_prompt_change_in_a_shared_workflow_affects_every_tenant_running_it(history: Path) -> None:
    assert _text(_diff(history, "base", "prompt")) == """\
Semantic diff: base (SHA) -> prompt (SHA)

Affected tenants: alpha, beta, delta, gamma (4 of 4 tenants)
  all tenants running triage (alpha, beta, delta, gamma): workflow triage changed: step draft changed (llm.prompt text)

Workflow triage
  ~ draft (llm) changed  [all tenants running it: alpha, beta, delta, gamma]
      llm.prompt text:
        @@ -1,2 +1,2 @@
        -Answer the customer politely.
        +Answer the customer briefly.
         They wrote: {{ steps.first.text }}
"""


def test_a_tier_model_change_affects_only_that_tiers_tenants(history: Path) -> None:
    assert _text(_diff(history, "prompt", "tier")) == """\
Semantic diff: prompt (SHA) -> tier (SHA)

Affected tenants: beta, gamma (2 of 4 tenants; not affected: alpha, delta)
  all premium tenants (beta, gamma): tier premium changed: model large -> medium

Workflow triage
  ~ draft (llm) changed  [tenants: beta, gamma]
      model.alias: large -> medium  (tier premium)
      model.model_id: large-v1 -> medium-v1  (tier premium)

Project tenantflow.yaml
  ~ tiers.premium.allowed_models: [medium, small] -> [large, small]
  ~ tiers.premium.model: large -> medium
"""


def test_a_tenant_override_change_affects_only_that_tenant(history: Path) -> None:
    assert _text(_diff(history, "tier", "override")) == """\
Semantic diff: tier (SHA) -> override (SHA)

Affected tenants: delta (1 of 4 tenants; not affected: alpha, beta, gamma)
  delta: its override of triage changed: step draft changed (llm.max_tokens)

Workflow triage
  ~ draft (llm) changed  [tenants: delta]
      llm.max_tokens: 200 -> 500  (delta's override)

Tenant delta (tenants/delta/tenant.yaml)
  ~ overrides.triage.steps.draft.llm.max_tokens: 200 -> 500
"""


def test_reordered_keys_and_comments_are_no_semantic_change(history: Path) -> None:
    assert _text(_diff(history, "override", "reorder")) == """\
Semantic diff: override (SHA) -> reorder (SHA)

No semantic change: 8 workflow x tenant pairs compile to the same graphs; tenants, tiers, the model catalog and skills are unchanged.

Changed in form only (key order, comments, layout): workflows/triage.yaml
"""
    assert _diff(history, "override", "reorder", "--exit-code").exit_code == 0
    assert _diff(history, "tier", "override", "--exit-code").exit_code == 1


def test_a_renamed_step_with_the_same_content_is_a_rename(history: Path) -> None:
    assert _text(_diff(history, "reorder", "rename")) == """\
Semantic diff: reorder (SHA) -> rename (SHA)

Affected tenants: alpha, beta, delta, gamma (4 of 4 tenants)
  all tenants running triage (alpha, beta, delta, gamma): workflow triage changed: step draft changed (llm.prompt text), step first renamed to greet

Workflow triage
  > greet (skill) renamed from first  [all tenants running it: alpha, beta, delta, gamma]
  ~ draft (llm) changed  [all tenants running it: alpha, beta, delta, gamma]
      llm.prompt text:
        @@ -1,3 +1,3 @@
         Answer the customer briefly.
        -They wrote: {{ steps.first.text }}
        +They wrote: {{ steps.greet.text }}
         Sign as the support team.
"""


def test_renaming_a_step_a_tenant_overrides_says_its_override_no_longer_applies(history: Path) -> None:
    assert _text(_diff(history, "rename", "rename-draft")) == """\
Semantic diff: rename (SHA) -> rename-draft (SHA)

Affected tenants: alpha, beta, delta, gamma (4 of 4 tenants)
  alpha, beta, gamma: workflow triage changed: step draft renamed to compose, step return_2 changed (return.reply)
  delta: its override of step draft no longer applies (triage has no step draft)

Workflow triage
  > compose (llm) renamed from draft  [tenants: alpha, beta, gamma]
  ~ return_2 (return) changed  [tenants: alpha, beta, gamma]
      return.reply: "{{ steps.draft.text }}" -> "{{ steps.compose.text }}"

Problems in rename-draft (SHA) (tenantflow validate fails there):
  tenants/delta/tenant.yaml:9:7: overrides.triage.steps.draft: override of unknown step 'draft' in workflow 'triage' (known: compose, greet)
"""


def test_several_commits_at_once_list_every_reason(history: Path) -> None:
    text = _text(_diff(history, "base", "override"))
    assert text.splitlines()[2:6] == [
        "Affected tenants: alpha, beta, delta, gamma (4 of 4 tenants)",
        "  all premium tenants (beta, gamma): tier premium changed: model large -> medium",
        "  all tenants running triage (alpha, beta, delta, gamma): workflow triage changed: step draft changed "
        "(llm.prompt text)",
        "  delta: its override of triage changed: step draft changed (llm.max_tokens)",
    ]
    # One entry per step; each field says which tenants it changed for when not all.
    assert "\n".join(text.splitlines()[7:11]) == """\
Workflow triage
  ~ draft (llm) changed  [all tenants running it: alpha, beta, delta, gamma]
      llm.max_tokens: 200 -> 500  (delta's override)  [delta]
      llm.prompt text:"""
    assert "      model.alias: large -> medium  (tier premium)  [beta, gamma]" in text


def test_tenant_option_narrows_to_one_tenant(history: Path) -> None:
    assert _text(_diff(history, "base", "override", "--tenant", "alpha")) == """\
Semantic diff: base (SHA) -> override (SHA), tenant alpha

Affected tenants: alpha (1 of 1 tenant)
  alpha: workflow triage changed: step draft changed (llm.prompt text)

Workflow triage
  ~ draft (llm) changed  [tenants: alpha]
      llm.prompt text:
        @@ -1,2 +1,2 @@
        -Answer the customer politely.
        +Answer the customer briefly.
         They wrote: {{ steps.first.text }}
"""


def test_markdown_is_a_pull_request_comment_with_the_changed_nodes_highlighted(history: Path) -> None:
    text = _text(_diff(history, "prompt", "tier", "--format", "markdown"))
    assert text.startswith("""\
### tenantflow semantic diff: `prompt (SHA)` → `tier (SHA)`

**Affected tenants: beta, gamma (2 of 4 tenants; not affected: alpha, delta)**

- **all premium tenants (beta, gamma)**: tier premium changed: model large -> medium

#### Workflow `triage`

- **changed** `draft` (llm) (tenants: beta, gamma)
  - `model.alias: large -> medium  (tier premium)`
  - `model.model_id: large-v1 -> medium-v1  (tier premium)`

<details><summary>Graph of `triage` for beta, gamma after the change (changed nodes in red)</summary>

```mermaid
flowchart TD
""")
    assert '  n3[/"draft<br/>llm: medium"/]\n' in text
    assert "  classDef changed fill:#fecaca,stroke:#b91c1c,stroke-width:2px\n  class n3 changed\n```" in text
    assert text.endswith("""\
#### Project `tenantflow.yaml`

- `~ tiers.premium.allowed_models: [medium, small] -> [large, small]`
- `~ tiers.premium.model: large -> medium`
""")


def test_json_names_each_affected_tenant_with_its_reasons(history: Path) -> None:
    data = json.loads(_diff(history, "base", "rename-draft", "--format", "json").stdout)
    # Renamed and edited across several commits: still a rename, with the fields that changed.
    triage = ("workflow triage changed: step draft renamed to compose and changed (llm.prompt text), "
              "step first renamed to greet, step return_2 changed (return.reply)")
    premium = "tier premium changed: model large -> medium"
    assert data["affected_tenants"] == {
        "alpha": [triage],
        "beta": [premium, triage],
        "delta": ["its override of step draft no longer applies (triage has no step draft)"],
        "gamma": [premium, triage],
    }
    assert data["semantic_change"] is True and data["pairs_compared"] == 6
    assert [(r["who"], r["scope"], r["name"]) for r in data["reasons"]] == [
        ("all premium tenants (beta, gamma)", "tier", "premium"),
        ("alpha, beta, gamma", "workflow", "triage"),
        ("delta", "override", "delta"),
    ]
    [workflow] = data["workflows"]
    assert [(s["node"], s["status"], s["renamed_from"], s["tenants"]) for s in workflow["steps"]] == [
        ("compose", "renamed", "draft", ["alpha", "beta", "gamma"]),
        ("greet", "renamed", "first", ["alpha", "beta", "gamma"]),
        ("return_2", "changed", None, ["alpha", "beta", "gamma"]),
    ]
    model = workflow["steps"][0]["fields"][1]
    assert model == {"field": "model.alias", "before": "large", "after": "medium", "added": False, "removed": False,
                     "cause": {"scope": "tier", "name": "premium"}, "tenants": ["beta", "gamma"]}
    assert data["problems"]["after"] == [
        "tenants/delta/tenant.yaml:9:7: overrides.triage.steps.draft: override of unknown step 'draft' in workflow "
        "'triage' (known: compose, greet)"]


def test_revisions_are_read_from_git_objects_without_touching_the_work_tree(history: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(history, "clone", "-q", str(history), str(clone))
    prompt = clone / "workflows" / "prompts" / "draft.j2"
    prompt.write_text(prompt.read_text(encoding="utf-8") + "Never promise refunds.\n", encoding="utf-8")
    status = git(clone, "status", "--porcelain")
    head = git(clone, "rev-parse", "HEAD")
    # Between two revisions, the uncommitted edit plays no part.
    assert "No semantic change" in _text(_diff(clone, "reorder", "HEAD~2"))
    # Without REV_B, the second side is the work tree.
    text = _text(_diff(clone, "HEAD"))
    assert text.startswith("Semantic diff: HEAD (SHA) -> work tree\n")
    assert "        +Never promise refunds.\n" in text
    assert git(clone, "status", "--porcelain") == status
    assert git(clone, "rev-parse", "HEAD") == head


def test_two_folders_compare_like_two_revisions(tmp_path: Path) -> None:
    before = write_project(tmp_path / "before")
    after = write_project(tmp_path / "after")
    tier = after / "tenantflow.yaml"
    tier.write_text(tier.read_text(encoding="utf-8").replace("basic: {model: small}", "basic: {model: medium}"),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(before), str(after)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        f"Semantic diff: {before} -> {after}", "",
        "Affected tenants: alpha (1 of 4 tenants; not affected: beta, delta, gamma)",
        "  all basic tenants (alpha): tier basic changed: model small -> medium"]


def test_a_silo_tenants_tool_deployment_moving_is_a_change_for_that_tenant_only(tmp_path: Path) -> None:
    gateway = 'gateway:\n  mcp:\n    - {name: tix, url: "https://mcp.shared.test/mcp", tools: [search_tickets]}\n'
    silo = 'isolation: {tools: silo}\ngateway: {endpoints: {tix: "https://mcp.beta.test/mcp"}}\n'
    before, after = write_project(tmp_path / "before"), write_project(tmp_path / "after")
    for root in (before, after):
        (root / "tenantflow.yaml").write_text((root / "tenantflow.yaml").read_text(encoding="utf-8") + gateway,
                                              encoding="utf-8")
        beta = root / "tenants" / "beta" / "tenant.yaml"
        beta.write_text(beta.read_text(encoding="utf-8").replace("['notes.*']", "['notes.*', 'tix.*']") + silo,
                        encoding="utf-8")
    edit(after, "tenants/beta/tenant.yaml", "https://mcp.beta.test/mcp", "https://mcp.beta-eu.test/mcp")
    result = CliRunner().invoke(main, ["diff", str(before), str(after)])
    assert result.exit_code == 0, result.output
    assert "Affected tenants: beta (1 of 4 tenants" in result.stdout
    assert "gateway.endpoints.tix https://mcp.beta.test/mcp -> https://mcp.beta-eu.test/mcp" in result.stdout


def _fails(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


def test_an_unknown_revision_is_one_clear_line(history: Path) -> None:
    assert _fails(_diff(history, "base", "no-such-tag")) == (
        f"error: unknown revision 'no-such-tag' in {history} (a branch, tag, commit id or expression such as "
        "HEAD~1)\n")
    dashed = CliRunner().invoke(main, ["diff", "-p", str(history), "--", "-x"])
    assert _fails(dashed) == "error: unknown revision '-x'\n"


def test_a_folder_outside_git_cannot_name_revisions(project: Path) -> None:
    assert _fails(_diff(project, "HEAD~1", "HEAD")) == (
        f"error: {project} is not in a git repository: name two folders to compare instead of revisions\n")


def test_a_revision_without_the_project_file_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("empty\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "readme")
    write_project(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    assert _fails(_diff(repo, "HEAD~1", "HEAD")) == (
        "error: revision 'HEAD~1' has no tenantflow.yaml at the top of the repository\n")


def test_a_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = write_project(repo / "agents")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    edit = project / "tenants" / "alpha" / "tenant.yaml"
    edit.write_text(edit.read_text(encoding="utf-8").replace("tier: basic", "tier: standard"), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "alpha moves up")
    text = _text(_diff(project, "HEAD~1", "HEAD"))
    assert text.splitlines()[2:4] == [
        "Affected tenants: alpha (1 of 4 tenants; not affected: beta, delta, gamma)",
        "  alpha: its tenant settings changed: moved from tier basic to tier standard, model small -> medium, "
        "allowed models [small] -> [medium, small]"]


def test_git_diff_driver_shows_the_semantic_diff_of_one_file(history: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(history, "clone", "-q", str(history), str(clone))
    (clone / ".git" / "info" / "attributes").write_text("workflows/*.yaml diff=tenantflow\n", encoding="utf-8")
    done = subprocess.run(["git", "-c", f"diff.tenantflow.command={TENANTFLOW} git-diff-driver", "diff",
                           "HEAD~1", "HEAD", "--", "workflows/triage.yaml"], cwd=clone, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == """\
tenantflow semantic diff of workflows/triage.yaml
Affected tenants: alpha, beta, delta, gamma (4 of 4 tenants)
  alpha, beta, gamma: workflow triage changed: step draft renamed to compose, step return_2 changed (return.reply)
  delta: its override of step draft no longer applies (triage has no step draft)

Workflow triage
  > compose (llm) renamed from draft  [tenants: alpha, beta, gamma]
  ~ return_2 (return) changed  [tenants: alpha, beta, gamma]
      return.reply: "{{ steps.draft.text }}" -> "{{ steps.compose.text }}"

Problems in new workflows/triage.yaml (tenantflow validate fails there):
  tenants/delta/tenant.yaml:9:7: overrides.triage.steps.draft: override of unknown step 'draft' in workflow 'triage' (known: compose, greet)
"""


def test_git_diff_driver_needs_gits_arguments() -> None:
    result = CliRunner().invoke(main, ["git-diff-driver", "a.yaml"])
    assert result.exit_code == 1
    assert result.stderr == ("error: git-diff-driver expects the 7 arguments git passes to an external diff driver: "
                             "PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE NEW-HEX NEW-MODE (see docs/review.md)\n")


def test_skill_code_changes_name_the_tenants_using_the_skill(tmp_path: Path) -> None:
    before = write_project(tmp_path / "before")
    after = tmp_path / "after"
    shutil.copytree(before, after)
    own = after / "tenants" / "beta" / "skills"
    own.mkdir(parents=True)
    (own / "echo.py").write_text(
        "from engine.skills.decorators import skill\n\n\n@skill('echo')\n"
        "def echo(*, text: str, ctx: object) -> dict:\n    return {'text': text.upper()}\n", encoding="utf-8")
    shared = after / "skills" / "shared.py"
    # A comment is not a change in meaning: Python files compare by syntax tree.
    shared.write_text("# shared skills\n" + shared.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(before), str(after)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2:4] == ["Affected tenants: beta (1 of 4 tenants; not affected: alpha, delta, gamma)",
                          "  beta: its own skills changed: tenants/beta/skills/echo.py replaces the shared "
                          "skills/shared.py"]
    assert lines[-4:] == ["Skill files", "  + tenants/beta/skills/echo.py", "",
                          "Changed in form only (key order, comments, layout): skills/shared.py"]


def test_a_side_whose_project_file_does_not_load_says_so(tmp_path: Path) -> None:
    before = write_project(tmp_path / "before")
    after = tmp_path / "after"
    shutil.copytree(before, after)
    (after / "tenantflow.yaml").write_text("apiVersion: tenantflow/v1\nkind: Project\nmetadata: {name: x}\n",
                                           encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(before), str(after)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"""\
Semantic diff: {before} -> {after}

Affected tenants: alpha, beta, delta, gamma (4 of 4 tenants)
  all tenants (alpha, beta, delta, gamma): the project does not load in {after}: tenantflow.yaml:1:1: missing required field 'models'

Problems in {after} (tenantflow validate fails there):
  tenantflow.yaml:1:1: missing required field 'models'
  tenantflow.yaml:1:1: missing required field 'tiers'
"""


def test_tenant_option_with_an_unknown_tenant(history: Path) -> None:
    message = _fails(_diff(history, "base", "tier", "--tenant", "alpah"))
    assert re.sub(r"\(([0-9a-f]{7})\)", "(SHA)", message) == (
        "unknown tenant 'alpah' (in neither base (SHA) nor tier (SHA)) (did you mean 'alpha'?)\n1 problem found\n")
