"""Runtime commands: serve (the AgentCore Runtime HTTP server) and routes (tenant -> runtime)."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from pathlib import Path

import click

from engine.cli.common import fail, open_project, project_option, user_errors
from engine.cli.group import main


@main.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (AgentCore: 8080).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 in a container.")
@click.option("--tenant", "-t", default=None, help="Silo: serve this tenant only, refuse every other tenant's token.")
@click.option("--workflow", "-w", default=None, help="Serve one workflow: the request body is its input.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (more than 1 needs --redis, so that they share the limits).")
@click.option("--redis", "redis_url", default=None, envvar="TENANTFLOW_REDIS_URL", show_envvar=True,
              help="Share per-tenant limits between workers and replicas through this Redis (redis://host:6379/0).")
@click.option("--redis-prefix", default="tenantflow", show_default=True,
              help="Prefix of the Redis keys (several projects may share one Redis).")
@click.option("--max-body-bytes", default=1024 * 1024, show_default=True, type=click.IntRange(1024))
@click.option("--max-header-bytes", default=32 * 1024, show_default=True, type=click.IntRange(4096))
@click.option("--ws-connections", default=32, show_default=True, type=click.IntRange(1),
              help="Open /ws connections one tenant may hold in each worker process.")
@click.option("--drain-timeout", default=30.0, show_default=True, type=click.FloatRange(0),
              help="On shutdown, seconds to wait for runs in flight.")
@click.option("--watch-interval", default=2.0, show_default=True, type=click.FloatRange(0),
              help="Poll the project's files this often and reload on change; 0: only on SIGHUP.")
@click.option("--memory-sweep-interval", default=600.0, show_default=True, type=click.FloatRange(0),
              help="Delete expired memory entries (stores.knowledge.memory_ttl_minutes) this often, in seconds; 0: "
              "never (run `tenantflow memory sweep` instead).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default=None,
              help="The engine's log level (default: tenantflow.yaml's telemetry.log_level).")
@click.option("--no-access-log", is_flag=True, help="Do not log a JSON line per request.")
@click.option("--no-gc-freeze", is_flag=True, help="Do not exempt what startup built from the cyclic GC (gc.freeze).")
@project_option
def serve(port: int, host: str, tenant: str | None, workflow: str | None, workers: int, redis_url: str | None,
          redis_prefix: str, max_body_bytes: int, max_header_bytes: int, ws_connections: int, drain_timeout: float,
          watch_interval: float, memory_sweep_interval: float, log_level: str | None, no_access_log: bool,
          no_gc_freeze: bool, project_dir: Path) -> None:
    """Serve workflows over HTTP as an Amazon Bedrock AgentCore Runtime: POST /invocations, GET /ping.

    Callers authenticate with a JWT (Authorization: Bearer) from an issuer in
    tenantflow.yaml's identity section; `tenantflow token` mints development
    ones. Without --tenant this is the pool runtime (every tenant whose
    isolation.runtime is pool); `tenantflow routes` lists which runtime
    serves whom. See docs/deployment.md.
    """
    from engine.runtime.config import RuntimeConfig, check_config
    from engine.runtime.logs import configure
    from engine.runtime.server import serve as run_server

    started = time.perf_counter()
    # The cyclic GC stays off until the runtime has started (engine/runtime/app.py switches it back on
    # and freezes what startup built): see engine/startup.py.
    gc.disable()
    with user_errors():
        project = open_project(project_dir)
        config = RuntimeConfig(root=project.root, tenant=tenant, workflow=workflow, redis_url=redis_url or None,
                               redis_prefix=redis_prefix,
                               max_body_bytes=max_body_bytes, max_header_bytes=max_header_bytes,
                               max_ws_connections_per_tenant=ws_connections,
                               drain_timeout_s=drain_timeout, watch_interval_s=watch_interval,
                               memory_sweep_interval_s=memory_sweep_interval,
                               access_log=not no_access_log, freeze_gc=not no_gc_freeze,
                               log_level=log_level or project.spec.telemetry.log_level)
        check_config(config, project)
        if workers > 1 and not config.redis_url:
            fail("error: --workers > 1 needs --redis (or TENANTFLOW_REDIS_URL): each worker process would "
                 "otherwise count the tenants' limits on its own")
        stores = project.spec.stores
        if workers > 1 and "sqlite" in (stores.checkpointer, stores.store):
            fail("error: --workers > 1 with the SQLite stores: several processes writing the same SQLite files fail "
                 "with 'database is locked' under load. Use stores: {checkpointer: postgres, store: postgres}, "
                 "which every worker and replica shares (docs/deployment.md), or run one worker per container, "
                 "or use stores: {checkpointer: memory, store: memory} for workflows that keep nothing between "
                 "requests")
        if workers > 1 and project.spec.ledger_store() == "sqlite":
            fail("error: --workers > 1 with the SQLite usage ledger: several processes writing one SQLite file fail "
                 "with 'database is locked' under load. Set telemetry: {ledger: {store: postgres}} (the default "
                 "where the checkpointer is postgres), or run one worker per container")
        if "postgres" in (stores.checkpointer, stores.store):
            from engine.memory.postgres import database_url

            database_url(stores.postgres)  # before any worker starts: a missing variable is one clear error
        if config.redis_url:
            _check_redis(config.redis_url)
    configure(config.log_level)
    what = f"tenant '{tenant}' (silo)" if tenant else "pool tenants"
    click.echo(f"tenantflow runtime: {what}{f', workflow {workflow}' if workflow else ''} on http://{host}:{port} "
               f"({workers} worker{'s' if workers > 1 else ''}, limits {'in Redis' if redis_url else 'in process'})",
               err=True)
    run_server(config, host=host, port=port, workers=workers, project=project if workers == 1 else None,
               started=started)


def _check_redis(url: str) -> None:
    from engine.usage.meter import LimiterUnavailable
    from engine.usage.redis import RedisMeter

    async def check() -> None:
        meter = RedisMeter.from_url(url)
        try:
            await meter.ping()
        finally:
            await meter.close()

    try:
        asyncio.run(check())
    except LimiterUnavailable as exc:
        fail(f"error: --redis: {exc}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--endpoint", default=None,
              help="URL template of a runtime, with {runtime} and {tenant}: http://tenantflow-{runtime}:8080")
@project_option
def routes(fmt: str, endpoint: str | None, project_dir: Path) -> None:
    """Print the routing table a SaaS proxy needs: each tenant's runtime, from its isolation.runtime."""
    from engine.runtime.routes import routing_table

    with user_errors():
        table = routing_table(open_project(project_dir), endpoint)
        if fmt == "json":
            click.echo(json.dumps(table.to_json(), indent=2, sort_keys=True))
        else:
            click.echo(table.to_text(), nl=False)

