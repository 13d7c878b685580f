"""engine.spec.fields: one validator behind a run's input, a skill's or tool's arguments and the output guard."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from engine.errors import SkillError
from engine.guardrails.schema import FormatCheck
from engine.inputs import InputError, check_input
from engine.skills.registry import SkillDef, SkillInputError
from engine.spec import fields as fields_module
from engine.spec.common import FieldSpec
from engine.spec.fields import InvalidSchema, Validator, for_fields, for_schema, object_schema
from engine.spec.skill import SkillSpec
from engine.tools.arguments import check_arguments


def fields(**declared: Any) -> dict[str, FieldSpec]:
    return {name: FieldSpec.model_validate(spec) for name, spec in declared.items()}


def input_problems(declared: dict[str, FieldSpec], data: Any) -> dict[str, str]:
    with pytest.raises(InputError) as refused:
        check_input("w", declared, data)
    return refused.value.fields


# -- types --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "good", "bad", "message"), [
    ("string", "text", 3, "expected string, got int"),
    ("integer", 3, "3", "expected integer, got str"),
    ("integer", -7, 2.5, "expected integer, got float"),
    ("integer", 0, True, "expected integer, got bool"),
    ("number", 2.5, True, "expected number, got bool"),
    ("number", 3, "3.5", "expected number, got str"),
    ("boolean", False, 0, "expected boolean, got int"),
    ("object", {"a": 1}, [1], "expected object, got list"),
    ("array", [1, "a"], {"a": 1}, "expected array, got dict"),
    ("string", "text", None, "expected string, got NoneType"),
])
def test_each_type_takes_its_values_and_names_what_it_got(kind: str, good: Any, bad: Any, message: str) -> None:
    declared = fields(v=kind)
    assert check_input("w", declared, {"v": good}) == {"v": good}
    assert input_problems(declared, {"v": bad}) == {"v": message}


def test_json_schema_types_an_integral_float_as_an_integer_and_python_values_fit_their_json_types() -> None:
    declared = fields(n="integer", items="array", meta="object")
    data = {"n": 3.0, "items": ("a", "b"), "meta": MappingProxyType({"k": "v"})}
    assert check_input("w", declared, data) == data


def test_a_value_that_is_not_an_object_is_refused_as_a_whole() -> None:
    assert input_problems(fields(v="string"), ["v"]) == {"(input)": "expected a JSON object, got list"}
    assert input_problems(fields(v="string"), "v") == {"(input)": "expected a JSON object, got str"}


# -- constraints --------------------------------------------------------------------------------

def test_string_max_length() -> None:
    declared = fields(text={"type": "string", "maxLength": 5})
    assert check_input("w", declared, {"text": "12345"}) == {"text": "12345"}
    assert input_problems(declared, {"text": "123456"}) == {"text": "longer than maxLength 5"}


def test_array_max_length_counts_items() -> None:
    declared = fields(tags={"type": "array", "maxLength": 2})
    assert check_input("w", declared, {"tags": ["a", "b"]}) == {"tags": ["a", "b"]}
    assert input_problems(declared, {"tags": ["a", "b", "c"]}) == {"tags": "more than 2 items"}
    assert [(name, f.type, f.start, f.end) for name, f in FormatCheck(declared)({"tags": ["a", "b", "c"]})] == [
        ("tags", "too_long", 2, 3)]


def test_enum() -> None:
    declared = fields(kind={"type": "string", "enum": ["billing", "other"]})
    assert check_input("w", declared, {"kind": "other"}) == {"kind": "other"}
    assert input_problems(declared, {"kind": "sales"}) == {"kind": "expected one of ['billing', 'other']"}


def test_a_value_of_the_wrong_type_is_reported_once_not_also_as_outside_the_enum() -> None:
    declared = fields(kind={"type": "string", "enum": ["a"]})
    assert input_problems(declared, {"kind": 1}) == {"kind": "expected string, got int"}
    assert [(name, f.type) for name, f in FormatCheck(declared)({"kind": 1})] == [("kind", "wrong_type")]


@pytest.mark.parametrize(("value", "problem"), [
    (0, None), (5.5, None), (2, None), (-0.5, "less than minimum 0"), (6, "greater than maximum 5.5"),
])
def test_number_bounds_are_inclusive(value: float, problem: str | None) -> None:
    declared = fields(seconds={"type": "number", "minimum": 0, "maximum": 5.5})
    if problem is None:
        assert check_input("w", declared, {"seconds": value}) == {"seconds": value}
    else:
        assert input_problems(declared, {"seconds": value}) == {"seconds": problem}


def test_required_optional_and_defaults() -> None:
    declared = fields(ticket="string", lang={"type": "string", "default": "en"},
                      tag={"type": "string", "required": False})
    assert check_input("w", declared, {"ticket": "t"}) == {"ticket": "t", "lang": "en"}
    assert check_input("w", declared, {"ticket": "t", "lang": "fr", "tag": "x"}) == {
        "ticket": "t", "lang": "fr", "tag": "x"}
    assert input_problems(declared, {"lang": "fr"}) == {"ticket": "required field is missing"}


def test_unknown_keys_name_the_declared_ones() -> None:
    assert input_problems(fields(b="string", a="string"), {"a": "x", "b": "y", "c": 1}) == {
        "c": "unknown field (expected: a, b)"}
    assert input_problems({}, {"c": 1}) == {"c": "unknown field (expected: none)"}


def test_every_problem_is_reported_in_the_declared_order_unknown_fields_last() -> None:
    declared = fields(ticket={"type": "string", "maxLength": 3}, customer_id="string", n="integer")
    with pytest.raises(InputError) as refused:
        check_input("triage", declared, {"zzz": 1, "ticket": "long", "n": "1"})
    assert str(refused.value) == (
        "input does not match workflow 'triage': ticket: longer than maxLength 3; "
        "customer_id: required field is missing; n: expected integer, got str; "
        "zzz: unknown field (expected: customer_id, n, ticket)")


# -- nested values (tool schemas) ------------------------------------------------------------------

ORDER = {
    "type": "object",
    "properties": {
        "customer_id": {"type": "string", "pattern": "^cus_"},
        "body": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
                "note": {"type": ["string", "null"]},
            },
            "required": ["items"],
            "additionalProperties": False,
        },
    },
    "required": ["customer_id", "body"],
    "$defs": {"item": {"type": "object", "properties": {"sku": {"type": "string"},
                                                        "qty": {"type": "integer", "minimum": 1}},
                       "required": ["sku"]}},
}


def test_nested_objects_and_arrays_are_checked_with_their_paths() -> None:
    good = {"customer_id": "cus_1", "body": {"items": [{"sku": "a", "qty": 2}], "note": None}}
    assert check_arguments("shop.order", ORDER, good) is good
    with pytest.raises(SkillInputError) as refused:
        check_arguments("shop.order", ORDER, {"customer_id": "c1", "body": {
            "items": [{"sku": "a", "qty": 0}, {"qty": 1}, "x"], "note": 3, "gift": True}})
    assert str(refused.value) == (
        "tool 'shop.order' got bad inputs: customer_id: does not match pattern '^cus_'; "
        "body.items[0].qty: less than minimum 1; body.items[1].sku: required field is missing; "
        "body.items[2]: expected object, got str; body.note: expected string or null, got int; "
        "body.gift: unknown field (expected: items, note)")
    with pytest.raises(SkillInputError) as empty:
        check_arguments("shop.order", ORDER, {"customer_id": "cus_1", "body": {"items": []}})
    assert str(empty.value) == "tool 'shop.order' got bad inputs: body.items: fewer than 1 items"


def test_a_tool_schema_that_lists_properties_is_closed_unless_it_says_otherwise() -> None:
    closed = {"type": "object", "properties": {"q": {"type": "string"}}}
    with pytest.raises(SkillInputError) as refused:
        check_arguments("kb.search", closed, {"q": "x", "limit": 3})
    assert str(refused.value) == "tool 'kb.search' got bad inputs: limit: unknown field (expected: q)"
    assert check_arguments("kb.search", {**closed, "additionalProperties": True}, {"q": "x", "limit": 3})


def test_a_schema_naming_an_older_draft_is_read_as_that_draft() -> None:
    pair = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
            "properties": {"pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}}}
    with pytest.raises(SkillInputError) as refused:
        check_arguments("t", pair, {"pair": ["a", "b"]})
    assert str(refused.value) == "tool 't' got bad inputs: pair[1]: expected integer, got str"


def test_a_tool_schema_that_is_not_json_schema_fails_the_call_with_the_tool_named() -> None:
    with pytest.raises(SkillError) as broken:
        check_arguments("crm.find", {"type": "object", "properties": {"n": {"type": "int"}}}, {"n": 1})
    assert str(broken.value).startswith(
        "tool 'crm.find' has an input schema that is not valid JSON Schema: properties.n.type: 'int' is not valid")


@contextmanager
def schema_server() -> Iterator[tuple[str, list[str]]]:
    """A JSON Schema at an http:// URL on 127.0.0.1; the list holds every path requested."""
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            requested.append(self.path)
            body = json.dumps({"type": "object"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/body.json", requested
    finally:
        server.shutdown()
        server.server_close()


def test_a_ref_out_of_the_schema_is_an_error_and_never_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a schema's $ref was fetched")

    monkeypatch.setattr("urllib.request.urlopen", no_network)  # jsonschema's way out
    for proxy in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):  # so a fetch would reach the server
        monkeypatch.delenv(proxy, raising=False)
    with schema_server() as (url, requested):
        remote = {"type": "object", "properties": {"body": {"$ref": url}}}
        # jsonschema-rs's own default: it fetches, and the server sees it (before 0.52 it then fails to read it)
        with contextlib.suppress(ValueError):
            jsonschema_rs.validator_for(remote)
        deadline = time.monotonic() + 5  # a release that gives up early may leave the request in flight
        while not requested and time.monotonic() < deadline:
            time.sleep(0.01)
        assert requested == ["/body.json"]
        requested.clear()
        with pytest.raises(SkillError) as unresolved:
            check_arguments("crm.create", remote, {"body": {}})
        assert str(unresolved.value) == ("tool 'crm.create' has an input schema that is not valid JSON Schema: "
                                         f"$ref '{url}' does not resolve inside the schema")
        assert requested == []
    left_behind = {"type": "object", "properties": {"body": {"$ref": "#/components/schemas/Body"}}}
    with pytest.raises(SkillError, match=r"\$ref '#/components/schemas/Body' does not resolve"):
        check_arguments("crm.create", left_behind, {"body": {}})


# -- one validator, three entry points -------------------------------------------------------------

TRIAGE = fields(ticket={"type": "string", "maxLength": 8}, category={"type": "string", "enum": ["billing", "other"]},
                score={"type": "number", "minimum": 0, "maximum": 1}, urgent={"type": "boolean", "required": False})


@pytest.mark.parametrize(("data", "expected"), [
    ({"ticket": "refund", "category": "billing", "score": 0.5}, {}),
    ({"ticket": "refund", "category": "billing", "score": 1, "urgent": True}, {}),
    ({"ticket": "a refund please", "category": "sales", "score": 2, "urgent": "yes", "extra": 1}, {
        "ticket": ("too_long", "longer than maxLength 8"),
        "category": ("not_allowed_value", "expected one of ['billing', 'other']"),
        "score": ("out_of_range", "greater than maximum 1"),
        "urgent": ("wrong_type", "expected boolean, got str"),
        "extra": ("unexpected_field", "unknown field (expected: category, score, ticket, urgent)")}),
    ({"category": "other", "score": "high"}, {
        "ticket": ("missing_field", "required field is missing"),
        "score": ("wrong_type", "expected number, got str")}),
    ([], {"(input)": ("not_an_object", "expected a JSON object, got list")}),
])
def test_the_same_fields_give_the_same_verdict_at_every_entry_point(data: Any, expected: dict[str, tuple[str, str]],
                                                                    ) -> None:
    messages = {path: message for path, (_, message) in expected.items()}
    listed = "; ".join(f"{path}: {message}" for path, message in messages.items())
    skill = SkillDef("skill", "triage", "1", "shared", "skills/triage.yaml", prompt=SkillSpec.model_validate({
        "apiVersion": "tenantflow/v1", "kind": "Skill", "metadata": {"name": "triage"},
        "input": {name: spec.model_dump(by_alias=True) for name, spec in TRIAGE.items()}, "llm": {"prompt": "x"}}))
    # the workflow's input
    if expected:
        assert input_problems(TRIAGE, data) == messages
    else:
        assert check_input("w", TRIAGE, data) == data
    # a prompt skill's arguments and a tool's arguments, against the fields' JSON Schema
    for entry, prefix, call in [
        ("skill", "skill 'triage'", lambda: skill.validate_inputs(data)),
        ("tool", "tool 'triage'", lambda: check_arguments("triage", object_schema(TRIAGE), data)),
    ]:
        if expected:
            with pytest.raises(SkillInputError) as refused:
                call()
            assert str(refused.value) == f"{prefix} got bad inputs: {listed}", entry
        else:
            assert call() == data, entry
    # the output guard
    found = [(path or "(input)", finding.type) for path, finding in FormatCheck(TRIAGE)(data)]
    assert found == [(path, kind) for path, (kind, _) in expected.items()]


def test_the_output_guard_takes_none_for_an_absent_field() -> None:
    # An LLM step's answer holds None for each optional field the model left out (parse_output).
    check = FormatCheck(TRIAGE)
    assert check({"ticket": "x", "category": "other", "score": 0, "urgent": None}) == []
    assert [(path, f.type) for path, f in check({"ticket": None, "category": "other", "score": 0})] == [
        ("ticket", "missing_field")]


# -- compiled once -------------------------------------------------------------------------------

def test_each_schema_is_compiled_once_and_fields_equal_in_content_share_it() -> None:
    assert for_fields(fields(a="string", n={"type": "integer", "maximum": 3})) is for_fields(
        fields(a="string", n={"type": "integer", "maximum": 3}))
    assert for_fields(fields(a="string")) is not for_fields(fields(a={"type": "string", "required": False}))
    schema = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    assert for_schema(schema) is for_schema(dict(schema))


def test_a_field_spec_is_frozen_so_its_cached_validator_stays_true() -> None:
    spec = FieldSpec(type="string", maxLength=3)
    with pytest.raises(ValueError, match="frozen"):
        spec.max_length = 10  # type: ignore[misc]
    assert spec.fingerprint == '[{"maxLength": 3, "type": "string"}, true]'
    assert spec.model_copy(update={"max_length": 9}).fingerprint == '[{"maxLength": 9, "type": "string"}, true]'


def test_a_tool_schema_is_found_by_identity_until_it_is_changed_in_place() -> None:
    schema: dict[str, Any] = {"type": "object", "properties": {"q": {"type": "string", "maxLength": 3}}}
    closed = for_schema(schema, closed=True)
    assert for_schema(schema, closed=True) is closed
    assert for_schema(schema) is not closed  # open: another schema
    assert closed.messages({"q": "abcd", "n": 1}) == {
        "q": "longer than maxLength 3", "n": "unknown field (expected: q)"}
    schema["properties"]["q"]["maxLength"] = 5
    assert for_schema(schema, closed=True) is not closed
    assert check_arguments("kb.search", schema, {"q": "abcd"}) == {"q": "abcd"}


def test_fields_are_found_by_identity_until_the_mapping_changes() -> None:
    declared = fields(ticket="string")
    first = for_fields(declared)
    assert for_fields(declared) is first
    declared["n"] = FieldSpec(type="integer")
    assert for_fields(declared) is not first
    assert check_input("w", declared, {"ticket": "t", "n": 1}) == {"ticket": "t", "n": 1}
    assert input_problems(declared, {"ticket": "t"}) == {"n": "required field is missing"}


def test_the_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields_module, "_CACHE_SIZE", 3)
    monkeypatch.setattr(fields_module, "_compiled", {})
    monkeypatch.setattr(fields_module, "_seen", {})
    schemas = [{"type": "object", "properties": {"q": {"type": "string", "maxLength": n}}} for n in range(5)]
    validators = [for_schema(schema) for schema in schemas]
    assert len(fields_module._compiled) == len(fields_module._seen) == 3
    assert for_schema(schemas[-1]) is validators[-1]
    assert for_schema(dict(schemas[0])) is not validators[0]  # the oldest was dropped


