"""The tenant file: tier, isolation per layer, models, guardrails, overrides."""

from __future__ import annotations

import fnmatch
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from engine.spec.common import Ident, Strict
from engine.spec.project import ModelEntry, Quotas

Isolation = Literal["pool", "silo"]


class IsolationSpec(Strict):
    """Silo or pool, chosen per layer."""

    runtime: Isolation = "pool"
    memory: Isolation = "pool"
    tools: Isolation = "pool"
    rag: Isolation = "pool"


class TenantGateway(Strict):
    """The tenant's own deployments of the project's tool sources (``isolation.tools: silo``)."""

    #: Gateway source name (an ``openapi`` or ``mcp`` entry of tenantflow.yaml) -> the URL of the
    #: tenant's own deployment of it: the API's base URL, or the MCP server's URL.
    endpoints: dict[Ident, str] = Field(default_factory=dict)

    @field_validator("endpoints")
    @classmethod
    def _urls(cls, endpoints: dict[str, str]) -> dict[str, str]:
        for name, url in endpoints.items():
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"endpoint of '{name}' must be an http:// or https:// URL with a host, got {url!r}")
        return endpoints


class TenantModels(Strict):
    #: The tenant's own default model alias (e.g. a fine-tuned one).
    default: str | None = None
    #: Models only this tenant may use, by alias.
    catalog: dict[Ident, ModelEntry] = Field(default_factory=dict)


class Entitlements(Strict):
    #: Glob patterns of skills and tools the tenant may call. Skills default
    #: to all; tools default to none (closed by default).
    skills: list[str] = Field(default_factory=lambda: ["*"])
    tools: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)

    def allows(self, kind: str, name: str) -> bool:
        """Closed by default: only names matching a pattern of their kind are allowed."""
        patterns = self.skills if kind == "skill" else self.tools
        return any(fnmatch.fnmatchcase(name, p) for p in patterns)


class StepInsert(Strict):
    after: str | None = None
    before: str | None = None
    step: dict[str, Any]


class WorkflowOverride(Strict):
    """A tenant's changes to one workflow: merge into steps by id, insert steps."""

    steps: dict[str, dict[str, Any]] = Field(default_factory=dict)
    insert: list[StepInsert] = Field(default_factory=list)


class TenantTelemetry(Strict):
    #: Put prompt and completion text on this tenant's model-call spans (redacted by its output rules). Never
    #: for a tenant whose guardrail profile forbids it (hipaa, pci): such a tenant's texts stay out of traces.
    capture_content: bool = False


class TenantMeta(Strict):
    id: Ident
    name: str = ""


class TenantSpec(Strict):
    api_version: Literal["tenantflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Tenant"]
    metadata: TenantMeta
    tier: str
    isolation: IsolationSpec = Field(default_factory=IsolationSpec)
    models: TenantModels = Field(default_factory=TenantModels)
    guardrails: dict[str, Any] = Field(default_factory=dict)
    entitlements: Entitlements = Field(default_factory=Entitlements)
    #: Where this tenant's remote tools run when its tools are silo.
    gateway: TenantGateway = Field(default_factory=TenantGateway)
    quotas: Quotas = Field(default_factory=lambda: Quotas())
    telemetry: TenantTelemetry = Field(default_factory=TenantTelemetry)
    #: Workflows this tenant runs; empty means every workflow of the project.
    workflows: list[str] = Field(default_factory=list)
    overrides: dict[str, WorkflowOverride] = Field(default_factory=dict)
