"""Turn pydantic validation errors into problems at file:line:col."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from engine.errors import Problem
from engine.spec.hints import closest, did_you_mean
from engine.spec.source import DocPath, Document

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


def _yaml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing (null)"
    return type(value).__name__


def validate(model: type[BaseModel], doc: Document, data: Any = None, root: DocPath = ()) -> tuple[Any, list[Problem]]:
    """Validate ``data`` (default: the whole document) as ``model``."""
    try:
        return model.model_validate(doc.data if data is None else data), []
    except ValidationError as exc:
        return None, problems_from(exc, model, doc, root)


#: pydantic's bound errors: the ctx key holding the bound, and how to say it.
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def problems_from(exc: ValidationError, model: type[BaseModel], doc: Document, root: DocPath = ()) -> list[Problem]:
    problems = []
    errors = exc.errors(include_url=False)
    # A mistyped required key ("modle: small") is reported once, as an unknown
    # key with its did-you-mean, not also as the required key gone missing.
    mistyped = set()
    for err in errors:
        loc = tuple(p for p in err["loc"] if not _is_internal(p))
        if err["type"] == "extra_forbidden":
            meant = closest(str(loc[-1]), known_keys(model, loc[:-1]))
            if meant is not None:
                mistyped.add((*loc[:-1], meant))
    for err in errors:
        loc = tuple(p for p in err["loc"] if not _is_internal(p))
        path = (*root, *loc)
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if kind == "missing" and loc in mistyped:
            continue
        if kind == "extra_forbidden":
            name = str(loc[-1])
            known = known_keys(model, loc[:-1])
            problems.append(doc.problem(path, f"unknown key '{name}'", hint=did_you_mean(name, known),
                                        key=True, code="unknown-key"))
        elif kind == "missing":
            problems.append(doc.problem(path[:-1], f"missing required field '{loc[-1]}'", code="missing-field"))
        elif kind in _TYPE_NAMES:
            got = _yaml_type(err.get("input"))
            problems.append(doc.problem(path, f"expected {_TYPE_NAMES[kind]}, got {got}", code="wrong-type"))
        elif kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            got = err.get("input")
            options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",") if o.strip()]
            hint = did_you_mean(str(got), options) if isinstance(got, str) else ""
            problems.append(doc.problem(path, f"expected {expected}, got {got!r}",
                                        hint="" if hint.startswith("known") else hint, code="bad-value"))
        elif kind in _BOUNDS:
            key, phrase = _BOUNDS[kind]
            problems.append(doc.problem(path, f"expected {phrase} {_number(ctx.get(key))}, got {err.get('input')!r}",
                                        code="out-of-range"))
        elif kind == "too_short":
            least, actual = ctx.get("min_length"), ctx.get("actual_length")
            empty = "an empty list" if ctx.get("field_type") == "List" else "an empty mapping"
            problems.append(doc.problem(path, f"expected at least {least} item{'s' if least != 1 else ''}, "
                                        f"got {actual if actual else empty}", code="too-short"))
        elif kind == "too_long":
            most, actual = ctx.get("max_length"), ctx.get("actual_length")
            problems.append(doc.problem(path, f"expected at most {most} item{'s' if most != 1 else ''}, got {actual}",
                                        code="too-long"))
        elif kind == "string_too_long":
            got = err.get("input")
            length = f", got {len(got)}" if isinstance(got, str) else ""
            problems.append(doc.problem(path, f"expected at most {ctx.get('max_length')} characters{length}",
                                        code="too-long"))
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, "):]
            problems.append(doc.problem(path, message[:1].lower() + message[1:], code="invalid"))
    return problems


#: pydantic's names for its validators and union members in a loc (``function-after[check()]``,
#: ``tagged-union[SkillStep,...]``): lower-case, a bracket right after the name, closed at the end.
_INTERNAL = re.compile(r"[a-z][a-z0-9_-]*\[.*\]", re.DOTALL)


def _is_internal(part: Any) -> bool:
    # pydantic adds validator and union member names to locs; they are not document keys. A document key may
    # hold a bracket too (":[ oops", found by fuzzing): only pydantic's shape counts as internal.
    return isinstance(part, str) and (part.startswith("function-") or _INTERNAL.fullmatch(part) is not None)


def known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed by the model found at ``loc`` inside ``model``."""
    current: Any = model
    for part in loc:
        current = _descend(current, part)
        if current is None:
            return []
    current = _unwrap_model(current)
    if current is None:
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _unwrap_model(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _descend(tp: Any, part: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(tp):
            found = _descend(arg, part)
            if found is not None:
                return found
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, f in tp.model_fields.items():
            if part in (name, f.alias):
                return f.annotation
        return None
    if origin in (list, tuple) and isinstance(part, int):
        args = typing.get_args(tp)
        return args[0] if args else None
    if origin is dict and isinstance(part, str):
        args = typing.get_args(tp)
        return args[1] if len(args) == 2 else None
    return None
