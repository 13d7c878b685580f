"""The project file (tenantflow.yaml): model catalog, tiers, stores, bridge, identity, policy, gateway."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from engine.spec.common import Ident, Strict


class Price(Strict):
    """USD per 1,000 tokens."""

    input: float = Field(default=0.0, ge=0)
    output: float = Field(default=0.0, ge=0)


class ModelEntry(Strict):
    #: A registered model provider (``bedrock``, ``scripted``, or a package's own: engine.models.registry).
    provider: Ident
    model_id: str
    price_per_1k: Price = Field(default_factory=Price)
    description: str = ""
    max_tokens: int | None = Field(default=None, ge=1)
    #: This model's own provider settings, over ``models.providers.<provider>.options`` (``provider:
    #: langchain``: ``class`` and ``kwargs``, engine/models/langchain_chat.py).
    options: dict[str, Any] = Field(default_factory=dict)


class ProviderSettings(Strict):
    #: Scripted provider: fixture file, relative to the project folder.
    fixtures: str | None = None
    #: Bedrock provider: AWS region.
    region: str | None = None
    #: A provider's own settings, handed to it as they are.
    options: dict[str, Any] = Field(default_factory=dict)


class ModelsSpec(Strict):
    catalog: dict[Ident, ModelEntry] = Field(min_length=1)
    providers: dict[Ident, ProviderSettings] = Field(default_factory=dict)


class Quotas(Strict):
    requests_per_minute: int | None = Field(default=None, ge=1)
    #: Requests that may come at once, after a quiet spell (the token bucket's size); default: two
    #: seconds of the rate, and at least 5, so a person's few quick messages in a chat go through.
    burst: int | None = Field(default=None, ge=1)
    tokens_per_day: int | None = Field(default=None, ge=1)
    concurrency: int | None = Field(default=None, ge=1)
    #: Model cost (USD, from the catalog's prices) a tenant may spend per calendar month (UTC); a run is refused
    #: before its next model call once the month's spend reaches it. None: no monthly budget.
    cost_per_month_usd: float | None = Field(default=None, gt=0)
    #: A warning (log line, span event, counter) once the month's spend passes this fraction of the budget.
    budget_warning_at: float | None = Field(default=None, gt=0, lt=1)


class TierSpec(Strict):
    #: The catalog alias every "model: tier" step of this tier's tenants uses.
    model: str
    #: Aliases a step may pin for tenants of this tier (the tier model is always allowed).
    allowed_models: list[str] = Field(default_factory=list)
    guardrails: dict[str, Any] = Field(default_factory=dict)
    quotas: Quotas = Field(default_factory=Quotas)
    #: Feature flags every tenant of this tier has (Cedar policies read them as ``context.features``).
    features: list[str] = Field(default_factory=list)
    #: When its tenants' runs write checkpoints, for workflows that do not say (see WorkflowSpec.durability).
    durability: Literal["sync", "async", "exit"] | None = None


class PoolSpec(Strict):
    """A PostgreSQL connection pool (psycopg_pool), one per runtime process."""

    #: Connections opened at start and kept open while idle.
    min_size: int = Field(default=2, ge=0)
    #: At most this many connections at once; a request that finds none free waits for one.
    max_size: int = Field(default=10, ge=1)
    #: Seconds a request waits for a free connection before it fails.
    timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _sizes(self) -> PoolSpec:
        if self.max_size < self.min_size:
            raise ValueError(f"max_size ({self.max_size}) must be at least min_size ({self.min_size})")
        return self


def _silo_pool() -> PoolSpec:
    return PoolSpec(min_size=0, max_size=2)


class PostgresSpec(Strict):
    """Where the PostgreSQL checkpointer and store live. The connection string itself (it carries a password)
    is never written here: ``dsn_env`` names the environment variable that holds it."""

    dsn_env: str = "TENANTFLOW_DATABASE_URL"
    #: Schema of the shared tables: the checkpoints and memory of pool tenants.
    db_schema: str = Field(default="public", alias="schema", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    #: A tenant with isolation.memory silo keeps its memory and checkpoints in a schema of its own: this prefix,
    #: then its id.
    silo_schema_prefix: str = Field(default="tenantflow_silo_", pattern=r"^[a-z_][a-z0-9_]{0,47}$")
    #: The pool of the shared tables.
    pool: PoolSpec = Field(default_factory=PoolSpec)
    #: The pool of each silo tenant's schema (opened on the tenant's first run; idle connections close).
    silo_pool: PoolSpec = Field(default_factory=_silo_pool)

    @field_validator("dsn_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        # The value is not repeated in the message: it may be the connection string pasted by mistake.
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("expected the name of an environment variable (like TENANTFLOW_DATABASE_URL) that "
                             "holds the connection string, never the connection string itself")
        return value


class KmsSpec(Strict):
    """The AWS KMS key that wraps every tenant's data keys (GenerateDataKey / Decrypt through boto3)."""

    #: A key id, key ARN, alias name (``alias/tenantflow``) or alias ARN of a symmetric encryption key.
    key_id: str = Field(min_length=1)
    #: The key's region; None takes boto3's (AWS_REGION, the profile).
    region: str | None = None


