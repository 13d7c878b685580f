"""OpenTelemetry metrics: what the guardrails did, per tenant.

Two counters, so trigger rates and block rates per tenant can be charted:

* ``tenantflow.guardrail.checks`` (``{check}``): one per guard pass, tagged
  ``tenant``, ``tier``, ``stage`` and ``outcome`` (``passed``, ``flagged``,
  ``redacted`` or ``blocked``): the denominator.
* ``tenantflow.guardrail.findings`` (``{finding}``): one per finding, tagged
  ``tenant``, ``tier``, ``stage``, ``category`` and ``action``.

Tags are ids and categories only, never matched text; the tenant tag is
bounded like every metric's (:mod:`engine.telemetry.labels`). The
instruments come from the global meter provider unless telemetry is on
(:func:`engine.telemetry.instruments.activate` binds them to its provider);
:func:`use_meter_provider` binds them to another provider, e.g. an
in-memory reader in tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import metrics

from engine.telemetry.labels import TenantLabels

METER_NAME = "tenantflow"
CHECKS = "tenantflow.guardrail.checks"
FINDINGS = "tenantflow.guardrail.findings"


class GuardMetrics:
    """The guardrail counters of one meter provider."""

    def __init__(self, provider: metrics.MeterProvider | None = None, labels: TenantLabels | None = None):
        self._label = labels.label if labels is not None else str
        meter = (provider or metrics.get_meter_provider()).get_meter(METER_NAME)
        self._checks = meter.create_counter(CHECKS, unit="{check}", description="Guardrail checks, by outcome")
        self._findings = meter.create_counter(FINDINGS, unit="{finding}",
                                              description="Guardrail findings, by category and action")

    def record(self, *, tenant: str, tier: str, stage: str, records: Iterable[Mapping[str, Any]],
               blocked: bool) -> None:
        """Count one guard pass and its findings (grouped, so one add per category and action)."""
        counts: dict[tuple[str, str], int] = {}
        for record in records:
            key = (str(record["category"]), str(record["action"]))
            counts[key] = counts.get(key, 0) + 1
        actions = {action for _, action in counts}
        outcome = ("blocked" if blocked else "redacted" if "redact" in actions
                   else "flagged" if "flag" in actions else "passed")
        tenant = self._label(tenant)
        self._checks.add(1, {"tenant": tenant, "tier": tier, "stage": stage, "outcome": outcome})
        for (category, action), count in counts.items():
            self._findings.add(count, {"tenant": tenant, "tier": tier, "stage": stage, "category": category,
                                       "action": action})


_current: GuardMetrics | None = None


def guard_metrics() -> GuardMetrics:
    """The process's guardrail counters (created on first use, from the global meter provider)."""
    global _current
    if _current is None:
        _current = GuardMetrics()
    return _current


def use_meter_provider(provider: metrics.MeterProvider | None) -> GuardMetrics:
    """Count into ``provider`` from now on (None: back to the global provider)."""
    global _current
    _current = GuardMetrics(provider)
    return _current


def use_guard_metrics(found: GuardMetrics | None) -> None:
    """Count into ``found`` from now on (None: back to the global provider)."""
    global _current
    _current = found
