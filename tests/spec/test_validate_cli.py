"""`tenantflow validate`: every problem as ``file:line:col: location: message``, exit 1, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from tests.conftest import REPO, tenant_yaml

BAD_WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input:
  text: {type: string}
steps:
  - id: first
    skill: ecoh
    with: {text: "{{ input.text }}"}
  - id: answer
    llm: {prompt: "Answer: {{ steps.first.text }}", model: large}
  - return: {reply: "{{ steps.answer.text }}"}
"""

EXPECTED = """\
workflows/hello.yaml:8:12: steps[0].skill: unknown skill 'ecoh' for tenant 'alpha' (did you mean 'echo'?)
workflows/hello.yaml:8:12: steps[0].skill: unknown skill 'ecoh' for tenant 'beta' (did you mean 'echo'?)
workflows/hello.yaml:11:60: steps[1].llm.model: model 'large' is not allowed for tier 'basic' (tenant 'alpha') \
(allowed: small)
3 problems found
"""


def test_validate_prints_every_compile_problem_of_every_tenant_and_exits_1(make_project):
    root = make_project({"workflows/hello.yaml": BAD_WORKFLOW})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.output == EXPECTED
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_validate_prints_load_problems_of_every_file_and_exits_1(make_project):
    root = make_project({
        "workflows/hello.yaml": BAD_WORKFLOW.replace("    skill: ecoh\n", "    skil: echo\n"),
        "skills/crm.py": "import missing_crm_sdk\n",
    }, tenants={"alpha": tenant_yaml("alpha", "premum"), "beta": tenant_yaml("beta", "premium")})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.output == (
        "skills/crm.py:1:1: cannot import skill module: ModuleNotFoundError: No module named 'missing_crm_sdk'\n"
        "tenants/alpha/tenant.yaml:4:7: tier: unknown tier 'premum' (did you mean 'premium'?)\n"
        "workflows/hello.yaml:8:5: steps[0].skil: unknown key 'skil' (did you mean 'skill'?)\n"
        "3 problems found\n"
    )


def test_validate_reports_a_python_yaml_tag_instead_of_crashing(make_project):
    root = make_project({"workflows/hello.yaml": BAD_WORKFLOW.replace(
        'with: {text: "{{ input.text }}"}', "with: {text: !!python/name:os.system ''}")})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.output == (
        "workflows/hello.yaml:9:18: steps[0].with.text: unsupported YAML tag '!!python/name:os.system' "
        "(tenantflow reads plain YAML: remove the tag)\n"
        "1 problem found\n"
    )


def test_validate_with_a_file_shows_only_that_file(make_project):
    root = make_project({"workflows/hello.yaml": BAD_WORKFLOW},
                        tenants={"alpha": tenant_yaml("alpha", "premum"), "beta": tenant_yaml("beta", "premium")})
    result = CliRunner().invoke(main, ["validate", str(root / "tenants" / "alpha" / "tenant.yaml")])
    assert result.exit_code == 1
    assert result.output == "tenants/alpha/tenant.yaml:4:7: tier: unknown tier 'premum' (did you mean 'premium'?)\n" \
                            "1 problem found\n"


