"""Built-in guardrail profiles: named starting points a tenant picks by name.

A profile is a plain configuration layer. The chosen profile sits under
every platform, tier and tenant layer (see :mod:`engine.guardrails.config`),
so anything those layers set explicitly wins, except that they may not
loosen a rule the profile lists as ``mandatory``.

* ``default``: mask contact details and SSNs, block payment cards.
* ``strict``: block every PII type except email, which is masked.
* ``hipaa``: ``strict``, with every PII rule mandatory. It guards the
  identifiers these detectors know; it does not recognise medical record
  numbers or other PHI.
* ``pci``: ``default``, with blocking payment cards mandatory.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_DEFAULT_PII = {"email": "redact", "phone": "redact", "us_ssn": "redact", "payment_card": "block"}
_STRICT_PII = {"email": "redact", "phone": "block", "us_ssn": "block", "payment_card": "block"}

PROFILES: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "default": {"pii": _DEFAULT_PII},
        "strict": {"pii": _STRICT_PII},
        "hipaa": {"pii": _STRICT_PII, "mandatory": [f"pii.{t}" for t in _STRICT_PII]},
        "pci": {"pii": _DEFAULT_PII, "mandatory": ["pii.payment_card"]},
    }
)


def profile_layer(name: str) -> dict[str, Any]:
    """A fresh copy of the built-in profile ``name``, as a configuration layer.

    >>> profile_layer("pci")["mandatory"]
    ['pii.payment_card']

    Raises ValueError naming the known profiles if ``name`` is not one.
    """
    if name not in PROFILES:
        close = difflib.get_close_matches(name, PROFILES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown guardrail profile {name!r} ({hint}known: {', '.join(sorted(PROFILES))})")
    return copy.deepcopy(dict(PROFILES[name]))
