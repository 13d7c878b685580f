"""The ``tenantflow`` command line, on a copy of the demo project (runs write a data folder into it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator

from engine.cli import main
from tests.conftest import REPO

DEMO_PARTS = ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures")
TENANTFLOW = Path(sys.executable).parent / "tenantflow"

BILLING = {"ticket": "I was charged twice on my last invoice", "customer_id": "cus_1001"}
ACME_MODEL = "arn:aws:bedrock:us-east-1:111122223333:custom-model/acme-support-v2"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    for part in DEMO_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part, ignore=shutil.ignore_patterns("__pycache__", ".tenantflow"))
        else:
            shutil.copy2(source, root / part)
    return root


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _run(demo: Path, workflow: str, tenant: str, payload: str, *extra: str) -> Result:
    return _cli("run", workflow, "--tenant", tenant, "--input", payload, "-p", str(demo), *extra)


def _fails_cleanly(result: Result) -> str:
    """The one-or-two line message of a failed command; never a traceback."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result.stderr


# -- run --------------------------------------------------------------------------------------

def test_run_prints_the_output_with_each_tenants_model(demo: Path) -> None:
    acme = _run(demo, "support-triage", "acme", json.dumps({**BILLING, "customer_id": "mem_20417"}))
    assert acme.exit_code == 0, acme.output
    data = json.loads(acme.stdout)
    assert sorted(data) == ["blocked", "errors", "guardrails", "output", "usage"]
    assert data["output"]["category"] == "billing"
    assert data["output"]["reply"].startswith(f"[{ACME_MODEL}] Thank you for contacting Acme Health")
    assert data["usage"]["models"] == [ACME_MODEL]
    assert (data["blocked"], data["errors"]) == (None, [])

    globex = json.loads(_run(demo, "support-triage", "globex", json.dumps(BILLING)).stdout)
    assert globex["output"]["category"] == "billing"
    assert globex["output"]["reply"].startswith("[amazon.nova-micro-v1:0] Thanks for reaching out! I checked")
    assert globex["usage"]["models"] == ["amazon.nova-micro-v1:0"]


def test_run_uses_a_tenants_own_skill_only_for_that_tenant(demo: Path) -> None:
    ticket = json.dumps({"ticket": "The portal is down for everyone", "customer_id": "cus_1001"})
    initech = json.loads(_run(demo, "support-triage", "initech", ticket).stdout)
    globex = json.loads(_run(demo, "support-triage", "globex", ticket).stdout)
    assert initech["output"]["category"] == "outage"
    assert initech["usage"]["models"] == ["amazon.nova-lite-v1:0"]
    assert globex["output"]["category"] == "other"


def test_run_reads_input_from_a_file(demo: Path, tmp_path: Path) -> None:
    payload = tmp_path / "ticket.json"
    payload.write_text(json.dumps(BILLING), encoding="utf-8")
    result = _run(demo, "support-triage", "globex", f"@{payload}")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"]["category"] == "billing"


def test_run_full_prints_usage_records(demo: Path) -> None:
    result = _run(demo, "support-triage", "globex", json.dumps(BILLING), "--full")
    data = json.loads(result.stdout)
    assert [(c["step"], c["tenant"], c["model"]) for c in data["usage"]["calls"]] == [
        ("draft", "globex", "amazon.nova-micro-v1:0")]
    assert data["tenant"] == "globex" and data["workflow"] == "support-triage"


def test_bad_json_input_is_one_clear_line(demo: Path) -> None:
    message = _fails_cleanly(_run(demo, "support-triage", "acme", '{"ticket": "x"'))
    assert message == "error: --input: invalid JSON at line 1 column 15: Expecting ',' delimiter\n"


def test_bad_json_in_an_input_file_names_the_file(demo: Path, tmp_path: Path) -> None:
    payload = tmp_path / "bad.json"
    payload.write_text('{"ticket": }', encoding="utf-8")
    message = _fails_cleanly(_run(demo, "support-triage", "acme", f"@{payload}"))
    assert message == f"error: {payload}: invalid JSON at line 1 column 12: Expecting value\n"


