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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, TypedDict, TypeVar, cast

from engine.errors import GuardrailBlocked
from engine.guardrails.base import Action, Detector, Finding, Stage
from engine.guardrails.bedrock import PROVIDERS, BedrockGuardrail, BedrockGuardrailError
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.injection import InjectionDetector
from engine.guardrails.leakage import LeakageIndex
from engine.guardrails.length import MaxLengthDetector
from engine.guardrails.pii import PiiDetector
from engine.guardrails.redact import Placeholders
from engine.guardrails.schema import FormatCheck
from engine.guardrails.secrets import SecretsDetector
from engine.guardrails.terms import DeniedTermsDetector
from engine.guardrails.topics import DeniedTopicsDetector
from engine.spec.common import FieldSpec

T = TypeVar("T")

_SUBJECT: dict[Stage, str] = {"input": "Your message", "output": "The response"}
#: Findings about the whole message or its shape: nothing to mask.
_UNMASKED = frozenset({"length", "format", "provider"})


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
    #: Action for every finding type not in ``actions``.
    action: Action
    actions: Mapping[str, Action] = field(default_factory=dict)
    #: A finding here ends the check: later detectors do not run.
    final: bool = False


@dataclass
class _Pass:
    """One check: who it is for, and what it has found so far."""

    stage: Stage
    records: list[GuardRecord]
    placeholders: Placeholders
    tenant: str | None = None
    #: Findings from a remote provider, by field path, with the provider's action.
    remote: Mapping[str, list[tuple[Finding, Action]]] = field(default_factory=lambda: _NO_REMOTE)
    #: Run only the leakage rule (tool results, retrieved text, memory).
    leakage_only: bool = False
    #: Ids of strings the leakage rule already found clean in this run.
    clean: frozenset[int] = frozenset()


