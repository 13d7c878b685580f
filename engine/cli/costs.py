"""``tenantflow costs``: cost per tenant, model, workflow or day, from the usage ledger; ``--chart`` draws it."""

from __future__ import annotations

import calendar
import time
from pathlib import Path

import click

from engine.cli.common import fail, open_project, project_option, user_errors
from engine.cli.group import main
from engine.project import Project
from engine.telemetry.costs import GROUPINGS, render, summarize
from engine.telemetry.ledger import UsageRow


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(calendar.timegm(time.strptime(value, "%Y-%m-%d")))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected a date like 2026-12-01 (UTC)", param_hint="--since") from None


def ledger_rows(project: Project, tenant: str | None, since: float | None) -> list[UsageRow]:
    """The project's ledger's rows (none yet: an empty list), read without writing anything."""
    spec, store = project.spec.telemetry.ledger, project.spec.ledger_store()
    if store == "none":
        fail("error: this project keeps no usage ledger (telemetry.ledger.store: none in tenantflow.yaml)")
    if store == "postgres":
        from engine.memory.postgres import database_url
        from engine.telemetry.ledger import PostgresLedger

        postgres = project.spec.stores.postgres
        return PostgresLedger(database_url(postgres), postgres.db_schema).rows(tenant, since)
    from engine.telemetry.ledger import SqliteLedger

    path = project.root / project.spec.stores.data_dir / spec.path
    if not path.exists():
        return []
    return SqliteLedger(path).rows(tenant, since)


@main.command()
@click.option("--tenant", "-t", help="Only this tenant's runs.")
@click.option("--since", help="Only runs started on or after this UTC date (YYYY-MM-DD).")
@click.option("--by", type=click.Choice(GROUPINGS), default="tenant", show_default=True, help="Group rows by.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also draw cost per tenant per day into this PNG file (needs tenantflow[charts]).")
@project_option
def costs(tenant: str | None, since: str | None, by: str, fmt: str, chart: Path | None, project_dir: Path) -> None:
    """Model cost (from the catalog's prices), tokens, tool calls and runs from the usage ledger.

    Every run writes one ledger record (telemetry.ledger in tenantflow.yaml: SQLite in the data
    folder by default, or PostgreSQL), whether it ran from `tenantflow run` or `tenantflow serve`.
    """
    with user_errors():
        project = open_project(project_dir)
        if tenant is not None and tenant not in project.tenants:
            fail(f"error: unknown tenant '{tenant}' (known: {', '.join(sorted(project.tenants)) or 'none'})")
        rows = ledger_rows(project, tenant, _since(since))
        click.echo(render(summarize(rows, by), by, fmt), nl=False)
        if chart is not None:
            from engine.telemetry.chart import draw

            draw(rows, chart, f" for tenant {tenant}" if tenant else "")
            click.echo(f"wrote {chart}", err=True)
