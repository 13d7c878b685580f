"""How one runtime process is configured: what it serves, its limits, and where limits are shared."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import TenantflowError
from engine.spec.hints import did_you_mean

if TYPE_CHECKING:
    from engine.project import Project

#: Environment variable carrying the configuration to uvicorn's worker processes.
CONFIG_ENV = "TENANTFLOW_RUNTIME_CONFIG"
#: Where a Redis URL may come from when ``--redis`` is not given.
REDIS_ENV = "TENANTFLOW_REDIS_URL"

DEFAULT_PORT = 8080


@dataclass(frozen=True)
class RuntimeConfig:
    """One runtime: the project it serves, for whom, and how it protects itself.

    ``tenant`` makes it a silo runtime (that tenant only); without it, it is
    the pool runtime (every tenant whose ``isolation.runtime`` is pool).
    ``workflow`` makes the request body the workflow's input itself.
    """

    root: Path
    tenant: str | None = None
    workflow: str | None = None
    #: Limits are shared through Redis when set; else they are counted in this process.
    redis_url: str | None = None
    #: Prefix of every Redis key, so several projects can share one Redis.
    redis_prefix: str = "tenantflow"
    max_body_bytes: int = 1024 * 1024
    max_header_bytes: int = 32 * 1024
    #: A request's headers must arrive within this many seconds (engine/runtime/protocol.py), its body within this
    #: many more (engine/runtime/invocations.py): a slow client cannot hold a socket, or a tenant's slot, for ever.
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    #: Open ``/ws`` connections one tenant may hold in this process: an idle connection holds a socket and
    #: memory, so one tenant may not take them all.
    max_ws_connections_per_tenant: int = 32
    #: How long a shutdown waits for runs in flight before it gives up on them.
    drain_timeout_s: float = 30.0
    #: Poll the project's files this often and reload on a change; 0 turns watching off.
    watch_interval_s: float = 2.0
    #: Delete expired memory entries (engine/expiry.py) this often; 0 turns it off. Every worker sweeps: a
    #: sweep that finds nothing left to delete is cheap, and deleting twice deletes nothing.
    memory_sweep_interval_s: float = 600.0
    #: Log one JSON line per request (tenant, request, session, workflow, status, duration).
    access_log: bool = True
    #: Level of the engine's own log lines (the project's telemetry.log_level unless the command line says).
    log_level: str = "WARNING"
    #: After startup, move everything built so far out of the cyclic GC's reach (``gc.freeze``): its full
    #: passes otherwise stall requests. Off where the app shares its process (tests).
    freeze_gc: bool = True

    def with_changes(self, **changes: Any) -> RuntimeConfig:
        return replace(self, **changes)

    def to_env(self) -> str:
        data = asdict(self)
        data["root"] = str(self.root)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_env(cls) -> RuntimeConfig:
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise RuntimeError(f"{CONFIG_ENV} is not set: start workers with `tenantflow serve`")
        data = json.loads(text)
        data["root"] = Path(data["root"])
        return cls(**data)


class RuntimeConfigError(TenantflowError):
    """The runtime cannot serve this project as asked (no token issuer, unknown tenant or workflow)."""

    code = "runtime"


def check_config(config: RuntimeConfig, project: Project) -> None:
    """Refuse to start (or to reload into) a project this runtime cannot serve safely."""
    if project.spec.identity is None:
        raise RuntimeConfigError("the runtime accepts verified tokens only: add an identity: section with a trusted "
                                 "issuer to tenantflow.yaml (see docs/deployment.md)")
    if config.tenant is not None and config.tenant not in project.tenants:
        hint = did_you_mean(config.tenant, project.tenants)
        raise RuntimeConfigError(f"--tenant: unknown tenant '{config.tenant}'"
                                 + (f" ({hint})" if hint.startswith("did") else ""))
    if config.workflow is not None:
        if config.workflow not in project.workflows:
            hint = did_you_mean(config.workflow, project.workflows)
            raise RuntimeConfigError(f"--workflow: unknown workflow '{config.workflow}'"
                                     + (f" ({hint})" if hint else ""))
        if config.tenant is not None:
            runs = project.tenants[config.tenant].spec.workflows
            if runs and config.workflow not in runs:
                raise RuntimeConfigError(f"tenant '{config.tenant}' does not run workflow '{config.workflow}' "
                                         f"(its workflows: {', '.join(runs)})")
