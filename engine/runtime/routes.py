"""The routing table a SaaS proxy needs: which runtime serves each tenant, from ``isolation.runtime``.

Pool tenants share the runtime ``pool`` (``tenantflow serve``); each silo
tenant has its own, ``silo-<tenant>`` (``tenantflow serve --tenant <id>``),
which refuses every other tenant's token, as the pool runtime refuses silo
tenants'. ``endpoint`` templates may use ``{runtime}`` and ``{tenant}``
(the silo's tenant; empty for the pool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import TenantflowError
from engine.project import Project

POOL = "pool"


@dataclass
class RuntimeRoute:
    name: str
    isolation: str
    command: str
    endpoint: str | None
    tenants: list[str] = field(default_factory=list)


@dataclass
class RoutingTable:
    runtimes: dict[str, RuntimeRoute]
    #: Tenant id -> runtime name.
    routes: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "runtimes": [{"name": r.name, "isolation": r.isolation, "command": r.command, "endpoint": r.endpoint,
                          "tenants": r.tenants} for r in self.runtimes.values()],
            "routes": self.routes,
        }

    def to_text(self) -> str:
        rows = [("tenant", "runtime", "endpoint")]
        rows += [(tenant, name, self.runtimes[name].endpoint or "-") for tenant, name in self.routes.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.append("")
        lines += [f"{r.name}: {r.command}  ({len(r.tenants)} tenant{'s' if len(r.tenants) != 1 else ''})"
                  for r in self.runtimes.values()]
        return "\n".join(lines) + "\n"


class EndpointTemplateError(TenantflowError):
    code = "runtime"


def _endpoint(template: str, runtime: str, tenant: str) -> str:
    try:
        return template.format(runtime=runtime, tenant=tenant)
    except (KeyError, IndexError, ValueError) as exc:
        raise EndpointTemplateError(f"--endpoint: cannot fill {template!r}: {exc.__class__.__name__}: {exc} "
                                    "(placeholders: {runtime}, {tenant})") from None


def routing_table(project: Project, endpoint: str | None = None) -> RoutingTable:
    """Every tenant of ``project`` and the runtime that serves it, sorted by tenant id."""
    runtimes: dict[str, RuntimeRoute] = {}
    routes: dict[str, str] = {}
    for tenant in sorted(project.tenants):
        isolation = project.tenants[tenant].spec.isolation.runtime
        name = POOL if isolation == "pool" else f"silo-{tenant}"
        if name not in runtimes:
            command = "tenantflow serve" + (f" --tenant {tenant}" if isolation == "silo" else "")
            url = _endpoint(endpoint, name, tenant if isolation == "silo" else "") if endpoint else None
            runtimes[name] = RuntimeRoute(name, isolation, command, url)
        runtimes[name].tenants.append(tenant)
        routes[tenant] = name
    return RoutingTable(dict(sorted(runtimes.items(), key=lambda kv: (kv[0] != POOL, kv[0]))), routes)
