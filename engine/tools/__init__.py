"""The tool gateway: tools from Python, OpenAPI and MCP, filtered by policy, wrapped by interceptors."""

from engine.tools.catalog import ToolCatalog, ToolEntry
from engine.tools.gateway import ToolGateway, ToolRequest
from engine.tools.loader import load_gateway

__all__ = ["ToolCatalog", "ToolEntry", "load_gateway", "ToolGateway", "ToolRequest"]
