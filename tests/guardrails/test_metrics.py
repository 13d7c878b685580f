"""Guard decisions as OpenTelemetry counters tagged with tenant, tier, stage, category and action."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from engine.engine import Engine
from engine.project import load_project
from engine.telemetry.metrics import CHECKS, FINDINGS, use_meter_provider
from tests.conftest import tenant_yaml


@pytest.fixture
def reader() -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    use_meter_provider(MeterProvider(metric_readers=[reader]))
    yield reader
    use_meter_provider(None)


def points(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, Any], ...], int]:
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[tuple[tuple[str, Any], ...], int] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == name:
                    for point in metric.data.data_points:
                        found[tuple(sorted(point.attributes.items()))] = point.value
    return found


@pytest.fixture
def root(make_project) -> Path:
    beta = tenant_yaml("beta", "premium", "guardrails:\n  pii: {email: block}\n")
    return make_project(tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": beta})


async def test_checks_and_findings_are_counted_per_tenant(root: Path, reader: InMemoryMetricReader) -> None:
    engine = Engine(load_project(root))
    text = {"text": "mail ann@example.com or bob@example.com"}
    await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), text)
    await engine.run("hello", engine.dev_context("beta", "u1", "s1"), text)
    await engine.run("hello", engine.dev_context("alpha", "u1", "s2"), {"text": "hi"})
    assert points(reader, FINDINGS) == {
        (("action", "redact"), ("category", "pii"), ("stage", "input"), ("tenant", "alpha"), ("tier", "basic")): 2,
        (("action", "block"), ("category", "pii"), ("stage", "input"), ("tenant", "beta"), ("tier", "premium")): 2,
    }
    assert points(reader, CHECKS) == {
        (("outcome", "redacted"), ("stage", "input"), ("tenant", "alpha"), ("tier", "basic")): 1,
        (("outcome", "passed"), ("stage", "input"), ("tenant", "alpha"), ("tier", "basic")): 1,
        (("outcome", "passed"), ("stage", "output"), ("tenant", "alpha"), ("tier", "basic")): 2,
        (("outcome", "blocked"), ("stage", "input"), ("tenant", "beta"), ("tier", "premium")): 1,
    }


async def test_metrics_never_carry_the_matched_text(root: Path, reader: InMemoryMetricReader) -> None:
    engine = Engine(load_project(root))
    await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "ssn 123-45-6789"})
    assert "123-45-6789" not in repr(reader.get_metrics_data())
