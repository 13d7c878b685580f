"""Output format compliance: an output against the fields its workflow or step declares.

Findings are about the structure, not a span of text: ``start`` and ``end``
are 0, except for a value over ``maxLength``, where they span the excess.
Values are never copied into a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.guardrails.base import Finding
from engine.spec.common import FieldSpec
from engine.spec.fields import for_fields


class FormatCheck:
    """The checks of one output schema, prepared once (guard nodes build it when the graph is built).

    A field whose value is ``None`` counts as absent: an LLM step's answer holds
    ``None`` for each optional field the model left out (engine.nodes.llm.parse_output).

    >>> from engine.spec.common import FieldSpec
    >>> [(f, x.type) for f, x in FormatCheck({"reply": FieldSpec(type="string")})({"reply": 3})]
    [('reply', 'wrong_type')]
    """

    def __init__(self, fields: Mapping[str, FieldSpec]):
        self._declared = bool(fields)
        self._validator = for_fields(fields)

    def __bool__(self) -> bool:
        return self._declared

    def __call__(self, value: Any) -> list[tuple[str, Finding]]:
        """(field name, finding) for every way ``value`` breaks the schema."""
        if isinstance(value, Mapping):
            value = {name: item for name, item in value.items() if item is not None}
        return [(v.path, Finding("format", v.kind, v.limit, v.size, 1.0)) for v in self._validator.violations(value)]
