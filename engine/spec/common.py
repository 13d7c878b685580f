"""Pieces shared by every YAML file kind."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from engine.ids import require_id


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors, never ignored, and values are not coerced
    (``attempts: "3"`` is a string where a number belongs, not 3)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, strict=True)


def _check_id(value: str) -> str:
    return require_id("id", value)


Ident = Annotated[str, AfterValidator(_check_id)]

FieldType = Literal["string", "integer", "number", "boolean", "object", "array"]


class FieldSpec(Strict):
    """One field of a workflow's input or output (a small JSON Schema subset).

    ``reply: string`` is shorthand for ``reply: {type: string}``. Frozen: validators
    are compiled once per :attr:`fingerprint` (engine.spec.fields).
    """

    model_config = ConfigDict(frozen=True)

    type: FieldType = "string"
    description: str = ""
    required: bool = True
    default: Any = None
    enum: list[Any] | None = None
    max_length: int | None = Field(default=None, alias="maxLength", ge=0)
    minimum: float | None = None
    maximum: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        if self.description:
            schema["description"] = self.description
        if self.enum is not None:
            schema["enum"] = self.enum
        if self.max_length is not None:
            schema["maxItems" if self.type == "array" else "maxLength"] = self.max_length
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.default is not None:
            schema["default"] = self.default
        return schema

    @cached_property
    def fingerprint(self) -> str:
        """The field's JSON Schema and whether it is required, as canonical JSON."""
        return json.dumps([self.json_schema(), self.required], sort_keys=True, default=repr)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> FieldSpec:
        copied = super().model_copy(update=update, deep=deep)
        # The copy's __dict__ holds this field's cached fingerprint; ``update`` may have made it wrong.
        copied.__dict__.pop("fingerprint", None)
        return copied


class RetrySpec(Strict):
    """How often to try a step and how long to wait between tries."""

    attempts: int = Field(default=1, ge=1, le=20)
    backoff_s: float = Field(default=0.5, ge=0)
    max_backoff_s: float = Field(default=30.0, ge=0)
    multiplier: float = Field(default=2.0, ge=1)


