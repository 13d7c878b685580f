"""A step kind and a model provider from a package outside engine/, registered the public way.

``tests/plugins/`` holds the package ``tenantflow_example_plugin`` and its
``.dist-info`` whose ``entry_points.txt`` names a ``lookup`` step kind
(``tenantflow.step_kinds``) and an ``echo`` model provider
(``tenantflow.providers``). Putting that folder on ``sys.path`` installs it as
pip would: nothing under engine/ names either.
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.engine import Engine
from engine.errors import SpecError
from engine.kinds import StepKind, register_step_kind, reset_step_kinds, step_kinds
from engine.models import register_provider, reset_providers
from engine.project import load_project

REPO = Path(__file__).resolve().parent.parent.parent
PLUGINS = REPO / "tests" / "plugins"

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: extended}
models:
  catalog:
    echo-small: {provider: echo, model_id: echo-small-v1}
    echo-large: {provider: echo, model_id: echo-large-v1}
  providers:
    echo: {options: {prefix: "echo> "}}
tiers:
  basic: {model: echo-small}
  premium: {model: echo-large}
stores: {checkpointer: memory, store: memory}
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: route}
input:
  region: {type: string}
output:
  team: {type: string}
  reply: {type: string}
steps:
  - id: pick
    lookup:
      key: "{{ input.region }}"
      table: {eu: team-berlin, us: team-austin}
      default: team-global
  - id: answer
    llm: {prompt: "Route to {{ steps.pick.value }}"}
  - return: {team: "{{ steps.pick.value }}", reply: "{{ steps.answer.text }}"}
"""


SKILL = """\
from engine.skills.decorators import skill


@skill("noop")
def noop(*, ctx: object) -> dict:
    return {}
"""


@pytest.fixture(autouse=True)
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The example package, installed on sys.path; the registries reread entry points before and after."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    importlib.invalidate_caches()
    reset_step_kinds()
    reset_providers()
    yield
    reset_step_kinds()
    reset_providers()


def _project(root: Path, workflow: str = WORKFLOW) -> Path:
    files = {
        "tenantflow.yaml": PROJECT,
        "workflows/route.yaml": workflow,
        "skills/shared.py": SKILL,
        "tenants/alpha/tenant.yaml": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: alpha}\ntier: basic\n",
        "tenants/beta/tenant.yaml": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: beta}\ntier: premium\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "skills" / "bridge", root / "skills" / "bridge",
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    return root


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_the_plugins_kind_and_provider_are_registered_from_entry_points() -> None:
    kinds = step_kinds()
    assert "lookup" in kinds.kinds
    assert type(kinds.kind("lookup")).__module__ == "tenantflow_example_plugin.lookup"
    from engine.models.registry import provider_kinds

    assert "echo" in provider_kinds()


def test_its_fields_are_validated_at_file_line_col(tmp_path: Path) -> None:
    bad = WORKFLOW.replace("      table: {eu: team-berlin, us: team-austin}\n", "      table: {}\n      colour: red\n")
    result = _cli("validate", str(_project(tmp_path / "shape", bad)))
    assert result.exit_code == 1
    assert result.output == (
        "workflows/route.yaml:13:14: steps[0].lookup.table: expected at least 1 item, got an empty mapping\n"
        "workflows/route.yaml:14:7: steps[0].lookup.colour: unknown key 'colour' (known: default, key, table)\n"
        "2 problems found\n")
    # Its template and its own structural check, found by compiling the workflow.
    broken = WORKFLOW.replace('key: "{{ input.region }}"', 'key: "{{ input.region "').replace(
        "default: team-global", "default: eu")
    result = _cli("validate", str(_project(tmp_path / "compiled", broken)))
    assert result.exit_code == 1
    assert result.output == (
        "workflows/route.yaml:12:12: steps[0].lookup.key: template syntax error: unexpected end of template, "
        "expected 'end of print statement'. (close the '{{' with '}}')\n"
        "workflows/route.yaml:14:16: steps[0].lookup.default: default 'eu' is also a key of the table\n"
        "2 problems found\n")


def test_without_the_package_the_key_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    monkeypatch.setattr("sys.path", [p for p in __import__("sys").path if p != str(PLUGINS)])
    importlib.invalidate_caches()
    reset_step_kinds()
    reset_providers()
    result = _cli("validate", str(root))
    assert result.exit_code == 1
    assert "workflows/route.yaml:11:5: steps[0].lookup: unknown key 'lookup' (did you mean 'loop'?)" in result.output
    assert ("tenantflow.yaml:6:28: models.catalog.echo-small.provider: unknown model provider 'echo' "
            "(known: bedrock, langchain, scripted)") in result.output


