"""Malformed files: every problem names the file, line, column, what is wrong and how to fix it.

Each test writes one realistic mistake into a small valid project (see
``make_project`` in tests/conftest.py) and asserts the rendered problems
exactly: ``file:line:col: location: message (hint)``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.errors import CompileError, Problem, SpecError
from engine.project import load_project
from engine.review.validate import validate_project
from tests.conftest import PROJECT_YAML, tenant_yaml

#: Lines 1-8 of every workflow below; its steps start at line 9.
HEAD = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input:
  text: {type: string}
output:
  reply: {type: string}
steps:
"""


def workflow(steps: str, head: str = HEAD) -> dict[str, str]:
    """A workflows/hello.yaml whose ``steps:`` list is ``steps`` (first item on line 9, column 3)."""
    return {"workflows/hello.yaml": head + textwrap.indent(text(steps), "  ")}


def text(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def load_problems(root: Path) -> list[Problem]:
    with pytest.raises(SpecError) as err:
        load_project(root)
    return err.value.problems


def compile_problems(root: Path, workflow_name: str = "hello", tenant: str = "alpha") -> list[Problem]:
    engine = Engine(load_project(root))
    with pytest.raises(CompileError) as err:
        engine.compile(workflow_name, tenant)
    return err.value.problems


def rendered(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


# -- workflow files: schema --------------------------------------------------------------


def test_unknown_key_in_a_step_suggests_the_key_meant(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          wiht: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = load_problems(root)
    assert problem == Problem("workflows/hello.yaml", 11, 5, "steps[0].wiht", "unknown key 'wiht'",
                              "did you mean 'with'?", "unknown-key")


def test_unknown_key_without_a_close_match_lists_the_known_keys(make_project):
    root = make_project({"workflows/hello.yaml": text("""
        apiVersion: tenantflow/v1
        kind: Workflow
        metadata: {name: hello, owner: team-a}
        steps:
          - return: {reply: done}
    """)})
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:3:25: metadata.owner: unknown key 'owner' "
        "(known: description, name, strategy, version)",
    ]


def test_value_of_the_wrong_type(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
          timeout_s: soon
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:12:16: steps[0].timeout_s: expected a number, got a string",
    ]


def test_a_number_written_as_a_string_is_not_read_as_a_number(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
          retry: {attempts: "3", backoff_s: 0.5}
          timeout_s: "10"
        - return: {reply: "{{ steps.first.text }}"}
    """), tenants={"alpha": tenant_yaml("alpha", extra="quotas: {requests_per_minute: '30'}\n")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:5:31: quotas.requests_per_minute: expected an integer, got a string",
        "workflows/hello.yaml:12:23: steps[0].retry.attempts: expected an integer, got a string",
        "workflows/hello.yaml:13:16: steps[0].timeout_s: expected a number, got a string",
    ]


def test_mapping_where_a_list_is_expected(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: "Answer: {{ input.text }}"
            tools: notes.lookup
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:12:14: steps[0].llm.tools: expected a list, got a string",
    ]


def test_number_out_of_range_says_the_bound(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
          retry: {attempts: 0, backoff_s: 1}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = load_problems(root)
    assert problem == Problem("workflows/hello.yaml", 12, 23, "steps[0].retry.attempts", "expected at least 1, got 0",
                              "", "out-of-range")


def test_misspelt_step_kind_is_an_unknown_key_with_a_suggestion(make_project):
    root = make_project(workflow("""
        - id: first
          skil: echo
          with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:10:5: steps[0].skil: unknown key 'skil' (did you mean 'skill'?)",
    ]


def test_step_without_a_kind_lists_the_kinds(make_project):
    root = make_project(workflow("""
        - id: first
          description: says hello
        - return: {reply: hi}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:9:5: steps[0]: step has no kind: add one of skill, llm, tool, switch, parallel, "
        "loop, call, set, return, remember, recall, retrieve, ask",
    ]


def test_step_with_two_kinds(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
        - id: lookup
          skill: echo
          tool: notes.lookup
          with: {key: "{{ input.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:12:5: steps[1]: a step has exactly one kind, this one has 2: skill, tool",
    ]


def test_empty_steps_list(make_project):
    root = make_project({"workflows/hello.yaml": HEAD.replace("steps:\n", "steps: []\n")})
    [problem] = load_problems(root)
    assert problem == Problem("workflows/hello.yaml", 8, 8, "steps", "expected at least 1 item, got an empty list",
                              "", "too-short")


def test_parallel_step_with_one_branch(make_project):
    root = make_project(workflow("""
        - id: fan_out
          parallel:
            branches:
              only:
                - id: one
                  skill: echo
                  with: {text: "{{ input.text }}"}
        - return: {reply: done}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:12:9: steps[0].parallel.branches: expected at least 2 items, got 1",
    ]


def test_duplicate_step_ids_name_the_first_use(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
        - id: retry_loop
          loop:
            max_iterations: 3
            steps:
              - id: first
                skill: echo
                with: {text: again}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = load_problems(root)
    assert str(problem) == ("workflows/hello.yaml:16:15: steps[1].loop.steps[0].id: duplicate step id 'first' "
                            "(first used at workflows/hello.yaml:9:5)")
    assert problem.code == "duplicate-step"


def test_missing_step_id(make_project):
    root = make_project(workflow("""
        - skill: echo
          with: {text: "{{ input.text }}"}
        - return: {reply: done}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:9:5: steps[0]: missing required field 'id' (every skill step needs an id)",
    ]


def test_missing_required_field_points_at_the_mapping_it_belongs_in(make_project):
    root = make_project({"workflows/hello.yaml": text("""
        apiVersion: tenantflow/v1
        kind: Workflow
        metadata:
          version: 2
          description: Says hello
        steps:
          - return: {reply: done}
    """)})
    [problem] = load_problems(root)
    assert problem == Problem("workflows/hello.yaml", 4, 3, "metadata", "missing required field 'name'", "",
                              "missing-field")


def test_wrong_api_version(make_project):
    root = make_project({"workflows/hello.yaml": HEAD.replace("tenantflow/v1", "tenantflow/v2")
                         + "  - return: {reply: done}\n"})
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:1:13: apiVersion: expected 'tenantflow/v1', got 'tenantflow/v2' "
        "(did you mean 'tenantflow/v1'?)",
    ]


def test_wrong_kind(make_project):
    root = make_project({"workflows/hello.yaml": HEAD.replace("kind: Workflow", "kind: workflow")
                         + "  - return: {reply: done}\n"})
    [problem] = load_problems(root)
    assert problem == Problem("workflows/hello.yaml", 2, 7, "kind", "expected 'Workflow', got 'workflow'",
                              "did you mean 'Workflow'?", "bad-value")


def test_memory_level_typo(make_project):
    root = make_project(workflow("""
        - return: {reply: done}
    """, head=HEAD.replace("steps:\n", "memory:\n  write: [users]\nsteps:\n")))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:9:11: memory.write[0]: expected 'global', 'strategy', 'tenant', 'user' or "
        "'session', got 'users' (did you mean 'user'?)",
    ]


# -- YAML itself ---------------------------------------------------------------------------


def test_yaml_syntax_error_points_at_the_unclosed_flow_mapping(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = load_problems(root)
    assert str(problem) == ("workflows/hello.yaml:12:3: YAML syntax error: expected ',' or '}', but got '-' "
                            "(in the flow mapping that starts at line 11, column 11)")
    assert problem.code == "yaml-syntax"


def test_yaml_key_without_colon_points_at_the_key(make_project):
    root = make_project({"tenantflow.yaml": PROJECT_YAML.replace("tiers:", "tiers")})
    assert rendered(load_problems(root)) == [
        "tenantflow.yaml:11:1: YAML syntax error: could not find expected ':' "
        "(a key needs ':' after it, on the same line)",
    ]


def test_yaml_bad_indentation(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
         with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:11:4: YAML syntax error: expected <block end>, but found '<block mapping start>' "
        "(check the indentation: the keys of one mapping and the items of one list must line up)",
    ]


def test_yaml_tab_indentation(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra="entitlements:\n\ttools: ['*']\n")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:6:1: YAML syntax error: found character '\\t' that cannot start any token "
        "(indent with spaces: YAML does not allow tabs)",
    ]


def test_yaml_unclosed_quote_points_at_the_opening_quote(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": text("""
        apiVersion: tenantflow/v1
        kind: Tenant
        metadata:
          id: alpha
          name: "Alpha Corp
        tier: basic
    """)})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:5:9: YAML syntax error: found unexpected end of stream "
        "(the quoted scalar that starts here is never closed)",
    ]


def test_duplicate_yaml_key_names_the_first_one(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
          skill: echo2
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = load_problems(root)
    assert problem == Problem("workflows/hello.yaml", 12, 5, "steps[0].skill", "duplicate key 'skill' (first set at "
                              "line 10)", "", "yaml-duplicate-key")


def test_yaml_python_tags_are_problems_not_crashes(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: !!python/name:os.system ''}
        - id: second
          skill: echo
          with: !!python/object/apply:os.system ["id"]
        - return: {reply: done}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:11:18: steps[0].with.text: unsupported YAML tag '!!python/name:os.system' "
        "(tenantflow reads plain YAML: remove the tag)",
        "workflows/hello.yaml:14:11: steps[1].with: unsupported YAML tag '!!python/object/apply:os.system' "
        "(tenantflow reads plain YAML: remove the tag)",
    ]


def test_yaml_merge_key_is_reported_as_unsupported(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: &defaults {text: "{{ input.text }}"}
        - id: second
          skill: echo
          with:
            <<: *defaults
        - return: {reply: done}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:15:7: steps[1].with: YAML merge keys ('<<') are not supported "
        "(write the keys out in full)",
    ]


# -- YAML bounds: aliases, depth, size -------------------------------------------------------


def _laughs(levels: int = 9) -> str:
    """The "billion laughs" shape: each level an anchor holding nine aliases of the one before."""
    lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"x-{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def test_yaml_billion_laughs_is_refused_at_the_anchor_in_under_a_second(make_project):
    import time

    root = make_project({"workflows/hello.yaml": HEAD.replace("steps:\n", "") + _laughs()})
    started = time.perf_counter()
    problems = load_problems(root)
    assert time.perf_counter() - started < 1.0
    # Anchor &f (line 13) is the first whose aliases expand past the bound: 597,871 values.
    assert rendered(problems) == [
        "workflows/hello.yaml:13:6: x-f: YAML aliases expand the value of anchor '&f' to 597,871 values "
        "(a file may hold at most 100,000) (write the values out instead of nesting aliases of aliases)",
    ]
    assert problems[0].code == "yaml-limit"


def test_yaml_aliases_within_the_bound_are_read(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: &defaults {text: "{{ input.text }}"}
        - id: second
          skill: echo
          with: *defaults
        - return: {reply: "{{ steps.second.text }}"}
    """))
    project = load_project(root)
    steps = project.workflows["hello"].spec.steps
    assert steps[0].with_ == steps[1].with_ == {"text": "{{ input.text }}"}


def test_yaml_alias_inside_its_own_anchor_is_refused(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: &loop {text: hi, again: *loop}
        - return: {reply: done}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:11:11: a YAML alias stands inside the value its anchor names (an endless value) "
        "(an alias may name only a value written before it, outside it)",
    ]


def test_yaml_nested_past_the_depth_bound(make_project):
    deep = "".join("  " * i + f"k{i}:\n" for i in range(66)) + "  " * 66 + "end: 1\n"
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha") + "labels:\n" + textwrap.indent(deep, "  ")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:70:131: labels.k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12.k13.k14.k15.k16.k17.k18."
        "k19.k20.k21.k22.k23.k24.k25.k26.k27.k28.k29.k30.k31.k32.k33.k34.k35.k36.k37.k38.k39.k40.k41.k42.k43.k44."
        "k45.k46.k47.k48.k49.k50.k51.k52.k53.k54.k55.k56.k57.k58.k59.k60.k61.k62.k63: "
        "the YAML is nested more than 64 levels deep (a tenantflow file is a few levels deep: check the indentation)",
    ]


def test_yaml_nested_too_deeply_to_parse(make_project):
    root = make_project({"workflows/hello.yaml": "steps: " + "[" * 5000 + "]" * 5000 + "\n"})
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:1:1: the YAML is nested too deeply to read "
        "(a tenantflow file is a few levels deep: check the brackets and the indentation)",
    ]


def test_yaml_file_past_the_size_bound(make_project):
    root = make_project({"workflows/hello.yaml": HEAD + "  # " + "x" * (2 * 1024 * 1024) + "\n"})
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:1:1: the file is 2,097,291 characters long (at most 2,097,152) "
        "(split it, or keep large data out of workflow and tenant files)",
    ]


# -- project, tenant and skill files -------------------------------------------------------


def test_tenant_id_must_match_its_folder(make_project):
    root = make_project(tenants={"alpha": tenant_yaml("alpha"), "beta": tenant_yaml("betta", "premium")})
    [problem] = load_problems(root)
    assert problem == Problem("tenants/beta/tenant.yaml", 3, 16, "metadata.id",
                              "tenant id 'betta' must match its folder name 'beta'", "", "tenant-folder")


def test_unknown_tier_in_a_tenant(make_project):
    root = make_project(tenants={"alpha": tenant_yaml("alpha", "premum"), "beta": tenant_yaml("beta", "premium")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:4:7: tier: unknown tier 'premum' (did you mean 'premium'?)",
    ]


def test_unknown_tier_without_a_close_match_lists_the_tiers(make_project):
    root = make_project(tenants={"alpha": tenant_yaml("alpha", "gold"), "beta": tenant_yaml("beta", "premium")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:4:7: tier: unknown tier 'gold' (known: basic, premium, standard)",
    ]


def test_tenant_missing_its_tier(make_project):
    root = make_project(tenants={"alpha": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: alpha}\n",
                                 "beta": tenant_yaml("beta", "premium")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:1:1: missing required field 'tier'",
    ]


def test_override_of_an_unknown_step(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra=text("""
        overrides:
          hello:
            steps:
              frist:
                with: {text: "Hello from alpha"}
    """))})
    [problem] = load_problems(root)
    assert problem == Problem("tenants/alpha/tenant.yaml", 8, 7, "overrides.hello.steps.frist",
                              "override of unknown step 'frist' in workflow 'hello'", "did you mean 'first'?",
                              "unknown-step")


def test_override_of_an_unknown_workflow(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra=text("""
        overrides:
          helo:
            steps:
              first:
                with: {text: "Hello from alpha"}
    """))})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:6:3: overrides.helo: override of unknown workflow 'helo' (did you mean 'hello'?)",
    ]


