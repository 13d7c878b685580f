"""Loading the gateway section of tenantflow.yaml: its OpenAPI and MCP tools join the skill registry.

Python tools come from the skill registry. OpenAPI operations and MCP
server tools are registered into the same registry when the project loads,
so workflows, the compiler, policies and the bridge chain treat every tool
alike. Only allow-listed operations and MCP tools are imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import Problem
from engine.skills.registry import SHARED, SkillDef, SkillRegistry
from engine.spec.hints import did_you_mean
from engine.spec.project import GatewaySpec
from engine.spec.source import Document
from engine.tools.catalog import ToolCatalog, ToolEntry
from engine.tools.openapi import openapi_tools


def load_gateway(root: Path, spec: GatewaySpec, registry: SkillRegistry, doc: Document) -> tuple[ToolCatalog,
                                                                                               list[Problem]]:
    """Register OpenAPI and MCP tools into ``registry``; check every name the gateway section uses."""
    catalog = ToolCatalog(spec)
    problems: list[Problem] = []
    for i, source in enumerate(spec.openapi):
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
