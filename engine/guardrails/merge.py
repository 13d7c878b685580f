"""Layering guardrail configurations: platform, then tier, then tenant.

Layers are the raw mappings read from YAML; the caller validates the result
with :class:`engine.guardrails.config.GuardrailsConfig` and turns errors
into ``file:line`` problems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.guardrails.base import ACTION_STRICTNESS
from engine.guardrails.pii import PII_TYPES

#: Names a ``mandatory`` list may hold. ``denied_terms`` protects
#: ``denied_terms_action``; the terms themselves can only grow (lists union).
MANDATORY_RULES: tuple[str, ...] = (
    *(f"pii.{t}" for t in PII_TYPES),
    "denied_terms",
    "max_input_chars",
    "max_output_chars",
)

_UNIONED = ("denied_terms", "mandatory")
_STRICTNESS_ORDER = "block > redact > flag > off"


@dataclass(frozen=True)
class Loosening:
    """An attempt to make a mandatory rule less strict."""

    rule: str
    required: object
    attempted: object

    def __str__(self) -> str:
        if self.rule.startswith("max_"):
            change = "remove it" if self.attempted is None else f"raise it to {self.attempted}"
            return f"mandatory rule {self.rule} is {self.required}; an overlay may not {change}"
        return (
            f"mandatory rule {self.rule} is {self.required!r}; an overlay may not loosen it to "
            f"{self.attempted!r} (strictness: {_STRICTNESS_ORDER})"
        )


class MandatoryRuleError(ValueError):
    """An overlay tried to loosen one or more mandatory rules; ``loosenings`` lists each."""

    def __init__(self, loosenings: Sequence[Loosening]):
        self.loosenings = tuple(loosenings)
        super().__init__("; ".join(map(str, self.loosenings)))


def merge_configs(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` applied on top of ``base``; neither is modified.

    * A value in ``overlay`` replaces the one in ``base``; ``pii`` is merged
      per PII type, so an overlay names only the types it changes.
    * ``denied_terms`` and ``mandatory`` are unioned (base order first,
      duplicates dropped ignoring case and spacing), so a layer can never
      shrink them.
    * A rule named in ``base["mandatory"]`` may not be loosened: an action
      may only move up ``block > redact > flag > off``, a length limit may
      only go down. A rule protects the value ``base`` sets (for
      ``denied_terms``, the model's default ``block`` if unset); any other
      mandatory rule without a value in ``base`` constrains nothing here.

    Malformed values are copied through unchecked, for the model to report.

    >>> merge_configs({"pii": {"email": "redact", "phone": "redact"}}, {"pii": {"email": "block"}})
    {'pii': {'email': 'block', 'phone': 'redact'}}

    Raises :class:`MandatoryRuleError` (a ValueError) naming every rule the
    overlay tried to loosen.
    """
    merged = {key: _copy(value) for key, value in base.items()}
    for key, value in overlay.items():
        current = merged.get(key)
        if key == "pii" and isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = {**current, **value}
        elif key in _UNIONED and isinstance(current, list) and isinstance(value, list):
            merged[key] = _union(current, value)
        else:
            merged[key] = _copy(value)
    loosenings = [found for rule in _mandatory(base) if (found := _loosening(rule, base, merged))]
    if loosenings:
        raise MandatoryRuleError(loosenings)
    return merged


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _union(first: list[Any], second: list[Any]) -> list[Any]:
    result: list[Any] = []
    seen: set[str] = set()
    for item in [*first, *second]:
        if isinstance(item, str):
            key = " ".join(item.lower().split())
            if key in seen:
                continue
            seen.add(key)
        result.append(item)
    return result


def _mandatory(config: Mapping[str, Any]) -> list[str]:
    rules = config.get("mandatory")
    return [r for r in rules if isinstance(r, str)] if isinstance(rules, list) else []


def _loosening(rule: str, base: Mapping[str, Any], merged: Mapping[str, Any]) -> Loosening | None:
    if rule.startswith("max_"):
        limit, new_limit = base.get(rule), merged.get(rule)
        if isinstance(limit, int) and (new_limit is None or (isinstance(new_limit, int) and new_limit > limit)):
            return Loosening(rule, limit, new_limit)
        return None
    required: object
    attempted: object
    if rule == "denied_terms":
        # The model's default action, so the rule holds even if base never wrote it.
        required, attempted = base.get("denied_terms_action", "block"), merged.get("denied_terms_action", "block")
    elif rule.startswith("pii."):
        required, attempted = _pii_action(base, rule[4:]), _pii_action(merged, rule[4:])
    else:
        return None
    # A missing or malformed action is left for the model to report.
    if not (isinstance(required, str) and isinstance(attempted, str)):
        return None
    rank = ACTION_STRICTNESS
    if required in rank and attempted in rank and rank[attempted] < rank[required]:
        return Loosening(rule, required, attempted)
    return None


def _pii_action(config: Mapping[str, Any], pii_type: str) -> object:
    pii = config.get("pii")
    return pii.get(pii_type) if isinstance(pii, Mapping) else None