def test_insert_after_an_unknown_step(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra=text("""
        overrides:
          hello:
            insert:
              - after: frist
                step: {id: audit, skill: echo, with: {text: audit}}
    """))})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:8:16: overrides.hello.insert[0].after: unknown step 'frist' in workflow 'hello' "
        "(did you mean 'first'?)",
    ]


def test_unknown_key_in_a_tenant_file(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra="entitlement:\n  tools: ['*']\n")})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/tenant.yaml:5:1: entitlement: unknown key 'entitlement' (did you mean 'entitlements'?)",
    ]


def test_mistyped_required_key_is_reported_once(make_project):
    # "modle" is both an unknown key and a missing "model": one mistake, one problem.
    root = make_project({"tenantflow.yaml": PROJECT_YAML.replace("basic: {model: small}", "basic: {modle: small}")})
    assert rendered(load_problems(root)) == [
        "tenantflow.yaml:12:11: tiers.basic.modle: unknown key 'modle' (did you mean 'model'?)",
    ]


def test_unknown_model_alias_in_a_tier(make_project):
    root = make_project({"tenantflow.yaml": PROJECT_YAML.replace("standard: {model: medium, allowed_models: [small]}",
                                                                 "standard: {model: medium, allowed_models: [smal]}")})
    assert rendered(load_problems(root)) == [
        "tenantflow.yaml:13:46: tiers.standard.allowed_models[0]: unknown model alias 'smal' (did you mean 'small'?)",
    ]


