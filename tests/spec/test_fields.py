"""engine.spec.fields: one validator behind a run's input, a skill's or tool's arguments and the output guard."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from engine.errors import SkillError
from engine.guardrails.schema import FormatCheck
from engine.inputs import InputError, check_input
from engine.skills.registry import SkillDef, SkillInputError
from engine.spec.common import FieldSpec
from engine.spec.fields import InvalidSchema, for_fields, for_schema, object_schema
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


def test_a_ref_out_of_the_schema_is_an_error_and_never_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a schema's $ref was fetched")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    remote = {"type": "object", "properties": {"body": {"$ref": "https://schemas.example.test/body.json"}}}
    with pytest.raises(SkillError) as unresolved:
        check_arguments("crm.create", remote, {"body": {}})
    assert str(unresolved.value) == ("tool 'crm.create' has an input schema that is not valid JSON Schema: "
                                     "$ref 'https://schemas.example.test/body.json' does not resolve inside the schema")
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


def test_an_invalid_schema_is_refused_when_compiled() -> None:
    with pytest.raises(InvalidSchema, match=r"^minimum: 'low' is not of type 'number'$"):
        for_schema({"minimum": "low"})
