"""Telemetry into memory: the SDK's in-memory span exporter and metric reader, the engine's instruments bound to them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from engine.telemetry.instruments import Telemetry, activate
from engine.telemetry.labels import TenantLabels


@dataclass
class Captured:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    telemetry: Telemetry

    def spans(self, prefix: str | tuple[str, ...] = "") -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.name.startswith(prefix)]

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """(attributes, data point) of every point of metric ``name``."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found += [(dict(p.attributes or {}), p) for p in metric.data.data_points]
        return found

    def clear(self) -> None:
        self.exporter.clear()


def capture(labels: TenantLabels | None = None) -> Captured:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    telemetry = Telemetry(tracer_provider, MeterProvider(metric_readers=[reader]), labels=labels)
    activate(telemetry)
    return Captured(exporter, reader, telemetry)


@pytest.fixture
def captured() -> Iterator[Captured]:
    found = capture()
    try:
        yield found
    finally:
        activate(None)
