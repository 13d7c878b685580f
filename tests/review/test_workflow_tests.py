"""``tenantflow test``: workflow test cases in YAML, run with scripted models and mocks, reported for CI."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner, Result

from engine.cli import main

TRIAGE_TESTS = """\
apiVersion: tenantflow/v1
kind: WorkflowTest
metadata: {name: triage}
workflow: triage
tenants: [alpha, beta]
model:
  responses:
    - {step: draft, match: "They wrote: hello", text: "[{model}] hi there"}
cases:
  - name: greets back with the tier's model
    input: {text: hello}
    expect:
      output: {reply: "[small-v1] hi there"}
      ran: [first, draft]
      steps: {first: {text: hello, impl: shared}}
      models: {draft: tier}
      guard: []
    expect_by_tenant:
      beta:
        output: {reply: "[large-v1] hi there"}
        models: {draft: large}

  - name: a mock stands in for the skill
    tenants: [alpha]
    input: {text: hello}
    mocks:
      echo: {output: {text: bonjour}}
    model:
      responses:
        - {step: draft, match: "They wrote: bonjour", text: "[{model}] salut"}
    expect:
      output: {reply: "[small-v1] salut"}
      calls: {echo: [{text: hello}]}

  - name: expectations that are not met
    tenants: [alpha]
    input: {text: hello}
    expect:
      output: {reply: wrong, extra: 1}
      output_matches: {reply: "^bye"}
      skipped: [first]
      steps: {first: {text: nope}}
      models: {draft: large}
      guard: [{type: email}]
      blocked: true

  - name: no scripted answer fails the run
    tenants: [alpha]
    input: {text: unscripted}
    expect:
      output: {reply: anything}

  - name: an expected failure passes
    tenants: [alpha]
    input: {text: unscripted}
    expect:
      fails: no scripted response for workflow triage step draft
"""


def _test(project: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["test", *args, "-p", str(project)])


def _write(project: Path, name: str, text: str) -> Path:
    path = project / "workflows" / "tests" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _timeless(text: str) -> str:
    return re.sub(r" in \d+\.\d\d s\n", " in T s\n", text)


def test_results_say_what_differs_and_junit_xml_records_them(project: Path, tmp_path: Path) -> None:
    _write(project, "triage.yaml", TRIAGE_TESTS)
    junit = tmp_path / "out" / "junit.xml"
    result = _test(project, "--junit", str(junit))
    assert result.exit_code == 1
    assert _timeless(result.stdout) == f"""\
PASS triage: greets back with the tier's model [alpha]
PASS triage: greets back with the tier's model [beta]
PASS triage: a mock stands in for the skill [alpha]
FAIL triage: expectations that are not met [alpha]
    output.reply: expected wrong, got "[small-v1] hi there"
    output.extra: missing (got reply)
    output.reply: expected a match for /^bye/, got "[small-v1] hi there"
    blocked: expected the run to be blocked, it was not
    skipped: step first ran
    steps.first.text: expected nope, got hello
    models.draft: expected large (large-v1), got small-v1
    guard: expected 1 item, got 0: []
FAIL triage: no scripted answer fails the run [alpha]
    the run failed: step 'draft' failed: no scripted response for workflow triage step draft (model small-v1); add one to the scripted fixture:
  - step: draft
    text: "[{{model}}] ..."
PASS triage: an expected failure passes [alpha]
4 passed, 2 failed in T s
wrote JUnit XML to {junit}
"""
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == ("testsuites", "6", "2", "0")
    [suite] = root
    assert (suite.get("name"), suite.get("file")) == ("triage", "workflows/tests/triage.yaml")
    cases = [(c.get("classname"), c.get("name"), c.get("line"), [f.tag for f in c]) for c in suite]
    lines = TRIAGE_TESTS.splitlines()

    def line(name: str) -> str:
        return str(lines.index(f"  - name: {name}") + 1)

    assert cases == [
        ("triage", "greets back with the tier's model [alpha]", line("greets back with the tier's model"), []),
        ("triage", "greets back with the tier's model [beta]", line("greets back with the tier's model"), []),
        ("triage", "a mock stands in for the skill [alpha]", line("a mock stands in for the skill"), []),
        ("triage", "expectations that are not met [alpha]", line("expectations that are not met"), ["failure"]),
        ("triage", "no scripted answer fails the run [alpha]", line("no scripted answer fails the run"),
         ["failure"]),
        ("triage", "an expected failure passes [alpha]", line("an expected failure passes"), []),
    ]
    assert line("greets back with the tier's model") == "10"
    failure = suite[3][0]
    assert failure.get("message") == "8 expectations not met"
    assert failure.text is not None and failure.text.splitlines()[0] == (
        'output.reply: expected wrong, got "[small-v1] hi there"')


def test_tenant_option_runs_only_that_tenants_cases(project: Path) -> None:
    _write(project, "triage.yaml", TRIAGE_TESTS)
    result = _test(project, "--tenant", "beta")
    assert result.exit_code == 0, result.output
    assert _timeless(result.stdout) == ("PASS triage: greets back with the tier's model [beta]\n"
                                        "1 passed in T s\n")


def test_a_mock_wins_over_a_tenants_own_implementation(project: Path) -> None:
    own = project / "tenants" / "beta" / "skills"
    own.mkdir(parents=True)
    (own / "echo.py").write_text(
        "from engine.skills.decorators import skill\n\n\n@skill('echo')\n"
        "def echo(*, text: str, ctx: object) -> dict:\n    return {'text': text.upper(), 'impl': 'beta'}\n",
        encoding="utf-8")
    _write(project, "own.yaml", """\
