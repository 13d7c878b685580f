"""Check a tool call's arguments against its JSON Schema (top level: names, required, types)."""

from __future__ import annotations

from typing import Any

from engine.skills.registry import SkillInputError

_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float),
                                        "boolean": (bool,), "array": (list,), "object": (dict,)}


def check_arguments(tool: str, schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` if they fit ``schema``; raise SkillInputError naming every mismatch."""
    properties: dict[str, Any] = schema.get("properties") or {}
    problems = [f"{name}: unknown argument" for name in sorted(arguments) if name not in properties]
    problems += [f"{name}: missing" for name in schema.get("required") or [] if name not in arguments]
    for name, value in sorted(arguments.items()):
        expected = (properties.get(name) or {}).get("type")
        allowed = _TYPES.get(expected) if isinstance(expected, str) else None
        if allowed is None:
            continue
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            problems.append(f"{name}: expected {expected}, got {type(value).__name__}")
    if problems:
        raise SkillInputError(f"tool '{tool}' got bad inputs: {'; '.join(problems)}")
    return arguments
