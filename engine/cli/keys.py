"""Key commands: the tenants' data keys that encrypt checkpoints and memory at rest (status, rotation)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from engine.cli.common import fail, project_option, user_errors
from engine.cli.group import main
from engine.project import find_root


@main.group()
def keys() -> None:
    """The tenants' data keys that encrypt checkpoints and memory values at rest (stores.encryption)."""


@keys.command()
@click.option("--tenant", "-t", default=None, help="One tenant (default: every tenant of the project).")
@project_option
def status(tenant: str | None, project_dir: Path) -> None:
    """What wraps the data keys, and each tenant's key versions (ids and dates, never key material)."""
    with user_errors():
        click.echo(json.dumps(asyncio.run(_keys(project_dir, tenant, rotate=False)), indent=2))


@keys.command()
@click.option("--tenant", "-t", required=True, help="The tenant whose data key gets a new version.")
@project_option
def rotate(tenant: str, project_dir: Path) -> None:
    """Give TENANT a new data key version for new writes; older versions still decrypt what they sealed.

    Running processes take the new version within stores.encryption.refresh_s. Nothing is re-encrypted.
    """
    with user_errors():
        click.echo(json.dumps(asyncio.run(_keys(project_dir, tenant, rotate=True)), indent=2))


async def _keys(project_dir: Path, tenant: str | None, *, rotate: bool) -> Any:
    from engine.engine import Engine

    async with Engine.open(find_root(project_dir)) as engine:
        assert engine.stores is not None  # Engine.open always has them
        tenants = [tenant] if tenant is not None else sorted(engine.project.tenants)
        found: list[dict[str, Any]] = []
        provider: dict[str, str] = {}
        for tenant_id in tenants:
            keyring = await engine.stores.keyring(tenant_id, engine.settings(tenant_id).isolation.memory)
            if keyring is None:
                fail("error: encryption at rest is off for this project (stores.encryption.provider none, or "
                     "memory stores only): there are no data keys")
            provider = keyring.provider.describe()
            if rotate:
                rotated = await keyring.rotate(tenant_id)
                return {**await keyring.status(tenant_id), "rotated_to": rotated, **provider}
            found.append(await keyring.status(tenant_id))
        return {**provider, "tenants": found}
