"""Cedar decides every skill and tool call: tier, feature flags, quota, input; default deny, forbid wins.

Three tenants on three tiers share one project; each test runs workflows as
a user would and checks what was decided, what ran, and what was logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.engine import Engine
from engine.errors import AuthError, CompileError, PolicyDenied, SpecError
from engine.policy.authorizer import AccessDenied
from engine.project import load_project
from engine.skills.bridge import SkillCall
from engine.telemetry.logs import LOGGER_NAME
from tests.conftest import PROJECT_YAML, tenant_yaml

TOOLS = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool

CALLS = []


@tool("reports.export")
def export(*, fmt: str, limit: int = 10, ctx: SkillContext) -> dict:
    CALLS.append((ctx.tenant.tenant_id, "reports.export", limit))
    return {"rows": limit, "fmt": fmt}


@tool("notes.summarize")
def summarize(*, text: str, ctx: SkillContext) -> dict:
    CALLS.append((ctx.tenant.tenant_id, "notes.summarize", text))
    return {"summary": text[:10]}


@tool("notes.read")
def read(*, key: str, ctx: SkillContext) -> dict:
    CALLS.append((ctx.tenant.tenant_id, "notes.read", key))
    return {"key": key}
'''

ALPHA_PRIVATE = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


@tool("vault.dump")
def dump(*, key: str, ctx: SkillContext) -> dict:
    return {"secret": "alpha's vault"}
'''

PLATFORM = """\
// Entitled calls are permitted.
@id("entitled")
permit (principal, action in [Tenantflow::Action::"skills", Tenantflow::Action::"tools"], resource)
when { context.entitled };

// Exports are not for the basic tier.
@id("no-basic-exports")
forbid (principal, action == Tenantflow::Action::"tool:reports.export", resource)
when { context.tier == "basic" };

// Summaries are a beta feature.
@id("summaries-beta")
forbid (principal, action == Tenantflow::Action::"tool:notes.summarize", resource)
unless { context.features.contains("beta_summaries") };

// The day's token budget stops tool calls.
@id("token-budget")
forbid (principal, action in Tenantflow::Action::"tools", resource)
when { context.quota has tokens_per_day && context.quota.tokens_today >= context.quota.tokens_per_day };

// No bulk exports, whoever permits them.
@id("no-bulk-export")
forbid (principal, action == Tenantflow::Action::"tool:reports.export", resource)
when { context.input has limit && context.input.limit > 100 };

// Never another tenant's own implementation.
@id("own-or-shared")
forbid (principal, action, resource)
when { resource.scope != "shared" && resource.scope != context.tenant };
"""

# beta permits every call of its own, including ones its entitlements do not list:
# the platform's forbids still win, and alpha and gamma never see this file.
BETA_OWN = """\
@id("beta-everything")
permit (principal, action, resource);
"""

# gamma tries to grant itself alpha's private tool.
GAMMA_OWN = """\
@id("gamma-wants-the-vault")
permit (principal, action == Tenantflow::Action::"tool:vault.dump", resource);
"""


def _workflow(name: str, tool: str, with_: str) -> str:
    return (f"apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {{name: {name}}}\n"
            "input:\n  limit: {type: integer, required: false, default: 10}\n"
            f"steps:\n  - id: call\n    tool: {tool}\n    with: {with_}\n  - return: {{ok: true}}\n")


AGENT = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: agent}
input:
  q: {type: string}
steps:
  - id: agent
    llm:
      prompt: "Answer {{ input.q }}"
      tools: [reports.export, notes.summarize, notes.read]
  - return: {reply: "{{ steps.agent.text }}"}
"""

FIXTURES = """\
responses:
  - step: agent
    after_tool: false
    tool_calls: [{name: vault.dump, input: {key: k}}]
  - step: agent
    after_tool: true
    text: done
default: "[{model}] default"
"""

PROJECT = PROJECT_YAML.replace("  premium: {model: large, allowed_models: [medium, small]}",
                               "  premium: {model: large, allowed_models: [medium, small], features: [exports]}")
