"""Session commands: list a tenant's sessions and their runs, show one conversation, delete a session."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from engine.cli.common import fail, project_option, user_errors
from engine.cli.group import main
from engine.project import find_root


@main.command()
@click.option("--tenant", "-t", required=True, help="Tenant id: sessions are listed and deleted one tenant at a time.")
@click.option("--user", "-u", default=None, help="Only this user's sessions (required with --show or --delete).")
@click.option("--show", "show", default=None, metavar="SESSION", help="Print the conversation SESSION keeps.")
@click.option("--delete", "delete", default=None, metavar="SESSION", help="Delete SESSION (its checkpoints and "
              "conversation).")
@click.option("--purge", is_flag=True, help="Delete every session of --user (a user who leaves).")
@project_option
def sessions(tenant: str, user: str | None, show: str | None, delete: str | None, purge: bool,
             project_dir: Path) -> None:
    """List a tenant's sessions (newest first), show one's conversation, delete one, or purge a user's."""
    with user_errors():
        if sum((show is not None, delete is not None, purge)) > 1:
            fail("error: give one of --show, --delete and --purge")
        if (show is not None or delete is not None or purge) and user is None:
            fail("error: --show, --delete and --purge need --user: a session belongs to one user of the tenant")
        click.echo(json.dumps(asyncio.run(_sessions(project_dir, tenant, user, show, delete, purge)), indent=2))


async def _sessions(project_dir: Path, tenant: str, user: str | None, show: str | None, delete: str | None,
                    purge: bool = False) -> Any:
    from engine.engine import Engine
    from engine.telemetry import logs

    async with Engine.open(find_root(project_dir)) as engine:
        logs.configure(engine.project.spec.telemetry.log_level)
        handle = engine.sessions(tenant)
        if show is not None:
            assert user is not None
            return {"tenant": tenant, "user": user, "session": show, "messages": await handle.messages(user, show)}
        if purge:
            assert user is not None
            return {"tenant": tenant, "user": user, "deleted": await handle.purge(user)}
        if delete is not None:
            assert user is not None
            return {"tenant": tenant, "user": user, "session": delete, "deleted": await handle.delete(user, delete)}
        return [info.to_json() for info in await handle.list(user)]


@main.command()
@click.option("--tenant", "-t", required=True, help="Tenant id: runs are listed one tenant at a time.")
@click.option("--user", "-u", default=None, help="Only this user's sessions.")
@click.option("--pending", is_flag=True, help="Only the runs waiting for an answer (an ask step).")
@project_option
def runs(tenant: str, user: str | None, pending: bool, project_dir: Path) -> None:
    """The latest run of each of a tenant's sessions: waiting (for an answer), unfinished (resume it) or done."""
    with user_errors():
        click.echo(json.dumps(asyncio.run(_runs(project_dir, tenant, user, pending)), indent=2))


async def _runs(project_dir: Path, tenant: str, user: str | None, pending: bool) -> Any:
    from engine.engine import Engine

    async with Engine.open(find_root(project_dir)) as engine:
        return [run.to_json() for run in await engine.sessions(tenant).runs(user, pending=pending)]
