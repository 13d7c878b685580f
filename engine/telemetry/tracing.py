"""W3C trace context: a caller's ``traceparent`` and ``baggage`` headers continue its trace in ours."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Always W3C, whatever OTEL_PROPAGATORS says: the runtime's contract names these two headers.
_PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])


def incoming(headers: Mapping[str, str]) -> Context | None:
    """The caller's trace context from ``traceparent`` / ``baggage``, or None when it sent neither.

    A malformed ``traceparent`` is ignored (a new trace starts), as the W3C spec says.
    """
    if "traceparent" not in headers and "baggage" not in headers:
        return None
    return _PROPAGATOR.extract({k: headers[k] for k in ("traceparent", "tracestate", "baggage") if k in headers})
