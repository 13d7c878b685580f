"""Templates and expressions render in Jinja2's immutable sandbox.

What a workflow author (or a tenant override) writes between ``{{ }}`` can
read data and ids, and nothing else: no Python internals come out, nothing
is mutated or executed, loops are bounded, and every failure is a
``TemplateError`` naming the file and line it was written at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from engine.engine import Engine
from engine.errors import CompileError, TemplateError
from engine.project import load_project
from engine.templating import compile_expression, compile_file, compile_template, render_value
from tests.conftest import tenant_yaml

FILE, LINE = "workflows/t.yaml", 7


def _render(source: str, variables: dict[str, object]) -> object:
    return compile_template(source, file=FILE, line=LINE).render(variables)


def _refused(what: str, of: str) -> str:
    return f"{FILE}:{LINE}: refused by the sandbox: access to attribute '{what}' of '{of}' object is unsafe."


# -- the sandbox ------------------------------------------------------------------------------

ESCAPES = [
    pytest.param("{{ ''.__class__.__mro__ }}", _refused("__class__", "str"), id="str-mro"),
    pytest.param("{{ x.__class__.__subclasses__() }}", _refused("__class__", "dict"), id="subclasses"),
    pytest.param("{{ cycler.__init__.__globals__ }}", _refused("__init__", "type"), id="cycler-globals"),
    pytest.param("{{ lipsum.__globals__ }}", _refused("__globals__", "function"), id="lipsum-globals"),
    pytest.param("{{ joiner.__init__.__globals__ }}", _refused("__init__", "type"), id="joiner-globals"),
    pytest.param("{{ self._TemplateReference__context }}",
                 _refused("_TemplateReference__context", "TemplateReference"), id="template-reference"),
    pytest.param("{{ x|attr('__class__') }}", _refused("__class__", "dict"), id="attr-filter"),
    pytest.param("{{ '{0.__class__.__mro__}'.format(x) }}", _refused("__class__", "dict"), id="format-field"),
    pytest.param("{{ 'a{0.__init__.__globals__}'.format(joiner) }}", _refused("__init__", "type"),
                 id="format-globals"),
    pytest.param("{{ '{a.__class__}'.format_map({'a': x}) }}", _refused("__class__", "dict"), id="format-map"),
    pytest.param("Hello {{ ''.__class__ }} there", _refused("__class__", "str"), id="embedded-in-text"),
    pytest.param("{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}", _refused("__class__", "str"),
                 id="statement-block"),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES)
def test_sandbox_refuses_reaching_python_internals(source: str, message: str) -> None:
    data = {"a": 1}
    with pytest.raises(TemplateError) as caught:
        _render(source, {"x": data})
    assert str(caught.value) == message
    assert (caught.value.file, caught.value.line) == (FILE, LINE)
    assert "<class" not in str(caught.value) and " at 0x" not in str(caught.value)
    assert data == {"a": 1}


@pytest.mark.parametrize("source", [
    "{{ x.update({'a': 99}) }}",
    "{{ x.pop('a') }}",
    "{{ x.clear() }}",
    "{{ x.setdefault('b', 2) }}",
    "{{ items.append(3) }}",
])
def test_sandbox_refuses_mutating_the_data_it_is_given(source: str) -> None:
    data, items = {"a": 1}, [1, 2]
    with pytest.raises(TemplateError) as caught:
        _render(source, {"x": data, "items": items})
    assert str(caught.value).startswith(f"{FILE}:{LINE}: refused by the sandbox: access to attribute ")
    assert data == {"a": 1} and items == [1, 2]


def test_sandbox_executes_nothing_through_a_refused_chain(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    source = "{{ lipsum.__globals__['os'].system('touch " + str(canary) + "') }}"
    with pytest.raises(TemplateError) as caught:
        _render(source, {})
    assert str(caught.value) == _refused("__globals__", "function")
    assert not canary.exists()


@pytest.mark.parametrize("source", [
    "{% for i in range(10**9) %}{{ i }}{% endfor %}",
    "{{ range(10**9) | list | length }}",
])
def test_sandbox_bounds_range(source: str) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(source, {})
    assert str(caught.value) == (f"{FILE}:{LINE}: OverflowError: Range too big. "
                                 "The sandbox blocks ranges larger than MAX_RANGE (100000).")


@pytest.mark.parametrize(("source", "message"), [
    ("{{ '%0500000000d' % 1 }}", "the format width or precision '%0500000000' is refused"),
    ("{{ '%*d' % (500000000, 1) }}", "the format width or precision '%*' is refused"),
    ("{{ '%0500000000d' | format(1) }}", "the format width or precision '%0500000000' is refused"),
    ("{{ '{:0500000000}'.format(1) }}", "the format width '0500000000' is refused"),
    ("{{ '{:{}}'.format(1, 500000000) }}", "a format width given by another field is refused"),
    ("{{ 'x'.ljust(500000000) }}", "str.ljust would make a text of 500,000,000 characters (at most 1,000,000)"),
    ("{{ 'x'.zfill(500000000) }}", "str.zfill would make a text of 500,000,000 characters (at most 1,000,000)"),
    ("{{ ('x' * 100000) | replace('x', 'x' * 100000) }}",
     "str.replace would make a text of 10,000,000,000 characters (at most 1,000,000)"),
    ("{{ ('x' * 100000).replace('x', 'x' * 100000) }}",
     "str.replace would make a text of 10,000,000,000 characters (at most 1,000,000)"),
    ("{{ (['ab'] * 90000) | join('x' * 100000) }}",
     "str.join would make a text of 9,000,080,000 characters (at most 1,000,000)"),
    ("{{ 'a' | center(10 ** 9) }}", "center would make a text of 1,000,000,000 characters (at most 1,000,000)"),
    ("{{ ('x\\n' * 50000) | indent(100000) }}",
     "indent would make a text of 5,000,200,000 characters (at most 1,000,000)"),
    ("{{ range(1) | batch(10 ** 9, 'x') | list }}", "batches of more than 100000 items are refused"),
    ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "'~' would make a text of 1,048,576 characters (at most 1,000,000)"),
    ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
     "'+' would make a text of 1,048,576 characters (at most 1,000,000)"),
    ("{% for i in range(100000) %}{{ 'x' * 50 }}{% endfor %}",
     "the template's output passed 1,000,000 characters"),
])
def test_sandbox_bounds_what_a_template_can_build(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(source, {})
    assert str(caught.value) == f"{FILE}:{LINE}: refused by the sandbox: {message}"


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    # No call in the inner loop: the loop itself checks the clock.
    "{% set l = range(100000) | list %}{% for i in l %}{% for j in l %}{% endfor %}{% endfor %}",
])
def test_sandbox_bounds_rendering_time(source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import engine.templating

    monkeypatch.setattr(engine.templating, "MAX_RENDER_S", 0.2)
    started = time.perf_counter()
    with pytest.raises(TemplateError) as caught:
        _render(source, {})
    assert time.perf_counter() - started < 1.0
    assert str(caught.value) == f"{FILE}:{LINE}: refused by the sandbox: rendering took longer than 0.2 s"


def test_bounded_operations_still_work_within_their_bounds() -> None:
    assert _render("{{ '%5d' % 3 }}|{{ '{:>4}'.format('a') }}|{{ 'a' | center(5) }}|{{ ['a', 'b'] | join(', ') }}"
                   "|{{ 'ab' | replace('a', 'xy') }}|{{ 'a' ~ 1 ~ 'b' }}|{{ 'x' + 'y' }}|{{ 'a\\nb' | indent(2) }}"
                   "|{{ '%s-%s' | format(1, 2) }}|{{ range(5) | batch(2, 0) | list }}", {}) == (
        "    3|   a|  a  |a, b|xyb|a1b|xy|a\n  b|1-2|[[0, 1], [2, 3], [4, 0]]")


def test_small_ranges_still_work() -> None:
    assert _render("{{ range(3) | list }}", {}) == [0, 1, 2]
    assert _render("{% for i in range(3) %}{{ i }}{% endfor %}", {}) == "012"


@pytest.mark.parametrize("source", [
    "{{ ''.format }}",
    "{{ ''.format_map }}",
    "{{ lipsum }}",
    "{{ cycler }}",
    "{{ [joiner] }}",
    "{{ {'f': ''.format} }}",
    "value: {{ ''.format }}",
])
def test_sandbox_hands_out_no_python_objects(source: str) -> None:
    with pytest.raises(TemplateError) as caught:
        _render(source, {})
    assert " at 0x" not in str(caught.value) and "<class" not in str(caught.value)


# -- types and errors -------------------------------------------------------------------------

STEPS = {"a": {"rows": [1, 2], "n": 3, "flag": False, "name": "x", "items": [{"id": 1}, {"id": 2}]}}


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ steps.a.rows }}", [1, 2]),
    ("  {{ steps.a.n }}  ", 3),
    ("{{ steps.a.flag }}", False),
    ("{{ steps.a }}", STEPS["a"]),
    ("{{ steps.a['items'] }}", [{"id": 1}, {"id": 2}]),
    ("n={{ steps.a.n }}", "n=3"),
    ("{{ steps.a.n }}{{ steps.a.n }}", "33"),
    ("{{ steps.a.rows | length }}", 2),
])
def test_whole_expression_templates_keep_their_type(source: str, expected: object) -> None:
    value = _render(source, {"steps": STEPS})
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("key", ["items", "values", "keys", "get"])
def test_step_output_keys_named_like_dict_methods_are_data(key: str) -> None:
    assert _render("{{ steps.a." + key + " }}", {"steps": {"a": {key: [1, 2]}}}) == [1, 2]


def test_render_value_renders_nested_templates_with_types() -> None:
    compiled = {"list": compile_template("{{ steps.a.rows }}", file=FILE, line=LINE),
                "nested": [compile_template("id-{{ steps.a.n }}", file=FILE, line=LINE), 5]}
    assert render_value(compiled, {"steps": STEPS}) == {"list": [1, 2], "nested": ["id-3", 5]}


def test_expression_conditions_return_booleans() -> None:
    condition = compile_expression("steps.a.n > 2 and not steps.a.flag", file=FILE, line=LINE)
    assert condition.render({"steps": STEPS}) is True


def test_undefined_values_are_errors_not_blanks() -> None:
    with pytest.raises(TemplateError) as caught:
        _render("{{ steps.missing.text }}", {"steps": STEPS})
    assert str(caught.value) == f"{FILE}:{LINE}: undefined value: 'dict object' has no attribute 'missing'"


def test_syntax_error_reports_file_and_line() -> None:
    with pytest.raises(TemplateError) as caught:
        compile_template("{{ input.text ", file="workflows/x.yaml", line=12)
    assert str(caught.value) == ("workflows/x.yaml:12: template syntax error: unexpected end of template, "
                                 "expected 'end of print statement'. (close the '{{' with '}}')")
    assert (caught.value.file, caught.value.line) == ("workflows/x.yaml", 12)


def test_syntax_error_in_template_file_reports_its_line() -> None:
    with pytest.raises(TemplateError) as caught:
        compile_file("line one\nline two {{ x }}\n{% if %}\n", "prompts/bad.j2")
    assert str(caught.value) == "prompts/bad.j2:3: template syntax error: Expected an expression, got 'end of statement block'"


# -- end to end -------------------------------------------------------------------------------

EVIL = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: evil}
input:
  text: {type: string}
steps:
  - id: first
    skill: echo
    with: {text: "{{ input.text }}"}
  - id: bad
    set:
      x: "{{ ''.__class__.__mro__ }}"
  - return: {reply: "{{ steps.bad.x }}"}
"""


