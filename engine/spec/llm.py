"""The YAML shape of one LLM call: an ``llm`` step's body, and a prompt skill's ``llm:``."""

from __future__ import annotations

from pydantic import Field, model_validator

from engine.spec.common import FieldSpec, Strict

#: A prompt ending in one of these names a template file; anything else is the template itself.
PROMPT_SUFFIXES = (".j2", ".jinja", ".jinja2")


class HistoryWindow(Strict):
    """How much of the session's conversation an ``llm`` step sends: the newest turns within a bound."""

    messages: int | None = Field(default=None, ge=1, le=10_000)
    tokens: int | None = Field(default=None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _one_bound(self) -> HistoryWindow:
        if (self.messages is None) == (self.tokens is None):
            raise ValueError("give exactly one bound: messages or tokens")
        return self


class LlmSpec(Strict):
    """An LLM step: prompt, model choice and optional structured output."""

    prompt: str
    system: str | None = None
    #: "tier" takes the tenant's model (its own, else its tier's); any other
    #: value pins a catalog alias, allowed only if the tenant's tier allows it.
    model: str = "tier"
    output: dict[str, FieldSpec] | None = None
    tools: list[str] = Field(default_factory=list)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tool_turns: int = Field(default=4, ge=1, le=20)
    #: The session's conversation: ``true`` sends all of it the workflow keeps
    #: (``conversation.keep_messages``), a window the newest turns within a bound.
    #: The step's own turn joins the conversation once the output guard passes it.
    history: bool | HistoryWindow | None = None
    #: Send the answer's text to a streaming client as the model writes it, one sentence at a time,
    #: each sentence checked by the tenant's output rules first (docs/decisions.md, "Streaming").
    stream: bool = False