ALL_TOOLS = "entitlements: {tools: ['reports.*', 'notes.*'], features: %s}\n"
TENANTS = {
    "alpha": tenant_yaml("alpha", "basic", ALL_TOOLS % "[]"),
    "beta": tenant_yaml("beta", "premium", ALL_TOOLS % "[]" + "quotas: {tokens_per_day: 1000}\n"),
    "gamma": tenant_yaml("gamma", "standard", ALL_TOOLS % "[beta_summaries]"),
}


def _files(policies: bool = True, mode: str = "enforce") -> dict[str, str]:
    files = {
        "tenantflow.yaml": PROJECT + f"policy: {{mode: {mode}}}\n",
        "skills/tools.py": TOOLS,
        "tenants/alpha/skills/private.py": ALPHA_PRIVATE,
        "fixtures/scripted.yaml": FIXTURES,
        "workflows/export.yaml": _workflow("export", "reports.export", '{fmt: csv, limit: "{{ input.limit }}"}'),
        "workflows/summarize.yaml": _workflow("summarize", "notes.summarize", "{text: hello world}"),
        "workflows/read.yaml": _workflow("read", "notes.read", "{key: k1}"),
        "workflows/agent.yaml": AGENT,
    }
    if policies:
        files.update({"policies/platform.cedar": PLATFORM, "tenants/beta/policies/own.cedar": BETA_OWN,
                      "tenants/gamma/policies/own.cedar": GAMMA_OWN})
    return files


@pytest.fixture
def engine(make_project) -> Engine:
    return Engine(load_project(make_project(_files(), tenants=TENANTS)))


def _calls(engine: Engine) -> list[Any]:
    definition = engine.project.registry.resolve("tool", "notes.read", "alpha")
    assert definition is not None and definition.fn is not None
    calls: list[Any] = definition.fn.__globals__["CALLS"]
    return calls


async def _run(engine: Engine, workflow: str, tenant: str, payload: dict[str, Any] | None = None) -> Any:
    return await engine.run(workflow, engine.dev_context(tenant, "u1", "s1"), payload or {})


# -- tier, feature flag, quota ---------------------------------------------------------------

async def test_tier_based_decision(engine: Engine) -> None:
    assert (await _run(engine, "export", "beta")).steps["call"] == {"rows": 10, "fmt": "csv"}
    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "export", "alpha")
    assert str(caught.value) == ("policy denied tool 'reports.export' for tenant 'alpha': forbidden by "
                                 "policies/platform.cedar:7")
    assert isinstance(caught.value, PolicyDenied) and isinstance(caught.value, AuthError)
    assert caught.value.reasons == ("policies/platform.cedar:7",)
    assert _calls(engine) == [("beta", "reports.export", 10)]


async def test_feature_flag_based_decision(engine: Engine) -> None:
    assert (await _run(engine, "summarize", "gamma")).steps["call"] == {"summary": "hello worl"}
    for tenant in ("alpha", "beta"):
        with pytest.raises(AccessDenied) as caught:
            await _run(engine, "summarize", tenant)
        assert caught.value.reasons == ("policies/platform.cedar:12",)
    assert _calls(engine) == [("gamma", "notes.summarize", "hello world")]


async def test_quota_based_decision_uses_current_usage(engine: Engine) -> None:
    assert (await _run(engine, "read", "beta")).steps["call"] == {"key": "k1"}
    engine.quotas.record_tokens("beta", 1000)  # beta's tokens_per_day is 1000
    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "read", "beta")
    assert caught.value.reasons == ("policies/platform.cedar:17",)
    assert (await _run(engine, "read", "alpha")).steps["call"] == {"key": "k1"}  # alpha's budget is its own
    assert [c[0] for c in _calls(engine)] == ["beta", "alpha"]


async def test_runs_count_their_tokens_into_the_quota(engine: Engine) -> None:
    engine.quotas.record_tokens("beta", 995)
    await _run(engine, "read", "beta")
    snapshot = engine.quotas.snapshot("beta", engine.settings("beta").quotas)
    assert snapshot["tokens_today"] == 995 and snapshot["requests_last_minute"] == 1
    assert snapshot["tool_calls_last_minute"] == 1 and snapshot["tokens_per_day"] == 1000


