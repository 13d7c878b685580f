"""The gateway's catalog: every tool's source, input schema, and what it needs to act for the user.

:func:`engine.tools.loader.load_gateway` fills it when the project loads;
the OpenAPI and MCP callers ask it where a tenant's call goes.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.errors import SkillError
from engine.skills.registry import SkillDef
from engine.spec.project import GatewaySpec, ToolAccess

Source = Literal["python", "openapi", "mcp"]


@dataclass
class ToolEntry:
    name: str
    source: Source
    input_schema: dict[str, Any]
    description: str = ""
    access: ToolAccess | None = None


@dataclass
class ToolCatalog:
    """Tools the gateway knows beyond their Python signature: source, schema, access needs."""

    spec: GatewaySpec
    entries: dict[str, ToolEntry] = field(default_factory=dict)
    #: Tenants whose tools are silo -> gateway source -> the URL of their own deployment of it
    #: (engine.tools.isolation); every other tenant calls the project's shared deployments.
    silo: dict[str, dict[str, str]] = field(default_factory=dict)

    def endpoint(self, source: str, shared_url: str, tenant_id: str | None) -> str | None:
        """Where a call of ``tenant_id`` to the gateway source ``source`` goes.

        A silo tenant's own deployment, else the shared one; None, and no call, for a silo
        tenant without one (validation refuses that) or a call without a tenant.
        """
        if tenant_id is None:
            return None
        own = self.silo.get(tenant_id)
        return shared_url if own is None else own.get(source)

    def deployment(self, tool: str, source: str, shared_url: str, ctx: Any) -> str:
        """The URL a call of ``tool`` (from the gateway source ``source``) goes to, for the tenant of
        ``ctx`` (the SkillContext the call gets); SkillError where it has none: never a shared fallback."""
        tenant = getattr(getattr(ctx, "tenant", None), "tenant_id", None)
        url = self.endpoint(source, shared_url, tenant if isinstance(tenant, str) else None)
        if url is None:
            raise SkillError(tool, f"{tool}: no deployment of '{source}' for this tenant (its tools are silo: "
                                   f"tenant.yaml needs gateway.endpoints.{source})")
        return url

    def access(self, name: str) -> ToolAccess | None:
        entry = self.entries.get(name)
        if entry is not None and entry.access is not None:
            return entry.access
        return self.spec.tools.get(name)

    def source(self, name: str) -> Source:
        entry = self.entries.get(name)
        return entry.source if entry is not None else "python"

    def schemas(self) -> dict[str, dict[str, Any]]:
        return {n: e.input_schema for n, e in self.entries.items()}

    def input_schema(self, definition: SkillDef) -> dict[str, Any]:
        entry = self.entries.get(definition.name)
        if entry is not None:
            return entry.input_schema
        if definition.input_model is not None:
            schema: dict[str, Any] = definition.input_model.model_json_schema()
            return schema
        return {"type": "object"}

    def tenant_arguments(self, name: str) -> dict[str, str]:
        """Arguments the tenant_arguments interceptor sets for ``name``, from the verified context."""
        found: dict[str, str] = {}
        for pattern, arguments in self.spec.arguments.items():
            if fnmatch.fnmatchcase(name, pattern):
                found.update(arguments)
        return found
