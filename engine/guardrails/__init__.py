"""Guardrails: detectors, per-tenant configuration, and the guard chain.

Guard nodes run before the first step (stage ``"input"``) and after the
last (stage ``"output"``)::

    chain = chain_for(config)
    result = chain.check_value(state_input, "input")
    result.raise_if_blocked()

Each detector family is one module behind the :class:`Detector` protocol.
"""

from engine.guardrails.base import ACTIONS, Action, Detector, Finding, Stage
from engine.guardrails.chain import (
    GuardChain,
    GuardOutcome,
    GuardRecord,
    GuardResult,
    GuardValueResult,
    chain_for,
    clear_chain_cache,
)
from engine.guardrails.config import GuardrailsConfig
from engine.guardrails.length import MaxLengthDetector
from engine.guardrails.merge import MANDATORY_RULES, Loosening, MandatoryRuleError, merge_configs
from engine.guardrails.pii import PII_TYPES, PiiDetector, PiiType
from engine.guardrails.profiles import PROFILES, profile_layer
from engine.guardrails.terms import DeniedTermsDetector

__all__ = [
    # running guards
    "chain_for",
    "GuardChain",
    "GuardOutcome",
    "GuardResult",
    "GuardValueResult",
    "GuardRecord",
    "clear_chain_cache",
    # configuring them
    "GuardrailsConfig",
    "merge_configs",
    "MandatoryRuleError",
    "Loosening",
    "MANDATORY_RULES",
    "PROFILES",
    "profile_layer",
    # detectors
    "Detector",
    "Finding",
    "Action",
    "ACTIONS",
    "Stage",
    "PiiDetector",
    "PiiType",
    "PII_TYPES",
    "DeniedTermsDetector",
    "MaxLengthDetector",
]
