"""The guard chain: a tenant's detectors and actions, compiled once.

Guard nodes call :func:`chain_for` with the tenant's
:class:`~engine.guardrails.config.GuardrailsConfig` and then
:meth:`GuardChain.check` or :meth:`GuardChain.check_value`. Tenants with
equal configurations share one chain, so its regexes compile once.

Records describe what triggered (for graph state, logs and metrics) and
never carry the matched text; a blocked result carries a message that is
safe to show the user.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypedDict, TypeVar, cast

from engine.errors import GuardrailBlocked
from engine.guardrails.base import Action, Detector, Stage
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.length import MaxLengthDetector
from engine.guardrails.pii import PiiDetector
from engine.guardrails.terms import DeniedTermsDetector

T = TypeVar("T")

_SUBJECT: dict[Stage, str] = {"input": "Your message", "output": "The response"}


class GuardRecord(TypedDict):
    """One finding as stored in graph state: JSON-safe, without the matched text."""

    stage: str
    field: str
    category: str
    type: str
    action: str
    start: int
    end: int
    confidence: float
    detector: str


@dataclass(frozen=True)
class GuardOutcome:
    """What a check found; ``message`` is empty unless ``blocked``."""

    stage: Stage
    records: list[GuardRecord]
    blocked: bool
    message: str

    def raise_if_blocked(self) -> None:
        """Raise :class:`~engine.errors.GuardrailBlocked` with the safe message if blocked."""
        if self.blocked:
            raise GuardrailBlocked(self.stage, self.message, self.records)


@dataclass(frozen=True)
class GuardResult(GuardOutcome):
    """The outcome of checking one string.

    ``text`` has every redacted span replaced by a placeholder such as
    ``[EMAIL]``; spans of blocking findings are masked too, so the text is
    safe to log even when the run stops. Record offsets refer to the
    original string.
    """

    text: str


@dataclass(frozen=True)
class GuardValueResult(GuardOutcome, Generic[T]):
    """The outcome of checking every string in a JSON-like value; ``value`` has the same shape."""

    value: T


@dataclass(frozen=True)
class _Rule:
    detector: Detector
    #: Action per finding type the detector reports.
    actions: Mapping[str, Action]
    #: A finding here ends the check: later detectors do not run.
    final: bool = False


class GuardChain:
    """A configuration's detectors, built once and shared by every tenant using it.

    >>> chain = GuardChain(GuardrailsConfig())
    >>> result = chain.check("mail ann@example.com", "input", "ticket")
    >>> result.text, result.blocked, result.records[0]["type"]
    ('mail [EMAIL]', False, 'email')
    """

    def __init__(self, config: GuardrailsConfig):
        self.config = config
        shared: list[_Rule] = []
        pii_actions: dict[str, Action] = {t: a for t, a in config.pii.items() if a != "off"}
        if pii_actions:
            shared.append(_Rule(PiiDetector(pii_actions), pii_actions))
        if config.denied_terms and config.denied_terms_action != "off":
            terms = DeniedTermsDetector(config.denied_terms)
            shared.append(_Rule(terms, {"denied_term": config.denied_terms_action}))
        limits: dict[Stage, int | None] = {"input": config.max_input_chars, "output": config.max_output_chars}
        self._rules: dict[Stage, tuple[_Rule, ...]] = {}
        for stage, limit in limits.items():
            # The length rule runs first: a string over the limit is blocked
            # without scanning it, which bounds the cost of huge inputs.
            length = [_Rule(MaxLengthDetector(limit), {"max_chars": "block"}, final=True)] if limit else []
            self._rules[stage] = (*length, *shared)

    def __repr__(self) -> str:
        return f"GuardChain({self.config!r})"

    def check(self, text: str, stage: Stage, field: str = "") -> GuardResult:
        """Run the ``stage`` rules on ``text``; ``field`` names it in the records."""
        records: list[GuardRecord] = []
        masked_text = self._check(text, stage, field, records)
        blocked, message = _verdict(stage, records)
        return GuardResult(stage=stage, records=records, blocked=blocked, message=message, text=masked_text)

    def check_value(self, value: T, stage: Stage, path: str = "") -> GuardValueResult[T]:
        """Check every string inside ``value`` (dicts, lists and tuples are walked).

        Each string is checked as its own field, named by its dotted path
        (``"ticket"``, ``"items.0.text"``), and the length limit applies to
        each string. Dict keys and non-string leaves pass unchanged, and a
        container in which nothing was redacted is returned as the same object.

        >>> chain = GuardChain(GuardrailsConfig())
        >>> chain.check_value({"items": [{"text": "call 415-555-0100"}]}, "output").value
        {'items': [{'text': 'call [PHONE]'}]}
        """
        records: list[GuardRecord] = []
        # _walk keeps the shape (dicts, lists and tuples stay so; other leaves are untouched).
        checked = cast(T, self._walk(value, stage, path, records))
        blocked, message = _verdict(stage, records)
        return GuardValueResult(stage=stage, records=records, blocked=blocked, message=message, value=checked)

    def _walk(self, value: object, stage: Stage, path: str, records: list[GuardRecord]) -> object:
        if isinstance(value, str):
            return self._check(value, stage, path, records)
        if isinstance(value, dict):
            items = {key: self._walk(item, stage, _join(path, key), records) for key, item in value.items()}
            changed = any(items[key] is not item for key, item in value.items())
            return items if changed else value
        if isinstance(value, (list, tuple)):
            elements = [self._walk(item, stage, _join(path, index), records) for index, item in enumerate(value)]
            if all(new is old for new, old in zip(elements, value, strict=True)):
                return value
            return tuple(elements) if isinstance(value, tuple) else elements
        return value

    def _check(self, text: str, stage: Stage, field: str, records: list[GuardRecord]) -> str:
        masks: list[tuple[int, int, str]] = []
        for rule in self._rules[stage]:
            findings = rule.detector.scan(text)
            for finding in findings:
                action = rule.actions[finding.type]
                records.append(
                    GuardRecord(
                        stage=stage,
                        field=field,
                        category=finding.category,
                        type=finding.type,
                        action=action,
                        start=finding.start,
                        end=finding.end,
                        confidence=finding.confidence,
                        detector=rule.detector.name,
                    )
                )
                if action in ("redact", "block") and finding.category != "length":
                    masks.append((finding.start, finding.end, f"[{finding.type.upper()}]"))
            if findings and rule.final:
                break
        return _mask(text, masks) if masks else text


def _mask(text: str, masks: list[tuple[int, int, str]]) -> str:
    """``text`` with each span replaced by its placeholder; overlapping spans merge into the first."""
    pieces: list[str] = []
    cursor = 0
    for start, end, placeholder in sorted(masks):
        if start < cursor:
            # Overlaps the previous span, which already stands for it; only
            # extend the masked region so no character of it leaks.
            cursor = max(cursor, end)
            continue
        pieces.append(text[cursor:start])
        pieces.append(placeholder)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _verdict(stage: Stage, records: Sequence[GuardRecord]) -> tuple[bool, str]:
    """Whether any record blocks, and the message for the user: finding types only, never values."""
    blocking = sorted({record["type"] for record in records if record["action"] == "block"})
    if not blocking:
        return False, ""
    return True, f"{_SUBJECT[stage]} was blocked by the {stage} guardrail ({', '.join(blocking)})."


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def chain_for(config: GuardrailsConfig) -> GuardChain:
    """The shared chain for ``config``: equal configurations get the same object.

    >>> chain_for(GuardrailsConfig()) is chain_for(GuardrailsConfig())
    True
    """
    return _chain_for_key(json.dumps(config.model_dump(mode="json"), sort_keys=True))


@lru_cache(maxsize=1024)
def _chain_for_key(key: str) -> GuardChain:
    return GuardChain(GuardrailsConfig.model_validate_json(key))


def clear_chain_cache() -> None:
    """Forget every shared chain (for tests, or after built-in detectors change)."""
    _chain_for_key.cache_clear()
