"""`tenantflow costs`: tables by tenant, model, workflow and day in text, JSON and CSV, and the chart."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import struct
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import main
from engine.telemetry.ledger import RunRecord, SqliteLedger
from tests.telemetry import project

DAY = 86400


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def root(make_project) -> Path:  # type: ignore[no-untyped-def]
    """A project whose ledger holds 8 runs of two tenants over three days (written as the engine writes them)."""
    found = project.make(make_project)
    ledger = SqliteLedger(found / ".tenantflow" / "usage.sqlite")
    start = time.time() - 2 * DAY
    usage = {"alpha": [("small-v1", 100, 40, 0.00018)], "beta": [("large-v1", 300, 90, 0.0057),
                                                                  ("small-v1", 50, 10, 0.00007)]}
    for day in range(3):
        for tenant, calls in usage.items():
            for n in range(1 + (tenant == "alpha" and day == 2)):
                models = RunRecord.models_of([{"model": m, "input_tokens": i * (day + 1), "output_tokens": o,
                                               "cost_usd": c * (day + 1)} for m, i, o, c in calls])
                asyncio.run(ledger.write(RunRecord(
                    run_id=f"{tenant}-{day}-{n}", tenant=tenant, tier="basic" if tenant == "alpha" else "premium",
                    user_hash="h", workflow="obs", version="1@x", session="s", started_at=start + day * DAY,
                    duration_ms=1.0, outcome="completed", tool_calls=1, models=models)))
    asyncio.run(ledger.close())
    return found


def test_the_default_table_is_cost_per_tenant_with_a_total(root: Path) -> None:
    result = _cli("costs", "-p", str(root))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["tenant", "runs", "tokens", "in", "tokens", "out", "tool", "calls", "cost", "(USD)"]
    assert lines[1].split()[:5] == ["alpha", "4", "900", "160", "4"]
    assert lines[2].split()[:5] == ["beta", "3", "2,100", "300", "3"]
    assert lines[-1].split()[0] == "total" and lines[-1].split()[1] == "7"


def test_json_and_csv_by_model_workflow_and_day(root: Path) -> None:
    by_model = json.loads(_cli("costs", "--by", "model", "--format", "json", "-p", str(root)).output)
    assert [(r["model"], r["runs"], r["input_tokens"]) for r in by_model] == [("large-v1", 3, 1800),
                                                                                ("small-v1", 7, 1200)]
    rows = list(csv.DictReader(io.StringIO(_cli("costs", "--by", "day", "--format", "csv", "-p", str(root)).output)))
    assert [r["runs"] for r in rows] == ["2", "2", "3"]
    assert float(rows[2]["cost_usd"]) == pytest.approx(2 * 0.00018 * 3 + (0.0057 + 0.00007) * 3)
    [workflow] = json.loads(_cli("costs", "--by", "workflow", "--format", "json", "-p", str(root)).output)
    assert (workflow["workflow"], workflow["runs"]) == ("obs", 7)


def test_one_tenant_since_a_date(root: Path) -> None:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    [only] = json.loads(_cli("costs", "--tenant", "beta", "--since", today, "--format", "json", "-p", str(root)).output)
    assert (only["tenant"], only["runs"], only["input_tokens"]) == ("beta", 1, 1050)


def test_bad_arguments_are_clear_errors(root: Path) -> None:
    bad_date = _cli("costs", "--since", "last week", "-p", str(root))
    assert bad_date.exit_code == 2 and "'last week': expected a date like 2026-12-01 (UTC)" in bad_date.output
    unknown = _cli("costs", "--tenant", "umbrella", "-p", str(root))
    assert unknown.exit_code == 1 and unknown.stderr == "error: unknown tenant 'umbrella' (known: alpha, beta)\n"


def test_a_project_with_no_runs_yet_prints_an_empty_table(make_project) -> None:  # type: ignore[no-untyped-def]
    result = _cli("costs", "-p", str(project.make(make_project)))
    assert result.exit_code == 0 and result.output.splitlines()[-1].split()[:2] == ["total", "0"]


def test_the_chart_is_a_png_of_cost_per_tenant_per_day(root: Path, tmp_path: Path) -> None:
    chart = tmp_path / "costs.png"
    result = _cli("costs", "--chart", str(chart), "-p", str(root))
    assert result.exit_code == 0, result.output
    data = chart.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1320, 605)
    empty = _cli("costs", "--chart", str(tmp_path / "none.png"), "--since", "2100-01-01", "-p", str(root))
    assert empty.exit_code == 1 and "nothing to chart" in empty.stderr
