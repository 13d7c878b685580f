"""The gateway's catalog: every tool's source, input schema, and what it needs to act for the user.

Python tools come from the skill registry. OpenAPI operations and MCP
server tools are registered into the same registry when the project loads,
so workflows, the compiler, policies and the bridge chain treat every tool
alike. Only allow-listed operations and MCP tools are imported.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.errors import Problem, SkillError
from engine.skills.registry import SHARED, SkillDef, SkillRegistry
from engine.spec.hints import did_you_mean
from engine.spec.project import GatewaySpec, ToolAccess
from engine.spec.source import Document

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


def load_gateway(root: Path, spec: GatewaySpec, registry: SkillRegistry, doc: Document) -> tuple[ToolCatalog,
                                                                                               list[Problem]]:
    """Register OpenAPI and MCP tools into ``registry``; check every name the gateway section uses."""
    catalog = ToolCatalog(spec)
    problems: list[Problem] = []
    for i, source in enumerate(spec.openapi):
        from engine.tools.openapi import openapi_tools

        entries, found = openapi_tools(root, source, doc, ("gateway", "openapi", i), catalog)
        problems += found
        for entry, fn in entries:
            _register(catalog, registry, entry, fn, f"gateway.openapi[{i}]", doc, ("gateway", "openapi", i), problems)
    for i, mcp_source in enumerate(spec.mcp):
        from engine.tools.mcp import mcp_tools  # the MCP SDK is imported only by projects that use it

        for entry, fn in mcp_tools(mcp_source, catalog):
            _register(catalog, registry, entry, fn, f"gateway.mcp[{i}]", doc, ("gateway", "mcp", i), problems)
    tools = registry.names("tool")
    for name in spec.tools:
        if name not in tools:
            problems.append(doc.problem(("gateway", "tools", name), f"unknown tool '{name}'",
                                        hint=did_you_mean(name, tools), key=True, code="unknown-tool"))
    return catalog, problems


def _register(catalog: ToolCatalog, registry: SkillRegistry, entry: ToolEntry, fn: Any, origin: str, doc: Document,
              path: tuple[str | int, ...], problems: list[Problem]) -> None:
    if entry.name in registry.names("tool"):
        problems.append(doc.problem(path, f"tool '{entry.name}' is already defined", code="duplicate-skill"))
        return
    registry.add(SkillDef("tool", entry.name, "1", SHARED, origin, entry.description, fn=fn))
    catalog.entries[entry.name] = entry
