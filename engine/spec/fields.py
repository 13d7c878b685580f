"""One validator for declared fields: a run's input, a skill's or tool's arguments, an output.

All of them are JSON Schema (Draft 2020-12 unless the schema's ``$schema``
names another draft): a tool's input schema already is one, and the fields a
workflow or prompt skill declares become one (:func:`object_schema`). Each
schema is compiled once and cached by its content. A value that fits is
passed by ``jsonschema-rs`` (Rust, about 0.15 µs); any other is checked again
by ``jsonschema`` (15 to 25 µs), whose errors say where each problem is, and
its verdict stands. So on JSON values the verdict is jsonschema's: the tests
compare the two on random schemas. A schema with a ``pattern`` is left to
jsonschema alone: jsonschema-rs reads a pattern as ECMA 262, jsonschema with
Python's ``re``, and they differ beyond ASCII (``\\W`` takes ``é`` in one and
not the other). A float JSON lacks (inf, nan) is no number to jsonschema-rs:
a ``maximum`` without a ``type`` lets it pass.

Each error becomes a :class:`Violation` that says where (the field
path), what was expected and what was given, by type name only: inputs may
hold personal data, and a value is never copied into a message.

>>> from engine.spec.common import FieldSpec
>>> check = for_fields({"ticket": FieldSpec(type="string", maxLength=5), "n": FieldSpec(type="integer")})
>>> check.messages({"ticket": "too long", "n": "3", "extra": 1})
{'ticket': 'longer than maxLength 5', 'n': 'expected integer, got str', 'extra': 'unknown field (expected: n, ticket)'}
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from engine.spec.common import FieldSpec

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator as JsonSchemaValidator

#: The path of the value itself in :meth:`Validator.messages`.
ROOT = "(input)"

# The output guard's finding types by keyword ("type", "required" and "additionalProperties" are
# placed in _violations); a keyword not listed here is "invalid".
_KINDS = {
    "enum": "not_allowed_value",
    "const": "not_allowed_value",
    "maxLength": "too_long",
    "maxItems": "too_long",
    "minLength": "too_short",
    "minItems": "too_short",
    "minimum": "out_of_range",
    "maximum": "out_of_range",
    "exclusiveMinimum": "out_of_range",
    "exclusiveMaximum": "out_of_range",
}


def _number(bound: Any) -> str:
    return f"{bound:g}" if isinstance(bound, (int, float)) and not isinstance(bound, bool) else repr(bound)


_MESSAGES: dict[str, Callable[[Any], str]] = {
    "enum": lambda bound: f"expected one of {bound}",
    "const": lambda bound: f"expected {bound!r}",
    "maxLength": lambda bound: f"longer than maxLength {bound}",
    "minLength": lambda bound: f"shorter than minLength {bound}",
    "maxItems": lambda bound: f"more than {bound} items",
    "minItems": lambda bound: f"fewer than {bound} items",
    "minimum": lambda bound: f"less than minimum {_number(bound)}",
    "maximum": lambda bound: f"greater than maximum {_number(bound)}",
    "exclusiveMinimum": lambda bound: f"not greater than exclusiveMinimum {_number(bound)}",
    "exclusiveMaximum": lambda bound: f"not less than exclusiveMaximum {_number(bound)}",
    "multipleOf": lambda bound: f"not a multiple of {_number(bound)}",
    "pattern": lambda bound: f"does not match pattern {bound!r}",
    "uniqueItems": lambda bound: "has duplicate items",
    "minProperties": lambda bound: f"fewer than {bound} fields",
    "maxProperties": lambda bound: f"more than {bound} fields",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a value breaks its schema.

    ``path`` is ``""`` for the value itself, else ``ticket`` or ``body.items[2].sku``;
    ``kind`` is the output guard's name for the problem (``wrong_type``, ``too_long``, ...);
    for ``too_long``, ``limit`` and ``size`` are the bound and the actual length.
    """

    path: str
    kind: str
    message: str
    limit: int = 0
    size: int = 0