async def test_a_forbid_overrides_a_permit(engine: Engine) -> None:
    # beta's own policy permits everything; the platform forbids bulk exports.
    assert (await _run(engine, "export", "beta", {"limit": 100})).steps["call"]["rows"] == 100
    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "export", "beta", {"limit": 500})
    assert caught.value.reasons == ("policies/platform.cedar:22",)
    assert _calls(engine) == [("beta", "reports.export", 100)]


async def test_a_tenants_own_policies_decide_only_its_own_calls(engine: Engine) -> None:
    # beta's permit-everything does not reach alpha: alpha still cannot export.
    with pytest.raises(AccessDenied):
        await _run(engine, "export", "alpha")
    assert engine.authorizer.bundle.policy_set("beta") is engine.authorizer.bundle.policy_set("beta")  # parsed once
    assert engine.authorizer.bundle.policy_set("alpha") is not engine.authorizer.bundle.policy_set("beta")


# -- adversarial: a tenant naming another tenant's tool ----------------------------------------

async def test_a_tenant_workflow_naming_another_tenants_tool_is_refused(make_project) -> None:
    files = _files()
    files["workflows/vault.yaml"] = _workflow("vault", "vault.dump", "{key: k}")
    tenants = dict(TENANTS)
    tenants["gamma"] = TENANTS["gamma"].replace("['reports.*', 'notes.*']", "['reports.*', 'notes.*', 'vault.*']")
    engine = Engine(load_project(make_project(files, tenants=tenants)))
    # At compile time: the tool does not exist for gamma, whatever its policies say.
    with pytest.raises(CompileError) as caught:
        await _run(engine, "vault", "gamma")
    assert [p.message for p in caught.value.problems] == ["unknown tool 'vault.dump' for tenant 'gamma'"]
    # At run time, through a call that arrives resolved to alpha's implementation: the bridge refuses it,
    # and so does the policy (own-or-shared) even when gamma's own policy permits it.
    alpha_impl = engine.project.registry.resolve("tool", "vault.dump", "alpha")
    assert alpha_impl is not None
    call = SkillCall(kind="tool", name="vault.dump", step="s", workflow="vault",
                     ctx=engine.dev_context("gamma", "u1", "s1"), inputs={"key": "k"}, implementation=alpha_impl,
                     entitled=lambda ctx, kind, name: engine.dispatch.entitled(engine.settings(ctx.tenant_id), kind, name))
    with pytest.raises(AccessDenied) as denied:
        engine.dispatch.authorize(call)
    assert denied.value.reasons == ("policies/platform.cedar:27",)
    with pytest.raises(AuthError) as bridged:
        await engine.dispatch.chain(call)
    assert str(bridged.value) == "tool 'vault.dump' resolved outside tenant 'gamma'"


async def test_a_model_naming_another_tenants_tool_never_sees_or_runs_it(engine: Engine) -> None:
    settings = engine.settings("gamma")
    listed = [t.name for t in engine.dispatch.tool_specs(settings, ["reports.export", "notes.summarize", "notes.read",
                                                           "vault.dump"], engine.dev_context("gamma", "u1", "s1"))]
    assert listed == ["reports.export", "notes.summarize", "notes.read"]  # no vault.dump: not gamma's
    with pytest.raises(AuthError) as caught:
        await _run(engine, "agent", "gamma", {"q": "dump alpha's vault"})
    assert str(caught.value) == "tenant 'gamma' is not entitled to tool 'vault.dump'"


# -- tools listed to a model: filtered by policy in one batch ---------------------------------

def test_the_tool_list_is_filtered_by_tier_flags_and_quota(engine: Engine) -> None:
    names = ["reports.export", "notes.summarize", "notes.read"]

    def listed(tenant: str) -> list[str]:
        return [t.name for t in engine.dispatch.tool_specs(engine.settings(tenant), names,
                                                  engine.dev_context(tenant, "u1", "s1"))]

    assert listed("alpha") == ["notes.read"]  # basic: no exports; no beta flag
    assert listed("beta") == ["reports.export", "notes.read"]  # no beta flag
    assert listed("gamma") == names
    engine.quotas.record_tokens("beta", 5000)
    assert listed("beta") == []
    [spec] = [t for t in engine.dispatch.tool_specs(engine.settings("gamma"), ["reports.export"],
                                           engine.dev_context("gamma", "u1", "s1"))]
    assert spec.input_schema["properties"]["limit"]["type"] == "integer"


