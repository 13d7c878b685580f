"""Built-in guardrail profiles: named starting points a tenant picks by name.

A profile is a plain configuration layer. The chosen profile sits under
every platform, tier and tenant layer (see :mod:`engine.guardrails.config`),
so anything those layers set explicitly wins, except that they may not
loosen a rule the profile lists as ``mandatory``.

* ``default``: mask contact details, ids and dates of birth, record IP
  addresses (security workflows need them; a tenant may tighten that),
  block payment cards and every secret; block prompt injection
  (threshold 0.5) and another tenant's markers in outputs; flag outputs
  that break their declared schema.
* ``strict``: ``default``, but phone numbers and SSNs are blocked too, the
  injection threshold is 0.4, and outputs that break their schema are
  blocked.
* ``hipaa``: ``strict``, with every PII, secret and leakage rule mandatory:
  medical record numbers, dates of birth and the other identifiers are
  always masked or blocked. It guards the identifiers these detectors know
  (HIPAA's list of 18 also holds names and addresses, which they do not
  recognise).
* ``pci``: ``default``, with blocking payment cards, every secret and
  leakage across tenants mandatory (PCI DSS requirement 3: never pass on a
  primary account number).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_DEFAULT_PII = {
    "email": "redact", "phone": "redact", "us_ssn": "redact", "payment_card": "block", "iban": "redact",
    "ip_address": "flag", "date_of_birth": "redact", "medical_record_number": "redact",
}  # fmt: skip
_STRICT_PII = {**_DEFAULT_PII, "phone": "block", "us_ssn": "block"}
_HIPAA_PII = {**_STRICT_PII}
_SECRETS = {"aws_access_key": "block", "aws_secret_key": "block", "jwt": "block", "api_key": "block",
            "private_key": "block"}  # fmt: skip

PROFILES: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "default": {
            "pii": _DEFAULT_PII, "secrets": _SECRETS, "injection": {"action": "block", "threshold": 0.5},
            "leakage": {"action": "block"}, "output_format": "flag",
        },
        "strict": {
            "pii": _STRICT_PII, "secrets": _SECRETS, "injection": {"action": "block", "threshold": 0.4},
            "leakage": {"action": "block"}, "output_format": "block",
        },
        "hipaa": {
            "pii": _HIPAA_PII, "secrets": _SECRETS, "injection": {"action": "block", "threshold": 0.4},
            "leakage": {"action": "block"}, "output_format": "block",
            "mandatory": [*(f"pii.{t}" for t in _HIPAA_PII), *(f"secrets.{t}" for t in _SECRETS), "leakage"],
        },
        "pci": {
            "pii": _DEFAULT_PII, "secrets": _SECRETS, "injection": {"action": "block", "threshold": 0.5},
            "leakage": {"action": "block"}, "output_format": "flag",
            "mandatory": ["pii.payment_card", *(f"secrets.{t}" for t in _SECRETS), "leakage"],
        },
    }
)  # fmt: skip


def profile_layer(name: str) -> dict[str, Any]:
    """A fresh copy of the built-in profile ``name``, as a configuration layer.

    >>> profile_layer("pci")["mandatory"][:2]
    ['pii.payment_card', 'secrets.aws_access_key']

    Raises ValueError naming the known profiles if ``name`` is not one.
    """
    if name not in PROFILES:
        close = difflib.get_close_matches(name, PROFILES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown guardrail profile {name!r} ({hint}known: {', '.join(sorted(PROFILES))})")
    return copy.deepcopy(dict(PROFILES[name]))
