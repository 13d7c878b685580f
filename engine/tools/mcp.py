"""Tools of an MCP server over streamable HTTP, named ``<source>.<tool>``.

Only the tools the source allow-lists are imported: a server cannot add
tools to an agent by itself. Their input schemas are read from the server
by :func:`discover` (``Engine.open`` runs it); until then a tool's schema is
an open object. Each call opens a session carrying the tool's exchanged
token as ``Authorization: Bearer``: the server sees the user's delegated
rights, never the user's own token.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from engine.errors import MissingExtra

try:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp_types import TextContent
except ImportError as missing:  # an optional part: name the extra that brings it
    raise MissingExtra("mcp", "gateway: mcp", missing.name or "mcp") from None

from engine.errors import Problem, SkillError, SpecError
from engine.spec.project import MCPSource, ToolAccess
from engine.telemetry.tracing import outgoing
from engine.tools.catalog import ToolCatalog, ToolEntry

ToolFn = Callable[..., Awaitable[Any]]


@asynccontextmanager
async def _client(source: MCPSource, token: Any = None, url: str | None = None) -> AsyncIterator[Client]:
    """A session with the server (at ``url``, else the shared one); the HTTP client (and its bearer
    token) lives exactly as long."""
    headers = {"Authorization": token.authorization} if token is not None else {}
    headers |= outgoing()  # the run's trace (the tool call's span), while traces are on
    async with httpx2.AsyncClient(headers=headers, timeout=source.timeout_s, follow_redirects=False) as http:
        async with Client(streamable_http_client(url or source.url, http_client=http),
                          read_timeout_seconds=source.timeout_s, mode="legacy") as client:
            yield client


def mcp_tools(source: MCPSource, catalog: ToolCatalog) -> list[tuple[ToolEntry, ToolFn]]:
    access = ToolAccess(audience=source.audience, scopes=source.scopes) if source.audience else None
    found = []
    for tool in source.tools:
        name = f"{source.name}.{tool}"
        found.append((ToolEntry(name, "mcp", {"type": "object"}, f"{tool} (MCP server {source.name})", access),
                      _caller(source, name, tool, catalog)))
    return found


def _caller(source: MCPSource, name: str, tool: str, catalog: ToolCatalog) -> ToolFn:
    async def call(*, ctx: Any, **arguments: Any) -> Any:
        url = catalog.deployment(name, source.name, source.url, ctx)
        try:
            async with _client(source, getattr(ctx, "token", None), url) as client:
                result = await client.call_tool(tool, arguments)
        except (httpx2.HTTPError, OSError) as exc:
            raise SkillError(name, f"{name}: MCP server unreachable ({exc.__class__.__name__})",
                             retryable=True) from None
        except Exception as exc:  # the SDK's protocol errors
            raise SkillError(name, f"{name}: MCP call failed ({exc.__class__.__name__}: {exc})") from None
        texts = [block.text for block in result.content if isinstance(block, TextContent)]
        if result.is_error:
            raise SkillError(name, f"{name}: {' '.join(texts)[:300] or 'the tool reported an error'}")
        if result.structured_content is not None:
            return dict(result.structured_content)
        joined = "\n".join(texts)
        try:
            parsed = json.loads(joined)
            return parsed if isinstance(parsed, dict) else {"result": parsed}
        except json.JSONDecodeError:
            return {"text": joined}

    return call


async def discover(catalog: ToolCatalog) -> None:
    """Read the input schemas of every allow-listed MCP tool; SpecError if a server lacks one."""
    for source in catalog.spec.mcp:
        try:
            async with _client(source) as client:
                listed = await client.list_tools()
        except Exception as exc:
            raise _unreachable(source, exc) from None
        offered = {tool.name: tool for tool in listed.tools}
        missing = [t for t in source.tools if t not in offered]
        if missing:
            raise SpecError([Problem("tenantflow.yaml", 0, 0, f"gateway.mcp.{source.name}",
                                     f"MCP server {source.url} does not offer {', '.join(missing)}",
                                     hint=f"it offers: {', '.join(sorted(offered)) or 'nothing'}", code="mcp")])
        for tool in source.tools:
            entry = catalog.entries[f"{source.name}.{tool}"]
            entry.input_schema = dict(offered[tool].input_schema)
            entry.description = offered[tool].description or entry.description


def _unreachable(source: MCPSource, exc: Exception) -> SpecError:
    return SpecError([Problem("tenantflow.yaml", 0, 0, f"gateway.mcp.{source.name}",
                              f"cannot list the tools of MCP server {source.url}: {exc.__class__.__name__}",
                              code="mcp")])
