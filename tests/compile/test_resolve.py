"""Overlays: project -> tier -> tenant -> per-tenant overrides, each value with its source."""

from __future__ import annotations

import pytest

from engine.compile.resolve import resolve_tenant, resolve_workflow
from engine.errors import CompileError
from engine.project import load_project
from tests.conftest import WORKFLOW_YAML, tenant_yaml

ACME = tenant_yaml("acme", "premium", """\
models:
  default: acme-ft
  catalog:
    acme-ft: {provider: scripted, model_id: acme-ft-v3}
guardrails:
  denied_terms: [project bluebook]
overrides:
  hello:
    steps:
      answer:
        llm: {prompt: prompts/answer.j2, model: medium}
    insert:
      - after: first
        step: {id: audit, set: {who: "{{ tenant.id }}"}}
""")


def test_override_replaces_a_prompt_and_inserts_a_step_with_provenance(make_project):
    project = load_project(make_project({"tenants/acme/prompts/answer.j2": "Answer: {{ steps.first.text }}\n"},
                                        tenants={"acme": ACME, "alpha": tenant_yaml("alpha")}))
    eff = resolve_workflow(project, "hello", "acme")
    assert [s.id for s in eff.spec.steps] == ["first", "audit", "answer", None]
    answer = eff.spec.steps[2]
    assert answer.llm.prompt == "tenants/acme/prompts/answer.j2"
    assert answer.llm.model == "medium"
    prompt_src = eff.source(("steps", 2, "llm", "prompt"))
    assert (prompt_src.file, prompt_src.line, prompt_src.layer) == ("tenants/acme/tenant.yaml", 15, "override")
    first_src = eff.source(("steps", 0, "skill"))
    assert (first_src.file, first_src.line, first_src.layer) == ("workflows/hello.yaml", 10, "workflow")
    inserted = eff.source(("steps", 1, "set", "who"))
    assert (inserted.file, inserted.line) == ("tenants/acme/tenant.yaml", 18)
    assert eff.templates == {"tenants/acme/prompts/answer.j2": "Answer: {{ steps.first.text }}\n"}
    plain = resolve_workflow(project, "hello", "alpha")
    assert plain.digest != eff.digest


def test_tenant_settings_merge_tier_and_tenant_with_sources(make_project):
    project = load_project(make_project(tenants={"acme": ACME, "alpha": tenant_yaml("alpha")}))
    acme = resolve_tenant(project, "acme")
    assert acme.default_model == "acme-ft"
    assert acme.allowed_models == {"large", "medium", "small", "acme-ft"}
    assert "project bluebook" in acme.guardrails.denied_terms
    src = acme.provenance[("model",)]
    assert (src.file, src.line, src.layer) == ("tenants/acme/tenant.yaml", 6, "tenant")
    alpha = resolve_tenant(project, "alpha")
    assert alpha.default_model == "small"
    src = alpha.provenance[("model",)]
    assert (src.file, src.line, src.layer) == ("tenantflow.yaml", 12, "tier")


def test_tenant_cannot_switch_profile_to_escape_a_mandatory_rule(make_project):
    project_yaml = (make_project().joinpath("tenantflow.yaml").read_text()
                    .replace("premium: {model: large, allowed_models: [medium, small]}",
                             "premium: {model: large, allowed_models: [medium, small], guardrails: {profile: hipaa}}"))
    sneaky = tenant_yaml("beta", "premium", "guardrails: {profile: default}\n")
    project = load_project(make_project({"tenantflow.yaml": project_yaml}, tenants={"beta": sneaky}))
    with pytest.raises(CompileError) as err:
        resolve_tenant(project, "beta")
    problem = err.value.problems[0]
    assert (problem.file, problem.line) == ("tenants/beta/tenant.yaml", 5)
    assert "mandatory rule pii.phone is 'block'" in problem.message


def test_a_prompt_file_is_read_once_per_load_and_every_tenant_sees_that_text(make_project) -> None:
    import dataclasses

    from engine.compile.pipeline import compile_workflow

    flow = WORKFLOW_YAML.replace('llm: {prompt: "Say: {{ steps.first.text }}"}', "llm: {prompt: prompts/answer.j2}")
    root = make_project({"workflows/hello.yaml": flow, "workflows/prompts/answer.j2": "First: {{ steps.first.text }}\n"})
    project = load_project(root)
    alpha = resolve_workflow(project, "hello", "alpha")
    # Edited on disk after the load: this project (its tenants, its digest, its graph) keeps the text it read.
    (root / "workflows" / "prompts" / "answer.j2").write_text("Edited: {{ steps.first.text }}\n", encoding="utf-8")
    beta = resolve_workflow(project, "hello", "beta")
    assert alpha.templates == beta.templates == {"workflows/prompts/answer.j2": "First: {{ steps.first.text }}\n"}
    compiled = compile_workflow(project, "hello", resolve_tenant(project, "beta"))
    assert compiled.ir.compiled[("steps", 1, "llm", "prompt")].source == "First: {{ steps.first.text }}\n"
    # A reload is a new project, with a new reading and a new digest.
    reloaded = resolve_workflow(load_project(root), "hello", "alpha")
    assert reloaded.templates["workflows/prompts/answer.j2"].startswith("Edited")
    assert reloaded.digest != alpha.digest
    # The loaded project is frozen: nothing changes it after load.
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.policies = None  # type: ignore[misc]



def test_tenants_without_overrides_share_one_validated_workflow_per_load(make_project) -> None:
    project = load_project(make_project({"tenants/acme/prompts/answer.j2": "Answer: {{ steps.first.text }}\n"},
                                        tenants={"acme": ACME, "alpha": tenant_yaml("alpha"),
                                                 "beta": tenant_yaml("beta", "premium")}))
    alpha, beta = resolve_workflow(project, "hello", "alpha"), resolve_workflow(project, "hello", "beta")
    # Validated once: the same spec and provenance, each under its own tenant.
    assert alpha.spec is beta.spec and alpha.provenance is beta.provenance
    assert (alpha.tenant_id, beta.tenant_id) == ("alpha", "beta") and alpha.digest == beta.digest
    # A tenant with overrides has its own, and changes nobody else's.
    acme = resolve_workflow(project, "hello", "acme")
    assert acme.spec is not alpha.spec and acme.digest != alpha.digest
    assert [s.id for s in resolve_workflow(project, "hello", "alpha").spec.steps] == ["first", "answer", None]