class EncryptionSpec(Strict):
    """Encryption at rest of checkpoints and memory values, AES-256-GCM with a data key per tenant.

    ``local`` wraps the data keys with a key file made on first use (development only: the file sits
    beside the data it protects); ``kms`` with an AWS KMS key; ``none`` stores plaintext.
    """

    provider: Literal["local", "kms", "none"] = "local"
    #: The local provider's key file; relative paths are under the project folder. Default
    #: ``<data_dir>/keys/master.key``.
    key_file: str | None = None
    #: Required with ``provider: kms``.
    kms: KmsSpec | None = None
    #: Seconds a process trusts its cached list of a tenant's keys before reading it again, so a rotation
    #: made by another process (``tenantflow keys rotate``) reaches new writes within this time.
    refresh_s: float = Field(default=60.0, gt=0)
    #: Read checkpoints written before encryption was turned on (a migration window); never for memory values.
    read_plaintext: bool = False

    @model_validator(mode="after")
    def _kms_needs_a_key(self) -> EncryptionSpec:
        if self.provider == "kms" and self.kms is None:
            raise ValueError("provider kms needs kms: {key_id: ...} (the KMS key that wraps the tenants' data keys)")
        return self


#: An AgentCore Memory resource id or ARN, as the bedrock-agentcore service model's ``memoryId`` pattern says.
AGENTCORE_MEMORY_ID = re.compile(r"(arn:(aws|aws-cn|aws-us-gov):bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:memory/)?"
                                 r"[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}")

#: A Bedrock knowledge base id, as the bedrock-agent-runtime service model defines it.
KNOWLEDGE_BASE_ID = re.compile(r"[0-9a-zA-Z]{1,10}")

#: Why ``store: agentcore`` is refused (langgraph-checkpoint-aws's AgentCoreMemoryStore, docs/deployment.md).
AGENTCORE_STORE_REFUSED = (
    "store: agentcore is not offered: langgraph-checkpoint-aws's AgentCoreMemoryStore keeps only chat messages "
    "under two-part (actor, session) namespaces and searches the records AgentCore extracts from them "
    "asynchronously, while tenantflow's memory keeps JSON values under keys at the tenant, user and session levels "
    "and reads them back exactly; use checkpointer: agentcore with a sqlite or postgres store")