# -- the fast path -------------------------------------------------------------------------------

def test_a_value_that_fits_is_passed_without_jsonschema_which_explains_one_that_does_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    check = for_fields(fields(ticket={"type": "string", "maxLength": 8}))
    explained: list[Any] = []
    iter_errors = type(check._schema).iter_errors

    def spy(validator: Any, value: Any) -> Any:
        explained.append(value)
        return iter_errors(validator, value)

    monkeypatch.setattr(type(check._schema), "iter_errors", spy)
    assert check.messages({"ticket": "refund"}) == {}
    assert explained == []
    assert check.messages({"ticket": "a refund please"}) == {"ticket": "longer than maxLength 8"}
    # a mapping that is no dict: jsonschema-rs takes no such value, jsonschema does
    assert check.messages(MappingProxyType({"ticket": "refund"})) == {}
    assert explained == [{"ticket": "a refund please"}, MappingProxyType({"ticket": "refund"})]


def test_a_pattern_is_read_as_pythons_re_does() -> None:
    # jsonschema-rs reads patterns as ECMA 262, where \W takes 'é' and $ no final newline: jsonschema decides.
    check = for_schema({"type": "object", "properties": {"sep": {"type": "string", "pattern": "^\\W$"},
                                                         "line": {"type": "string", "pattern": "^a$"}}})
    assert check.messages({"sep": "é", "line": "a"}) == {"sep": "does not match pattern '^\\\\W$'"}
    assert check.messages({"sep": "-", "line": "a\n"}) == {}