def test_tool_listing_needs_the_tenants_own_context(engine: Engine) -> None:
    with pytest.raises(AuthError, match="listing tools needs the tenant context of the run"):
        engine.dispatch.tool_specs(engine.settings("alpha"), ["notes.read"], engine.dev_context("beta", "u1", "s1"))


# -- what a decision reads: its principal, its tenant, its resources ---------------------------

def resource_uid(definition: Any) -> tuple[str, str]:
    return ("Tenantflow::Tool", f"{definition.scope}/{definition.name}@{definition.version}")


def test_a_decision_holds_only_its_principal_its_tenant_and_its_resources(engine: Engine) -> None:
    read = engine.project.registry.resolve("tool", "notes.read", "alpha")
    assert read is not None
    resource = ("Tool", f"shared/notes.read@{read.version}")
    # User, Tenant, Tool, Group (and the schema's actions), however many tenants and tools the project has.
    entities = engine.authorizer._entities_for(engine.dev_context("alpha", "u1", "s1"), [resource])
    held = sorted((e["uid"]["type"], e["uid"]["id"]) for e in json.loads(str(entities))
                  if e["uid"]["type"] != "Tenantflow::Action")
    assert held == [("Tenantflow::Group", "notes"), ("Tenantflow::Tenant", "alpha"), resource_uid(read),
                    ("Tenantflow::User", "alpha:u1")]
    # A new user of the same tenant reuses the parsed tenant and resources; only the user's entity is new.
    engine.authorizer._entities_for(engine.dev_context("alpha", "u2", "s1"), [resource])
    engine.authorizer._entities_for(engine.dev_context("beta", "u1", "s1"), [resource])
    assert engine.authorizer.cached_entity_sets == 2


async def test_the_entity_cache_is_bounded(make_project) -> None:
    engine = Engine(load_project(make_project(_files(), tenants=TENANTS)))
    engine.authorizer._cache = 2
    for tenant in ("alpha", "beta", "gamma", "alpha"):
        assert (await _run(engine, "read", tenant)).steps["call"] == {"key": "k1"}
    assert engine.authorizer.cached_entity_sets == 2


async def test_a_tenants_policy_cannot_read_another_tenants_entity(make_project) -> None:
    # gamma's own permit depends on alpha's tier: alpha's entity is not in gamma's decision, so the policy
    # fails to evaluate and the call is denied (as a permit that cannot be evaluated must be).
    files = _files()
    files["tenants/gamma/policies/own.cedar"] = (
        '@id("peek")\npermit (principal, action == Tenantflow::Action::"tool:notes.summarize", resource)\n'
        'when { Tenantflow::Tenant::"alpha".tier == "basic" };\n')
    # Without the platform's permit, gamma's own policy is the only one that could permit the call.
    entitled = '@id("entitled")\npermit (principal, action in [Tenantflow::Action::"skills", Tenantflow::Action::"tools"], resource)\nwhen { context.entitled };\n'
    assert entitled in PLATFORM
    files["policies/platform.cedar"] = PLATFORM.replace(entitled, "")
    engine = Engine(load_project(make_project(files, tenants=TENANTS)))
    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "summarize", "gamma")
    assert caught.value.errors and "alpha" in caught.value.errors[0]


# -- log only, default deny, baseline ---------------------------------------------------------

