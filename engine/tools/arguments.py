"""Check a tool call's arguments against its JSON Schema (engine.spec.fields validates)."""

from __future__ import annotations

from typing import Any

from engine.errors import SkillError
from engine.skills.registry import SkillInputError
from engine.spec.fields import InvalidSchema, describe, for_schema


def check_arguments(tool: str, schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` if they fit ``schema``; raise SkillInputError naming every mismatch.

    A schema that lists ``properties`` and says nothing of others is closed: an argument
    the tool does not declare is refused rather than passed on to the API or MCP server.
    A schema that is not JSON Schema fails the call with a SkillError naming the tool.
    """
    try:
        problems = for_schema(schema, closed=True).messages(arguments)
    except InvalidSchema as exc:
        raise SkillError(tool, f"tool '{tool}' has an input schema that is not valid JSON Schema: {exc}") from None
    if problems:
        raise SkillInputError(f"tool '{tool}' got bad inputs: {describe(problems)}")
    return arguments