class GuardChain:
    """A configuration's detectors, built once and shared by every tenant using it.

    ``leakage`` holds every tenant's marks; the output guard reports those of
    tenants other than the one it checks for (``tenant=``). ``bedrock``
    overrides the shared client of the configured Bedrock guardrail (tests).

    >>> chain = GuardChain(GuardrailsConfig())
    >>> result = chain.check("mail ann@example.com", "input", "ticket")
    >>> result.text, result.blocked, result.records[0]["type"]
    ('mail [EMAIL]', False, 'email')
    """

    def __init__(self, config: GuardrailsConfig, leakage: LeakageIndex | None = None,
                 bedrock: BedrockGuardrail | None = None):
        self.config = config
        shared: list[_Rule] = []
        pii_actions: dict[str, Action] = {t: a for t, a in config.pii.items() if a != "off"}
        if pii_actions:
            shared.append(_Rule(PiiDetector(pii_actions, mrn_pattern=config.mrn_pattern), "block", pii_actions))
        secret_actions: dict[str, Action] = {t: a for t, a in config.secrets.items() if a != "off"}
        if secret_actions:
            shared.append(_Rule(SecretsDetector(secret_actions), "block", secret_actions))
        if config.denied_terms and config.denied_terms_action != "off":
            shared.append(_Rule(DeniedTermsDetector(config.denied_terms), config.denied_terms_action))
        if config.denied_topics and config.denied_topics_action != "off":
            shared.append(_Rule(DeniedTopicsDetector(config.denied_topics), config.denied_topics_action))
        # Injection is an attack on the model through its input; outputs are not instructions.
        injection = []
        if config.injection.action != "off":
            injection = [_Rule(InjectionDetector(config.injection.threshold), config.injection.action)]
        limits: dict[Stage, int | None] = {"input": config.max_input_chars, "output": config.max_output_chars}
        self._rules: dict[Stage, tuple[_Rule, ...]] = {}
        for stage, limit in limits.items():
            # The length rule runs first: a string over the limit is blocked
            # without scanning it, which bounds the cost of huge inputs.
            length = [_Rule(MaxLengthDetector(limit), "block", final=True)] if limit else []
            self._rules[stage] = (*length, *shared, *(injection if stage == "input" else []))
        self.leakage = leakage if leakage and config.leakage.action != "off" else None
        self._leakage_action: Action = config.leakage.action
        settings = config.bedrock
        self.bedrock: BedrockGuardrail | None = None
        self.bedrock_stages: frozenset[Stage] = frozenset()
        if settings is not None and settings.enabled:
            self.bedrock = bedrock or PROVIDERS.get(settings.guardrail_id, settings.guardrail_version, settings.region)
            self.bedrock_stages = frozenset(settings.stages)

    def __repr__(self) -> str:
        return f"GuardChain({self.config!r})"

    def check(self, text: str, stage: Stage, field: str = "", *, tenant: str | None = None,
              placeholders: Placeholders | None = None) -> GuardResult:
        """Run the ``stage`` rules on ``text``; ``field`` names it in the records.

        ``tenant`` turns on the leakage check (output stage): marks of every
        other tenant are reported. ``placeholders`` keeps redaction
        placeholders consistent across the checks of one run.
        """
        run = _Pass(stage, [], placeholders or Placeholders(), tenant)
        masked_text = self._check(text, field, run)
        blocked, message = verdict(stage, run.records)
        return GuardResult(stage=stage, records=run.records, blocked=blocked, message=message, text=masked_text)

    def check_value(self, value: T, stage: Stage, path: str = "", *, tenant: str | None = None,
                    placeholders: Placeholders | None = None) -> GuardValueResult[T]:
        """Check every string inside ``value`` (dicts, lists and tuples are walked).

        Each string is checked as its own field, named by its dotted path
        (``"ticket"``, ``"items.0.text"``), and the length limit applies to
        each string. Dict keys and non-string leaves pass unchanged, and a
        container in which nothing was redacted is returned as the same object.

        >>> chain = GuardChain(GuardrailsConfig())
        >>> chain.check_value({"items": [{"text": "call 415-555-0100"}]}, "output").value
        {'items': [{'text': 'call [PHONE]'}]}
        """
        return self._check_value(value, _Pass(stage, [], placeholders or Placeholders(), tenant), path)

    async def acheck_value(self, value: T, stage: Stage, path: str = "", *, tenant: str | None = None,
                           placeholders: Placeholders | None = None) -> GuardValueResult[T]:
        """:meth:`check_value`, plus the Bedrock guardrail if one is configured for ``stage``."""
        run = _Pass(stage, [], placeholders or Placeholders(), tenant)
        if self.bedrock is not None and stage in self.bedrock_stages:
            run.remote = await self._apply_bedrock(value, stage, path, run.records)
        return self._check_value(value, run, path)

    def check_leakage(self, value: T, path: str = "", *, tenant: str, placeholders: Placeholders | None = None,
                      clean: frozenset[int] = frozenset()) -> GuardValueResult[T]:
        """Only the leakage rule, on data a run gathered (tool results, retrieved text, memory).

        ``clean`` holds the ids of string objects already found clean by this
        rule in this run (the output often is a step's result, the same object).
        """
        run = _Pass("output", [], placeholders or Placeholders(), tenant, leakage_only=True, clean=clean)
        if self.leakage is None:
            blocked, message = False, ""
            return GuardValueResult(stage="output", records=[], blocked=blocked, message=message, value=value)
        return self._check_value(value, run, path)

    def check_format(self, value: object, fields: Mapping[str, FieldSpec] | FormatCheck,
                     path: str = "") -> list[GuardRecord]:
        """Records for each way ``value`` breaks the declared ``fields`` (none if output_format is off)."""
        action = self.config.output_format
        if action == "off" or not fields:
            return []
        check = fields if isinstance(fields, FormatCheck) else FormatCheck(fields)
        return [_record("output", _join(path, name) if name else path, finding, action, "output_format")
                for name, finding in check(value)]

    def _check_value(self, value: T, run: _Pass, path: str) -> GuardValueResult[T]:
        # _walk keeps the shape (dicts, lists and tuples stay so; other leaves are untouched).
        checked = cast(T, self._walk(value, path, run))
        blocked, message = verdict(run.stage, run.records)
        return GuardValueResult(stage=run.stage, records=run.records, blocked=blocked, message=message, value=checked)

    def _walk(self, value: object, path: _Path, run: _Pass) -> object:
        if isinstance(value, str):
            return self._check(value, path, run)
        if isinstance(value, dict):
            items = {key: self._walk(item, (path, key), run) for key, item in value.items()}
            changed = any(items[key] is not item for key, item in value.items())
            return items if changed else value
        if isinstance(value, (list, tuple)):
            elements = [self._walk(item, (path, index), run) for index, item in enumerate(value)]
            if all(new is old for new, old in zip(elements, value, strict=True)):
                return value
            return tuple(elements) if isinstance(value, tuple) else elements
        return value

    def _check(self, text: str, path: _Path, run: _Pass) -> str:
        masks: list[tuple[int, int, str]] = []
        records = run.records
        stage = run.stage
        found = len(records)
        # Records name the field by its dotted path, built only if the string has findings.
        field = _PENDING if run.remote is _NO_REMOTE else _field(path)
        stopped = False
        if not run.leakage_only:
            for rule in self._rules[stage]:
                findings = rule.detector.scan(text)
                for finding in findings:
                    action = rule.actions.get(finding.type, rule.action)
                    records.append(_record(stage, field, finding, action, rule.detector.name))
                    if action in ("redact", "block") and finding.category not in _UNMASKED:
                        masks.append((finding.start, finding.end, finding.type))
                if findings and rule.final:
                    stopped = True  # over the length limit: not scanned further
                    break
            for finding, action in () if stopped else run.remote.get(field, ()):
                records.append(_record(stage, field, finding, action, "bedrock"))
                if action in ("redact", "block") and finding.end > finding.start:
                    masks.append((finding.start, finding.end, finding.type))
        if (not stopped and stage == "output" and self.leakage is not None and run.tenant is not None
                and id(text) not in run.clean):
            for finding in self.leakage.scan(text, tenant=run.tenant):
                records.append(_record(stage, field, finding, self._leakage_action, "leakage"))
                if self._leakage_action in ("redact", "block"):
                    masks.append((finding.start, finding.end, finding.type))
        if field is _PENDING and len(records) > found:
            named = _field(path)
            for index in range(found, len(records)):
                records[index]["field"] = named
        return _mask(text, masks, run.placeholders) if masks else text

    async def _apply_bedrock(self, value: object, stage: Stage, path: str,
                             records: list[GuardRecord]) -> dict[str, list[tuple[Finding, Action]]]:
        assert self.bedrock is not None and self.config.bedrock is not None
        remote: dict[str, list[tuple[Finding, Action]]] = {}
        for field_path, text in _strings(value, path):
            if not text.strip():
                continue
            try:
                assessment = await self.bedrock.apply(text, stage)
            except BedrockGuardrailError:
                # Fail closed unless the tenant chose to fail open; either way it is on record.
                action: Action = "block" if self.config.bedrock.on_error == "block" else "flag"
                failure = Finding("provider", "bedrock_unavailable", 0, 0, 1.0)
                records.append(_record(stage, field_path, failure, action, "bedrock"))
                break
            if assessment.findings:
                remote[field_path] = assessment.findings
        return remote


