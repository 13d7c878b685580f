"""Build model providers by name, one shared instance per name and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.models.base import ModelProvider
from engine.models.bedrock import BedrockProvider
from engine.models.scripted import ScriptedProvider


@dataclass(frozen=True)
class ProviderSettings:
    """What a provider needs from the project file; each provider reads its own part."""

    #: Scripted double: the YAML fixture file it answers from.
    fixtures: str | None = None
    #: Bedrock: the AWS region (None: the usual boto3 lookup, e.g. AWS_REGION).
    region_name: str | None = None


def _bedrock(settings: ProviderSettings) -> ModelProvider:
    return BedrockProvider(region_name=settings.region_name)


def _scripted(settings: ProviderSettings) -> ModelProvider:
    if settings.fixtures is None:
        raise ValueError("the scripted model provider needs a fixtures file (settings.fixtures)")
    return ScriptedProvider.from_file(settings.fixtures)


@dataclass(frozen=True)
class ProviderKind:
    """How to build one provider, and which settings it reads (its cache key)."""

    build: Callable[[ProviderSettings], ModelProvider]
    reads: tuple[str, ...]


#: Provider name -> kind. A new provider is one module plus one line here.
KINDS: dict[str, ProviderKind] = {
    "bedrock": ProviderKind(_bedrock, reads=("region_name",)),
    "scripted": ProviderKind(_scripted, reads=("fixtures",)),
}


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

    def get(self, name: str, *, fixtures: str | Path | None = None, region_name: str | None = None) -> ModelProvider:
        """The provider called ``name``; ValueError naming the known ones if unknown."""
        kind, settings, key = self._key(name, fixtures, region_name)
        if key not in self._cache:
            self._cache[key] = kind.build(settings)
        return self._cache[key]

    def install(self, name: str, provider: ModelProvider, *, fixtures: str | Path | None = None,
                region_name: str | None = None) -> None:
        """Use ``provider`` for ``name`` with these settings (e.g. a Bedrock provider on a stubbed client)."""
        _, _, key = self._key(name, fixtures, region_name)
        self._cache[key] = provider

    def _key(self, name: str, fixtures: str | Path | None,
             region_name: str | None) -> tuple[ProviderKind, ProviderSettings, tuple[str, tuple[object, ...]]]:
        kind = KINDS.get(name)
        if kind is None:
            raise ValueError(f"unknown model provider {name!r}; known: {', '.join(sorted(KINDS))}")
        settings = ProviderSettings(
            # Resolved, so the same file named two ways is one provider.
            fixtures=str(Path(fixtures).resolve()) if fixtures is not None else None,
            region_name=region_name,
        )
        # Settings another provider reads must not split this one's cache.
        return kind, settings, (name, tuple(getattr(settings, field) for field in kind.reads))

    def clear(self) -> None:
        """Forget every built provider (tests; reloading edited fixtures)."""
        self._cache.clear()