async def test_sandbox_escape_in_a_set_step_fails_the_run_naming_file_and_line(make_project) -> None:
    saver = InMemorySaver()
    engine = Engine(load_project(make_project({"workflows/evil.yaml": EVIL})), checkpointer=saver)
    for tenant in ("alpha", "beta"):
        ctx = engine.dev_context(tenant, "u1", "s1")
        with pytest.raises(TemplateError) as caught:
            await engine.run("evil", ctx, {"text": "hi"})
        assert str(caught.value) == ("workflows/evil.yaml:12: refused by the sandbox: access to attribute "
                                     "'__class__' of 'str' object is unsafe.")
        # Nothing from inside the sandbox reached the run's state.
        state = await engine.compile("evil", tenant).graph.aget_state({"configurable": {"thread_id": ctx.thread_id}})
        assert "bad" not in state.values.get("steps", {})
        assert not state.values.get("output")
        assert "<class" not in repr(state.values)


async def test_template_bomb_in_a_prompt_file_fails_the_run_at_its_line(make_project) -> None:
    bomb = EVIL.replace("evil", "bomb").replace("    set:\n      x: \"{{ ''.__class__.__mro__ }}\"",
                                                "    llm:\n      prompt: prompts/bomb.j2").replace(
        "steps.bad.x", "steps.bad.text")
    engine = Engine(load_project(make_project({
        "workflows/bomb.yaml": bomb,
        "workflows/prompts/bomb.j2": "Answer {{ input.text }}.\n\nPadding: {{ '%0500000000d' % 1 }}\n",
    })), checkpointer=InMemorySaver())
    with pytest.raises(TemplateError) as caught:
        await engine.run("bomb", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert str(caught.value) == ("workflows/prompts/bomb.j2:3: refused by the sandbox: the format width or "
                                 "precision '%0500000000' is refused")


async def test_sandbox_escape_in_a_tenant_override_names_the_tenant_file(make_project) -> None:
    beta = tenant_yaml("beta", "premium", (
        "overrides:\n"
        "  hello:\n"
        "    steps:\n"
        "      first:\n"
        "        with: {text: \"{{ cycler.__init__.__globals__ }}\"}\n"))
    engine = Engine(load_project(make_project(tenants={"alpha": tenant_yaml("alpha"), "beta": beta})))
    # A refusal is the author's mistake: it fails the run, on_error never routes around it.
    with pytest.raises(TemplateError) as caught:
        await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "hi"})
    assert str(caught.value) == ("tenants/beta/tenant.yaml:9: refused by the sandbox: access to attribute "
                                 "'__init__' of 'type' object is unsafe.")
    # The tenant without the override is untouched by it.
    alpha = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert alpha.output == {"reply": "[small-v1] answer"}
    assert alpha.steps["first"] == {"text": "hi", "impl": "shared", "tenant": "alpha"}


async def test_template_syntax_error_in_a_workflow_is_a_compile_problem_with_position(make_project) -> None:
    broken = EVIL.replace("x: \"{{ ''.__class__.__mro__ }}\"", "x: \"{{ input.text \"")
    engine = Engine(load_project(make_project({"workflows/evil.yaml": broken})))
    for tenant in ("alpha", "beta"):
        with pytest.raises(CompileError) as caught:
            engine.compile("evil", tenant)
        [problem] = caught.value.problems
        assert (problem.file, problem.line, problem.col) == ("workflows/evil.yaml", 12, 10)
        assert problem.message == "template syntax error: unexpected end of template, expected 'end of print statement'."