def test_installed_command_prints_problems_to_stderr_without_a_traceback(make_project):
    root = make_project({"workflows/hello.yaml": BAD_WORKFLOW})
    command = Path(sys.executable).parent / "tenantflow"
    done = subprocess.run([str(command), "validate"], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == EXPECTED
    assert "Traceback" not in done.stderr


def test_validate_on_the_repository_itself_passes():
    result = CliRunner().invoke(main, ["validate", str(REPO)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")
    assert result.output.endswith(" workflow x tenant pairs compiled, no problems\n")


# -- every workflow compiles; root cause first; json; --project ------------------------------

REFUND = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: refund-approval}
input:
  amount: {type: number}
steps:
  - id: check
    switch:
      - when: "input.amount > 100"
        goto: approvee
      - default: done
  - id: approve
    set: {ok: true}
  - id: done
    return: {ok: "{{ input.amount }}"}
"""

LISTING = "workflows: [hello]\n"


def test_a_workflow_no_tenant_lists_is_compiled_against_every_tier_with_a_warning(make_project):
    root = make_project({"workflows/refund.yaml": REFUND}, tenants={
        "alpha": tenant_yaml("alpha", "basic", LISTING), "beta": tenant_yaml("beta", "premium", LISTING)})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "warning: workflows/refund.yaml:3:18: metadata.name: no tenant runs workflow 'refund-approval': it was "
        "checked against the defaults of every tier (basic, premium, standard) (to run it, add it to `workflows:` "
        "in tenants/alpha/tenant.yaml, tenants/beta/tenant.yaml)\n"
        "workflows/refund.yaml:10:15: steps[0].switch[0].goto: goto to unknown step 'approvee' "
        "(did you mean 'approve'?)\n"
        "1 problem found\n"
    )


def test_an_unlisted_workflow_that_compiles_is_a_warning_only(make_project):
    root = make_project({"workflows/refund.yaml": REFUND.replace("approvee", "approve")}, tenants={
        "alpha": tenant_yaml("alpha", "basic", LISTING)})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 1 workflow x tenant pairs compiled, no problems\n"
    assert result.stderr.startswith("warning: workflows/refund.yaml:3:18: metadata.name: no tenant runs workflow "
                                    "'refund-approval'")


def test_an_unlisted_workflow_pinning_a_model_a_tier_forbids_names_the_tier(make_project):
    pinned = WORKFLOW_PIN.replace("name: hello", "name: pinned")
    root = make_project({"workflows/pinned.yaml": pinned}, tenants={"alpha": tenant_yaml("alpha", "basic", LISTING)})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        "workflows/pinned.yaml:11:32: steps[1].llm.model: model 'large' is not allowed for tier 'basic' "
        "(tenant 'basic-tier-defaults') (allowed: small)",
        "workflows/pinned.yaml:11:32: steps[1].llm.model: model 'large' is not allowed for tier 'standard' "
        "(tenant 'standard-tier-defaults') (allowed: medium, small)",
        "2 problems found",
    ]


WORKFLOW_PIN = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input:
  text: {type: string}
steps:
  - id: first
    skill: echo
    with: {text: "{{ input.text }}"}
  - id: answer
    llm: {prompt: "Hi", model: large}
  - return: {reply: "{{ steps.answer.text }}"}
"""


def test_tenants_naming_a_workflow_whose_file_failed_are_not_reported_again(make_project):
    broken = REFUND.replace("    switch:\n", "    swich:\n")
    listing = "workflows: [hello, refund-approval]\noverrides:\n  refund-approval:\n    steps: {check: {}}\n"
    root = make_project({"workflows/refund.yaml": broken}, tenants={
        "alpha": tenant_yaml("alpha", "basic", listing), "beta": tenant_yaml("beta", "premium", listing)})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.stderr == (
        "workflows/refund.yaml:8:5: steps[0].swich: unknown key 'swich' (did you mean 'switch'?)\n"
        "1 problem found\n"
    )


def test_a_call_of_a_workflow_whose_file_failed_is_not_reported_again(make_project):
    caller = WORKFLOW_PIN.replace("  - id: answer\n    llm: {prompt: \"Hi\", model: large}\n",
                                  "  - id: answer\n    call: refund-approval\n")
    root = make_project({"workflows/hello.yaml": caller, "workflows/refund.yaml": "metadata: {name: refund-approval"})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.stderr == (
        "workflows/refund.yaml:1:33: YAML syntax error: expected ',' or '}', but got '<stream end>' "
        "(in the flow mapping that starts at line 1, column 11)\n"
        "1 problem found\n"
    )


def test_a_skill_file_that_fails_to_import_does_not_hide_other_files_problems(make_project):
    root = make_project({"skills/crm.py": "import missing_crm_sdk\n", "workflows/hello.yaml": WORKFLOW_PIN})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert result.stderr == (
        "skills/crm.py:1:1: cannot import skill module: ModuleNotFoundError: No module named 'missing_crm_sdk'\n"
        "workflows/hello.yaml:11:32: steps[1].llm.model: model 'large' is not allowed for tier 'basic' "
        "(tenant 'alpha') (allowed: small)\n"
        "2 problems found\n"
    )


def test_validate_format_json_for_editors_and_ci(make_project):
    import json

    root = make_project({"workflows/refund.yaml": REFUND}, tenants={"alpha": tenant_yaml("alpha", "basic", LISTING)})
    result = CliRunner().invoke(main, ["validate", "--format", "json", "-p", str(root)])
    assert result.exit_code == 1
    assert result.stderr == ""
    assert json.loads(result.stdout) == {
        "ok": False, "pairs": 1,
        "problems": [{"file": "workflows/refund.yaml", "line": 10, "col": 15, "location": "steps[0].switch[0].goto",
                      "message": "goto to unknown step 'approvee'", "hint": "did you mean 'approve'?",
                      "code": "unknown-goto"}],
        "warnings": [{"file": "workflows/refund.yaml", "line": 3, "col": 18, "location": "metadata.name",
                      "message": "no tenant runs workflow 'refund-approval': it was checked against the defaults "
                                 "of every tier (basic, premium, standard)",
                      "hint": "to run it, add it to `workflows:` in tenants/alpha/tenant.yaml",
                      "code": "workflow-unlisted"}],
    }


def test_validate_project_option(make_project, tmp_path, monkeypatch):
    root = make_project()
    monkeypatch.chdir(tmp_path)
    for flag in ("-p", "--project"):
        result = CliRunner().invoke(main, ["validate", flag, str(root / "workflows")])
        assert result.exit_code == 0, result.output
        assert result.stdout == "ok: 2 workflow x tenant pairs compiled, no problems\n"


TYPED = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input:
  amount: {type: number}
steps:
  - return: {reply: "{{ 'big' if input.amount > '100' else 'small' }}"}
"""


def test_a_template_type_warning_is_printed_and_validate_still_passes(make_project):
    root = make_project({"workflows/hello.yaml": TYPED})
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 2 workflow x tenant pairs compiled, no problems\n"
    assert result.stderr == (
        "warning: workflows/hello.yaml:7:34: steps[0].return.reply: a number compared with the string '100' "
        "(in 'input.amount') (a number never equals a string, and < or > fails when it runs; write the number "
        "without quotes: 100)\n"
    )
