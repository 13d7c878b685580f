"""One answer of the scripted model double, as its fixtures and workflow tests write it.

Fixture files (``fixtures/scripted.yaml``, loaded by
:mod:`engine.models.scripted_fixture`) and workflow test files
(``model.responses``, :mod:`engine.spec.workflow_test`) hold lists of these.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ScriptedToolCall(BaseModel):
    """A tool call the scripted model makes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    input: dict[str, Any] = Field(default_factory=dict)


class ScriptedResponse(BaseModel):
    """One scripted answer: filters that select it and what it answers."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    step: str | None = None
    workflow: str | None = None
    tenant: str | None = None
    model: str | None = None
    match: str | None = None
    after_tool: bool | None = None
    text: str | None = None
    # ``json`` would shadow BaseModel.json, hence the alias.
    json_: Any = Field(default=None, alias="json")
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    error: str | None = Field(default=None, min_length=1)
    times: int | None = Field(default=None, ge=1)
    #: When streamed: milliseconds before each token (a slow model, to measure time to first token).
    token_delay_ms: float = Field(default=0, ge=0, le=10_000)
    #: When streamed: the stream breaks after this many tokens with this error code (``error_after``).
    break_after: int | None = Field(default=None, ge=0)

    @field_validator("match")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_kind_of_answer(self) -> ScriptedResponse:
        answers = [
            key
            for key, given in (
                ("text", self.text is not None), ("json", self.has_json), ("tool_calls", bool(self.tool_calls))
            )
            if given
        ]
        if self.error is not None and answers:
            raise ValueError(f"'error' cannot be combined with {', '.join(repr(a) for a in answers)}")
        if self.times is not None and self.error is None:
            raise ValueError("'times' only applies to an 'error' response")
        if self.text is not None and self.has_json:
            raise ValueError("give either 'text' or 'json', not both")
        if self.error is None and not answers:
            raise ValueError("a response needs 'text', 'json', 'tool_calls' or 'error'")
        return self

    @property
    def has_json(self) -> bool:
        """Whether the fixture gave ``json`` (``json: null`` counts: it answers ``null``)."""
        return "json_" in self.model_fields_set
