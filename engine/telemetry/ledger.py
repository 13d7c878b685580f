"""The usage ledger: one record per run, the source of cost per tenant (``tenantflow costs``).

A record holds the tenant, its tier, a hash of the user, the workflow and its
compiled version, the session, per model the tokens in and out and their
cost (from the catalog's prices), the tool calls, the duration and the
outcome (``completed``, ``blocked``, ``waiting`` at an ``ask`` step, or
``failed``). Never an input, an output or a user id.

Written once per run, whatever happens to it: the record's key is the run's
id, kept in its checkpoints, so a run that pauses and is answered, fails
and is resumed, or is resumed after its process was killed, updates its one
record. Its model usage is the run's state's, which holds every model call
of every part of the run, so the last write is the whole run; tool calls
and duration add up over the parts.

Two stores: SQLite (a file in the data folder, the default) and PostgreSQL
(the stores' database, for many replicas).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import TenantflowError


class LedgerError(TenantflowError):
    """The usage ledger cannot be opened or read."""

    code = "ledger"


@dataclass(frozen=True)
class ModelUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    tenant: str
    tier: str
    user_hash: str
    workflow: str
    version: str
    session: str
    #: When the run started (epoch seconds, UTC).
    started_at: float
    duration_ms: float
    outcome: str
    tool_calls: int = 0
    #: Per model id.
    models: dict[str, ModelUsage] = field(default_factory=dict)

    @property
    def input_tokens(self) -> int:
        return sum(m.input_tokens for m in self.models.values())

    @property
    def output_tokens(self) -> int:
        return sum(m.output_tokens for m in self.models.values())

    @property
    def cost_usd(self) -> float:
        return round(sum(m.cost_usd for m in self.models.values()), 8)

    @staticmethod
    def models_of(usage: Iterable[Mapping[str, Any]]) -> dict[str, ModelUsage]:
        """A run's usage records (one per model call) summed per model.

        >>> RunRecord.models_of([{"model": "m", "input_tokens": 3, "output_tokens": 1, "cost_usd": 0.5}] * 2)
        {'m': ModelUsage(input_tokens=6, output_tokens=2, cost_usd=1.0, calls=2)}
        """
        found: dict[str, ModelUsage] = {}
        for u in usage:
            m = found.get(u["model"], ModelUsage())
            found[u["model"]] = ModelUsage(m.input_tokens + int(u["input_tokens"]),
                                           m.output_tokens + int(u["output_tokens"]),
                                           round(m.cost_usd + float(u["cost_usd"]), 8), m.calls + 1)
        return found


@dataclass(frozen=True)
class UsageRow:
    """One run and one model of it, as ``tenantflow costs`` reads them (a run with no model call: model "")."""

    run_id: str
    tenant: str
    tier: str
    workflow: str
    started_at: float
    outcome: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    tool_calls: int


_RUN_COLUMNS = ("run_id", "tenant", "tier", "user_hash", "workflow", "version", "session", "started_at",
                "duration_ms", "outcome", "tool_calls", "input_tokens", "output_tokens", "cost_usd", "models")


def _table(real: str, integer: str) -> str:
    return f"""CREATE TABLE IF NOT EXISTS usage_runs (
        run_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, tier TEXT NOT NULL, user_hash TEXT NOT NULL,
        workflow TEXT NOT NULL, version TEXT NOT NULL, session TEXT NOT NULL, started_at {real} NOT NULL,
        duration_ms {real} NOT NULL, outcome TEXT NOT NULL, tool_calls {integer} NOT NULL,
        input_tokens {integer} NOT NULL, output_tokens {integer} NOT NULL, cost_usd {real} NOT NULL,
        models TEXT NOT NULL)"""


_INDEX = "CREATE INDEX IF NOT EXISTS usage_runs_tenant_started ON usage_runs (tenant, started_at)"


def _run_values(record: RunRecord) -> tuple[Any, ...]:
    models = {k: vars(v) for k, v in sorted(record.models.items())}
    return (record.run_id, record.tenant, record.tier, record.user_hash, record.workflow, record.version,
            record.session, record.started_at, record.duration_ms, record.outcome, record.tool_calls,
            record.input_tokens, record.output_tokens, record.cost_usd, json.dumps(models, sort_keys=True))


def _rows(found: Iterable[tuple[Any, ...]]) -> list[UsageRow]:
    """Rows of (run_id, tenant, tier, workflow, started_at, outcome, tool_calls, models JSON), one per model."""
    rows = []
    for run_id, tenant, tier, workflow, started_at, outcome, tool_calls, models in found:
        parsed = json.loads(models) if isinstance(models, str) else models
        if not parsed:
            rows.append(UsageRow(run_id, tenant, tier, workflow, float(started_at), outcome, "", 0, 0, 0.0,
                                 int(tool_calls)))
        for i, (model, m) in enumerate(sorted(parsed.items())):
            # A run's tool calls count once, on its first model's row.
            rows.append(UsageRow(run_id, tenant, tier, workflow, float(started_at), outcome, model,
                                 int(m["input_tokens"]), int(m["output_tokens"]), float(m["cost_usd"]),
                                 int(tool_calls) if i == 0 else 0))
    return rows


class Ledger(ABC):
    @abstractmethod
    async def write(self, record: RunRecord) -> None:
        """Add the run's record, or update it if this run id has one (a later part of the same run)."""

    @abstractmethod
    def rows(self, tenant: str | None = None, since: float | None = None,
             user_hash: str | None = None) -> list[UsageRow]:
        """The runs (one row per model) of ``tenant`` (every tenant: None) started at or after ``since``
        (of one user, by its hash, if given)."""

    @abstractmethod
    async def delete(self, tenant: str, user_hash: str | None = None) -> int:
        """Remove every record of ``tenant`` (of one user, by its hash, if given): offboarding and erasure.
        The number of runs removed."""

    @abstractmethod
    async def close(self) -> None: ...


