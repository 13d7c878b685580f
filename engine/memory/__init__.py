"""Namespaced memory (global, strategy, tenant, user, session) over LangGraph stores."""

from engine.memory.backends import Backends, StoresConfig, open_backends
from engine.memory.namespaces import LEVELS, Level, namespace_for
from engine.memory.scoped import MemoryItem, ScopedStore, seed_global, seed_strategy

__all__ = [
    # levels and namespaces
    "LEVELS",
    "Level",
    "namespace_for",
    # a principal's view of memory
    "MemoryItem",
    "ScopedStore",
    # platform-side writes to shared memory
    "seed_global",
    "seed_strategy",
    # checkpointer and store factories
    "Backends",
    "StoresConfig",
    "open_backends",
]
