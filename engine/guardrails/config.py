"""The validated guardrail configuration of one tenant.

Validation starts from the built-in profile the configuration names (see
:mod:`engine.guardrails.profiles`) and applies the given values on top with
:func:`engine.guardrails.merge.merge_configs`. So the model always holds the
complete, effective rules, and validating it again changes nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from engine.guardrails.base import Action, Stage
from engine.guardrails.injection import DEFAULT_THRESHOLD
from engine.guardrails.merge import MANDATORY_RULES, merge_configs
from engine.guardrails.pii import PII_TYPES, PiiType
from engine.guardrails.profiles import profile_layer
from engine.guardrails.secrets import SECRET_TYPES, SecretType
from engine.guardrails.topics import BUILTIN_TOPICS

Limit = Annotated[StrictInt, Field(ge=1)]
STAGES: tuple[Stage, ...] = ("input", "output")
Threshold = Annotated[float, Field(gt=0.0, le=1.0)]
#: Findings that are about the whole message, not a span: masking makes no sense for them.
NoRedact = Literal["block", "flag", "off"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InjectionConfig(_Section):
    """Prompt injection and jailbreak scoring on the input (see :mod:`engine.guardrails.injection`)."""

    action: NoRedact = "block"
    #: Score (0..1) from which a message counts as an attempt; lower is stricter.
    threshold: Threshold = DEFAULT_THRESHOLD


class LeakageConfig(_Section):
    """What identifies this tenant, and what the output guard does with another tenant's marks.

    ``markers`` and ``canaries`` belong to the tenant that declares them;
    every other tenant's output guard looks for them. Canaries are values
    planted in the tenant's data (documents, memory, prompts) that no other
    tenant can legitimately see.
    """

    action: Action = "block"
    markers: list[str] = Field(default_factory=list)
    canaries: list[str] = Field(default_factory=list)
    #: The tenant's id and name count as markers too.
    match_id: StrictBool = True
    match_name: StrictBool = True

    @field_validator("markers", "canaries")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        cleaned = sorted({" ".join(v.split()) for v in values})
        if "" in cleaned:
            raise ValueError("markers and canaries may not be empty or blank")
        short = [v for v in cleaned if len(v) < 3]
        if short:
            raise ValueError(f"markers and canaries need at least 3 characters: {', '.join(map(repr, short))}")
        return cleaned


class BedrockConfig(_Section):
    """An Amazon Bedrock guardrail applied with the ApplyGuardrail API (opt-in)."""

    guardrail_id: str = Field(min_length=1)
    guardrail_version: str = Field(default="DRAFT", pattern=r"^(DRAFT|[1-9][0-9]{0,7})$")
    region: str | None = None
    stages: list[Stage] = Field(default_factory=lambda: list(STAGES), min_length=1)
    #: What the guard does when the service cannot be reached: fail closed (block) or open (allow).
    on_error: Literal["block", "allow"] = "block"
    enabled: StrictBool = True


class GuardrailsConfig(BaseModel):
    """Which detectors a tenant's guard nodes run, and what each finding triggers.

    >>> config = GuardrailsConfig.model_validate({"profile": "pci", "pii": {"email": "block"}})
    >>> config.pii["email"], config.pii["payment_card"], "pii.payment_card" in config.mandatory
    ('block', 'block', True)
    """

    model_config = ConfigDict(extra="forbid")

    #: Built-in profile the rules start from.
    profile: str = "default"
    #: Action per PII type; a type that is absent or "off" is not scanned for.
    pii: dict[PiiType, Action] = Field(default_factory=dict)
    #: A regular expression for the tenant's own medical record numbers (matched anywhere).
    mrn_pattern: str | None = None
    #: Action per secret type (credentials, keys, tokens).
    secrets: dict[SecretType, Action] = Field(default_factory=dict)
    #: Whole words or phrases, matched case-insensitively.
    denied_terms: list[str] = Field(default_factory=list)
    denied_terms_action: Action = "block"
    #: Topic name -> phrases that signal it; an empty list takes the built-in topic of that name.
    denied_topics: dict[str, list[str]] = Field(default_factory=dict)
    denied_topics_action: NoRedact = "block"
    injection: InjectionConfig = Field(default_factory=InjectionConfig)
    leakage: LeakageConfig = Field(default_factory=LeakageConfig)
    #: What the output guard does when an output does not match its declared schema.
    output_format: NoRedact = "flag"
    #: Longest string, in characters, the input guard lets through (blocks beyond).
    max_input_chars: Limit | None = None
    #: Longest string, in characters, the output guard lets through (blocks beyond).
    max_output_chars: Limit | None = None
    bedrock: BedrockConfig | None = None
    #: Rules a later layer may not loosen, e.g. "pii.us_ssn".
    mandatory: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _start_from_profile(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        name = data.get("profile", "default")
        if not isinstance(name, str):
            return data
        profile = profile_layer(name)
        try:
            return merge_configs(profile, data)
        except ValueError as error:
            raise ValueError(f"profile {name!r}: {error}") from error

    @field_validator("pii", mode="before")
    @classmethod
    def _known_pii_types(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            _reject_unknown("PII type", (k for k in value if isinstance(k, str)), PII_TYPES)
        return value

    @field_validator("secrets", mode="before")
    @classmethod
    def _known_secret_types(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            _reject_unknown("secret type", (k for k in value if isinstance(k, str)), SECRET_TYPES)
        return value

    @field_validator("mrn_pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"mrn_pattern is not a valid regular expression: {error}") from None
        if compiled.match(""):
            raise ValueError("mrn_pattern matches the empty string; it would find a number everywhere")
        return pattern

    @field_validator("denied_topics")
    @classmethod
    def _known_topics(cls, topics: dict[str, list[str]]) -> dict[str, list[str]]:
        normalised: dict[str, list[str]] = {}
        for name, phrases in topics.items():
            if not phrases and name not in BUILTIN_TOPICS:
                close = difflib.get_close_matches(name, BUILTIN_TOPICS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"topic {name!r} has no phrases and is not a built-in topic{hint}; give it phrases or use one "
                    f"of: {', '.join(BUILTIN_TOPICS)}"
                )
            cleaned = {" ".join(p.lower().split()) for p in phrases}
            if "" in cleaned:
                raise ValueError(f"topic {name!r}: phrases may not be empty or blank")
            normalised[name] = sorted(cleaned)
        return dict(sorted(normalised.items()))

    @field_validator("denied_terms")
    @classmethod
    def _normalise_terms(cls, terms: list[str]) -> list[str]:
        # Lower-cased (matching ignores case anyway), single-spaced, sorted and
        # deduplicated: equal term sets give equal configs, so one shared chain.
        normalised = {" ".join(term.lower().split()) for term in terms}
        if "" in normalised:
            raise ValueError("denied terms may not be empty or blank")
        return sorted(normalised)

    @field_validator("mandatory")
    @classmethod
    def _known_rules(cls, rules: list[str]) -> list[str]:
        _reject_unknown("mandatory rule", rules, MANDATORY_RULES)
        return sorted(set(rules))

    @model_validator(mode="after")
    def _mandatory_rules_are_set(self) -> GuardrailsConfig:
        unset = [rule for rule in self.mandatory if self._rule_value(rule) is None]
        if unset:
            raise ValueError(
                "; ".join(f"mandatory rule {rule} has no value to protect (set {rule} or drop it)" for rule in unset)
            )
        return self

    def _rule_value(self, rule: str) -> object:
        if rule.startswith("pii."):
            return next((action for pii_type, action in self.pii.items() if pii_type == rule[4:]), None)
        if rule.startswith("secrets."):
            return next((action for kind, action in self.secrets.items() if kind == rule[8:]), None)
        if rule == "denied_terms":
            return self.denied_terms_action
        if rule == "denied_topics":
            return self.denied_topics_action
        if rule in ("injection", "leakage"):
            return getattr(self, rule).action
        return getattr(self, rule)

    def chain_key(self) -> dict[str, Any]:
        """What the guard chain depends on: everything but this tenant's own leakage marks.

        A tenant's markers and canaries are looked for in *other* tenants'
        outputs, so tenants that differ only in them share one chain.
        """
        data = self.model_dump(mode="json")
        data["leakage"] = {"action": self.leakage.action}
        return data


def _reject_unknown(kind: str, names: Iterable[str], known: tuple[str, ...]) -> None:
    unknown = [name for name in names if name not in known]
    if not unknown:
        return
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        problems.append(f"unknown {kind} {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise ValueError(f"{'; '.join(problems)}; known: {', '.join(known)}")