async def test_log_only_records_what_would_be_denied_and_lets_it_run(make_project,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    from engine.telemetry.instruments import activate
    from tests.telemetry.support import capture

    engine = Engine(load_project(make_project(_files(mode="log_only"), tenants=TENANTS)))
    captured = capture()
    try:
        with caplog.at_level(logging.WARNING, logger=LOGGER_NAME):
            result = await _run(engine, "export", "alpha")
    finally:
        activate(None)
    assert result.steps["call"] == {"rows": 10, "fmt": "csv"}
    [span] = captured.spans("execute_tool reports.export")
    assert [(e.name, dict(e.attributes or {})) for e in span.events] == [("policy.would_deny", {
        "policy.mode": "log_only", "policy.reasons": ("policies/platform.cedar:7",),
        "tenantflow.skill": "reports.export"})]
    [record] = [r for r in caplog.records if r.getMessage() == "policy.would_deny"]
    fields = vars(record)
    assert (fields["tenant_id"], fields["tenantflow_skill"], fields["policy_mode"], fields["policy_reasons"]) == (
        "alpha", "reports.export", "log_only", ["policies/platform.cedar:7"])
    listed = engine.dispatch.tool_specs(engine.settings("alpha"), ["reports.export"], engine.dev_context("alpha", "u1", "s1"))
    assert [t.name for t in listed] == ["reports.export"]


async def test_default_deny_when_no_policy_permits(make_project) -> None:
    files = _files()
    files["policies/platform.cedar"] = "// nothing is permitted\n"
    engine = Engine(load_project(make_project(files, tenants=TENANTS)))
    with pytest.raises(AccessDenied) as caught:
        await _run(engine, "read", "alpha")
    assert str(caught.value) == "policy denied tool 'notes.read' for tenant 'alpha': no policy permits it"
    assert _calls(engine) == []


async def test_without_a_policies_folder_the_entitlements_decide(make_project) -> None:
    engine = Engine(load_project(make_project(_files(policies=False), tenants=TENANTS)))
    assert engine.authorizer.bundle.baseline
    assert (await _run(engine, "export", "alpha")).steps["call"]["rows"] == 10


# -- policy files are validated when the project loads -----------------------------------------

BAD_POLICIES = {
    "policies/platform.cedar": PLATFORM + """
// A typo in a context attribute.
forbid (principal, action == Tenantflow::Action::"tool:reports.export", resource)
when { context.teir == "basic" };
""",
    "tenants/gamma/policies/own.cedar": """\
permit (principal, action == Tenantflow::Action::"tool:reports.export", resource)
when { context.tier == };
""",
    "tenants/beta/policies/own.cedar": """\
permit (principal, action == Tenantflow::Action::"tool:no.such_tool", resource);
""",
}


def test_policy_errors_are_reported_with_file_and_line(make_project) -> None:
    files = _files()
    files.update(BAD_POLICIES)
    root = make_project(files, tenants=TENANTS)
    with pytest.raises(SpecError) as caught:
        load_project(root)
    rendered = [str(p) for p in caught.value.problems]
    assert rendered[0] == ("policies/platform.cedar:33:16: Cedar validation: for policy `policy6`, attribute `teir` "
                           "in context for Tenantflow::Action::\"tool:reports.export\" not found")
    assert rendered[1] == ("tenants/beta/policies/own.cedar:1:42: unknown action 'tool:no.such_tool' (known: "
                           "skill:echo, skills, tool:notes.lookup, tool:notes.read, tool:notes.summarize, "
                           "tool:reports.export, tool:vault.dump, tools)")
    assert rendered[2].startswith("tenants/gamma/policies/own.cedar:1:1: Cedar syntax error: ")
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 1
    assert "policies/platform.cedar:33:16: Cedar validation" in result.output
    assert "3 problems found" in result.output and "Traceback" not in result.output


def test_an_unterminated_policy_is_reported_where_it_starts(make_project) -> None:
    files = _files()
    files["policies/platform.cedar"] = PLATFORM + "\n@id(\"open\")\npermit (principal, action, resource)\n"
    with pytest.raises(SpecError) as caught:
        load_project(make_project(files, tenants=TENANTS))
    assert [str(p) for p in caught.value.problems] == [
        "policies/platform.cedar:31:1: policy is not terminated by ';' (every Cedar policy ends with a semicolon)"]


def test_the_schema_types_each_tools_input(engine: Engine) -> None:
    schema = engine.authorizer.bundle.schema_text
    assert ('action "tool:reports.export" in ["tools"] appliesTo { principal: [User], resource: [Tool], '
            'context: {') in schema
    assert '"input": { "fmt"?: String, "limit"?: Long } } };' in schema
    assert json.dumps("skill:echo") in schema


def test_the_demo_policies_validate(tmp_path: Path) -> None:
    from tests.conftest import REPO

    project = load_project(REPO)
    assert project.policies is not None and not project.policies.baseline
    assert [f.display for f in project.policies.platform] == ["policies/platform.cedar"]
    assert list(project.policies.tenants) == ["initech"]
