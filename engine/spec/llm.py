"""The YAML shape of one LLM call: an ``llm`` step's body, and a prompt skill's ``llm:``."""

from __future__ import annotations

from pydantic import Field

from engine.spec.common import FieldSpec, Strict

#: A prompt ending in one of these names a template file; anything else is the template itself.
PROMPT_SUFFIXES = (".j2", ".jinja", ".jinja2")


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
