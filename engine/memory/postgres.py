"""PostgreSQL for the checkpointer and store: LangGraph's AsyncPostgresSaver and AsyncPostgresStore on a pool.

The connection string comes from the environment variable the project names
(``stores.postgres.dsn_env``, by default ``TENANTFLOW_DATABASE_URL``): it
carries a password, so it is never written in YAML, and no message of this
module repeats it. Each schema gets one psycopg ``AsyncConnectionPool``
whose connections are set up the way LangGraph's classes expect
(autocommit, dict rows, prepared statements) and whose ``search_path`` is
that schema: the shared tables in ``stores.postgres.schema``, and each silo
tenant's checkpoints and memory in a schema of its own.

Migrations (LangGraph's ``setup()``) run once per schema when it is opened,
under a PostgreSQL advisory lock, so that many workers and replicas starting
at once do not race to create the same tables.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from engine.errors import MissingExtra

try:
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from langgraph.store.postgres.aio import AsyncPostgresStore
    from psycopg import AsyncConnection, sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import AsyncConnectionPool, PoolTimeout
except ImportError as missing:  # an optional part: name the extra that brings it
    raise MissingExtra("postgres", "stores: postgres", missing.name or "psycopg") from None

from engine.errors import TenantflowError
from engine.spec.project import PoolSpec, PostgresSpec

#: PostgreSQL's longest identifier (NAMEDATALEN - 1); longer names would be truncated silently.
MAX_SCHEMA_BYTES = 63
#: First half of the advisory lock key that serializes migrations; the second half is the schema's hash.
_LOCK_CLASS = 0x7466  # "tf"
#: How often a process waiting for another one's migrations asks again for the lock, in seconds.
_LOCK_POLL_S = 0.05
#: Seconds to wait for the first connection (refused or unreachable servers fail at once).
CONNECT_TIMEOUT_S = 10

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]


class StoresError(TenantflowError):
    """The checkpointer or store cannot be opened (no connection string, the database refuses, ...)."""

    code = "stores"


def database_url(settings: PostgresSpec) -> str:
    """The connection string in the environment variable ``settings.dsn_env``.

    A missing or malformed value is a :class:`StoresError` that names the variable and never shows the value.
    """
    name = settings.dsn_env
    value = os.environ.get(name, "").strip()
    if not value:
        raise StoresError(f"stores: postgres needs a connection string in the environment variable {name}, which "
                          f"is not set (e.g. {name}=postgresql://user:password@host:5432/dbname; see "
                          "docs/deployment.md)")
    try:
        conninfo_to_dict(value)
    except psycopg.Error:
        # psycopg's message quotes pieces of the string: not repeated here, it may hold the password.
        raise StoresError(f"the environment variable {name} does not hold a valid PostgreSQL connection string "
                          "(expected postgresql://user:password@host:5432/dbname or 'host=... dbname=...'; "
                          "its value is not shown)") from None
    return value


def scrub(message: str, dsn: str) -> str:
    """``message`` without the connection string or its password (libpq does not quote them; be sure)."""
    secrets = [dsn]
    try:
        password = conninfo_to_dict(dsn).get("password")
    except psycopg.Error:
        password = None
    if password:
        secrets.append(str(password))
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message.strip()


def silo_schema(settings: PostgresSpec, tenant_id: str) -> str:
    """The schema of a silo tenant's checkpoints and memory: ``silo_schema_prefix`` then its id."""
    name = settings.silo_schema_prefix + tenant_id
    if len(name.encode()) > MAX_SCHEMA_BYTES:
        raise StoresError(f"tenant '{tenant_id}': its silo schema name '{name}' is longer than PostgreSQL's "
                          f"{MAX_SCHEMA_BYTES} characters; shorten stores.postgres.silo_schema_prefix")
    return name


def _lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(schema.encode()).digest()[:4], "big", signed=True)


def _failure(what: str, exc: BaseException, dsn: str, env: str) -> StoresError:
    detail = scrub(str(exc), dsn) or type(exc).__name__
    return StoresError(f"{what} (database from {env}): {detail}")


