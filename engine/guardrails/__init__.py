"""Guardrails: detectors, per-tenant configuration, and the guard chain.

Guard nodes run before the first step (stage ``"input"``) and after the
last (stage ``"output"``)::

    chain = chain_for(config, leakage_index)
    result = chain.check_value(state_input, "input", tenant="acme")
    result.raise_if_blocked()

Each detector family is one module behind the :class:`Detector` protocol:
``pii`` (contact details, ids, bank and card numbers, network and medical
identifiers), ``secrets`` (keys and tokens), ``injection`` (prompt injection
and jailbreak scoring), ``terms`` and ``topics`` (word lists and denied
topics), ``length``, ``schema`` (output format) and ``leakage`` (another
tenant's marks). ``bedrock`` applies an Amazon Bedrock guardrail.

Detectors skip the checks that cannot find anything in a text: ``vocabulary``
(which cue words it holds) and ``prefilter`` (which checks' necessary
conditions occur, and where) answer in one compiled pass with Hyperscan
(``compiled``), or in Python where its wheel is missing, with the same findings.
"""

from engine.guardrails.base import ACTIONS, Action, Detector, Finding, Stage
from engine.guardrails.bedrock import BedrockGuardrail, BedrockGuardrailError, GuardrailProviders
from engine.guardrails.chain import (
    GuardChain,
    GuardOutcome,
    GuardRecord,
    GuardResult,
    GuardValueResult,
    chain_for,
    clear_chain_cache,
    verdict,
)
from engine.guardrails.config import BedrockConfig, GuardrailsConfig, InjectionConfig, LeakageConfig
from engine.guardrails.injection import InjectionDetector, check_content
from engine.guardrails.leakage import LeakageIndex, TenantMarks, marks_from_layers
from engine.guardrails.length import MaxLengthDetector
from engine.guardrails.merge import MANDATORY_RULES, Loosening, MandatoryRuleError, merge_configs
from engine.guardrails.pii import PII_TYPES, PiiDetector, PiiType
from engine.guardrails.profiles import PROFILES, profile_layer
from engine.guardrails.redact import Placeholders
from engine.guardrails.schema import FormatCheck
from engine.guardrails.secrets import SECRET_TYPES, SecretsDetector, SecretType
from engine.guardrails.terms import DeniedTermsDetector
from engine.guardrails.topics import BUILTIN_TOPICS, DeniedTopicsDetector

__all__ = [
    # running guards
    "chain_for",
    "GuardChain",
    "GuardOutcome",
    "GuardResult",
    "GuardValueResult",
    "GuardRecord",
    "verdict",
    "clear_chain_cache",
    "Placeholders",
    # configuring them
    "GuardrailsConfig",
    "InjectionConfig",
    "LeakageConfig",
    "BedrockConfig",
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
    "SecretsDetector",
    "SecretType",
    "SECRET_TYPES",
    "InjectionDetector",
    "DeniedTermsDetector",
    "DeniedTopicsDetector",
    "BUILTIN_TOPICS",
    "MaxLengthDetector",
    "FormatCheck",
    "LeakageIndex",
    "check_content",
    "TenantMarks",
    "marks_from_layers",
    # providers
    "BedrockGuardrail",
    "BedrockGuardrailError",
    "GuardrailProviders",
]