class InvalidSchema(ValueError):
    """The schema is not JSON Schema, or one of its ``$ref`` does not resolve inside it."""


class Validator:
    """One JSON Schema, compiled once: get it from :func:`for_fields` or :func:`for_schema` (cached)."""

    def __init__(self, schema: Mapping[str, Any]):
        self._fits = _fast_check(schema)
        # jsonschema is built when a value fails the fast check (rare), or now where there is no fast check
        # (a pattern; a schema jsonschema-rs refuses, which jsonschema then reports as InvalidSchema): a
        # process that only ever sees valid values never imports it (37 ms on the first graph it builds).
        self._source = schema
        self._full: JsonSchemaValidator | None = None if self._fits is not None else _full_check(schema)
        properties = schema.get("properties")
        self._order = {name: i for i, name in enumerate(properties)} if isinstance(properties, Mapping) else {}

    @property
    def _schema(self) -> JsonSchemaValidator:
        if self._full is None:
            self._full = _full_check(self._source)
        return self._full

    def violations(self, value: Any) -> list[Violation]:
        """Every way ``value`` breaks the schema, in the order its fields are declared (unknown ones last).

        A field of the wrong type gets that violation only: its other checks say nothing more.
        """
        try:
            if self._fits is not None and self._fits(value):
                return []
        except ValueError:
            pass  # a value JSON has no type for (a mapping that is no dict, an object): jsonschema decides
        from referencing.exceptions import PointerToNowhere, Unresolvable

        try:
            errors = list(self._schema.iter_errors(value))
        except Unresolvable as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Unresolvable) else exc  # jsonschema wraps it
            ref = f"#{cause.ref}" if isinstance(cause, PointerToNowhere) else cause.ref  # a pointer lacks its '#'
            raise InvalidSchema(f"$ref {ref!r} does not resolve inside the schema") from None
        found: list[tuple[int, Violation]] = []
        reported: set[tuple[str, str, int]] = set()
        for error in errors:
            if error.validator in ("required", "additionalProperties"):
                # One error for every missing name, one for all unknown ones: each name is reported once.
                key = (_path(error.absolute_path), str(error.validator), id(error.schema))
                if key in reported:
                    continue
                reported.add(key)
            found += ((self._place(parts), violation) for parts, violation in _violations(error))
        mistyped = {v.path for _, v in found if v.kind in ("wrong_type", "not_an_object")}
        found.sort(key=lambda placed: placed[0])
        return [v for _, v in found if v.path not in mistyped or v.kind in ("wrong_type", "not_an_object")]

    def messages(self, value: Any) -> dict[str, str]:
        """The first violation's message by path (:data:`ROOT` for the value itself); empty if ``value`` fits."""
        found: dict[str, str] = {}
        for violation in self.violations(value):
            found.setdefault(violation.path or ROOT, violation.message)
        return found

    def _place(self, parts: Sequence[str | int]) -> int:
        if not parts:
            return -1
        top = parts[0]
        return self._order.get(top, len(self._order)) if isinstance(top, str) else len(self._order)