@asynccontextmanager
async def _migration_lock(dsn: str, schema: str) -> AsyncIterator[AsyncConnection[Any]]:
    """Hold the advisory lock of ``schema`` on a connection of its own (outside the pool).

    The lock is polled with ``pg_try_advisory_lock`` rather than waited for: a process blocked inside
    ``SELECT pg_advisory_lock`` holds a snapshot, and LangGraph's migrations run ``CREATE INDEX
    CONCURRENTLY``, which waits for every older snapshot: the two would wait for each other forever.
    """
    conn = await AsyncConnection.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    try:
        while True:
            cursor = await conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_CLASS, _lock_key(schema)))
            row = await cursor.fetchone()
            if row is not None and row[0]:
                break
            await asyncio.sleep(_LOCK_POLL_S)
        try:
            yield conn
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, _lock_key(schema)))
    finally:
        await conn.close()


async def open_pool(dsn: str, schema: str, settings: PoolSpec, *, name: str) -> Pool:
    """An open pool whose connections work in ``schema``, as LangGraph's Postgres classes expect them."""
    target = sql.SQL("SET search_path TO {}").format(sql.Identifier(schema))

    async def configure(conn: AsyncConnection[DictRow]) -> None:
        await conn.execute(target)

    pool: Pool = AsyncConnectionPool(
        dsn,
        min_size=settings.min_size,
        max_size=settings.max_size,
        timeout=settings.timeout_s,
        name=name,
        open=False,
        configure=configure,
        # What LangGraph's own from_conn_string uses: the savers commit nothing themselves (and run
        # CREATE INDEX CONCURRENTLY, which no transaction may hold), read rows as dicts, and prepare
        # their statements at once.
        kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 0,
                "connect_timeout": CONNECT_TIMEOUT_S},
    )
    await pool.open(wait=settings.min_size > 0, timeout=CONNECT_TIMEOUT_S)
    return pool


async def open_schema(dsn: str, env: str, schema: str, pool_settings: PoolSpec, *, name: str,
                      checkpoints: bool, memory: bool) -> tuple[Pool, AsyncPostgresSaver, AsyncPostgresStore]:
    """Create ``schema`` if needed, open its pool, and migrate the checkpoint and/or memory tables.

    The saver and the store returned share the pool; only the tables asked for exist. The caller closes the pool.
    """
    try:
        async with _migration_lock(dsn, schema) as conn:
            found = await (await conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))).fetchone()
            if found is None:  # CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when it exists
                await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            pool = await open_pool(dsn, schema, pool_settings, name=name)
            try:
                saver, store = AsyncPostgresSaver(pool), AsyncPostgresStore(pool)
                if checkpoints:
                    await saver.setup()
                if memory:
                    await store.setup()
            except BaseException:
                await pool.close()
                raise
    except (psycopg.Error, PoolTimeout, OSError) as exc:
        raise _failure(f"cannot open PostgreSQL schema '{schema}'", exc, dsn, env) from None
    return pool, saver, store


class PostgresBackends:
    """The shared schema and the silo schemas of one project; ``stack`` closes every pool."""

    def __init__(self, settings: PostgresSpec, stack: AsyncExitStack):
        self.settings, self._stack = settings, stack
        self._dsn = database_url(settings)

    async def open_shared(self, *, checkpoints: bool, memory: bool) -> tuple[AsyncPostgresSaver, AsyncPostgresStore]:
        """The saver and the store on the shared schema, with the tables of those asked for."""
        pool, saver, store = await open_schema(self._dsn, self.settings.dsn_env, self.settings.db_schema,
                                               self.settings.pool, name="tenantflow", checkpoints=checkpoints,
                                               memory=memory)
        self._stack.push_async_callback(pool.close)
        return saver, store

    async def open_silo(self, tenant_id: str, *, checkpoints: bool,
                        memory: bool) -> tuple[AsyncPostgresSaver | None, AsyncPostgresStore | None]:
        """The saver and the store of a silo tenant, in its own schema (created and migrated on first use).

        Only those asked for are returned (the others are configured elsewhere); they share one pool.
        """
        schema = silo_schema(self.settings, tenant_id)
        pool, saver, store = await open_schema(self._dsn, self.settings.dsn_env, schema, self.settings.silo_pool,
                                               name=f"tenantflow-silo-{tenant_id}", checkpoints=checkpoints,
                                               memory=memory)
        self._stack.push_async_callback(pool.close)
        return (saver if checkpoints else None), (store if memory else None)