async def test_a_compiled_graph_runs_it_for_two_tenants(tmp_path: Path) -> None:
    async with Engine.open(_project(tmp_path)) as engine:
        alpha = await engine.run("route", engine.dev_context("alpha", "u1", "s1"), {"region": "eu"})
        beta = await engine.run("route", engine.dev_context("beta", "u1", "s1"), {"region": "mars"})
        # Two tenants, one structure: one compiled graph.
        assert engine.graph_count() == 1
    assert alpha.output == {"team": "team-berlin", "reply": "echo> Route to team-berlin"}
    assert beta.output == {"team": "team-global", "reply": "echo> Route to team-global"}
    # Each run's node saw its own tenant's context, and its model came from its own tier.
    assert alpha.steps["pick"] == {"key": "eu", "value": "team-berlin", "tenant": "alpha"}
    assert beta.steps["pick"] == {"key": "mars", "value": "team-global", "tenant": "beta"}
    assert [(u["model"], u["provider"], u["tenant"]) for u in alpha.usage] == [("echo-small-v1", "echo", "alpha")]
    assert [(u["model"], u["provider"], u["tenant"]) for u in beta.usage] == [("echo-large-v1", "echo", "beta")]


def test_graph_explain_snapshot_and_diff_show_its_node(tmp_path: Path) -> None:
    root = _project(tmp_path / "before")
    mermaid = _cli("graph", "route", "-t", "alpha", "-p", str(root))
    assert mermaid.exit_code == 0
    assert '  n2[/"pick<br/>lookup: 2 entries"\\]\n' in mermaid.output
    assert '  n3[/"answer<br/>llm: echo-small"/]\n' in mermaid.output
    described = json.loads(_cli("graph", "route", "-t", "beta", "--format", "json", "-p", str(root)).output)
    assert {"id": "pick", "kind": "lookup", "lookup": {"default": "team-global", "entries": 2}} in described["nodes"]

    explained = _cli("explain", "route", "steps.pick", "-t", "alpha", "-p", str(root))
    assert "  steps.pick.lookup.table.us  team-austin         workflows/route.yaml:13:36  workflow\n" in (
        explained.output)

    assert _cli("snapshot", "-p", str(root)).exit_code == 0
    snapped = json.loads((root / "snapshots" / "route" / "alpha.json").read_text(encoding="utf-8"))
    assert [n["kind"] for n in snapped["nodes"]] == ["guard_input", "guard_output", "lookup", "llm", "return"]
    assert _cli("snapshot", "--check", "-p", str(root)).exit_code == 0

    after = _project(tmp_path / "after", WORKFLOW.replace("us: team-austin", "us: team-denver"))
    diff = _cli("diff", str(root), str(after))
    assert diff.exit_code == 0
    assert ("  all tenants running route (alpha, beta): workflow route changed: step pick changed "
            "(lookup.table.us)\n") in diff.output
    assert "      lookup.table.us: team-austin -> team-denver\n" in diff.output


def test_its_shape_is_in_the_json_schema() -> None:
    schema = json.loads(_cli("schema").output)
    assert schema["$defs"]["Step"]["properties"]["lookup"] == {
        "anyOf": [{"$ref": "#/$defs/LookupSpec"}, {"type": "null"}], "default": None}
    lookup = schema["$defs"]["LookupSpec"]
    assert lookup["required"] == ["key", "table"]
    assert lookup["properties"]["table"]["minProperties"] == 1
    assert lookup["additionalProperties"] is False


# -- the explicit way, and names that are taken --------------------------------------------------


class Constant(StepKind):
    """A kind registered by a call, from the project's own code: its output is its value."""

    name = "constant"
    spec = dict[str, Any]

    def build(self, node: Any, b: Any) -> Any:
        value = dict(node.step.body)

        async def run(state: Any, runtime: Any) -> dict[str, Any]:
            return {"steps": {node.id: value}}

        return run


async def test_a_kind_registered_by_a_call_runs(tmp_path: Path) -> None:
    register_step_kind(Constant)
    flow = WORKFLOW.replace("  - id: answer\n", "  - id: fixed\n    constant: {team: core}\n  - id: answer\n")
    async with Engine.open(_project(tmp_path, flow)) as engine:
        result = await engine.run("route", engine.dev_context("alpha", "u1", "s1"), {"region": "us"})
    assert result.steps["fixed"] == {"team": "core"}
    assert list(step_kinds().keys)[-2:] == ["lookup", "constant"]


def test_a_kind_or_provider_cannot_take_a_name_already_registered() -> None:
    class Impostor(StepKind):
        name = "llm"

    register_step_kind(Impostor)
    with pytest.raises(SpecError) as caught:
        step_kinds()
    assert str(caught.value) == "tenantflow.step_kinds: step kind 'llm' is registered twice"
    reset_step_kinds()
    with pytest.raises(ValueError, match="model provider 'bedrock' is registered twice"):
        register_provider("bedrock", lambda settings: None)  # type: ignore[arg-type,return-value]


def test_a_broken_plugin_is_reported_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "broken_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[tenantflow.step_kinds]\nghost = no_such_module:Ghost\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    reset_step_kinds()
    with pytest.raises(SpecError) as caught:
        load_project(_project(tmp_path / "proj"))
    assert str(caught.value) == ("entry point ghost = no_such_module:Ghost: cannot load step kind: "
                                 "ModuleNotFoundError: No module named 'no_such_module'")


def test_a_kind_that_builds_no_node_is_refused_when_registered() -> None:
    class Shapeless(StepKind):
        name = "shapeless"
        spec = str

    register_step_kind(Shapeless)
    with pytest.raises(SpecError) as caught:
        step_kinds()
    assert str(caught.value) == ("tenantflow.step_kinds: node kind 'shapeless' builds no node: "
                                 "define its build(node, b)")
