"""Amazon Bedrock Guardrails as a guard provider, through the ApplyGuardrail API.

A tier or tenant names a guardrail (``bedrock: {guardrail_id, guardrail_version}``);
its guard nodes then send each string they check to ApplyGuardrail (source
``INPUT`` or ``OUTPUT``) besides running the local detectors, and map the
assessments into the same findings:

=========================================  ===============  =============================
assessment                                 category         type
=========================================  ===============  =============================
topicPolicy.topics                         denied_topic     the topic's name
contentPolicy.filters (PROMPT_ATTACK)      injection        prompt_attack
contentPolicy.filters (HATE, ...)          content          hate, insults, ...
wordPolicy.customWords / managedWordLists  denied_term      denied_term / profanity
sensitiveInformationPolicy.piiEntities     pii or secret    email, phone, us_ssn, ...
sensitiveInformationPolicy.regexes         pii              the regex's name
contextualGroundingPolicy.filters          grounding        grounding / relevance
=========================================  ===============  =============================

Actions map ``BLOCKED`` to block, ``ANONYMIZED`` to redact and ``NONE``
(detect-only mode) to flag. A match the service reports is located in the
text to get its offsets, and then dropped: it never reaches a record.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.guardrails.base import Action, Finding, Stage

PROVIDER = "bedrock"

# The guard's own on_error policy decides what a failure means; botocore's
# hidden retries would only add latency in front of it.
# boto3 is imported with the first client: a runtime whose tenants use no Bedrock guardrail never loads it.
_CLIENT_OPTIONS: dict[str, Any] = {"retries": {"mode": "standard", "total_max_attempts": 2}, "connect_timeout": 2,
                                   "read_timeout": 5}

_ACTIONS: dict[str, Action] = {"BLOCKED": "block", "ANONYMIZED": "redact", "NONE": "flag"}
_CONFIDENCE = {"NONE": 0.1, "LOW": 0.4, "MEDIUM": 0.7, "HIGH": 0.9}
#: Bedrock PII entity -> (category, type) in tenantflow's vocabulary; others keep their name, lower-cased.
ENTITY_TYPES: dict[str, tuple[str, str]] = {
    "EMAIL": ("pii", "email"),
    "PHONE": ("pii", "phone"),
    "US_SOCIAL_SECURITY_NUMBER": ("pii", "us_ssn"),
    "CREDIT_DEBIT_CARD_NUMBER": ("pii", "payment_card"),
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": ("pii", "iban"),
    "IP_ADDRESS": ("pii", "ip_address"),
    "AWS_ACCESS_KEY": ("secret", "aws_access_key"),
    "AWS_SECRET_KEY": ("secret", "aws_secret_key"),
    "PASSWORD": ("secret", "password"),
    "PIN": ("secret", "pin"),
}


@dataclass(frozen=True)
class Assessment:
    """What the guardrail said about one text: findings with the action the guardrail chose for each."""

    findings: list[tuple[Finding, Action]]
    intervened: bool


class BedrockGuardrailError(Exception):
    """ApplyGuardrail failed; ``code`` is the AWS error code or exception name (never the request)."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(f"bedrock apply_guardrail failed: {code}")


