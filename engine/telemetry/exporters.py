"""Turning telemetry on: exporters chosen by the standard OTEL_* variables and ``telemetry:`` in tenantflow.yaml.

Off by default: with ``traces: none`` and ``metrics: none`` (and no OTEL_*
variable saying otherwise) nothing is installed, :func:`active` stays None
and no span or metric is even created. Otherwise, for traces and for
metrics separately:

* ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (``otlp``, ``console``
  or ``none``) win over the project file;
* else ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or its ``_TRACES_`` / ``_METRICS_``
  form) set means ``otlp``: pointing at a collector is asking to export;
* else the project file's ``telemetry.traces`` / ``telemetry.metrics``.

``console`` writes to stderr (stdout stays the command's output). ``otlp``
is OTLP over HTTP (protobuf), to the endpoint the OTEL variables name, else
the project file's ``telemetry.endpoint``, else the exporter's default
(``http://localhost:4318``). ``OTEL_SERVICE_NAME`` wins over
``telemetry.service_name``; ``OTEL_SDK_DISABLED=true`` turns everything off.
``OTEL_METRIC_EXPORT_INTERVAL`` (ms) wins over ``telemetry.metric_interval_s``.
Metric exemplars are off unless ``OTEL_METRICS_EXEMPLAR_FILTER`` asks for them
(the SDK's default, ``trace_based``, samples one with every measurement made
inside a span: every one of ours).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace

from engine.errors import TenantflowError, require_extra
from engine.spec.project import TelemetrySpec
from engine.telemetry.instruments import Telemetry, activate
from engine.telemetry.labels import TenantLabels

EXPORTERS = ("otlp", "console", "none")


class TelemetryConfigError(TenantflowError):
    """An OTEL_* variable names an exporter tenantflow does not have."""

    code = "telemetry-config"


@dataclass(frozen=True)
class Choice:
    traces: str
    metrics: str
    service_name: str
    interval_ms: int

    @property
    def off(self) -> bool:
        return self.traces == "none" and self.metrics == "none"


def choose(spec: TelemetrySpec, environ: Mapping[str, str] | None = None) -> Choice:
    """Which exporters the environment and the project file ask for.

    >>> choose(TelemetrySpec(), {}).off
    True
    >>> choose(TelemetrySpec(), {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}).traces
    'otlp'
    >>> choose(TelemetrySpec(traces="console"), {"OTEL_TRACES_EXPORTER": "none"}).traces
    'none'
    """
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return Choice("none", "none", spec.service_name, 0)
    endpoint = bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))

    def pick(signal: str, configured: str) -> str:
        named = env.get(f"OTEL_{signal}_EXPORTER", "").strip().lower()
        if named:
            if named not in EXPORTERS:
                raise TelemetryConfigError(f"OTEL_{signal}_EXPORTER={named!r}: tenantflow exports with one of "
                                           f"{', '.join(EXPORTERS)} (otlp is OTLP over HTTP)")
            return named
        if endpoint or env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"):
            return "otlp"
        return configured

    interval = env.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip()
    if interval and not interval.isdigit():
        raise TelemetryConfigError(f"OTEL_METRIC_EXPORT_INTERVAL={interval!r}: expected milliseconds, like 60000")
    return Choice(pick("TRACES", spec.traces), pick("METRICS", spec.metrics),
                  env.get("OTEL_SERVICE_NAME") or spec.service_name,
                  int(interval) if interval else int(spec.metric_interval_s * 1000))


class Installed:
    """Telemetry that :func:`install` turned on; :meth:`shutdown` flushes what is pending and turns it off."""

    def __init__(self, telemetry: Telemetry, tracer_provider: Any, meter_provider: Any):
        self.telemetry, self.tracer_provider, self.meter_provider = telemetry, tracer_provider, meter_provider

    def shutdown(self) -> None:
        activate(None)
        for provider in (self.tracer_provider, self.meter_provider):
            if hasattr(provider, "shutdown"):
                provider.shutdown()


def _endpoint(spec: TelemetrySpec, env: Mapping[str, str], signal: str) -> str | None:
    """The project file's endpoint, unless an OTEL variable names one (the exporter reads those itself)."""
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT"):
        return None
    return f"{spec.endpoint.rstrip('/')}/v1/{signal}" if spec.endpoint else None


def install(spec: TelemetrySpec, environ: Mapping[str, str] | None = None) -> Installed | None:
    """Turn telemetry on as the environment and ``spec`` ask; None (and nothing installed) when both say off."""
    env = os.environ if environ is None else environ
    choice = choose(spec, env)
    if choice.off:
        return None
    from opentelemetry.sdk.resources import Resource

    resource = Resource.create({"service.name": choice.service_name})
    if "otlp" in (choice.traces, choice.metrics):
        require_extra("otel", "opentelemetry.exporter.otlp.proto.http", "exporting telemetry over OTLP")
    tracer_provider: trace.TracerProvider = trace.NoOpTracerProvider()
    if choice.traces != "none":
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

        span_exporter: SpanExporter
        if choice.traces == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            span_exporter = OTLPSpanExporter(endpoint=_endpoint(spec, env, "traces"))
        else:
            span_exporter = ConsoleSpanExporter(out=sys.stderr)  # stdout stays the command's own output
        sdk_tracer = TracerProvider(resource=resource)
        sdk_tracer.add_span_processor(BatchSpanProcessor(span_exporter))
        tracer_provider = sdk_tracer
    meter_provider: metrics.MeterProvider = metrics.NoOpMeterProvider()
    if choice.metrics != "none":
        from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
        from opentelemetry.sdk.metrics.export import (
            ConsoleMetricExporter,
            MetricExporter,
            PeriodicExportingMetricReader,
        )

        metric_exporter: MetricExporter
        if choice.metrics == "otlp":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            metric_exporter = OTLPMetricExporter(endpoint=_endpoint(spec, env, "metrics"))
        else:
            metric_exporter = ConsoleMetricExporter(out=sys.stderr)
        reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=choice.interval_ms)
        # None: the SDK reads OTEL_METRICS_EXEMPLAR_FILTER itself.
        exemplars = None if env.get("OTEL_METRICS_EXEMPLAR_FILTER") else AlwaysOffExemplarFilter()
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader], exemplar_filter=exemplars)
    telemetry = Telemetry(tracer_provider, meter_provider,
                          labels=TenantLabels(spec.tenant_labels.always, spec.tenant_labels.max_distinct))
    activate(telemetry)
    return Installed(telemetry, tracer_provider, meter_provider)
