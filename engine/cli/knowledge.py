"""Knowledge, memory and offboarding commands: ``ingest`` documents for a tenant; ``memory sweep``; ``tenant export``
and ``tenant delete``."""

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
@click.option("--tenant", "-t", required=True, help="The tenant whose knowledge base the files join.")
@click.option("--force", is_flag=True, help="Re-index every file, changed or not (e.g. after changing the "
              "embedding model).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@project_option
def ingest(tenant: str, force: bool, paths: tuple[Path, ...], project_dir: Path) -> None:
    """Index text, Markdown and PDF files (or folders of them) into TENANT's documents, for retrieve steps.

    Files whose content is unchanged since the last ingest are skipped.
    """
    with user_errors():
        report = asyncio.run(_ingest(project_dir, tenant, list(paths), force))
        click.echo(json.dumps(report, indent=2))
        if report["failed"]:
            raise SystemExit(1)


async def _ingest(project_dir: Path, tenant: str, paths: list[Path], force: bool) -> dict[str, Any]:
    from rich.progress import Progress

    from engine.engine import Engine
    from engine.knowledge.ingest import files_under, ingest

    files = files_under(paths)
    async with Engine.open(find_root(project_dir)) as engine:
        knowledge = await _documents(engine, tenant)
        spec = engine.project.spec.stores.knowledge
        with Progress(transient=True, disable=len(files) < 2) as progress:
            task = progress.add_task(f"ingesting for {tenant}", total=len(files))
            report = await ingest(knowledge, files, chunk_chars=spec.chunk_chars,
                                  overlap=spec.chunk_overlap, force=force,
                                  progress=lambda source: progress.update(task, advance=1, description=source))
    return {"tenant": tenant, "files": len(files), "added": report.added, "updated": report.updated,
            "unchanged": report.unchanged, "chunks": report.chunks, "failed": report.failed}


async def _documents(engine: Any, tenant: str) -> Any:
    from engine.context import TenantContext

    engine.settings(tenant)  # an unknown tenant is an error here, not an empty index
    if engine.project.spec.stores.knowledge.provider == "bedrock_kb":
        from engine.knowledge.bedrock_kb import IngestNotSupported

        raise IngestNotSupported(f"tenant '{tenant}' retrieves from a Bedrock knowledge base "
                                 "(stores.knowledge.provider: bedrock_kb): add its documents to the knowledge base's "
                                 "data source, with metadata "
                                 f"{engine.project.spec.stores.knowledge.bedrock_kb.tenant_key}={tenant}, and start "
                                 "an ingestion job (sync); tenantflow ingest fills the local index only")
    knowledge = await engine.tenants.knowledge(TenantContext(tenant_id=tenant, tier="-", user_id="cli",
                                                             session_id="ingest"), "documents")
    if knowledge is None:
        fail("error: this engine has no knowledge index")
    return knowledge


@main.group()
def tenant() -> None:
    """Offboarding and erasure: export or delete everything a tenant (or one of its users) owns."""


@tenant.command()
@click.argument("tenant_id")
@click.option("--user", "-u", default=None, help="Only what this user of the tenant owns (an access request).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the files (default: export-<tenant>).")
@project_option
def export(tenant_id: str, user: str | None, out: Path | None, project_dir: Path) -> None:
    """Write TENANT_ID's memory, documents and sessions as JSON files; prints the counts."""
    with user_errors():
        folder = out or Path(f"export-{tenant_id}" + (f"-{user}" if user else ""))
        counts = asyncio.run(_offboard(project_dir, tenant_id, user, folder))
        click.echo(json.dumps({"tenant": tenant_id, "user": user, "folder": str(folder), **counts}, indent=2))


@tenant.command()
@click.argument("tenant_id")
@click.option("--user", "-u", default=None, help="Only what this user of the tenant owns (an erasure request).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@project_option
def delete(tenant_id: str, user: str | None, yes: bool, project_dir: Path) -> None:
    """Delete TENANT_ID's sessions, memory, documents, index entries and data keys, in every backend.

    With --user, only that user's sessions, memory and memory index entries (documents and keys are the
    tenant's). Prints what was removed.
    """
    with user_errors():
        whom = f"user '{user}' of tenant '{tenant_id}'" if user else f"tenant '{tenant_id}'"
        if not yes and not click.confirm(f"Delete everything {whom} owns? This cannot be undone", default=False):
            fail("aborted: nothing deleted")
        counts = asyncio.run(_offboard(project_dir, tenant_id, user, None))
        click.echo(json.dumps({"tenant": tenant_id, "user": user, "deleted": counts}, indent=2))


async def _offboard(project_dir: Path, tenant_id: str, user: str | None, out: Path | None) -> dict[str, int]:
    from engine.engine import Engine
    from engine.offboard import Offboarding

    async with Engine.open(find_root(project_dir)) as engine:
        job = Offboarding(engine, tenant_id, user)
        return await job.export(out) if out is not None else await job.delete()


@main.group()
def memory() -> None:
    """Long-term memory upkeep."""


@memory.command()
@project_option
def sweep(project_dir: Path) -> None:
    """Delete the memory entries whose time to live ran out (stores.knowledge.memory_ttl_minutes): their index
    rows and their store items, every tenant's, pool and silo. Prints the counts.

    `tenantflow serve` does this every --memory-sweep-interval seconds by itself.
    """
    with user_errors():
        click.echo(json.dumps(asyncio.run(_sweep(project_dir)), indent=2))


async def _sweep(project_dir: Path) -> dict[str, int]:
    from engine.engine import Engine
    from engine.expiry import sweep_expired

    async with Engine.open(find_root(project_dir)) as engine:
        return (await sweep_expired(engine)).as_dict()
