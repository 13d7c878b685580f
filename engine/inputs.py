"""Check a run's input against the workflow's declared input fields."""

from __future__ import annotations

from typing import Any

from engine.errors import TenantflowError
from engine.spec.common import FieldSpec

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


class InputError(TenantflowError):
    """The input does not match the workflow's input schema; ``fields`` lists each problem by field path."""

    code = "input"

    def __init__(self, workflow: str, fields: dict[str, str]):
        self.workflow, self.fields = workflow, fields
        listed = "; ".join(f"{k}: {v}" for k, v in fields.items())
        super().__init__(f"input does not match workflow '{workflow}': {listed}")


def check_input(workflow: str, fields: dict[str, FieldSpec], data: Any) -> dict[str, Any]:
    """Return the input with defaults filled in, or raise InputError naming every bad field."""
    if not isinstance(data, dict):
        raise InputError(workflow, {"(input)": "expected a JSON object"})
    problems: dict[str, str] = {}
    out = dict(data)
    for name in data:
        if name not in fields:
            problems[name] = f"unknown field (expected: {', '.join(sorted(fields)) or 'none'})"
    for name, spec in fields.items():
        if name not in data:
            if spec.default is not None:
                out[name] = spec.default
            elif spec.required:
                problems[name] = "required field is missing"
            continue
        value = data[name]
        allowed = _PY_TYPES[spec.type]
        if not isinstance(value, allowed) or (spec.type in ("integer", "number") and isinstance(value, bool)):
            problems[name] = f"expected {spec.type}, got {type(value).__name__}"
            continue
        if spec.enum is not None and value not in spec.enum:
            problems[name] = f"expected one of {spec.enum}"
        if spec.max_length is not None and isinstance(value, (str, list)) and len(value) > spec.max_length:
            problems[name] = f"longer than maxLength {spec.max_length}"
        if spec.minimum is not None and isinstance(value, (int, float)) and value < spec.minimum:
            problems[name] = f"less than minimum {spec.minimum:g}"
        if spec.maximum is not None and isinstance(value, (int, float)) and value > spec.maximum:
            problems[name] = f"greater than maximum {spec.maximum:g}"
    if problems:
        raise InputError(workflow, problems)
    return out
