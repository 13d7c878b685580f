"""Build model providers by name, one shared instance per name and settings.

A provider is registered by name: the engine's own (``bedrock``,
``scripted``, ``langchain``), those installed packages declare in the
``tenantflow.providers`` entry point group (a :class:`ProviderKind`, or a
callable taking :class:`ProviderSettings`), and those registered with
:func:`register_provider`. A project file names them in its model catalog.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from engine.models.base import ModelProvider
from engine.models.bedrock import BedrockProvider
from engine.models.langchain_chat import LangChainProvider, missing_package
from engine.models.scripted import ScriptedProvider


@dataclass(frozen=True)
class ProviderSettings:
    """What a provider needs from the project file; each provider reads its own part."""

    #: Scripted double: the YAML fixture file it answers from.
    fixtures: str | None = None
    #: Bedrock: the AWS region (None: the usual boto3 lookup, e.g. AWS_REGION).
    region_name: str | None = None
    #: A provider's own settings (``models.providers.<name>.options`` in the project file).
    options: Mapping[str, Any] = field(default_factory=dict)


def _bedrock(settings: ProviderSettings) -> ModelProvider:
    return BedrockProvider(region_name=settings.region_name)


def _scripted(settings: ProviderSettings) -> ModelProvider:
    if settings.fixtures is None:
        raise ValueError("the scripted model provider needs a fixtures file (settings.fixtures)")
    return ScriptedProvider.from_file(settings.fixtures)


def _langchain(settings: ProviderSettings) -> ModelProvider:
    class_path = settings.options.get("class")
    if not isinstance(class_path, str):
        raise ValueError("provider langchain needs options.class, the chat model's class path "
                         "(e.g. langchain_openai.ChatOpenAI)")
    kwargs = settings.options.get("kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise ValueError("provider langchain: options.kwargs must be a mapping of the class's arguments")
    unknown = sorted(set(settings.options) - {"class", "kwargs"})
    if unknown:
        raise ValueError(f"provider langchain: unknown options {', '.join(unknown)} (known: class, kwargs)")
    provider = LangChainProvider(class_path, kwargs)
    provider.load()  # a missing package or a wrong class path fails here, when the model is first resolved
    return provider


def _check_langchain(options: Mapping[str, Any]) -> list[str]:
    """What validate reports of a ``provider: langchain`` entry, without importing the class."""
    class_path = options.get("class")
    if not isinstance(class_path, str) or "." not in class_path:
        return ["provider langchain needs options.class, the chat model's class path "
                "(e.g. langchain_openai.ChatOpenAI)"]
    try:
        LangChainProvider(class_path, options.get("kwargs") or {})  # refuses secrets among the arguments
    except (ValueError, AttributeError) as exc:
        return [str(exc)]
    missing = missing_package(class_path)
    return [] if missing is None else [str(missing)]


@dataclass(frozen=True)
class ProviderKind:
    """How to build one provider, which settings it reads (its cache key), and what validate checks of
    a model's options (``check``: problems as messages, nothing imported)."""

    build: Callable[[ProviderSettings], ModelProvider]
    reads: tuple[str, ...] = ("options",)
    check: Callable[[Mapping[str, Any]], list[str]] | None = None


#: Entry point group a package registers its providers in.
ENTRY_POINTS = "tenantflow.providers"

_BUILTIN: dict[str, ProviderKind] = {
    "bedrock": ProviderKind(_bedrock, reads=("region_name",)),
    "scripted": ProviderKind(_scripted, reads=("fixtures",)),
    # One instance per class and arguments (a catalog entry's options over the provider's).
    "langchain": ProviderKind(_langchain, reads=("options",), check=_check_langchain),
}
_registered: dict[str, ProviderKind] = {}
_current: dict[str, ProviderKind] | None = None


def register_provider(name: str, kind: ProviderKind | Callable[[ProviderSettings], ModelProvider]) -> None:
    """Make provider ``name`` available to every project (catalog entries say ``provider: NAME``).

    >>> register_provider("echo", lambda settings: EchoProvider(**settings.options))   # doctest: +SKIP
    """
    global _current
    if name in _BUILTIN or name in _registered:
        raise ValueError(f"model provider '{name}' is registered twice")
    _registered[name] = kind if isinstance(kind, ProviderKind) else ProviderKind(kind)
    _current = None


def reset_providers() -> None:
    """Forget registered providers and reread entry points on next use (tests)."""
    global _current
    _registered.clear()
    _current = None


def provider_kinds() -> dict[str, ProviderKind]:
    """Every provider by name: the engine's, installed packages' (entry points), then registered ones."""
    global _current
    if _current is None:
        found = dict(_BUILTIN)
        for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
            if point.name in found:
                raise ValueError(f"model provider '{point.name}' is registered twice (entry point {point.value})")
            loaded = point.load()
            found[point.name] = loaded if isinstance(loaded, ProviderKind) else ProviderKind(loaded)
        for name, kind in _registered.items():
            if name in found:
                raise ValueError(f"model provider '{name}' is registered twice")
            found[name] = kind
        _current = found
    return _current


class Providers:
    """Builds and caches providers; one instance per (name, relevant settings).

    Providers hold no tenant state, so every tenant and run shares them
    (one boto3 client, one connection pool, one scripted fixture).

    >>> providers = Providers()
    >>> providers.get("bedrock", region_name="us-east-1") is providers.get("bedrock", region_name="us-east-1")
    True
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, tuple[object, ...]], ModelProvider] = {}

    def get(self, name: str, *, fixtures: str | Path | None = None, region_name: str | None = None,
            options: Mapping[str, Any] | None = None) -> ModelProvider:
        """The provider called ``name``; ValueError naming the known ones if unknown."""
        kind, settings, key = self._key(name, fixtures, region_name, options)
        if key not in self._cache:
            self._cache[key] = kind.build(settings)
        return self._cache[key]

    def install(self, name: str, provider: ModelProvider, *, fixtures: str | Path | None = None,
                region_name: str | None = None) -> None:
        """Use ``provider`` for ``name`` with these settings (e.g. a Bedrock provider on a stubbed client)."""
        _, _, key = self._key(name, fixtures, region_name, None)
        self._cache[key] = provider

    def _key(self, name: str, fixtures: str | Path | None, region_name: str | None, options: Mapping[str, Any] | None,
             ) -> tuple[ProviderKind, ProviderSettings, tuple[str, tuple[object, ...]]]:
        kinds = provider_kinds()
        kind = kinds.get(name)
        if kind is None:
            raise ValueError(f"unknown model provider {name!r}; known: {', '.join(sorted(kinds))}")
        settings = ProviderSettings(
            # Resolved, so the same file named two ways is one provider.
            fixtures=str(Path(fixtures).resolve()) if fixtures is not None else None,
            region_name=region_name,
            options=dict(options or {}),
        )
        # Settings another provider reads must not split this one's cache.
        return kind, settings, (name, tuple(_hashable(getattr(settings, f)) for f in kind.reads))

    def clear(self) -> None:
        """Forget every built provider (tests; reloading edited fixtures)."""
        self._cache.clear()


def _hashable(value: object) -> object:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, Mapping) else value