class AgentCoreSpec(Strict):
    """The AgentCore Memory resource the ``agentcore`` checkpointer keeps sessions in (langgraph-checkpoint-aws's
    AgentCoreMemorySaver: one event stream per actor ``tenant:user`` and session)."""

    #: The memory resource id (or ARN) of the pool tenants' sessions.
    memory_id: str | None = None
    #: AWS region of the memory resource (default: the AWS SDK's, from the environment).
    region: str | None = None
    #: Another endpoint for the bedrock-agentcore API (a VPC endpoint, a local test service).
    endpoint_url: str | None = None
    #: Each silo tenant's own memory resource (``isolation.memory: silo``): its sessions never share one.
    silo_memory_ids: dict[Ident, str] = Field(default_factory=dict)

    @field_validator("memory_id")
    @classmethod
    def _memory_id(cls, value: str | None) -> str | None:
        if value is not None and not AGENTCORE_MEMORY_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not an AgentCore Memory id (like tenantflow_memory-AbCdEf1234) or ARN")
        return value

    @field_validator("silo_memory_ids")
    @classmethod
    def _silo_memory_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for tenant, memory_id in value.items():
            if not AGENTCORE_MEMORY_ID.fullmatch(memory_id):
                raise ValueError(f"silo tenant '{tenant}': {memory_id!r} is not an AgentCore Memory id or ARN")
        return value


class EmbeddingsSpec(Strict):
    """The model that embeds chunks and queries for search by meaning; ``none`` searches by words only."""

    #: ``offline-test-double`` hashes words (a deterministic test double, not a model); ``langchain`` calls
    #: ``factory`` ("module:callable") for a LangChain Embeddings object.
    provider: Literal["none", "offline-test-double", "bedrock", "langchain"] = "none"
    model_id: str = "amazon.titan-embed-text-v2:0"
    dimensions: int = Field(default=1024, ge=8, le=8192)
    region: str | None = None
    factory: str | None = None


class BedrockKnowledgeBaseSpec(Strict):
    """Amazon Bedrock Knowledge Bases as where ``retrieve`` steps search documents (``provider: bedrock_kb``).

    A pool tenant searches the shared ``knowledge_base_id``; a tenant with ``isolation.rag: silo`` searches its
    own entry of ``silo_knowledge_base_ids``. Either way the engine adds ``<tenant_key> = <tenant id>`` to every
    query: the documents of each tenant must carry that metadata attribute.
    """

    #: The shared (pool) knowledge base.
    knowledge_base_id: str | None = None
    region: str | None = None
    #: The metadata attribute holding a document's tenant id.
    tenant_key: str = Field(default="tenant_id", min_length=1, max_length=100)
    #: Silo tenant -> its own knowledge base.
    silo_knowledge_base_ids: dict[str, str] = Field(default_factory=dict)
    #: Attempts of a throttled Retrieve call (with exponential backoff) before the step fails as retryable.
    attempts: int = Field(default=4, ge=1, le=10)

    @field_validator("knowledge_base_id")
    @classmethod
    def _kb_id(cls, value: str | None) -> str | None:
        if value is not None and not KNOWLEDGE_BASE_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a Bedrock knowledge base id (up to 10 letters or digits)")
        return value

    @field_validator("silo_knowledge_base_ids")
    @classmethod
    def _silo_kb_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for tenant, kb_id in value.items():
            if not KNOWLEDGE_BASE_ID.fullmatch(kb_id):
                raise ValueError(f"silo tenant '{tenant}': {kb_id!r} is not a Bedrock knowledge base id")
        return value


