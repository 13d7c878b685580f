"""Tracing: one tracer for the engine; the SDK provider is set up by the application."""

from __future__ import annotations

from opentelemetry import trace

TRACER_NAME = "tenantflow"


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)