def test_a_missing_input_file_is_one_clear_line(demo: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    message = _fails_cleanly(_run(demo, "support-triage", "acme", f"@{missing}"))
    assert message == f"error: cannot read input file {missing}: No such file or directory\n"


def test_input_missing_a_required_field_names_it(demo: Path) -> None:
    message = _fails_cleanly(_run(demo, "support-triage", "acme", '{"ticket": "hello"}'))
    assert message == ("error: input does not match workflow 'support-triage': "
                       "customer_id: required field is missing\n")


def test_input_of_the_wrong_shape_names_each_field_and_what_it_got(demo: Path) -> None:
    message = _fails_cleanly(_run(demo, "support-triage", "acme", '{"ticket": 5, "customer_id": "c", "lang": "fr"}'))
    assert message == ("error: input does not match workflow 'support-triage': ticket: expected string, got int; "
                       "lang: unknown field (expected: customer_id, ticket)\n")
    message = _fails_cleanly(_run(demo, "support-triage", "acme", '["I was charged twice"]'))
    assert message == "error: input does not match workflow 'support-triage': (input): expected a JSON object, got list\n"


def test_unknown_tenant_is_a_clear_error(demo: Path) -> None:
    message = _fails_cleanly(_run(demo, "support-triage", "nobody", json.dumps(BILLING)))
    assert message == "error: unknown tenant 'nobody'\n"


def test_unknown_workflow_suggests_the_close_name(demo: Path) -> None:
    message = _fails_cleanly(_run(demo, "suport-triage", "acme", json.dumps(BILLING)))
    assert message.splitlines()[0] == "unknown workflow 'suport-triage' (did you mean 'support-triage'?)"


def test_a_workflow_the_tenant_does_not_run_is_unknown_to_it(demo: Path) -> None:
    message = _fails_cleanly(_run(demo, "security-alert", "globex", json.dumps(BILLING)))
    assert message.splitlines()[0] == ("unknown workflow 'security-alert' for tenant 'globex' "
                                       "(it runs: refund, summarize, support-triage; to run 'security-alert', add "
                                       "it to `workflows:` in tenants/globex/tenant.yaml)")


def test_a_sandbox_refusal_at_run_time_is_one_clear_line(make_project) -> None:
    root = make_project({"workflows/evil.yaml": (
        "apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {name: evil}\ninput:\n  text: {type: string}\n"
        "steps:\n  - id: bad\n    set: {x: \"{{ lipsum.__globals__ }}\"}\n  - return: {x: \"{{ steps.bad.x }}\"}\n")})
    message = _fails_cleanly(_run(root, "evil", "alpha", '{"text": "hi"}'))
    assert message == ("error: workflows/evil.yaml:8: refused by the sandbox: access to attribute "
                       "'__globals__' of 'function' object is unsafe.\n")


def test_run_in_a_real_process_exits_1_without_traceback(demo: Path) -> None:
    done = subprocess.run([str(TENANTFLOW), "run", "support-triage", "--tenant", "acme", "--input", '{"ticket": ',
                           "-p", str(demo)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "error: --input: invalid JSON at line 1 column 12: Expecting value\n"


# -- graph ------------------------------------------------------------------------------------

# One process per hash seed renders both formats (importing LangGraph dominates the time).
GRAPH_BOTH = """\
import sys
from engine.cli import main
for fmt in ("json", "mermaid"):
    main(["graph", "security-alert", "--tenant", "acme", "--format", fmt, "-p", sys.argv[1]], standalone_mode=False)
    sys.stdout.write("\\0")
    sys.stdout.flush()
"""


def test_graph_is_byte_identical_across_hash_seeds(demo: Path) -> None:
    procs = {seed: subprocess.Popen([sys.executable, "-c", GRAPH_BOTH, str(demo)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env={**os.environ, "PYTHONHASHSEED": seed})
             for seed in ("1", "4242")}
    out = {}
    for seed, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr.decode()
        out[seed] = stdout
    assert out["1"] == out["4242"]
    as_json, mermaid, rest = out["1"].split(b"\0")
    assert rest == b""
    assert json.loads(as_json)
    assert mermaid.startswith(b"flowchart TD\n")
    # In-process rendering gives the same bytes.
    for fmt, expected in (("json", as_json), ("mermaid", mermaid)):
        result = _cli("graph", "security-alert", "--tenant", "acme", "--format", fmt, "-p", str(demo))
        assert result.stdout_bytes == expected


def test_mermaid_edges_of_a_switch_show_their_conditions(demo: Path) -> None:
    wf = demo / "workflows" / "support-triage.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace(
        """when: "steps.classify.category == 'billing'\"""", """when: 'steps.classify.category == "billing"'"""),
        encoding="utf-8")
    mermaid = _cli("graph", "support-triage", "--tenant", "globex", "-p", str(demo)).stdout
    as_json = json.loads(_cli("graph", "support-triage", "--tenant", "globex", "--format", "json",
                              "-p", str(demo)).stdout)
    route = mermaid.split('{"route<br/>switch"}')[0].rsplit("\n", 1)[1].strip()
    assert f'  {route} -- "steps.classify.category == #quot;billing#quot;" --> ' in mermaid
    assert f'  {route} -- "default" --> ' in mermaid
    assert "case0" not in mermaid
    # The JSON keeps the edge's label (what the router returns) and adds what it means.
    assert {"source": "route", "target": "lookup", "label": "case0",
            "condition": 'steps.classify.category == "billing"'} in as_json["edges"]


def test_graph_shows_each_tenants_own_structure(demo: Path) -> None:
    acme = _cli("graph", "support-triage", "--tenant", "acme", "--format", "mermaid", "-p", str(demo))
    globex = _cli("graph", "support-triage", "--tenant", "globex", "--format", "mermaid", "-p", str(demo))
    assert acme.exit_code == 0 and globex.exit_code == 0
    assert "compliance_note" in acme.stdout      # acme's override inserts this step
    assert "compliance_note" not in globex.stdout


# -- schema -----------------------------------------------------------------------------------

def _demo_documents(root: Path) -> list[Path]:
    files = [root / "tenantflow.yaml", *sorted((root / "workflows").glob("*.yaml")),
             *sorted((root / "tenants").glob("*/tenant.yaml")), *sorted((root / "skills").glob("*.yaml"))]
    assert len(files) >= 8
    return files


def test_schema_is_valid_json_schema_and_validates_every_demo_file(demo: Path) -> None:
    result = _cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for path in _demo_documents(demo):
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert errors == [], f"{path.relative_to(demo)}: {errors}"


def test_schema_rejects_a_misspelt_step_key() -> None:
    validator = Draft202012Validator(json.loads(_cli("schema").stdout))
    typo = {"apiVersion": "tenantflow/v1", "kind": "Workflow", "metadata": {"name": "w"},
            "steps": [{"id": "a", "skil": "echo"}]}
    assert [e.message for e in validator.iter_errors(typo)] == [
        "Additional properties are not allowed ('skil' was unexpected)"]


def test_the_committed_editor_schema_is_what_tenantflow_schema_prints() -> None:
    committed = (REPO / "schema" / "tenantflow.schema.json").read_text(encoding="utf-8")
    assert committed == _cli("schema").stdout, "schema/ is stale: run `tenantflow schema -o schema/tenantflow.schema.json`"


def test_the_committed_editor_schema_validates_every_demo_file(demo: Path) -> None:
    schema = json.loads((REPO / "schema" / "tenantflow.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for path in _demo_documents(demo):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))) == [], path


# -- validate and init ------------------------------------------------------------------------

def test_validate_the_demo(demo: Path) -> None:
    result = _cli("validate", str(demo))
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 9 workflow x tenant pairs compiled, no problems\n"


def test_validate_reports_a_problem_with_its_place(demo: Path) -> None:
    wf = demo / "workflows" / "summarize.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("skill: summarize_text", "skill: sumarize_text"),
                  encoding="utf-8")
    message = _fails_cleanly(_cli("validate", str(demo)))
    assert "workflows/summarize.yaml:14:12: steps[0].skill: unknown skill 'sumarize_text'" in message
    assert "did you mean 'summarize_text'?" in message


def test_init_scaffolds_a_project_that_validates_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "newproj"
    created = _cli("init", str(target))
    assert created.exit_code == 0, created.output
    monkeypatch.chdir(target)
    checked = _cli("validate")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("ok: ") and checked.stdout.endswith(" no problems\n")
    # The command init suggests works, for both scaffolded tenants.
    assert "tenantflow run hello --tenant alpha" in created.stdout
    models = {}
    for tenant in ("alpha", "beta"):
        ran = _cli("run", "hello", "--tenant", tenant, "--input", '{"question": "hi"}')
        assert ran.exit_code == 0, ran.output
        data = json.loads(ran.stdout)
        [models[tenant]] = data["usage"]["models"]
        assert data["blocked"] is None and data["errors"] == []
        assert data["output"]["answer"].startswith(f"[{models[tenant]}] ")
    # The two scaffolded tenants sit on different tiers, so on different models.
    assert models["alpha"] != models["beta"]
    # Its test cases pass and its snapshots match, before anything is changed.
    tested = _cli("test")
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.count("PASS hello: ") == 2 and "\n2 passed in " in tested.stdout
    snapshots = _cli("snapshot", "--check")
    assert snapshots.exit_code == 0, snapshots.output
    assert snapshots.stdout == "snapshots/ matches: 2 workflow x tenant pairs\n"


def test_init_ignores_the_local_data_folder_in_git(tmp_path: Path) -> None:
    target = tmp_path / "newproj"
    assert _cli("init", str(target)).exit_code == 0
    assert (target / ".gitignore").read_text(encoding="utf-8").splitlines()[1:] == [
        ".tenantflow/", "__pycache__/", "*.pyc", ".venv/"]
    assert not (target / "gitignore").exists()
    (target / ".tenantflow").mkdir()
    (target / ".tenantflow" / "checkpoints.sqlite").write_bytes(b"")
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    ignored = subprocess.run(["git", "-C", str(target), "status", "--porcelain", "--ignored"],
                             check=True, capture_output=True, text=True).stdout.splitlines()
    assert "!! .tenantflow/" in ignored
    assert "?? .gitignore" in ignored and "?? snapshots/" in ignored


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    message = _fails_cleanly(_cli("init", str(target)))
    assert message == f"error: {target} exists and is not empty\n"
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_usage_records_the_model_alias_each_call_resolved_to(demo: Path) -> None:
    ran = _run(demo, "support-triage", "acme", json.dumps({**BILLING, "customer_id": "mem_20417"}), "--full")
    assert ran.exit_code == 0, ran.output
    [call] = json.loads(ran.stdout)["usage"]["calls"]
    assert (call["step"], call["model_requested"], call["model_alias"], call["model"]) == (
        "draft", "tier", "acme-finetuned", ACME_MODEL)


def test_run_trace_shows_each_step_its_route_model_and_redacted_output(demo: Path) -> None:
    ticket = {"ticket": "I was charged twice on my invoice", "customer_id": "mem_20417"}
    ran = _run(demo, "support-triage", "acme", json.dumps(ticket), "--trace")
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["output"]["reply"]  # stdout is the usual JSON
    lines = ran.stderr.splitlines()
    assert lines[0].startswith("trace: support-triage for tenant acme, ")
    steps = [line.split()[1] for line in lines[1:]]
    assert steps == ["guard.input", "memory.load", "classify", "compliance_note", "route", "lookup", "draft",
                     "note_category", "return_7", "guard.output"]
    route = next(line for line in lines if " route " in line)
    assert "route: lookup" in route
    draft = next(line for line in lines if " draft " in line)
    assert f"model: acme-finetuned ({ACME_MODEL})" in draft
    # Outputs pass the tenant's output rules: the invoice number's shape is kept, a phone would be redacted.
    classify = next(line for line in lines if " classify " in line)
    assert classify.endswith('-> {"category": "billing", "confidence": 0.85, "matched": ["charged", "invoice"]}')


def test_run_trace_redacts_step_outputs_by_the_tenants_rules(make_project) -> None:
    from engine.guardrails.chain import GuardChain
    from engine.guardrails.config import GuardrailsConfig
    from engine.review.trace import _shown

    chain = GuardChain(GuardrailsConfig.model_validate({"pii": {"phone": "redact", "email": "block"}}))
    assert _shown(chain, {"note": "call 415-555-0100"}) == '{"note": "call [PHONE]"}'
    assert _shown(chain, {"note": "mail jane@example.com"}) == "[withheld: the output guard would block it]"


def test_new_tenant_and_new_workflow_write_files_that_validate_and_run(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "newproj"
    assert _cli("init", str(target)).exit_code == 0
    monkeypatch.chdir(target)
    wrong = _cli("new", "tenant", "gamma", "--tier", "premum")
    assert (wrong.exit_code, wrong.stderr) == (1, "error: unknown tier 'premum' (did you mean 'premium'?)\n")
    assert _cli("new", "tenant", "gamma", "--tier", "premium", "--name", "Gamma Labs").exit_code == 0
    made = _cli("new", "workflow", "greet")
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("wrote workflows/greet.yaml\n")
    checked = _cli("validate")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "ok: 6 workflow x tenant pairs compiled, no problems\n"
    ran = _cli("run", "greet", "--tenant", "gamma", "--input", '{"text": "hello"}')
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["usage"]["models"] == ["amazon.nova-pro-v1:0"]
    again = _cli("new", "workflow", "greet")
    assert (again.exit_code, again.stderr) == (1, "error: workflow 'greet' already exists (workflows/greet.yaml)\n")
    assert _cli("new", "tenant", "bad.id", "--tier", "basic").stderr.startswith("error: tenant id 'bad.id' must match")