def _record(stage: Stage, field: str, finding: Finding, action: Action, detector: str) -> GuardRecord:
    return GuardRecord(stage=stage, field=field, category=finding.category, type=finding.type, action=action,
                       start=finding.start, end=finding.end, confidence=finding.confidence, detector=detector)


def _strings(value: object, path: str) -> list[tuple[str, str]]:
    """(dotted path, string) for every string in ``value``, in the order _walk visits them."""
    if isinstance(value, str):
        return [(path, value)]
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _strings(item, _join(path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += _strings(item, _join(path, index))
    return found


def _mask(text: str, masks: list[tuple[int, int, str]], placeholders: Placeholders) -> str:
    """``text`` with each span replaced by its type's placeholder; overlapping spans merge into the first."""
    pieces: list[str] = []
    cursor = 0
    for start, end, kind in sorted(masks):
        if start < cursor:
            # Overlaps the previous span, which already stands for it; only
            # extend the masked region so no character of it leaks.
            cursor = max(cursor, end)
            continue
        pieces.append(text[cursor:start])
        pieces.append(placeholders.get(kind, text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def verdict(stage: Stage, records: Sequence[GuardRecord]) -> tuple[bool, str]:
    """Whether any record blocks, and the message for the user: finding types only, never values."""
    blocking = sorted({record["type"] for record in records if record["action"] == "block"})
    if not blocking:
        return False, ""
    return True, f"{_SUBJECT[stage]} was blocked by the {stage} guardrail ({', '.join(blocking)})."


#: A dotted path, kept as nested pairs while walking (joined only for strings with findings).
_Path = str | tuple["_Path", object]
_NO_REMOTE: Mapping[str, list[tuple[Finding, Action]]] = {}
_PENDING = "\0pending"


def _field(path: _Path) -> str:
    if isinstance(path, str):
        return path
    parts: list[str] = []
    while not isinstance(path, str):
        path, key = path
        parts.append(str(key))
    if path:
        parts.append(path)
    return ".".join(reversed(parts))


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def chain_for(config: GuardrailsConfig, leakage: LeakageIndex | None = None) -> GuardChain:
    """The shared chain for ``config`` and the project's ``leakage`` index: equal ones get the same object.

    Tenants whose configurations differ only in their own leakage marks
    share a chain (see :meth:`GuardrailsConfig.chain_key`).

    >>> chain_for(GuardrailsConfig()) is chain_for(GuardrailsConfig())
    True
    """
    return _chain_for_key(json.dumps(config.chain_key(), sort_keys=True), leakage)


@lru_cache(maxsize=1024)
def _chain_for_key(key: str, leakage: LeakageIndex | None) -> GuardChain:
    return GuardChain(GuardrailsConfig.model_validate_json(key), leakage)


def clear_chain_cache() -> None:
    """Forget every shared chain (for tests, or after built-in detectors change)."""
    _chain_for_key.cache_clear()
