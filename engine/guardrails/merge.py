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
from engine.guardrails.secrets import SECRET_TYPES

#: Names a ``mandatory`` list may hold. ``denied_terms`` and
#: ``denied_topics`` protect their action; the terms and topics themselves
#: can only grow (lists union). ``injection`` protects its action and
#: threshold (which may only go down), ``leakage`` and ``output_format``
#: their action, ``bedrock`` that the guardrail stays configured and enabled.
MANDATORY_RULES: tuple[str, ...] = (
    *(f"pii.{t}" for t in PII_TYPES),
    *(f"secrets.{t}" for t in SECRET_TYPES),
    "denied_terms",
    "denied_topics",
    "injection",
    "leakage",
    "output_format",
    "max_input_chars",
    "max_output_chars",
    "bedrock",
)

_UNIONED = ("denied_terms", "mandatory")
#: Sections merged key by key, so an overlay names only what it changes.
_PER_KEY = ("pii", "secrets", "injection", "leakage", "bedrock")
_STRICTNESS_ORDER = "block > redact > flag > off"


@dataclass(frozen=True)
class Loosening:
    """An attempt to make a mandatory rule less strict."""

    rule: str
    required: object
    attempted: object
    #: The key path the loosening is written at, if not the rule's own ("leakage.action").
    where: str = ""

    def __str__(self) -> str:
        if self.rule == "injection.threshold":
            return (f"mandatory rule injection has threshold {self.required}; an overlay may not raise it to "
                    f"{self.attempted}")
        if self.rule == "bedrock":
            return f"mandatory rule bedrock requires guardrail {self.required}; an overlay may not {self.attempted}"
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
    for key, value in _yaml_off(overlay).items():
        current = merged.get(key)
        if key in _PER_KEY and isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = {**current, **value}
            for listed in ("markers", "canaries"):
                if isinstance(current.get(listed), list) and isinstance(value.get(listed), list):
                    merged[key][listed] = _union(current[listed], value[listed])
        elif key == "denied_topics" and isinstance(current, dict) and isinstance(value, Mapping):
            topics = dict(current)
            for topic, phrases in value.items():
                known = topics.get(topic)
                both = isinstance(known, list) and isinstance(phrases, list)
                topics[topic] = _union(known, phrases) if both else _copy(phrases)  # type: ignore[arg-type]
            merged[key] = topics
        elif key in _UNIONED and isinstance(current, list) and isinstance(value, list):
            merged[key] = _union(current, value)
        else:
            merged[key] = _copy(value)
    loosenings = [found for rule in _mandatory(base) if (found := _loosening(rule, base, merged))]
    if loosenings:
        raise MandatoryRuleError(loosenings)
    return merged


_ACTION_KEYS = ("denied_terms_action", "denied_topics_action", "output_format")


def _yaml_off(layer: Mapping[str, Any]) -> Mapping[str, Any]:
    """``layer`` with YAML's ``off`` (read as False) turned back into the action ``"off"``."""
    fixed: dict[str, Any] | None = None
    for key, value in layer.items():
        new = value
        if key in ("pii", "secrets") and isinstance(value, Mapping) and False in value.values():
            new = {k: "off" if v is False else v for k, v in value.items()}
        elif key in ("injection", "leakage") and isinstance(value, Mapping) and value.get("action") is False:
            new = {**value, "action": "off"}
        elif key in _ACTION_KEYS and value is False:
            new = "off"
        if new is not value:
            fixed = dict(layer) if fixed is None else fixed
            fixed[key] = new
    return layer if fixed is None else fixed


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
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
    elif rule == "denied_topics":
        required, attempted = base.get("denied_topics_action", "block"), merged.get("denied_topics_action", "block")
    elif rule == "output_format":
        required, attempted = base.get("output_format", "flag"), merged.get("output_format", "flag")
    elif rule in ("injection", "leakage"):
        required, attempted = _section(base, rule).get("action", "block"), _section(merged, rule).get("action", "block")
        if rule == "injection":
            limit, new_limit = _section(base, rule).get("threshold"), _section(merged, rule).get("threshold")
            numbers = (int, float)
            if isinstance(limit, numbers) and isinstance(new_limit, numbers) and new_limit > limit:
                return Loosening("injection.threshold", limit, new_limit)
        if isinstance(required, str) and isinstance(attempted, str):
            rank = ACTION_STRICTNESS
            if required in rank and attempted in rank and rank[attempted] < rank[required]:
                return Loosening(rule, required, attempted, where=f"{rule}.action")
        return None
    elif rule == "bedrock":
        return _bedrock_loosening(base, merged)
    elif rule.startswith("pii."):
        required, attempted = _pii_action(base, rule[4:]), _pii_action(merged, rule[4:])
    elif rule.startswith("secrets."):
        required, attempted = _section(base, "secrets").get(rule[8:]), _section(merged, "secrets").get(rule[8:])
    else:
        return None
    # A missing or malformed action is left for the model to report.
    if not (isinstance(required, str) and isinstance(attempted, str)):
        return None
    rank = ACTION_STRICTNESS
    if required in rank and attempted in rank and rank[attempted] < rank[required]:
        return Loosening(rule, required, attempted)
    return None


def _section(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = config.get(name)
    return section if isinstance(section, Mapping) else {}


def _bedrock_loosening(base: Mapping[str, Any], merged: Mapping[str, Any]) -> Loosening | None:
    before, after = base.get("bedrock"), merged.get("bedrock")
    if not isinstance(before, Mapping) or not before.get("guardrail_id"):
        return None
    required = repr(before["guardrail_id"])
    if not isinstance(after, Mapping):
        return Loosening("bedrock", required, "remove it")
    if after.get("enabled") is False and before.get("enabled", True) is not False:
        return Loosening("bedrock", required, "disable it")
    if after.get("guardrail_id") != before["guardrail_id"]:
        return Loosening("bedrock", required, f"replace it with {after.get('guardrail_id')!r}")
    stages = before.get("stages", ["input", "output"])
    if isinstance(stages, list) and isinstance(after.get("stages", stages), list):
        dropped = [s for s in stages if s not in after.get("stages", stages)]
        if dropped:
            return Loosening("bedrock", required, f"drop stage {', '.join(map(str, dropped))}")
    return None


def _pii_action(config: Mapping[str, Any], pii_type: str) -> object:
    pii = config.get("pii")
    return pii.get(pii_type) if isinstance(pii, Mapping) else None