def test_skill_module_that_raises_on_import(make_project):
    root = make_project({"skills/crm.py": text("""
        import os

        from engine.skills.decorators import skill

        API_KEY = os.environ["CRM_API_KEY_NOT_SET_IN_TESTS"]


        @skill("crm.lookup")
        def lookup(*, customer: str, ctx) -> dict:
            return {"customer": customer}
    """)})
    [problem] = load_problems(root)
    assert problem == Problem("skills/crm.py", 5, 1, "",
                              "cannot import skill module: KeyError: 'CRM_API_KEY_NOT_SET_IN_TESTS'", "",
                              "skill-import")


def test_skill_module_with_a_syntax_error(make_project):
    root = make_project({"tenants/alpha/skills/crm.py": text("""
        from engine.skills.decorators import skill


        @skill("crm.lookup")
        def lookup(*, customer: str, ctx) -> dict
            return {"customer": customer}
    """)})
    assert rendered(load_problems(root)) == [
        "tenants/alpha/skills/crm.py:5:1: cannot import skill module: SyntaxError: expected ':' (crm.py, line 5)",
    ]


def test_prompt_skill_file_with_a_mistyped_key(make_project):
    root = make_project({"skills/summarize.yaml": text("""
        apiVersion: tenantflow/v1
        kind: Skill
        metadata: {name: summarize}
        input:
          text: {type: string}
        llm:
          promt: "Summarize: {{ input.text }}"
    """)})
    assert rendered(load_problems(root)) == [
        "skills/summarize.yaml:7:3: llm.promt: unknown key 'promt' (did you mean 'prompt'?)",
    ]


