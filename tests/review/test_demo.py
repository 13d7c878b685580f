"""The repo's own demo, as CI checks it: its workflow tests pass, its snapshots are current, its test
files validate against the committed editor schema."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from engine.cli import main
from engine.project import load_project
from engine.review.pairs import compile_pairs
from engine.review.testfiles import load_tests
from tests.conftest import REPO

TEST_FILES = sorted((REPO / "workflows" / "tests").glob("*.yaml"))


def test_every_demo_workflow_has_cases_for_every_tenant_that_runs_it() -> None:
    project = load_project(REPO)
    runs = load_tests(project, [])
    covered = {(r.workflow, r.tenant) for r in runs}
    assert covered == set(compile_pairs(project).pairs)
    assert {p.stem for p in TEST_FILES} == set(project.workflows)


def test_the_demo_workflow_tests_pass(tmp_path: Path) -> None:
    junit = tmp_path / "workflow-tests.xml"
    result = CliRunner().invoke(main, ["test", "-p", str(REPO), "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line for line in lines if not line.startswith("PASS ")][:1] == [lines[-2]]
    assert re.fullmatch(r"\d+ passed in \d+\.\d\d s", lines[-2])
    root = ET.fromstring(junit.read_text(encoding="utf-8"))
    assert (root.get("failures"), root.get("errors")) == ("0", "0")
    assert int(root.get("tests") or 0) == len(lines) - 2


def test_the_demo_snapshots_are_up_to_date() -> None:
    result = CliRunner().invoke(main, ["snapshot", "--check", "-p", str(REPO)])
    assert result.exit_code == 0, result.output + "\nrun `tenantflow snapshot` and commit snapshots/"
    assert result.stdout == "snapshots/ matches: 9 workflow x tenant pairs\n"


def test_the_committed_schema_validates_the_demo_test_files() -> None:
    schema = json.loads((REPO / "schema" / "tenantflow.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert "WorkflowTest" in schema["properties"]["kind"]["enum"]
    validator = Draft202012Validator(schema)
    assert len(TEST_FILES) == 4
    for path in TEST_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(data)] == [], path
        assert path.read_text(encoding="utf-8").startswith(
            "# yaml-language-server: $schema=../../schema/tenantflow.schema.json\n")
    typo = yaml.safe_load(TEST_FILES[0].read_text(encoding="utf-8"))
    typo["cases"][0]["expct"] = typo["cases"][0].pop("expect")
    assert [e.message for e in validator.iter_errors(typo)] == [
        "Additional properties are not allowed ('expct' was unexpected)"]
