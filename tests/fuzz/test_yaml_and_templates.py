"""Property-based fuzzing of the YAML loader and the template checker: a problem or an error, never a crash or a hang.

Inputs come from hypothesis: arbitrary text, YAML dumped from arbitrary data
(which must load as PyYAML's own loader reads it), edits of the demo's own workflow file, and
template sources assembled from Jinja's tokens and the sandbox's known
traps. Each example must end in a result or a documented error
(:class:`~engine.errors.TenantflowError`, or the problems list), within a
time bound. CI runs a small budget; ``TENANTFLOW_FUZZ_EXAMPLES=5000`` runs
more (examples per test).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.errors import CompileError, SpecError, TenantflowError
from engine.project import load_project
from engine.spec.source import parse_document
from engine.spec.validation import validate
from engine.spec.workflow import WorkflowSpec
from engine.templating import compile_template, render_value
from tests.conftest import FIXTURES_YAML, PROJECT_YAML, REPO, SKILLS_PY, tenant_yaml

EXAMPLES = int(os.environ.get("TENANTFLOW_FUZZ_EXAMPLES", "60"))
#: No single example may take longer than this (a hang would, for ever).
BOUND_S = 5.0
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])
DEMO_WORKFLOW = (REPO / "workflows" / "support-triage.yaml").read_text(encoding="utf-8")

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)


def _bounded(started: float) -> None:
    assert time.perf_counter() - started < BOUND_S


@FUZZ
@given(text=st.text(max_size=400))
def test_any_text_loads_or_is_reported(text: str) -> None:
    started = time.perf_counter()
    doc, problems = parse_document(text, "workflows/fuzz.yaml")
    assert doc is not None or problems
    assert all(p.file == "workflows/fuzz.yaml" and p.message for p in problems)
    if doc is not None:
        validate(WorkflowSpec, doc)  # problems or a spec, never an exception
    _bounded(started)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b and type(a) is type(b))


@FUZZ
@given(value=data)
def test_yaml_dumped_from_any_data_loads_as_pyyaml_loads_it(value: Any) -> None:
    """The loader (with its source positions and bounds) reads what PyYAML's own safe loader reads. Not the
    value itself: PyYAML's emitter writes U+0085 (NEL) bare with ``allow_unicode``, and YAML reads it back as a
    line break (a space), which this test found."""
    text = yaml.safe_dump(value, allow_unicode=True)
    doc, problems = parse_document(text, "f.yaml")
    assert doc is not None and not problems, problems
    assert _equal(doc.data, yaml.safe_load(text)), (doc.data, value)


@FUZZ
@given(start=st.integers(0, len(DEMO_WORKFLOW)), length=st.integers(0, 40),
       insert=st.lists(st.sampled_from([*":-{}[]&*!|>'\"#%@`,? \n\t", "  ", "{{", "}}", "- id:"]),
                       max_size=12).map("".join))
@example(start=0, length=0, insert=":[")  # found by this test: a key with a bracket crashed validation
def test_an_edited_demo_workflow_loads_or_is_reported(start: int, length: int, insert: str) -> None:
    text = DEMO_WORKFLOW[:start] + insert + DEMO_WORKFLOW[start + length:]
    started = time.perf_counter()
    doc, problems = parse_document(text, "workflows/support-triage.yaml")
    if doc is not None:
        spec, more = validate(WorkflowSpec, doc)
        assert spec is not None or more
    _bounded(started)


JINJA = st.sampled_from([
    "{{", "}}", "{%", "%}", "{#", "#}", " ", "input.text", "steps.a.text", "steps['a']", "memory", "loop.index",
    "|", "upper", "tojson", "join(',')", "length", "default('x')", "(", ")", "[", "]", "'", '"', ",", ".", "~",
    "+", "*", "**", "//", "%", "9", "99999999", "1e308", "-", "range(", "for x in ", "endfor", "if ", "else",
    "endif", "set y = ", "macro m()", "endmacro", "__class__", "__globals__", "mro()", "format(", "'%s' % ",
    "'{0}'.format", "lipsum", "cycler", "namespace(", "self", "caller", "\n", "{{ '' }}", "x", "y",
])
VARIABLES = {"input": {"text": "hello", "n": 3, "items": [1, 2, 3]}, "steps": {"a": {"text": "t", "score": 0.5}},
             "memory": {}, "tenant": {"id": "alpha"}, "user": {"id": "u1"}}


@FUZZ
@given(parts=st.lists(JINJA, max_size=14))
def test_any_template_compiles_and_renders_or_is_refused_in_bounded_time(parts: list[str]) -> None:
    source = "".join(parts)
    started = time.perf_counter()
    try:
        template = compile_template(source, file="workflows/fuzz.yaml", line=3)
        render_value(template, VARIABLES)
    except TenantflowError:
        pass
    _bounded(started)


WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {{name: fuzz}}
input:
  text: {{type: string}}
  n: {{type: integer}}
steps:
  - id: first
    skill: echo
    with: {{text: "{{{{ input.text }}}}"}}
  - id: decide
    switch:
      - when: {when}
        goto: done
    default: done
  - id: done
    return: {{out: {value}}}
"""


@settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
@given(when=st.lists(JINJA.filter(lambda p: "{" not in p and "}" not in p and "\n" not in p), min_size=1,
                     max_size=8),
       value=st.lists(JINJA.filter(lambda p: "\n" not in p), max_size=8))
def test_the_template_checker_reports_any_template_in_a_workflow(tmp_path_factory: Any, when: list[str],
                                                                 value: list[str]) -> None:
    root = Path(tmp_path_factory.mktemp("fuzz"))
    files = {"tenantflow.yaml": PROJECT_YAML, "fixtures/scripted.yaml": FIXTURES_YAML, "skills/shared.py": SKILLS_PY,
             "tenants/alpha/tenant.yaml": tenant_yaml("alpha"),
             "workflows/fuzz.yaml": WORKFLOW.format(when=json.dumps("".join(when)), value=json.dumps("".join(value)))}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    started = time.perf_counter()
    try:
        from engine.engine import Engine

        Engine(load_project(root)).compile("fuzz", "alpha")
    except (SpecError, CompileError) as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    _bounded(started)
