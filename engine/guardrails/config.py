"""The validated guardrail configuration of one tenant.

Validation starts from the built-in profile the configuration names (see
:mod:`engine.guardrails.profiles`) and applies the given values on top with
:func:`engine.guardrails.merge.merge_configs`. So the model always holds the
complete, effective rules, and validating it again changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from engine.guardrails.base import Action
from engine.guardrails.merge import MANDATORY_RULES, merge_configs
from engine.guardrails.pii import PII_TYPES, PiiType
from engine.guardrails.profiles import profile_layer

Limit = Annotated[StrictInt, Field(ge=1)]


class GuardrailsConfig(BaseModel):
    """Which detectors a tenant's guard nodes run, and what each finding triggers.

    >>> config = GuardrailsConfig.model_validate({"profile": "pci", "pii": {"email": "block"}})
    >>> config.pii["email"], config.pii["payment_card"], config.mandatory
    ('block', 'block', ['pii.payment_card'])
    """

    model_config = ConfigDict(extra="forbid")

    #: Built-in profile the rules start from.
    profile: str = "default"
    #: Action per PII type; a type that is absent or "off" is not scanned for.
    pii: dict[PiiType, Action] = Field(default_factory=dict)
    #: Whole words or phrases, matched case-insensitively.
    denied_terms: list[str] = Field(default_factory=list)
    denied_terms_action: Action = "block"
    #: Longest string, in characters, the input guard lets through (blocks beyond).
    max_input_chars: Limit | None = None
    #: Longest string, in characters, the output guard lets through (blocks beyond).
    max_output_chars: Limit | None = None
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
        if rule == "denied_terms":
            return self.denied_terms_action
        return getattr(self, rule)


def _reject_unknown(kind: str, names: Iterable[str], known: tuple[str, ...]) -> None:
    unknown = [name for name in names if name not in known]
    if not unknown:
        return
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        problems.append(f"unknown {kind} {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise ValueError(f"{'; '.join(problems)}; known: {', '.join(known)}")