# -- compiling a workflow for a tenant -----------------------------------------------------


def test_goto_to_a_missing_step(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
          next: finsh
        - id: skipped
          skill: echo
          with: {text: skipped}
        - id: finish
          return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = compile_problems(root)
    assert problem == Problem("workflows/hello.yaml", 12, 11, "steps[0].next", "goto to unknown step 'finsh'",
                              "did you mean 'finish'?", "unknown-goto")


def test_switch_goto_to_a_missing_step(make_project):
    root = make_project(workflow("""
        - id: route
          switch:
            - when: "input.text == 'billing'"
              goto: biling
            - default: answer
        - id: billing
          return: {reply: billing}
        - id: answer
          return: {reply: other}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:12:15: steps[0].switch[0].goto: goto to unknown step 'biling' "
        "(did you mean 'billing'?)",
    ]


def test_unreachable_step(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
        - id: audit
          skill: echo
          with: {text: audit}
    """))
    [problem] = compile_problems(root)
    assert problem == Problem("workflows/hello.yaml", 13, 5, "steps[2]", "step 'audit' is unreachable",
                              "no step, goto or branch leads to it", "unreachable")


def test_loop_without_max_iterations(make_project):
    root = make_project(workflow("""
        - id: poll
          loop:
            until: "steps.check.text == 'done'"
            steps:
              - id: check
                skill: echo
                with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.check.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:7: steps[0].loop: unbounded loop 'poll': max_iterations is required "
        "(add max_iterations: N)",
    ]


def test_backward_goto_through_a_switch_is_an_unbounded_cycle(make_project):
    root = make_project(workflow("""
        - id: draft
          skill: echo
          with: {text: "{{ input.text }}"}
        - id: review
          switch:
            - when: "steps.draft.text == 'ok'"
              goto: done
            - default: draft
        - id: done
          return: {reply: "{{ steps.draft.text }}"}
    """))
    [problem] = compile_problems(root)
    # It points at the goto that closes the cycle: that is what the author changes.
    assert problem == Problem("workflows/hello.yaml", 16, 18, "steps[1].switch[1].default",
                              "unbounded loop: steps draft -> review -> draft form a cycle",
                              "repeat work with a loop step and max_iterations", "unbounded-loop")


def test_unknown_skill_suggests_the_skill_meant(make_project):
    root = make_project(workflow("""
        - id: first
          skill: ecoh
          with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:10:12: steps[0].skill: unknown skill 'ecoh' for tenant 'alpha' (did you mean 'echo'?)",
    ]


def test_unknown_tool(make_project):
    root = make_project(workflow("""
        - id: lookup
          tool: notes.find
          with: {key: "{{ input.text }}"}
        - return: {reply: "{{ steps.lookup.key }}"}
    """))
    [problem] = compile_problems(root)
    assert problem == Problem("workflows/hello.yaml", 10, 11, "steps[0].tool", "unknown tool 'notes.find' for "
                              "tenant 'alpha'", "known: notes.lookup", "unknown-tool")


def test_unknown_tool_offered_to_a_model(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: "Answer: {{ input.text }}"
            tools: [notes.lokup]
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:12:15: steps[0].llm.tools[0]: unknown tool 'notes.lokup' (did you mean 'notes.lookup'?)",
    ]


def test_unknown_model_alias_in_a_step(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: "Answer: {{ input.text }}"
            model: lareg
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:12:14: steps[0].llm.model: unknown model alias 'lareg' (did you mean 'large'?)",
    ]


def test_model_pin_the_tenant_tier_forbids(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: "Answer: {{ input.text }}"
            model: large
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    [problem] = compile_problems(root, tenant="alpha")
    assert problem == Problem("workflows/hello.yaml", 12, 14, "steps[0].llm.model",
                              "model 'large' is not allowed for tier 'basic' (tenant 'alpha')", "allowed: small",
                              "model-not-allowed")
    Engine(load_project(root)).compile("hello", "beta")  # premium pins large freely


def test_model_pin_in_a_tenant_override_points_at_the_tenant_file(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra=text("""
        overrides:
          hello:
            steps:
              answer:
                llm: {model: large}
    """))})
    assert rendered(compile_problems(root)) == [
        "tenants/alpha/tenant.yaml:9:22: overrides.hello.steps.answer.llm.model: model 'large' is not allowed "
        "for tier 'basic' (tenant 'alpha') (allowed: small)",
    ]


def test_bad_template_syntax_in_a_with_value(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = compile_problems(root)
    # The column is that of the `with:` mapping, not of the bad value (11:18): see
    # test_bad_template_in_the_second_with_value_points_at_that_value below.
    assert (problem.file, problem.line) == ("workflows/hello.yaml", 11)
    assert problem.message == "template syntax error: unexpected '}'"
    assert problem.code == "template-syntax"


def test_bad_template_syntax_in_a_prompt_file_points_at_the_template_line(make_project):
    root = make_project({
        **workflow("""
            - id: answer
              llm: {prompt: prompts/answer.j2}
            - return: {reply: "{{ steps.answer.text }}"}
        """),
        "workflows/prompts/answer.j2": text("""
            You are a helpful assistant.

            Question: {{ input.text }}
            {% if input.text | length > 100 %}
            Keep the answer short.
            {% endfor %}
        """),
    })
    [problem] = compile_problems(root)
    assert problem == Problem("workflows/prompts/answer.j2", 6, 1, "",
                              "template syntax error: Encountered unknown tag 'endfor'. Jinja was looking for the "
                              "following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be "
                              "closed is 'if'.", "", "template-syntax")


def test_missing_prompt_file(make_project):
    root = make_project(workflow("""
        - id: answer
          llm: {prompt: prompts/anwser.j2}
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:10:19: steps[0].llm.prompt: prompt file 'workflows/prompts/anwser.j2' not found",
    ]


def test_tenant_cannot_loosen_a_mandatory_guardrail_rule(make_project):
    project = PROJECT_YAML.replace("  basic: {model: small}\n",
                                   "  basic: {model: small}\n  regulated:\n    model: medium\n"
                                   "    guardrails: {profile: hipaa}\n")
    root = make_project({"tenantflow.yaml": project}, tenants={
        "alpha": tenant_yaml("alpha", "regulated", "guardrails:\n  pii:\n    phone: redact\n"),
        "beta": tenant_yaml("beta", "premium"),
    })
    with pytest.raises(CompileError) as err:
        Engine(load_project(root)).settings("alpha")
    assert rendered(err.value.problems) == [
        "tenants/alpha/tenant.yaml:7:12: guardrails.pii.phone: mandatory rule pii.phone is 'block'; an overlay may not loosen "
        "it to 'redact' (strictness: block > redact > flag > off)",
    ]


def test_remember_writes_a_level_the_workflow_did_not_declare(make_project):
    root = make_project(workflow("""
        - id: save
          remember: {level: session, key: last_question, value: "{{ input.text }}"}
        - return: {reply: saved}
    """, head=HEAD.replace("steps:\n", "memory:\n  write: [user]\nsteps:\n")))
    [problem] = compile_problems(root)
    assert problem == Problem("workflows/hello.yaml", 12, 23, "steps[0].remember.level",
                              "remember writes level 'session' but the workflow declares memory.write: [user]", "",
                              "memory-undeclared")


# -- all problems at once ------------------------------------------------------------------


def test_one_load_reports_every_problem_sorted_by_file_and_line(make_project):
    root = make_project({
        **workflow("""
            - id: first
              skill: echo
              wiht: {text: "{{ input.text }}"}
            - return: {reply: done}
        """),
        "workflows/broken.yaml": "apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {name: broken\n",
        "skills/crm.py": "import missing_crm_sdk\n",
    }, tenants={
        "alpha": tenant_yaml("alpha", "premum"),
        "beta": tenant_yaml("betta", "premium"),
        "gamma": tenant_yaml("gamma", extra="isolation: {memory: siloed}\n"),
    })
    assert rendered(load_problems(root)) == [
        "skills/crm.py:1:1: cannot import skill module: ModuleNotFoundError: No module named 'missing_crm_sdk'",
        "tenants/alpha/tenant.yaml:4:7: tier: unknown tier 'premum' (did you mean 'premium'?)",
        "tenants/beta/tenant.yaml:3:16: metadata.id: tenant id 'betta' must match its folder name 'beta'",
        "tenants/gamma/tenant.yaml:5:21: isolation.memory: expected 'pool' or 'silo', got 'siloed' "
        "(did you mean 'silo'?)",
        "workflows/broken.yaml:4:1: YAML syntax error: expected ',' or '}', but got '<stream end>' "
        "(in the flow mapping that starts at line 3, column 11)",
        "workflows/hello.yaml:11:5: steps[0].wiht: unknown key 'wiht' (did you mean 'with'?)",
    ]


def test_one_compile_reports_every_problem_of_the_workflow(make_project):
    root = make_project(workflow("""
        - id: first
          skill: ecoh
          with: {text: "{{ input.text }}"}
        - id: answer
          llm:
            prompt: "Answer: {{ steps.first.text }}"
            model: large
            tools: [notes.lokup]
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:10:12: steps[0].skill: unknown skill 'ecoh' for tenant 'alpha' (did you mean 'echo'?)",
        "workflows/hello.yaml:15:14: steps[1].llm.model: model 'large' is not allowed for tier 'basic' "
        "(tenant 'alpha') (allowed: small)",
        "workflows/hello.yaml:16:15: steps[1].llm.tools[0]: unknown tool 'notes.lokup' (did you mean 'notes.lookup'?)",
    ]


# -- known mislocations, reported to the owners of engine/compile (strict: they fail once fixed) --


def test_bad_template_in_the_second_with_value_points_at_that_value(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with:
            text: "{{ input.text }}"
            other: "{{ input.text | }}"
        - return: {reply: "{{ steps.first.text }}"}
    """))
    [problem] = compile_problems(root)
    assert (problem.file, problem.line, problem.col, problem.location) == (
        "workflows/hello.yaml", 13, 14, "steps[0].with.other")


def test_bad_template_in_an_inline_prompt_points_at_the_prompt(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: "Answer {{ input.text "
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    [problem] = compile_problems(root)
    assert (problem.file, problem.line, problem.col, problem.location) == (
        "workflows/hello.yaml", 11, 15, "steps[0].llm.prompt")


def test_invalid_guardrail_action_in_a_tenant_names_the_rule(make_project):
    guardrails = "guardrails:\n  pii:\n    phone: mask\n"
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra=guardrails)})
    with pytest.raises(CompileError) as err:
        Engine(load_project(root)).settings("alpha")
    [problem] = err.value.problems
    assert (problem.file, problem.line, problem.col, problem.location) == (
        "tenants/alpha/tenant.yaml", 7, 12, "guardrails.pii.phone")
    assert "'mask'" in problem.message


def test_unknown_key_in_a_tenant_override_points_at_the_key(make_project):
    root = make_project({"tenants/alpha/tenant.yaml": tenant_yaml("alpha", extra=text("""
        overrides:
          hello:
            steps:
              first:
                wiht: {text: "Hello from alpha"}
    """))})
    assert rendered(compile_problems(root)) == [
        "tenants/alpha/tenant.yaml:9:9: overrides.hello.steps.first.wiht: unknown key 'wiht' (did you mean 'with'?)",
    ]


# -- template and expression references ---------------------------------------------------


def test_reference_to_an_undeclared_input_in_a_prompt_file_points_inside_the_file(make_project):
    root = make_project({**workflow("""
        - id: answer
          llm: {prompt: prompts/answer.j2}
        - return: {reply: "{{ steps.answer.text }}"}
    """), "workflows/prompts/answer.j2": "You help {{ tenant.name }}.\n\nQuestion:\n  {{ input.txet | trim }}\n"})
    assert rendered(compile_problems(root)) == [
        "workflows/prompts/answer.j2:4:6: steps[0].llm.prompt: input has no field 'txet' (in 'input.txet') "
        "(did you mean 'text'?)",
    ]


def test_reference_inside_an_inline_block_prompt_points_at_its_own_line(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: |
              Answer the customer.
              Their question: {{ input.text }} ({{ user.name }})
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:13:46: steps[0].llm.prompt: user has no field 'name' (in 'user.name') (known: id)",
    ]


def test_reference_in_a_quoted_value_points_at_its_column(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "Hi {{ input.text }}, {{ tenant.nmae }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:43: steps[0].with.text: tenant has no field 'nmae' (in 'tenant.nmae') "
        "(did you mean 'name'?)",
    ]


def test_reference_to_a_misspelt_step_in_a_condition(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
        - id: route
          switch:
            - when: "steps.frist.text == 'x'"
              goto: done
            - default: done
        - id: done
          return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:14:16: steps[1].switch[0].when: no step 'frist' in this workflow (in 'steps.frist') "
        "(did you mean 'first'?)",
    ]


def test_reference_to_a_step_that_runs_later(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ steps.answer.text }}"}
        - id: answer
          llm: {prompt: "Say {{ input.text }}"}
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:22: steps[0].with.text: step 'answer' has not run when step 'first' runs, on any "
        "path (in 'steps.answer') (a step's output exists only after it ran: move the reference, or test it with "
        "'is defined')",
    ]


def test_reference_to_an_output_the_llm_step_does_not_declare(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: "Classify {{ input.text }}"
            output: {category: string, confidence: number}
        - return: {reply: "{{ steps.answer.categroy }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:13:25: steps[1].return.reply: step 'answer' has no output 'categroy' "
        "(in 'steps.answer.categroy') (did you mean 'category'?)",
    ]


def test_reference_to_the_text_of_an_llm_step_that_declares_its_output(make_project):
    root = make_project(workflow("""
        - id: answer
          llm: {prompt: "Classify {{ input.text }}", output: {category: string}}
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:25: steps[1].return.reply: step 'answer' has no output 'text' "
        "(in 'steps.answer.text') (known: category)",
    ]


def test_reference_to_a_key_a_set_step_does_not_set(make_project):
    root = make_project(workflow("""
        - id: shape
          set: {greeting: "Hello {{ input.text }}"}
        - return: {reply: "{{ steps.shape.greting }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:25: steps[1].return.reply: step 'shape' has no output 'greting' "
        "(in 'steps.shape.greting') (did you mean 'greeting'?)",
    ]


def test_reference_to_a_memory_level_the_workflow_does_not_read(make_project):
    root = make_project(workflow("""
        - id: answer
          llm: {prompt: "Earlier: {{ memory.usr }} Now: {{ input.text }}"}
        - return: {reply: "{{ steps.answer.text }}"}
    """, head=HEAD.replace("steps:\n", "memory: {read: [user]}\nsteps:\n")))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:32: steps[0].llm.prompt: memory level 'usr' is not read by this workflow "
        "(in 'memory.usr') (did you mean 'user'?)",
    ]


def test_reference_to_an_unknown_name(make_project):
    root = make_project(workflow("""
        - id: first
          skill: echo
          with: {text: "{{ inptu.text }}"}
        - return: {reply: "{{ steps.first.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:11:22: steps[0].with.text: unknown name 'inptu' (did you mean 'input'?)",
    ]


def test_references_guarded_by_is_defined_and_default_and_template_variables_pass(make_project):
    root = make_project({**workflow("""
        - id: first
          skill: echo
          with: {text: "{{ input.text }}"}
          on_error: continue
        - id: answer
          llm: {prompt: prompts/answer.j2}
        - return: {reply: "{{ steps.answer.text }}", note: "{{ steps.first.error | default('') }}"}
    """), "workflows/prompts/answer.j2": (
        "{% set words = input.text.split() %}{% for w in words %}{{ loop.index }}:{{ w }} {% endfor %}\n"
        "{% if steps.later is defined %}{{ steps.later.text }}{% endif %}{{ steps.first.text }}\n")})
    problems = compile_problems(root)
    # steps.later does not exist at all: a name under `is defined` is still checked.
    assert rendered(problems) == [
        "workflows/prompts/answer.j2:2:7: steps[1].llm.prompt: no step 'later' in this workflow "
        "(in 'steps.later') (known: answer, first, return_2)",
        "workflows/prompts/answer.j2:2:35: steps[1].llm.prompt: no step 'later' in this workflow "
        "(in 'steps.later') (known: answer, first, return_2)",
    ]


TYPED_SKILL = '''\
from pydantic import BaseModel

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill


class Verdict(BaseModel):
    category: str
    score: float


@skill("judge")
def judge(*, text: str, ctx: SkillContext) -> Verdict:
    return Verdict(category="x", score=1.0)
'''


def test_reference_to_a_key_the_skills_return_type_lacks(make_project):
    root = make_project({"skills/typed.py": TYPED_SKILL, **workflow("""
        - id: verdict
          skill: judge
          with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.verdict.categry }}"}
    """)})
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:12:25: steps[1].return.reply: step 'verdict' has no output 'categry' "
        "(in 'steps.verdict.categry') (did you mean 'category'?)",
    ]


@pytest.mark.parametrize(("condition", "col", "message", "hint"), [
    ("steps.first.text = 'x'", 15, "template syntax error: chunk after expression",
     "to compare, write '==': a single '=' assigns"),
    ("steps.first.text == 'x' &&  input.text", 15, "template syntax error: unexpected char '&'",
     "write 'and' instead of '&&'"),
    ("if steps.first.text", 15, "template syntax error: chunk after expression",
     "a condition is the expression alone: drop 'if'"),
    ("steps.first.text is 'x'", 15, "template syntax error: expected token 'name', got 'string'",
     "to compare with a value write '=='; 'is' takes a test: 'is defined', 'is none', 'is number'"),
    ("steps.first.text == 'x", 15, "template syntax error: unexpected char \"'\"", "a quote is never closed"),
    ("len(steps.first.text) > 3", 16, "unknown name 'len'", "use a filter: 'x | length'"),
])
def test_expression_mistakes_get_a_hint_written_for_authors(make_project, condition, col, message, hint):
    root = make_project(workflow(f"""
        - id: first
          skill: echo
          with: {{text: "{{{{ input.text }}}}"}}
        - id: route
          switch:
            - when: "{condition}"
              goto: done
            - default: done
        - id: done
          return: {{reply: "{{{{ steps.first.text }}}}"}}
    """))
    [problem] = compile_problems(root)
    assert (problem.file, problem.line, problem.col, problem.location, problem.message, problem.hint) == (
        "workflows/hello.yaml", 14, col, "steps[1].switch[0].when", message, hint)


def test_a_key_moved_out_of_its_mapping_is_reported_at_that_key(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            model: tier
          prompt: "Answer {{ input.text }}"
            max_tokens: 200
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:12:5: YAML syntax error: 'prompt:' has a value, yet the next line is indented under it "
        "(check the indentation of these two lines: a key sits level with its siblings)",
    ]


def test_a_value_with_a_colon_still_gets_the_quoting_hint(make_project):
    root = make_project(workflow("""
        - id: answer
          llm:
            prompt: Note: answer {{ input.text }}
        - return: {reply: "{{ steps.answer.text }}"}
    """))
    assert rendered(load_problems(root)) == [
        "workflows/hello.yaml:11:19: YAML syntax error: mapping values are not allowed here "
        "(put quotes around a value that contains ': ')",
    ]


# -- template and expression types: warnings ----------------------------------------------

#: Lines 1-9 of the workflows below: a number and a string input; steps start at line 10.
TYPED_HEAD = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input:
  text: {type: string}
  amount: {type: number}
output:
  reply: {type: string}
steps:
"""


def type_warnings(root: Path) -> list[str]:
    result = validate_project(root)
    assert result.problems == []  # a warning never fails validate
    return [str(w) for w in result.warnings if w.code == "template-type"]


def test_a_number_compared_with_a_string_in_a_condition_is_a_warning(make_project):
    root = make_project(workflow("""
        - id: route
          switch:
            - when: "input.amount > '100'"
              goto: big
            - default: small
        - id: big
          return: {reply: big}
        - id: small
          return: {reply: small}
    """, head=TYPED_HEAD))
    assert type_warnings(root) == [
        "workflows/hello.yaml:12:16: steps[0].switch[0].when: a number compared with the string '100' "
        "(in 'input.amount') (a number never equals a string, and < or > fails when it runs; write the number "
        "without quotes: 100)",
    ]


def test_a_string_output_compared_with_a_number_in_a_template_is_a_warning(make_project):
    root = make_project(workflow("""
        - id: classify
          llm:
            prompt: "Classify {{ input.text }}"
            output: {label: string}
        - return:
            reply: "{% if steps.classify.label == 2 %}two{% endif %}"
    """, head=TYPED_HEAD))
    assert type_warnings(root) == [
        "workflows/hello.yaml:15:21: steps[1].return.reply: a string compared with the number 2 "
        "(in 'steps.classify.label') (a string never equals a number, and < or > fails when it runs; "
        "quote it: '2', or declare the field as type: number)",
    ]


def test_iterating_a_string_in_a_prompt_file_is_a_warning(make_project):
    root = make_project({**workflow("""
        - id: answer
          llm: {prompt: prompts/answer.j2}
        - return: {reply: "{{ steps.answer.text }}"}
    """, head=TYPED_HEAD), "workflows/prompts/answer.j2": "Lines:\n{% for line in input.text %}\n- {{ line }}\n"
                                                         "{% endfor %}\n"})
    assert type_warnings(root) == [
        "workflows/prompts/answer.j2:2:16: steps[0].llm.prompt: iterates over a string, one character at a time "
        "(in 'input.text') (declare the field as type: array to loop over its items)",
    ]


def test_literals_of_the_declared_type_and_untyped_references_are_not_warned_about(make_project):
    root = make_project(workflow("""
        - id: echo
          skill: echo
          with: {text: "{{ input.text }}"}
        - return:
            reply: "{{ 'big' if input.amount > 100 else input.text == 'x' }}{{ steps.echo.text == 3 }}"
    """, head=TYPED_HEAD))
    assert type_warnings(root) == []


# -- the outputs of call and parallel steps -----------------------------------------------------

CALLEE = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: digest}
input:
  text: {type: string}
output:
  summary: {type: string}
steps:
  - return: {summary: "{{ input.text }}"}
"""


def test_a_parallel_step_outputs_its_branch_names(make_project):
    root = make_project(workflow("""
        - id: fan_out
          parallel:
            branches:
              left:
                - id: one
                  skill: echo
                  with: {text: "{{ input.text }}"}
              right:
                - id: two
                  skill: echo
                  with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.fan_out.left.text }} {{ steps.fan_out.rigth.text }}"}
    """))
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:20:55: steps[1].return.reply: step 'fan_out' has no output 'rigth' "
        "(in 'steps.fan_out.rigth') (did you mean 'right'?)",
    ]


def test_a_call_step_outputs_the_called_workflows_declared_output(make_project):
    root = make_project({**workflow("""
        - id: sub
          call: digest
          with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.sub.summary }} {{ steps.sub.sumary }}"}
    """), "workflows/digest.yaml": CALLEE})
    assert rendered(compile_problems(root)) == [
        "workflows/hello.yaml:12:49: steps[1].return.reply: step 'sub' has no output 'sumary' "
        "(in 'steps.sub.sumary') (did you mean 'summary'?)",
    ]


def test_a_call_of_a_workflow_without_declared_output_may_read_any_key(make_project):
    callee = CALLEE.replace("output:\n  summary: {type: string}\n", "")
    root = make_project({**workflow("""
        - id: sub
          call: digest
          with: {text: "{{ input.text }}"}
        - return: {reply: "{{ steps.sub.summary }}"}
    """), "workflows/digest.yaml": callee})
    Engine(load_project(root)).compile("hello", "alpha")