class KnowledgeSpec(Strict):
    """Documents (``tenantflow ingest``, ``retrieve:``) and the index behind ``recall`` with a query."""

    #: Where ``retrieve`` steps search documents: ``local`` (the index ``tenantflow ingest`` fills) or
    #: ``bedrock_kb`` (Amazon Bedrock Knowledge Bases, filled by the knowledge base's data source sync).
    #: Memory recalled by query stays in the local index either way.
    provider: Literal["local", "bedrock_kb"] = "local"
    bedrock_kb: BedrockKnowledgeBaseSpec = Field(default_factory=BedrockKnowledgeBaseSpec)
    #: ``auto``: vector when embeddings are configured, else lexical. Vector ranked best with a real model on the
    #: retrieval benchmark; hybrid (reciprocal rank fusion) was second (docs/benchmarks.md, "Knowledge").
    search: Literal["auto", "lexical", "vector", "hybrid"] = "auto"
    embeddings: EmbeddingsSpec = Field(default_factory=EmbeddingsSpec)
    chunk_chars: int = Field(default=1000, ge=100, le=20000)
    chunk_overlap: int = Field(default=150, ge=0, le=5000)
    #: Minutes a memory entry stays recallable, per level (none: until deleted).
    memory_ttl_minutes: dict[Literal["tenant", "user", "session"], float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _overlap(self) -> KnowledgeSpec:
        if self.chunk_overlap >= self.chunk_chars:
            raise ValueError("chunk_overlap must be smaller than chunk_chars")
        kb = self.bedrock_kb
        if self.provider == "bedrock_kb" and kb.knowledge_base_id is None and not kb.silo_knowledge_base_ids:
            raise ValueError("provider: bedrock_kb needs bedrock_kb: {knowledge_base_id: ...} (the shared knowledge "
                             "base) or silo_knowledge_base_ids")
        return self


class StoresSpec(Strict):
    data_dir: str = ".tenantflow"
    checkpointer: Literal["sqlite", "memory", "postgres", "agentcore"] = "sqlite"
    store: Literal["sqlite", "memory", "postgres"] = "sqlite"
    #: Used by the postgres checkpointer and store.
    postgres: PostgresSpec = Field(default_factory=PostgresSpec)
    #: Used by the agentcore checkpointer.
    agentcore: AgentCoreSpec = Field(default_factory=AgentCoreSpec)
    #: Encryption at rest of checkpoints and memory values (on by default, with a local key file).
    encryption: EncryptionSpec = Field(default_factory=EncryptionSpec)
    #: The knowledge index: documents for ``retrieve`` and memory for ``recall`` by query.
    knowledge: KnowledgeSpec = Field(default_factory=KnowledgeSpec)

    @field_validator("store", mode="before")
    @classmethod
    def _no_agentcore_store(cls, value: Any) -> Any:
        if value == "agentcore":
            raise ValueError(AGENTCORE_STORE_REFUSED)
        return value

    @model_validator(mode="after")
    def _agentcore_needs_a_memory(self) -> StoresSpec:
        if self.checkpointer == "agentcore" and self.agentcore.memory_id is None:
            raise ValueError("checkpointer: agentcore needs agentcore: {memory_id: ...} (the AgentCore Memory "
                             "resource its sessions are kept in)")
        return self


class TenantLabelsSpec(Strict):
    """Which tenant ids label metrics: the cardinality bound (docs/observability.md, "10,000 tenants")."""

    #: Tenants whose id always labels their metrics (the ones you bill or watch closely).
    always: list[str] = Field(default_factory=list)
    #: Besides those, at most this many tenant ids label metrics in one process, first come first served;
    #: every later tenant's metrics carry ``tenant.id="_other"`` (their tier label stays).
    max_distinct: int = Field(default=100, ge=0)


class LedgerSpec(Strict):
    """Where the usage ledger (one record per run, the source of cost per tenant) is kept."""

    #: sqlite: a file in the data folder; postgres: the stores' database (stores.postgres.dsn_env); none: no ledger.
    #: Unset: postgres where the checkpointer is (every worker and replica shares it), else sqlite.
    store: Literal["sqlite", "postgres", "none"] | None = None
    #: The SQLite file, relative to stores.data_dir.
    path: str = "usage.sqlite"


class TelemetrySpec(Strict):
    service_name: str = "tenantflow"
    #: Where spans go: "none" (nothing is recorded, no cost), "console" (stderr), "otlp" (OTLP over HTTP).
    #: OTEL_TRACES_EXPORTER overrides it; OTEL_EXPORTER_OTLP_ENDPOINT alone means otlp (docs/observability.md).
    traces: Literal["none", "console", "otlp"] = "none"
    #: Where metrics go, as for traces (OTEL_METRICS_EXPORTER overrides it).
    metrics: Literal["none", "console", "otlp"] = "none"
    #: OTLP/HTTP base URL (``/v1/traces`` and ``/v1/metrics`` are added); OTEL_EXPORTER_OTLP_ENDPOINT wins.
    endpoint: str | None = None
    #: Seconds between metric exports (OTEL_METRIC_EXPORT_INTERVAL, in ms, wins).
    metric_interval_s: float = Field(default=60.0, gt=0)
    #: Which tenant ids label metrics.
    tenant_labels: TenantLabelsSpec = Field(default_factory=TenantLabelsSpec)
    #: The environment variable holding the key that hashes user ids on spans (``user.hash``).
    user_hash_key_env: str = "TENANTFLOW_USER_HASH_KEY"
    ledger: LedgerSpec = Field(default_factory=LedgerSpec)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"


class ProjectMeta(Strict):
    name: Ident
    description: str = ""


class PathsSpec(Strict):
    workflows: str = "workflows"
    tenants: str = "tenants"
    skills: str = "skills"


SYMMETRIC_ALGORITHMS = ("HS256", "HS384", "HS512")
Algorithm = Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                    "ES256", "ES384", "ES512", "EdDSA"]


