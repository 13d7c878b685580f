"""Model providers: the chat interface LLM steps call, and its backends.

- interface: :class:`ChatRequest`, :class:`ChatResponse`, :class:`ToolSpec`,
  :class:`ToolCall`, :class:`ModelProvider`
- backends: :class:`BedrockProvider` (production), :class:`ScriptedProvider`
  (offline test double)
- building them by name: :class:`Providers`
"""

from engine.models.base import ChatRequest, ChatResponse, ModelProvider, ToolCall, ToolSpec
from engine.models.bedrock import BedrockProvider
from engine.models.registry import Providers, ProviderSettings
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
]
