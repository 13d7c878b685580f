"""The project file (tenantflow.yaml): model catalog, tiers, stores, bridge."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.spec.common import Ident, Strict


class Price(Strict):
    """USD per 1,000 tokens."""

    input: float = Field(default=0.0, ge=0)
    output: float = Field(default=0.0, ge=0)


class ModelEntry(Strict):
    provider: Literal["bedrock", "scripted"]
    model_id: str
    price_per_1k: Price = Field(default_factory=Price)
    description: str = ""
    max_tokens: int | None = Field(default=None, ge=1)


class ProviderSettings(Strict):
    #: Scripted provider: fixture file, relative to the project folder.
    fixtures: str | None = None
    #: Bedrock provider: AWS region.
    region: str | None = None


class ModelsSpec(Strict):
    catalog: dict[Ident, ModelEntry] = Field(min_length=1)
    providers: dict[Literal["bedrock", "scripted"], ProviderSettings] = Field(default_factory=dict)


class Quotas(Strict):
    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_day: int | None = Field(default=None, ge=1)
    concurrency: int | None = Field(default=None, ge=1)


class TierSpec(Strict):
    #: The catalog alias every "model: tier" step of this tier's tenants uses.
    model: str
    #: Aliases a step may pin for tenants of this tier (the tier model is always allowed).
    allowed_models: list[str] = Field(default_factory=list)
    guardrails: dict[str, Any] = Field(default_factory=dict)
    quotas: Quotas = Field(default_factory=Quotas)


class StoresSpec(Strict):
    data_dir: str = ".tenantflow"
    checkpointer: Literal["sqlite", "memory"] = "sqlite"
    store: Literal["sqlite", "memory"] = "sqlite"


class TelemetrySpec(Strict):
    service_name: str = "tenantflow"
    #: "none" keeps spans in-process (tests read them); "console" prints them.
    traces: Literal["none", "console"] = "none"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"


class ProjectMeta(Strict):
    name: Ident
    description: str = ""


class PathsSpec(Strict):
    workflows: str = "workflows"
    tenants: str = "tenants"
    skills: str = "skills"


class ProjectSpec(Strict):
    api_version: Literal["tenantflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Project"]
    metadata: ProjectMeta
    paths: PathsSpec = Field(default_factory=PathsSpec)
    models: ModelsSpec
    tiers: dict[Ident, TierSpec] = Field(min_length=1)
    #: Guardrail settings every tier starts from.
    guardrails: dict[str, Any] = Field(default_factory=dict)
    stores: StoresSpec = Field(default_factory=StoresSpec)
    telemetry: TelemetrySpec = Field(default_factory=TelemetrySpec)
    #: The shared bridge chain every skill call runs through, outermost first.
    bridge: list[Ident] = Field(default_factory=lambda: ["logging", "auth", "errors"])
