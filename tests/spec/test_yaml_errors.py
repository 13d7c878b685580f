"""YAML-level problems from ``parse_document``: PyYAML's errors said plainly, at the spot to change."""

from __future__ import annotations

import pytest

from engine.spec.source import parse_document


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param("a: 1\nb: {x: 1\nc: 2\n",
                 "f.yaml:3:2: YAML syntax error: expected ',' or '}', but got ':' "
                 "(in the flow mapping that starts at line 2, column 4)", id="unclosed-flow-mapping"),
    pytest.param("tools: [kb.search, billing.get_invoices\nretry: 3\n",
                 "f.yaml:2:6: YAML syntax error: expected ',' or ']', but got ':' "
                 "(in the flow sequence that starts at line 1, column 8)", id="unclosed-flow-sequence"),
    pytest.param("prompt: Answer this: {{ input.text }}\n",
                 "f.yaml:1:20: YAML syntax error: mapping values are not allowed here "
                 "(put quotes around a value that contains ': ')", id="unquoted-colon"),
    pytest.param("kind: Tenant\ntier\nisolation: {memory: silo}\n",
                 "f.yaml:2:1: YAML syntax error: could not find expected ':' "
                 "(a key needs ':' after it, on the same line)", id="key-without-colon"),
    pytest.param("name: 'Alpha Corp\ntier: basic\n",
                 "f.yaml:1:7: YAML syntax error: found unexpected end of stream "
                 "(the quoted scalar that starts here is never closed)", id="unclosed-quote"),
    pytest.param("steps:\n  - id: a\n    skill: echo\n  bad: 1\n",
                 "f.yaml:4:3: YAML syntax error: expected <block end>, but found '?' "
                 "(check the indentation: the keys of one mapping and the items of one list must line up)",
                 id="key-after-list-items"),
    pytest.param("a:\n\tb: 1\n",
                 "f.yaml:2:1: YAML syntax error: found character '\\t' that cannot start any token "
                 "(indent with spaces: YAML does not allow tabs)", id="tab"),
    pytest.param("kind: Tenant\n---\nkind: Tenant\n",
                 "f.yaml:2:1: YAML syntax error: expected a single document in the stream, but found another document",
                 id="two-documents"),
    pytest.param("model: *tier_model\n",
                 "f.yaml:1:8: YAML syntax error: found undefined alias 'tier_model'", id="undefined-alias"),
])
def test_syntax_errors(source, expected):
    doc, problems = parse_document(source, "f.yaml")
    assert doc is None
    assert [str(p) for p in problems] == [expected]
    assert problems[0].code == "yaml-syntax"


@pytest.mark.parametrize(("source", "expected"), [
    pytest.param("a: !!python/object/apply:os.system ['id']\n",
                 "f.yaml:1:4: a: unsupported YAML tag '!!python/object/apply:os.system' "
                 "(tenantflow reads plain YAML: remove the tag)", id="python-tag-on-a-list"),
    pytest.param("a: !env API_KEY\n",
                 "f.yaml:1:4: a: unsupported YAML tag '!env' (tenantflow reads plain YAML: remove the tag)",
                 id="custom-tag"),
    pytest.param("a: !!set {x, y}\n",
                 "f.yaml:1:4: a: unsupported YAML tag '!!set' (tenantflow reads plain YAML: remove the tag)",
                 id="set"),
    pytest.param("defaults: &d {retry: 2}\nstep:\n  <<: *d\n  id: a\n",
                 "f.yaml:3:3: step: YAML merge keys ('<<') are not supported (write the keys out in full)",
                 id="merge-key"),
    pytest.param("a: 1\na: 2\n", "f.yaml:2:1: a: duplicate key 'a' (first set at line 1)", id="duplicate-key"),
    pytest.param("? [a, b]\n: 1\n", "f.yaml:1:3: mapping keys must be plain strings", id="list-as-key"),
])
def test_value_problems_keep_the_rest_of_the_document(source, expected):
    doc, problems = parse_document(source, "f.yaml")
    assert doc is not None
    assert [str(p) for p in problems] == [expected]


def test_plain_yaml_features_still_load():
    doc, problems = parse_document("base: &b {x: 1}\ncopy: *b\nwhen: 2024-05-01\nlist: !!seq [1]\n", "f.yaml")
    assert problems == []
    assert doc is not None and doc.data == {"base": {"x": 1}, "copy": {"x": 1}, "when": "2024-05-01", "list": [1]}
