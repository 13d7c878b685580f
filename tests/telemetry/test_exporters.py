"""Exporters from the OTEL_* variables and `telemetry:`: off by default, honoured by run, test and serve."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.spec.project import TelemetrySpec
from engine.telemetry.exporters import TelemetryConfigError, choose, install
from engine.telemetry.instruments import active
from tests.conftest import REPO


@pytest.mark.parametrize(("spec", "env", "expected"), [
    ({}, {}, ("none", "none")),
    ({"traces": "console"}, {}, ("console", "none")),
    ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, ("otlp", "otlp")),
    ({}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, ("otlp", "none")),
    ({"traces": "otlp", "metrics": "otlp"}, {"OTEL_METRICS_EXPORTER": "none"}, ("otlp", "none")),
    ({"traces": "console"}, {"OTEL_SDK_DISABLED": "true"}, ("none", "none")),
])
def test_the_environment_wins_over_the_project_file(spec: dict[str, str], env: dict[str, str],
                                                    expected: tuple[str, str]) -> None:
    found = choose(TelemetrySpec(**spec), env)
    assert (found.traces, found.metrics) == expected


def test_an_exporter_tenantflow_does_not_have_is_a_clear_error() -> None:
    with pytest.raises(TelemetryConfigError, match="OTEL_TRACES_EXPORTER='zipkin': tenantflow exports with one of"):
        choose(TelemetrySpec(), {"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(TelemetryConfigError, match="expected milliseconds"):
        choose(TelemetrySpec(), {"OTEL_METRIC_EXPORT_INTERVAL": "1s"})


def test_installing_turns_on_and_shutdown_turns_off() -> None:
    installed = install(TelemetrySpec(traces="console"), {"OTEL_SERVICE_NAME": "svc"})
    assert installed is not None and active() is installed.telemetry
    installed.shutdown()
    assert active() is None and install(TelemetrySpec(), {}) is None


@pytest.mark.parametrize(("filter_env", "sampled"), [("", False), ("trace_based", True)])
def test_metric_exemplars_are_off_unless_the_environment_asks(filter_env: str, sampled: bool,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    if filter_env:
        monkeypatch.setenv("OTEL_METRICS_EXEMPLAR_FILTER", filter_env)
    else:
        monkeypatch.delenv("OTEL_METRICS_EXEMPLAR_FILTER", raising=False)
    installed = install(TelemetrySpec(traces="console", metrics="console"), dict(os.environ))
    assert installed is not None
    with installed.telemetry.tracer.start_as_current_span("inside"):  # every measurement of a run is in a span
        installed.telemetry.token_usage.record(5, {"tenant.id": "alpha"})
    installed.shutdown()  # flushes both signals to the console (stderr)
    exported = capsys.readouterr().err
    assert "gen_ai.client.token.usage" in exported
    assert ('"span_id"' in exported.split('"name": "gen_ai.client.token.usage"')[1]) is sampled


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    top = {".git", ".venv", ".tenantflow", "benchmarks", "docs", "tests", "engine"}
    shutil.copytree(REPO, root, ignore=lambda folder, names: [n for n in names if n == "__pycache__" or (
        Path(folder) == REPO and n in top)])
    return root


def test_run_honours_the_otel_variables(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    result = CliRunner().invoke(main, ["run", "support-triage", "--tenant", "globex", "-p", str(demo), "--input",
                                       '{"ticket": "Site down since 9am", "customer_id": "cus_1001"}'])
    assert result.exit_code == 0, result.output
    assert '"name": "invoke_agent support-triage"' in result.stderr and '"name": "chat amazon.nova-micro-v1:0"' \
        in result.stderr
    assert result.stdout.startswith("{\n") and '"name"' not in result.stdout  # stdout stays the run's JSON
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    refused = CliRunner().invoke(main, ["run", "support-triage", "--tenant", "globex", "-p", str(demo), "--input",
                                        '{"ticket": "x", "customer_id": "cus_1001"}'])
    assert refused.exit_code == 1 and refused.stderr.startswith("error: OTEL_TRACES_EXPORTER='zipkin'")


def test_test_honours_the_project_file(demo: Path) -> None:
    yaml = demo / "tenantflow.yaml"
    yaml.write_text(yaml.read_text().replace("  traces: none\n", "  traces: console\n"))
    result = CliRunner().invoke(main, ["test", "-p", str(demo)])
    assert result.exit_code == 0, result.output
    assert '"name": "invoke_agent ' in result.stderr


def test_the_ledger_lives_where_the_checkpoints_do_and_workers_refuse_sqlite(demo: Path) -> None:
    from engine.project import load_project

    yaml = demo / "tenantflow.yaml"
    assert load_project(demo).spec.ledger_store() == "sqlite"
    yaml.write_text(yaml.read_text().replace("  checkpointer: sqlite\n", "  checkpointer: postgres\n"))
    assert load_project(demo).spec.ledger_store() == "postgres"
    yaml.write_text(yaml.read_text().replace("  checkpointer: postgres\n  store: sqlite\n", "  checkpointer: memory\n"
                                             "  store: memory\n").replace("  log_level: WARNING\n",
                                                                          "  ledger: {store: sqlite}\n"
                                                                          "  log_level: WARNING\n"))
    refused = CliRunner().invoke(main, ["serve", "--workers", "2", "--redis", "redis://127.0.0.1:1/0", "-p",
                                        str(demo)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: --workers > 1 with the SQLite usage ledger: several processes")
