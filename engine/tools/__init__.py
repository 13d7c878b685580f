"""The tool gateway: tools from Python, OpenAPI and MCP, filtered by policy, wrapped by interceptors."""

from engine.tools.catalog import ToolCatalog, ToolEntry, load_gateway
from engine.tools.gateway import ToolGateway, ToolRequest

__all__ = ["ToolCatalog", "ToolEntry", "load_gateway", "ToolGateway", "ToolRequest"]
