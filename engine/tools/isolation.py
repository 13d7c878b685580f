"""Silo tools: a tenant whose ``isolation.tools`` is silo calls its own deployment of every tool source.

Pool tenants share the project's gateway sources (one API base URL, one MCP
server each), which tell tenants apart by what the gateway adds from the
verified context: exchanged tokens and ``gateway.arguments``. A silo tenant
names in its tenant.yaml the URL of its own deployment of each source::

    isolation: {tools: silo}
    gateway:
      endpoints:
        crm: https://crm.acme.internal          # an openapi source: its base URL
        tickets: https://mcp.acme.internal/mcp  # an mcp source: the server's URL

Its calls go there and never to the shared deployment
(:meth:`~engine.tools.catalog.ToolCatalog.endpoint`). :func:`silo_endpoints`
checks, when the project loads, that every source the tenant's entitlements
reach has an endpoint of its own, and that no endpoint is shared: not with
the pool's deployment, not with another tenant. Python tools run in the
tenant's runtime, which ``isolation.runtime`` isolates; the source's
audience, scopes and input schemas (read from the shared server) are the
same for every deployment.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from engine.errors import Problem
from engine.spec.hints import did_you_mean
from engine.spec.project import GatewaySpec
from engine.spec.source import Document
from engine.spec.tenant import TenantSpec


def source_tools(spec: GatewaySpec) -> dict[str, list[str]]:
    """Each gateway source's tool names (``<source>.<operation or tool>``)."""
    found = {source.name: [f"{source.name}.{op}" for op in source.operations] for source in spec.openapi}
    found.update({source.name: [f"{source.name}.{tool}" for tool in source.tools] for source in spec.mcp})
    return found


def silo_endpoints(tenants: Mapping[str, tuple[TenantSpec, Document]],
                   spec: GatewaySpec) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """The silo tenants' own endpoints, per tenant and source, and the problems of every tenant's.

    ``tenants`` maps each tenant id to its tenant.yaml: the spec, and the document its problems point into.
    """
    sources = source_tools(spec)
    shared = {_same(source.base_url) for source in spec.openapi} | {_same(source.url) for source in spec.mcp}
    owners: dict[str, str] = {}
    silo: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for tenant_id, (tenant, doc) in sorted(tenants.items()):
        endpoints = tenant.gateway.endpoints
        for name in endpoints:
            if name not in sources:
                problems.append(doc.problem(("gateway", "endpoints", name), f"unknown gateway source '{name}'",
                                            hint=did_you_mean(name, sources), key=True, code="unknown-tool-source"))
        if tenant.isolation.tools == "pool":
            if endpoints:
                problems.append(doc.problem(("gateway", "endpoints"), "tool endpoints of a tenant's own need "
                                            "isolation.tools: silo; pool tenants call the project's shared "
                                            "deployments", code="tool-isolation"))
            continue
        for name, tools in sources.items():
            if name not in endpoints and any(tenant.entitlements.allows("tool", tool) for tool in tools):
                problems.append(doc.problem(
                    ("isolation", "tools"), f"its tools are silo, but tenant '{tenant_id}' has no deployment "
                    f"of its own of the gateway source '{name}', whose tools its entitlements reach",
                    hint=f"add gateway: {{endpoints: {{{name}: <URL of {tenant_id}'s deployment>}}}}",
                    code="tool-isolation"))
        for name, url in endpoints.items():
            where = ("gateway", "endpoints", name)
            if _same(url) in shared:
                problems.append(doc.problem(where, f"'{url}' is a shared deployment (tenantflow.yaml's gateway): a "
                                            "silo tenant's tools run on deployments of its own", code="tool-isolation"))
            elif owners.setdefault(_same(url), tenant_id) != tenant_id:
                problems.append(doc.problem(where, f"'{url}' is also tenant '{owners[_same(url)]}''s endpoint: "
                                            "silo deployments are not shared", code="tool-isolation"))
        silo[tenant_id] = dict(endpoints)
    return silo, problems


def _same(url: str) -> str:
    """``url`` as compared with others: scheme and host in lower case, no trailing slash."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"