apiVersion: tenantflow/v1
kind: WorkflowTest
metadata: {name: own}
workflow: triage
tenants: [beta]
model: {default: "[{model}] ok"}
cases:
  - name: the tenant's own skill runs
    input: {text: hi}
    expect: {steps: {first: {text: HI, impl: beta}}}
  - name: a mock replaces it
    input: {text: hi}
    mocks: {echo: {outputs: [{text: one}, {text: two}]}}
    expect: {steps: {first: {text: one}}, calls: {echo: [{text: hi}]}}
""")
    result = _test(project, str(project / "workflows" / "tests" / "own.yaml"))
    assert result.exit_code == 0, result.output


def test_a_failing_mock_is_handled_by_the_steps_on_error(project: Path) -> None:
    _write(project, "notes.yaml", """\
apiVersion: tenantflow/v1
kind: WorkflowTest
metadata: {name: notes}
workflow: notes
tenants: [gamma]
cases:
  - name: the lookup fails and the run fails with it
    input: {key: k1}
    mocks: {notes.lookup: {error: store offline}}
    expect:
      fails: "step 'look' failed: notes.lookup: store offline"
  - name: the real tool answers
    input: {key: k1}
    expect:
      output: {key: k1}
      steps: {look: {key: k1, tenant: gamma}}
""")
    result = _test(project)
    assert result.exit_code == 0, result.output
    assert _timeless(result.stdout) == """\
PASS notes: the lookup fails and the run fails with it [gamma]
PASS notes: the real tool answers [gamma]
2 passed in T s
"""


BAD = """\
apiVersion: tenantflow/v1
kind: WorkflowTest
metadata: {name: bad}
workflow: triage
tenants: [alpha, omega]
mocks:
  ech: {output: 1}
cases:
  - name: many mistakes
    input: {text: hi}
    mocks:
      echo: {output: 1, error: boom}
    expect:
      ran: [frist]
      models: {first: small}
      calls: {notes.lookup: []}
      outptu: {}
    expect_by_tenant:
      gamma: {}
"""


def test_a_bad_test_file_reports_every_problem_at_its_place(project: Path) -> None:
    _write(project, "bad.yaml", BAD)
    _write(project, "other.yaml", "apiVersion: tenantflow/v1\nkind: WorkflowTest\nmetadata: {name: other}\n"
                                  "workflow: triag\ncases: [{name: x}]\n")
    _write(project, "stray.yaml", "kind: Workflow\n")
    result = _test(project)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == """\
workflows/tests/bad.yaml:12:13: cases[0].mocks.echo: a mock needs exactly one of 'output', 'outputs' or 'error', this one has output, error
workflows/tests/bad.yaml:17:7: cases[0].expect.outptu: unknown key 'outptu' (did you mean 'output'?)
workflows/tests/other.yaml:4:11: workflow: unknown workflow 'triag' (did you mean 'triage'?)
workflows/tests/stray.yaml:1:7: kind: expected a workflow test file (kind: WorkflowTest)
4 problems found
"""
    fixed = BAD.replace("      echo: {output: 1, error: boom}\n", "      echo: {output: 1}\n").replace(
        "      outptu: {}\n", "")
    _write(project, "bad.yaml", fixed)
    (project / "workflows" / "tests" / "other.yaml").unlink()
    (project / "workflows" / "tests" / "stray.yaml").unlink()
    result = _test(project)
    assert result.stderr == """\
workflows/tests/bad.yaml:5:18: tenants[1]: unknown tenant 'omega' (known: alpha, beta, delta, gamma)
workflows/tests/bad.yaml:7:3: mocks.ech: unknown skill or tool 'ech' to mock (did you mean 'echo'?)
workflows/tests/bad.yaml:14:13: cases[0].expect.ran[0]: workflow 'triage' has no step 'frist' for tenant 'alpha' (did you mean 'first'?)
workflows/tests/bad.yaml:16:15: cases[0].expect.calls.notes.lookup: 'notes.lookup' is not mocked in this case, so its calls are not recorded (add it under mocks)
workflows/tests/bad.yaml:18:7: cases[0].expect_by_tenant.gamma: tenant 'gamma' is not one this case runs for (alpha)
5 problems found
"""


def test_no_test_cases_exits_5(project: Path) -> None:
    result = _test(project)
    assert result.exit_code == 5
    assert result.stderr == "no workflow test cases in workflows/tests/\n"
