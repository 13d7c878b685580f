"""Model providers: the chat interface LLM steps call, and its backends.

- interface: :class:`ChatRequest`, :class:`ChatResponse`, :class:`ToolSpec`,
  :class:`ToolCall`, :class:`ModelProvider`
- backends: :class:`BedrockProvider` (production), :class:`ScriptedProvider`
  (offline test double)
- building them by name: :class:`Providers`; registering a package's own:
  :func:`register_provider`, :class:`ProviderKind` (or the ``tenantflow.providers`` entry point group)
"""

from engine.models.base import ChatRequest, ChatResponse, ModelProvider, ToolCall, ToolSpec
from engine.models.bedrock import BedrockProvider
from engine.models.registry import ProviderKind, Providers, ProviderSettings, register_provider, reset_providers
from engine.models.scripted import ScriptedProvider

__all__ = [
    # interface
    "ChatRequest",
    "ChatResponse",
    "ModelProvider",
    "ToolCall",
    "ToolSpec",
    # backends
    "BedrockProvider",
    "ScriptedProvider",
    # building by name
    "Providers",
    "ProviderSettings",
    # registering a provider
    "ProviderKind",
    "register_provider",
    "reset_providers",
]
