"""What every request of one runtime shares: the engine holder, the usage meter, health, and whom it serves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from engine.engine import Engine
from engine.runtime.config import RuntimeConfig
from engine.runtime.contract import HttpError
from engine.runtime.fairness import Fairness, FairRun
from engine.runtime.health import Health
from engine.runtime.reload import EngineHolder
from engine.usage.meter import Limits, Meter


@dataclass
class Service:
    config: RuntimeConfig
    holder: EngineHolder
    #: Admits requests against the counts the engine records into it (the same object as ``engine.quotas``).
    meter: Meter
    health: Health
    fairness: Fairness = field(default_factory=Fairness)
    #: Shutting down: runs in flight finish, new ones are refused (503) so that clients retry elsewhere.
    draining: bool = False
    #: Open /ws connections per tenant in this process.
    connections: Counter[str] = field(default_factory=Counter)

    def connection_opened(self, tenant: str) -> None:
        """Count one more open /ws connection of ``tenant``, or refuse it (429) at the tenant's limit."""
        limit = self.config.max_ws_connections_per_tenant
        if self.connections[tenant] >= limit:
            raise HttpError(429, "Too many open connections", code="connections",
                            fields={"max_connections": limit}, headers={"Retry-After": "1"})
        self.connections[tenant] += 1

    def connection_closed(self, tenant: str) -> None:
        self.connections[tenant] -= 1
        if self.connections[tenant] <= 0:
            del self.connections[tenant]

    def run_started(self, tenant: str) -> FairRun:
        """A run starts: /ping says HealthyBusy while it lasts, and the fair-share scheduler counts it (the run's
        steps await the gate it returns). End it with :meth:`run_ended`."""
        self.health.started()
        return self.fairness.start(tenant)

    def run_ended(self, run: FairRun) -> None:
        run.finish()
        self.health.finished()

    def check_tenant(self, engine: Engine, tenant: str) -> None:
        """Silo: this runtime's tenant only. Pool: every tenant whose ``isolation.runtime`` is pool."""
        if self.config.tenant is not None:
            if tenant != self.config.tenant:
                raise HttpError(403, "Forbidden", code="silo",
                                fields={"details": "this runtime is dedicated to another tenant"})
        elif engine.settings(tenant).isolation.runtime == "silo":
            raise HttpError(403, "Forbidden", code="silo",
                            fields={"details": "this tenant is served by its dedicated runtime, not the pool"})

    def check_workflow(self, engine: Engine, workflow: str, tenant: str) -> None:
        if workflow not in engine.project.workflows:
            raise HttpError(404, "Unknown workflow", code="unknown-workflow", fields={"workflow": workflow})
        if not engine.settings(tenant).runs(workflow):
            raise HttpError(403, "Forbidden", code="not-entitled",
                            fields={"details": f"the tenant does not run workflow '{workflow}'"})

    def limits(self, engine: Engine, tenant: str) -> Limits:
        return Limits.from_quotas(engine.settings(tenant).quotas)