def test_an_infinite_float_is_no_number_to_the_fast_path_so_a_bound_needs_a_type() -> None:
    assert for_schema({"maximum": 1}).messages(float("inf")) == {}
    assert for_schema({"type": "number", "maximum": 1}).messages(float("inf")) == {"(input)": "greater than maximum 1"}


def _random_schema(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    kind = rng.choice(["string", "integer", "number", "boolean", "object", "array", None, ["string", "null"]])
    if kind is not None:
        schema["type"] = kind
    for keyword, bounds in [("enum", [[1, "a"], [True, 0], [1.0, None, [1]], ["billing", "other"]]),
                            ("const", [1, True, "a", 0, None]), ("maxLength", [0, 2]), ("minLength", [1, 3]),
                            ("maxItems", [0, 2]), ("minItems", [1, 2]), ("minimum", [0, 2.5]), ("maximum", [1, 5.5]),
                            ("exclusiveMinimum", [0]), ("exclusiveMaximum", [5]), ("multipleOf", [2, 0.5]),
                            ("uniqueItems", [True]), ("minProperties", [1]), ("maxProperties", [1])]:
        if rng.random() < 0.12:
            schema[keyword] = rng.choice(bounds)
    if depth < 2 and rng.random() < 0.4:
        schema["properties"] = {name: _random_schema(rng, depth + 1) for name in rng.sample("abcn", rng.randint(1, 3))}
        schema["required"] = rng.sample(sorted(schema["properties"]), rng.randint(0, len(schema["properties"])))
        schema["additionalProperties"] = rng.random() < 0.5
    if depth < 2 and rng.random() < 0.3:
        schema["items"] = _random_schema(rng, depth + 1)
    return schema


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    scalars = ["", "a", "abc", "billing", "zz", "é", 0, 1, -1, 2, 10**20, 0.5, 2.5, 3.0, -0.5, True, False, None]
    if depth >= 2 or rng.random() < 0.6:
        return rng.choice(scalars)
    if rng.random() < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice("abcnz"): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def test_the_verdict_is_jsonschemas_on_random_schemas_and_json_values() -> None:
    # jsonschema-rs alone passes a value: it must never pass one that jsonschema refuses.
    rng = random.Random(20261207)
    verdicts = []
    for _ in range(300):
        schema = _random_schema(rng)
        check, reference = Validator(schema), jsonschema.Draft202012Validator(schema)
        assert check._fits is not None, schema  # jsonschema-rs takes every one of these schemas
        for value in (_random_value(rng) for _ in range(20)):
            verdicts.append((schema, value, check.violations(value) == [], reference.is_valid(value)))
    assert [v for v in verdicts if v[2] != v[3]] == []
    assert 0.1 < sum(v[3] for v in verdicts) / len(verdicts) < 0.9  # each verdict is given a good share


def test_an_invalid_schema_is_refused_when_compiled() -> None:
    with pytest.raises(InvalidSchema, match=r"^minimum: 'low' is not of type 'number'$"):
        for_schema({"minimum": "low"})