class BedrockGuardrail:
    """One Bedrock guardrail version, applied to text; one instance is shared by every tenant using it.

    The boto3 client is created on the first call (so configuring a guardrail
    needs neither credentials nor network), and calls run in a worker thread
    because boto3 blocks.

    >>> guardrail = BedrockGuardrail("gr-123abc", "1", region_name="us-east-1")
    >>> # assessment = await guardrail.apply("some text", "input")
    """

    def __init__(self, guardrail_id: str, version: str = "DRAFT", *, client: Any | None = None,
                 region_name: str | None = None):
        self.guardrail_id, self.version = guardrail_id, version
        self._client, self._region_name = client, region_name
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BedrockGuardrail({self.guardrail_id!r}, {self.version!r})"

    async def apply(self, text: str, stage: Stage) -> Assessment:
        """Assess ``text``; raise :class:`BedrockGuardrailError` if the service fails."""
        params = {
            "guardrailIdentifier": self.guardrail_id,
            "guardrailVersion": self.version,
            "source": "INPUT" if stage == "input" else "OUTPUT",
            "content": [{"text": {"text": text}}],
            "outputScope": "INTERVENTIONS",
        }
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, Any] = await asyncio.to_thread(self._call, params)
        except ClientError as error:
            raise BedrockGuardrailError(str(error.response.get("Error", {}).get("Code", "Unknown"))) from error
        except BotoCoreError as error:
            raise BedrockGuardrailError(type(error).__name__) from error
        return parse_response(response, text)

    def _call(self, params: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self._get_client().apply_guardrail(**params)
        return response

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                session = boto3.session.Session()
                self._client = session.client("bedrock-runtime", region_name=self._region_name,
                                              config=Config(**_CLIENT_OPTIONS))
            return self._client


def parse_response(response: Mapping[str, Any], text: str) -> Assessment:
    """The findings of an ApplyGuardrail response, located in ``text``."""
    findings: list[tuple[Finding, Action]] = []
    whole = (0, len(text))
    used: set[tuple[int, int]] = set()

    def locate(match: object) -> tuple[int, int]:
        if not isinstance(match, str) or not match:
            return whole
        start = text.find(match)
        while start != -1 and (start, start + len(match)) in used:
            start = text.find(match, start + 1)
        if start == -1:
            return whole  # the service normalised the match; the finding covers the text
        used.add((start, start + len(match)))
        return start, start + len(match)

    def add(item: Mapping[str, Any], category: str, kind: str, span: tuple[int, int], confidence: float) -> None:
        if item.get("detected") is False:
            return
        action = _ACTIONS.get(str(item.get("action")), "flag")
        findings.append((Finding(category, kind, span[0], span[1], confidence), action))

    for assessment in response.get("assessments") or []:
        for topic in assessment.get("topicPolicy", {}).get("topics", []):
            add(topic, "denied_topic", _name(topic.get("name")), whole, 0.9)
        for content in assessment.get("contentPolicy", {}).get("filters", []):
            kind = str(content.get("type", "content")).lower()
            category = "injection" if kind == "prompt_attack" else "content"
            add(content, category, kind, whole, _CONFIDENCE.get(str(content.get("confidence")), 0.5))
        words = assessment.get("wordPolicy", {})
        for word in words.get("customWords", []):
            add(word, "denied_term", "denied_term", locate(word.get("match")), 1.0)
        for word in words.get("managedWordLists", []):
            add(word, "denied_term", str(word.get("type", "profanity")).lower(), locate(word.get("match")), 1.0)
        sensitive = assessment.get("sensitiveInformationPolicy", {})
        for entity in sensitive.get("piiEntities", []):
            entity_type = str(entity.get("type", ""))
            category, kind = ENTITY_TYPES.get(entity_type, ("pii", entity_type.lower()))
            add(entity, category, kind, locate(entity.get("match")), 0.9)
        for regex in sensitive.get("regexes", []):
            add(regex, "pii", _name(regex.get("name") or "regex"), locate(regex.get("match")), 0.9)
        for grounding in assessment.get("contextualGroundingPolicy", {}).get("filters", []):
            score = grounding.get("score")
            add(grounding, "grounding", str(grounding.get("type", "grounding")).lower(), whole,
                float(score) if isinstance(score, (int, float)) and 0 <= score <= 1 else 0.5)
    return Assessment(findings, response.get("action") == "GUARDRAIL_INTERVENED")


def _name(value: object) -> str:
    """A topic or regex name as a finding type: lower case, words joined by underscores."""
    return "_".join(str(value).lower().split()) or "unnamed"


class GuardrailProviders:
    """Shared guardrail clients, one per (guardrail, version, region); tests install stubbed ones."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str, str | None], BedrockGuardrail] = {}
        self._lock = threading.Lock()

    def get(self, guardrail_id: str, version: str, region_name: str | None) -> BedrockGuardrail:
        key = (guardrail_id, version, region_name)
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                found = self._cache[key] = BedrockGuardrail(guardrail_id, version, region_name=region_name)
            return found

    def install(self, guardrail: BedrockGuardrail, region_name: str | None = None) -> None:
        """Use ``guardrail`` (e.g. on a stubbed client) for its id, version and ``region_name``."""
        with self._lock:
            self._cache[(guardrail.guardrail_id, guardrail.version, region_name)] = guardrail

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


#: The process's guardrail clients.
PROVIDERS = GuardrailProviders()