class ClaimMapping(Strict):
    """Where an issuer's tokens carry the tenant context (e.g. Cognito's ``custom:tenant_id``)."""

    tenant: str = "tenant_id"
    user: str = "sub"
    #: The tier the token claims; the tenant file's tier is the authority (see docs/identity.md).
    tier: str | None = "tier"
    #: A space-separated string (OAuth ``scope``) or a list (``scp``).
    scopes: str = "scope"
    #: Request attributes: context name -> claim name (string values only).
    attributes: dict[str, str] = Field(default_factory=dict)


class IssuerSpec(Strict):
    """One trusted token issuer: who it is, for whom, and how its signatures are checked."""

    issuer: str = Field(min_length=1)
    audience: list[str] = Field(min_length=1)
    #: Exactly one key source.
    jwks_url: str | None = None
    jwks_file: str | None = None
    public_key_file: str | None = None
    #: HS256 shared secret read from this environment variable: development only.
    secret_env: str | None = None
    development: bool = False
    algorithms: list[Algorithm] = Field(default_factory=lambda: list[Algorithm](["RS256"]), min_length=1)
    leeway_s: int = Field(default=30, ge=0, le=300)
    #: How long fetched JWKS keys are trusted before they are fetched again.
    jwks_cache_s: int = Field(default=300, ge=0, le=86400)
    claims: ClaimMapping = Field(default_factory=ClaimMapping)

    @field_validator("audience", mode="before")
    @classmethod
    def _one_audience(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_key_source(self) -> IssuerSpec:
        sources = [k for k in ("jwks_url", "jwks_file", "public_key_file", "secret_env") if getattr(self, k)]
        if len(sources) != 1:
            raise ValueError("an issuer needs exactly one key source: jwks_url, jwks_file, public_key_file or "
                             f"secret_env (got {', '.join(sources) if sources else 'none'})")
        symmetric = [a for a in self.algorithms if a in SYMMETRIC_ALGORITHMS]
        if self.secret_env:
            if not self.development:
                raise ValueError("secret_env (a shared HS256 secret) is for development only: set development: true")
            if len(symmetric) != len(self.algorithms):
                raise ValueError("an issuer with secret_env accepts only HS256, HS384 or HS512")
        elif symmetric:
            # Algorithm confusion: a public key must never be used as an HMAC secret.
            raise ValueError(f"algorithm {symmetric[0]} needs secret_env; public keys accept only asymmetric "
                             "algorithms")
        return self


class ExchangeSpec(Strict):
    """RFC 8693 token exchange: how a tool gets a token acting on behalf of the user."""

    #: builtin: the engine's own token service (development and tests); http: an external one.
    service: Literal["builtin", "http"] = "builtin"
    endpoint: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    #: ``iss`` of tokens the built-in service issues.
    issuer: str = "tenantflow-sts"
    #: Lifetime of an exchanged token.
    ttl_s: int = Field(default=300, ge=10, le=3600)
    timeout_s: float = Field(default=5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _endpoint_for_http(self) -> ExchangeSpec:
        if self.service == "http" and not self.endpoint:
            raise ValueError("service: http needs endpoint: the token service's URL")
        return self


class IdentitySpec(Strict):
    """Trusted issuers of user tokens, and token exchange for tools."""

    issuers: list[IssuerSpec] = Field(min_length=1)
    #: Larger tokens are refused before they are parsed.
    max_token_bytes: int = Field(default=8192, ge=256, le=65536)
    exchange: ExchangeSpec = Field(default_factory=ExchangeSpec)


class PolicySpec(Strict):
    """Cedar policies deciding every skill and tool call."""

    #: enforce: a deny refuses the call; log_only: a deny is logged and recorded, the call goes on.
    mode: Literal["enforce", "log_only"] = "enforce"
    #: Platform-wide policy folder; each tenant's own is tenants/<id>/policies/.
    folder: str = "policies"


class ToolAccess(Strict):
    """What a tool needs to act on behalf of the user: its resource server and scopes."""

    audience: str = Field(min_length=1)
    scopes: list[str] = Field(default_factory=list)


class OpenAPISource(Strict):
    """Tools from the operations of an OpenAPI document, named ``<name>.<operationId>``."""

    name: Ident
    spec: str
    base_url: str
    #: Operation ids to import; tools are closed by default, so nothing else is.
    operations: list[str] = Field(min_length=1)
    audience: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=120)


class MCPSource(Strict):
    """Tools of an MCP server (streamable HTTP), named ``<name>.<tool>``."""

    name: Ident
    url: str
    #: Server tools to import; a server cannot add tools to an agent by itself.
    tools: list[str] = Field(min_length=1)
    audience: str | None = None
    scopes: list[str] = Field(default_factory=list)
    timeout_s: float = Field(default=10.0, gt=0, le=120)


RequestInterceptor = Literal["validate_claims", "tenant_arguments"]
ResponseInterceptor = Literal["sanitize_results"]


class InterceptorsSpec(Strict):
    """The gateway's interceptor chains, in order."""

    request: list[RequestInterceptor] = Field(
        default_factory=lambda: list[RequestInterceptor](["validate_claims", "tenant_arguments"]))
    response: list[ResponseInterceptor] = Field(
        default_factory=lambda: list[ResponseInterceptor](["sanitize_results"]))


class GatewaySpec(Strict):
    """The tool gateway: what tools need, where they come from, what wraps each call."""

    tools: dict[str, ToolAccess] = Field(default_factory=dict)
    openapi: list[OpenAPISource] = Field(default_factory=list)
    mcp: list[MCPSource] = Field(default_factory=list)
    interceptors: InterceptorsSpec = Field(default_factory=InterceptorsSpec)
    #: Arguments the tenant_arguments interceptor sets from the verified context, per tool glob:
    #: ``{"crm.*": {"tenant": "tenant_id"}}`` (values: tenant_id, user_id, tier).
    arguments: dict[str, dict[str, Literal["tenant_id", "user_id", "tier"]]] = Field(default_factory=dict)
    #: Results larger than this (as JSON) are refused by sanitize_results.
    max_result_bytes: int = Field(default=262144, ge=1024)


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
    #: Trusted token issuers and token exchange; without it runs use development contexts only.
    identity: IdentitySpec | None = None
    policy: PolicySpec = Field(default_factory=PolicySpec)
    gateway: GatewaySpec = Field(default_factory=GatewaySpec)

    def ledger_store(self) -> str:
        """Where the usage ledger is kept: ``telemetry.ledger.store``, else beside the checkpoints."""
        chosen = self.telemetry.ledger.store
        if chosen is not None:
            return chosen
        return "postgres" if self.stores.checkpointer == "postgres" else "sqlite"
