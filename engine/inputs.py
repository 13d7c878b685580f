"""Check a run's input against the workflow's declared input fields (engine.spec.fields validates)."""

from __future__ import annotations

from typing import Any

from engine.errors import TenantflowError
from engine.spec.common import FieldSpec
from engine.spec.fields import describe, for_fields, with_defaults


class InputError(TenantflowError):
    """The input does not match the workflow's input schema; ``fields`` lists each problem by field path."""

    code = "input"

    def __init__(self, workflow: str, fields: dict[str, str]):
        self.workflow, self.fields = workflow, fields
        super().__init__(f"input does not match workflow '{workflow}': {describe(fields)}")


def check_input(workflow: str, fields: dict[str, FieldSpec], data: Any) -> dict[str, Any]:
    """Return the input with defaults filled in, or raise InputError naming every bad field."""
    problems = for_fields(fields).messages(data)
    if problems:
        raise InputError(workflow, problems)
    return with_defaults(fields, data)