def object_schema(fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """The JSON Schema of an object with ``fields``: no other keys; a field with a default is not required."""
    return {
        "type": "object",
        "properties": {name: spec.json_schema() for name, spec in fields.items()},
        "required": [name for name, spec in fields.items() if spec.required and spec.default is None],
        "additionalProperties": False,
    }


def for_fields(fields: Mapping[str, FieldSpec]) -> Validator:
    """The validator of :func:`object_schema` ``(fields)``; fields equal in content share one."""
    held = _held(fields, "fields")
    if held is not None:
        return held
    key = tuple((name, spec.fingerprint) for name, spec in fields.items())
    validator = _compiled.get(key) or _compile(key, lambda: object_schema(fields))
    return _hold(fields, "fields", dict(fields), validator)  # a field spec is frozen: a shallow snapshot will do


def for_schema(schema: Mapping[str, Any], *, closed: bool = False) -> Validator:
    """The validator of a JSON Schema; raises :class:`InvalidSchema` if it is none.

    ``closed``: if the schema lists ``properties`` and says nothing of other keys, they are refused.
    """
    variant = "closed" if closed else "open"
    held = _held(schema, variant)
    if held is not None:
        return held
    compiled = schema
    if closed and "properties" in schema and not {"additionalProperties", "unevaluatedProperties"} & schema.keys():
        compiled = {**schema, "additionalProperties": False}
    key = repr(compiled)  # never fails (a YAML document may hold dates)
    validator = _compiled.get(key) or _compile(key, lambda: compiled)
    return _hold(schema, variant, copy.deepcopy(schema), validator)


def with_defaults(fields: Mapping[str, FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with the declared default of every field it lacks."""
    filled = dict(data)
    for name, spec in fields.items():
        if name not in filled and spec.default is not None:
            filled[name] = spec.default
    return filled


def describe(messages: Mapping[str, str]) -> str:
    """``path: message; path: message``, as errors print them."""
    return "; ".join(f"{path}: {message}" for path, message in messages.items())


# Validators by content (the fields' fingerprints, a schema's repr), and by the identity of the mapping they
# were asked for. Bounded: tool schemas come from MCP servers too, and a long-lived runtime must not grow
# without end.
_CACHE_SIZE = 512
_compiled: dict[Hashable, Validator] = {}
_seen: dict[tuple[int, str], tuple[Mapping[str, Any], Mapping[str, Any], Validator]] = {}


def _held(source: Mapping[str, Any], variant: str) -> Validator | None:
    # A workflow's input fields and a tool's schema are each one long-lived mapping, checked at every call: its
    # validator is found by identity while the mapping equals the snapshot taken when it was first asked for
    # (== runs in C, and a content key costs more to build than the check it finds).
    seen = _seen.get((id(source), variant))
    return seen[2] if seen is not None and seen[0] is source and seen[1] == source else None


def _hold(source: Mapping[str, Any], variant: str, snapshot: Mapping[str, Any], validator: Validator) -> Validator:
    _remember(_seen, (id(source), variant), (source, snapshot, validator))  # holding source keeps its id unique
    return validator


def _compile(key: Hashable, schema: Callable[[], Mapping[str, Any]]) -> Validator:
    # A copy: the cache outlives the caller's dict, which must not change the schema under its key.
    validator = Validator(copy.deepcopy(schema()))
    _remember(_compiled, key, validator)
    return validator


def _remember(cache: dict[Any, Any], key: Hashable, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        try:  # drop the oldest; another thread may have changed the dict meanwhile (as in the re module)
            del cache[next(iter(cache))]
        except (StopIteration, RuntimeError, KeyError):
            pass
    cache[key] = value


def _full_check(schema: Mapping[str, Any]) -> JsonSchemaValidator:
    """jsonschema's validator for ``schema``, whose errors say where each problem is; InvalidSchema if it is none."""
    # Imported here: loading a project (validate, diff) never checks a value and need not pay for it.
    from jsonschema.exceptions import SchemaError
    from referencing import Registry

    cls = _validator_class(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise InvalidSchema(f"{_path(exc.absolute_path) or '(schema)'}: {exc.message}") from None
    # An empty registry: a $ref that leaves the schema is an error, never a download (a tool's
    # schema comes from an MCP server or an OpenAPI document, and must not make us fetch a URL).
    return cls(schema, registry=Registry())


def _fast_check(schema: Mapping[str, Any]) -> Callable[[Any], bool] | None:
    """jsonschema-rs's verdict for ``schema``; None where it reads the schema otherwise or cannot compile it."""
    import jsonschema_rs

    if _has_pattern(schema):
        return None
    # An exception class in every release; typed as one only in the stubs of 0.52 and later.
    referencing = cast("type[Exception]", jsonschema_rs.ReferencingError)
    try:
        # A $ref that leaves the schema is refused here, never downloaded (the default would): offline=True
        # from 0.52, a retriever that refuses before (langgraph-api, the [platform] extra, caps jsonschema-rs
        # below 0.45). No formats: jsonschema, not given a format checker, does not check them either.
        no_fetch: dict[str, Any] = {"offline": True} if _HAS_OFFLINE else {"retriever": _refuse_fetch}
        return jsonschema_rs.validator_for(dict(schema), validate_formats=False, **no_fetch).is_valid
    except (ValueError, referencing):  # ValidationError is a ValueError, as is a date
        return None


def _refuse_fetch(uri: str) -> Any:
    raise ValueError(f"$ref {uri!r} is not fetched")


def _jsonschema_rs_has_offline() -> bool:
    from importlib.metadata import version

    major, minor = (int(part) for part in version("jsonschema-rs").split(".")[:2])
    return (major, minor) >= (0, 52)


_HAS_OFFLINE = _jsonschema_rs_has_offline()


def _has_pattern(schema: Any) -> bool:
    # A property named "pattern" counts too: it only costs that schema the fast path.
    if isinstance(schema, Mapping):
        return "pattern" in schema or "patternProperties" in schema or any(map(_has_pattern, schema.values()))
    return isinstance(schema, list) and any(map(_has_pattern, schema))


@cache
def _checker(base: type[JsonSchemaValidator]) -> type[JsonSchemaValidator]:
    from jsonschema.validators import extend

    # Values come from Python too (a skill's result, a template's): any mapping is an object, a tuple an array.
    types = base.TYPE_CHECKER.redefine_many({
        "object": lambda _, value: isinstance(value, (dict, Mapping)),  # dict first: no ABC check
        "array": lambda _, value: isinstance(value, (list, tuple)),
    })
    return extend(base, type_checker=types)  # type: ignore[no-any-return]


def _validator_class(schema: Mapping[str, Any]) -> type[JsonSchemaValidator]:
    from jsonschema.validators import Draft202012Validator, validator_for

    return _checker(validator_for(schema, default=Draft202012Validator))


def _violations(error: ValidationError) -> Iterator[tuple[Sequence[str | int], Violation]]:
    parts = list(error.absolute_path)
    keyword, bound, instance = str(error.validator), error.validator_value, error.instance
    if keyword == "required":
        for name in bound:
            if name not in instance:
                yield [*parts, name], Violation(_path([*parts, name]), "missing_field", "required field is missing")
        return
    if keyword == "additionalProperties" and bound is False:
        declared = error.schema.get("properties") or {}
        patterns = "|".join(error.schema.get("patternProperties") or {})
        expected = ", ".join(sorted(declared)) or "none"
        for name in instance:
            if name not in declared and not (patterns and isinstance(name, str) and re.search(patterns, name)):
                where = [*parts, str(name)]
                yield where, Violation(_path(where), "unexpected_field", f"unknown field (expected: {expected})")
        return
    path = _path(parts)
    if keyword == "type":
        expected = " or ".join(bound) if isinstance(bound, list) else str(bound)
        given = type(instance).__name__
        if not parts and bound == "object":
            yield parts, Violation(path, "not_an_object", f"expected a JSON object, got {given}")
        else:
            yield parts, Violation(path, "wrong_type", f"expected {expected}, got {given}")
        return
    kind = _KINDS.get(keyword, "invalid")
    message = _MESSAGES[keyword](bound) if keyword in _MESSAGES else f"does not match the schema's '{keyword}'"
    if kind == "too_long":
        yield parts, Violation(path, kind, message, int(bound), len(instance))
    else:
        yield parts, Violation(path, kind, message)


def _path(parts: Sequence[str | int]) -> str:
    """``body.items[2].sku`` for the parts ``body``, ``items``, ``2``, ``sku``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
