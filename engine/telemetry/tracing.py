"""Tracing: one tracer for the engine; the SDK provider is set up by the application."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter

TRACER_NAME = "tenantflow"


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def install(service_name: str, exporter: SpanExporter | None = None, *, console: bool = False) -> TracerProvider:
    """Install an SDK tracer provider (once per process) exporting to ``exporter``."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    if console:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
