"""W3C trace context: a caller's ``traceparent`` and ``baggage`` headers continue its trace in ours, and our
tool calls carry ``traceparent`` on, so an API or MCP server that traces joins the run's trace."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from engine.telemetry.instruments import active

# Always W3C, whatever OTEL_PROPAGATORS says: the runtime's contract names these two headers.
_TRACE_CONTEXT = TraceContextTextMapPropagator()
_PROPAGATOR = CompositePropagator([_TRACE_CONTEXT, W3CBaggagePropagator()])


def incoming(headers: Mapping[str, str]) -> Context | None:
    """The caller's trace context from ``traceparent`` / ``baggage``, or None when it sent neither.

    A malformed ``traceparent`` is ignored (a new trace starts), as the W3C spec says.
    """
    if "traceparent" not in headers and "baggage" not in headers:
        return None
    return _PROPAGATOR.extract({k: headers[k] for k in ("traceparent", "tracestate", "baggage") if k in headers})


def outgoing() -> dict[str, str]:
    """The ``traceparent`` header of an outgoing tool call: the current span's (the ``execute_tool`` span), or
    nothing while traces are off or no span records.

    Only ``traceparent``: two random ids and the sampled flag, nothing of the tenant, the user or the data.
    Never ``baggage`` nor ``tracestate``: a caller sets those, and they could carry anything to a third party.
    """
    telemetry = active()
    if telemetry is None or not telemetry.tracing or not trace.get_current_span().is_recording():
        return {}
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier)
    return {"traceparent": carrier["traceparent"]} if "traceparent" in carrier else {}
