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