class SqliteLedger(Ledger):
    """The ledger in one SQLite file; writes in a worker thread, one at a time."""

    _SCHEMA = _table("REAL", "INTEGER") + ";\n" + _INDEX

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(self._SCHEMA)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the usage ledger {path}: {exc}") from None

    def _write(self, record: RunRecord) -> None:
        columns = ", ".join(_RUN_COLUMNS)
        marks = ", ".join("?" for _ in _RUN_COLUMNS)
        with self._lock:
            self._conn.execute(
                f"INSERT INTO usage_runs ({columns}) VALUES ({marks}) ON CONFLICT (run_id) DO UPDATE SET "
                "duration_ms = duration_ms + excluded.duration_ms, tool_calls = tool_calls + excluded.tool_calls, "
                "outcome = excluded.outcome, input_tokens = excluded.input_tokens, "
                "output_tokens = excluded.output_tokens, cost_usd = excluded.cost_usd, models = excluded.models",
                _run_values(record))

    async def write(self, record: RunRecord) -> None:
        await asyncio.to_thread(self._write, record)

    def rows(self, tenant: str | None = None, since: float | None = None,
             user_hash: str | None = None) -> list[UsageRow]:
        query = "SELECT run_id, tenant, tier, workflow, started_at, outcome, tool_calls, models FROM usage_runs"
        where, args = _filters(tenant, since, "?", user_hash)
        with self._lock:
            return _rows(self._conn.execute(query + where + " ORDER BY started_at, run_id", args).fetchall())

    def _delete(self, tenant: str, user_hash: str | None) -> int:
        where, args = _filters(tenant, None, "?", user_hash)
        with self._lock:
            return int(self._conn.execute("DELETE FROM usage_runs" + where, args).rowcount)

    async def delete(self, tenant: str, user_hash: str | None = None) -> int:
        return await asyncio.to_thread(self._delete, tenant, user_hash)

    async def close(self) -> None:
        with self._lock:
            self._conn.close()


def _filters(tenant: str | None, since: float | None, mark: str,
             user_hash: str | None = None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if tenant is not None:
        clauses.append(f"tenant = {mark}")
        args.append(tenant)
    if user_hash is not None:
        clauses.append(f"user_hash = {mark}")
        args.append(user_hash)
    if since is not None:
        clauses.append(f"started_at >= {mark}")
        args.append(since)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


class PostgresLedger(Ledger):
    """The ledger in a PostgreSQL table (``<schema>.usage_runs``), shared by every replica."""

    def __init__(self, dsn: str, schema: str = "public"):
        self.dsn, self.schema = dsn, schema
        self._pool: Any = None

    def _sql(self, text: str) -> str:
        return re.sub(r"\busage_runs\b", f'"{self.schema}".usage_runs', text)

    async def open(self) -> PostgresLedger:
        from psycopg_pool import AsyncConnectionPool

        try:
            self._pool = AsyncConnectionPool(self.dsn, min_size=1, max_size=4, open=False)
            await self._pool.open(wait=True, timeout=10)
            async with self._pool.connection() as conn:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                await conn.execute(self._sql(_table("DOUBLE PRECISION", "BIGINT")))
                await conn.execute(self._sql(_INDEX))
        except Exception as exc:
            if self._pool is not None:
                await self._pool.close()
            raise LedgerError(f"cannot open the usage ledger in PostgreSQL: {exc.__class__.__name__}") from None
        return self

    async def write(self, record: RunRecord) -> None:
        columns = ", ".join(_RUN_COLUMNS)
        marks = ", ".join("%s" for _ in _RUN_COLUMNS)
        async with self._pool.connection() as conn:
            await conn.execute(self._sql(
                f"INSERT INTO usage_runs ({columns}) VALUES ({marks}) ON CONFLICT (run_id) DO UPDATE SET "
                "duration_ms = usage_runs.duration_ms + excluded.duration_ms, "
                "tool_calls = usage_runs.tool_calls + excluded.tool_calls, outcome = excluded.outcome, "
                "input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, "
                "cost_usd = excluded.cost_usd, models = excluded.models"), _run_values(record))

    def rows(self, tenant: str | None = None, since: float | None = None,
             user_hash: str | None = None) -> list[UsageRow]:
        import psycopg

        where, args = _filters(tenant, since, "%s", user_hash)
        query = self._sql("SELECT run_id, tenant, tier, workflow, started_at, outcome, tool_calls, models "
                          "FROM usage_runs" + where + " ORDER BY started_at, run_id")
        try:
            with psycopg.connect(self.dsn) as conn:
                return _rows(conn.execute(query, args).fetchall())
        except psycopg.Error as exc:
            raise LedgerError(f"cannot read the usage ledger in PostgreSQL: {exc.__class__.__name__}") from None

    async def delete(self, tenant: str, user_hash: str | None = None) -> int:
        where, args = _filters(tenant, None, "%s", user_hash)
        async with self._pool.connection() as conn:
            cursor = await conn.execute(self._sql("DELETE FROM usage_runs" + where), args)
            return int(cursor.rowcount)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
