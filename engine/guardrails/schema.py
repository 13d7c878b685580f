"""Output format compliance: an output against the fields its workflow or step declares.

Findings are about the structure, not a span of text: ``start`` and ``end``
are 0, except for a string over ``maxLength``, where they span the excess.
Values are never copied into a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.guardrails.base import Finding
from engine.spec.common import FieldSpec

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list, tuple),
}


class FormatCheck:
    """The checks of one output schema, prepared once (guard nodes build it when the graph is built).

    >>> from engine.spec.common import FieldSpec
    >>> [(f, x.type) for f, x in FormatCheck({"reply": FieldSpec(type="string")})({"reply": 3})]
    [('reply', 'wrong_type')]
    """

    def __init__(self, fields: Mapping[str, FieldSpec]):
        self.fields = dict(fields)
        self._checks = [
            (name, _PY_TYPES[spec.type], spec.type in ("integer", "number"), spec.required and spec.default is None,
             spec)
            for name, spec in fields.items()
        ]

    def __bool__(self) -> bool:
        return bool(self._checks)

    def __call__(self, value: Any) -> list[tuple[str, Finding]]:
        """(field name, finding) for every way ``value`` breaks the schema."""
        if not isinstance(value, Mapping):
            return [("", _finding("not_an_object"))]
        problems: list[tuple[str, Finding]] = []
        for name, allowed, numeric, required, spec in self._checks:
            item = value.get(name)
            if item is None:
                if required:
                    problems.append((name, _finding("missing_field")))
                continue
            if not isinstance(item, allowed) or (numeric and isinstance(item, bool)):
                problems.append((name, _finding("wrong_type")))
                continue
            if spec.enum is not None and item not in spec.enum:
                problems.append((name, _finding("not_allowed_value")))
            if spec.max_length is not None and isinstance(item, (str, list)) and len(item) > spec.max_length:
                problems.append((name, Finding("format", "too_long", spec.max_length, len(item), 1.0)))
            if numeric:
                low, high, number = spec.minimum, spec.maximum, float(item)  # type: ignore[arg-type]
                if (low is not None and number < low) or (high is not None and number > high):
                    problems.append((name, _finding("out_of_range")))
        if len(value) > len(self._checks) or any(name not in self.fields for name in value):
            problems += [(str(name), _finding("unexpected_field")) for name in value if name not in self.fields]
        return problems


def check_format(value: Any, fields: Mapping[str, FieldSpec]) -> list[tuple[str, Finding]]:
    """(field name, finding) for every way ``value`` breaks ``fields`` (see :class:`FormatCheck`)."""
    return FormatCheck(fields)(value)


def _finding(kind: str) -> Finding:
    return Finding("format", kind, 0, 0, 1.0)
