"""The PostgreSQL checkpointer and store: LangGraph's AsyncPostgresSaver and AsyncPostgresStore on a pool.

Against the real PostgreSQL of this machine (see postgres_support.py): each
test in schemas of its own, dropped at the end.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore

from engine.cli import main
from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import AuthError, MemoryAccessDenied, SpecError
from engine.memory.backends import StoresConfig, open_backends
from engine.memory.checkpoints import TenantCheckpointer
from engine.memory.postgres import StoresError, database_url, silo_schema
from engine.memory.scoped import ScopedStore
from engine.project import load_project
from engine.spec.project import PostgresSpec
from tests.conftest import PROJECT_YAML, REPO, tenant_yaml
from tests.memory.postgres_support import DSN, DSN_ENV, PASSWORD, Schemas
from tests.memory.support import ACME, counter_graph

TICKET = {"ticket": "I was charged twice for my last invoice", "customer_id": "cus_1001"}


def config_for(schemas: Schemas) -> StoresConfig:
    return StoresConfig.model_validate({
        "checkpointer": "postgres", "store": "postgres",
        "postgres": {"dsn_env": DSN_ENV, "schema": schemas.shared, "silo_schema_prefix": schemas.silo_prefix,
                     "pool": {"min_size": 1, "max_size": 3}},
    })


def demo_project(folder: Path, schemas: Schemas) -> Path:
    """A copy of the repo's demo SaaS (globex pool, initech and acme silo memory) on this test's schemas."""
    folder.mkdir(parents=True)
    for name in ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures", "policies"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, folder / name)
    config = folder / "tenantflow.yaml"
    text = config.read_text()
    block = re.search(r"^stores:\n(?:  .*\n)+", text, re.MULTILINE)
    assert block is not None
    config.write_text(text.replace(block.group(0), schemas.stores_yaml()))
    return folder


# -- configuration: the connection string never in YAML, logs or errors --------------------------

def test_the_connection_string_comes_from_the_variable_the_yaml_names() -> None:
    config = StoresConfig.model_validate({"checkpointer": "postgres", "store": "postgres"})
    assert config.postgres.dsn_env == "TENANTFLOW_DATABASE_URL"
    assert (config.postgres.db_schema, config.postgres.silo_schema_prefix) == ("public", "tenantflow_silo_")
    assert (config.postgres.pool.min_size, config.postgres.pool.max_size) == (2, 10)
    assert (config.postgres.silo_pool.min_size, config.postgres.silo_pool.max_size) == (0, 2)


def test_a_connection_string_written_where_the_variable_name_goes_is_refused_without_repeating_it(
        make_project) -> None:
    root = make_project({"tenantflow.yaml": PROJECT_YAML.replace(
        "stores: {checkpointer: memory, store: memory}",
        f"stores: {{checkpointer: postgres, postgres: {{dsn_env: 'postgresql://app:{PASSWORD}@db/x'}}}}")})
    with pytest.raises(SpecError) as caught:
        load_project(root)
    message = str(caught.value)
    assert "tenantflow.yaml:" in message and "stores.postgres.dsn_env: expected the name of an environment variable" in message
    assert PASSWORD not in message and "postgresql://" not in message


def test_a_missing_variable_is_a_clear_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(StoresError) as caught:
        database_url(PostgresSpec(dsn_env="TF_NOT_SET_ANYWHERE"))
    assert str(caught.value).startswith("stores: postgres needs a connection string in the environment variable "
                                        "TF_NOT_SET_ANYWHERE, which is not set")
    assert caught.value.code == "stores"


def test_a_malformed_connection_string_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_BAD_DSN", f"host=db password={PASSWORD} port=notaport oops")
    with pytest.raises(StoresError) as caught:
        database_url(PostgresSpec(dsn_env="TF_BAD_DSN"))
    assert "TF_BAD_DSN does not hold a valid PostgreSQL connection string" in str(caught.value)
    assert PASSWORD not in str(caught.value) and "notaport" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_an_unreachable_server_is_a_clear_error_without_the_password(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("TF_DOWN_DSN", f"postgresql://app:{PASSWORD}@127.0.0.1:1/tenantflow")
    config = StoresConfig.model_validate({"checkpointer": "postgres", "store": "postgres",
                                          "postgres": {"dsn_env": "TF_DOWN_DSN"}})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StoresError) as caught:
        async with open_backends(config, tmp_path):
            pass
    message = str(caught.value)
    assert message.startswith("cannot open PostgreSQL schema 'public' (database from TF_DOWN_DSN): ")
    assert "127.0.0.1" in message and "port 1 failed" in message
    assert PASSWORD not in message and PASSWORD not in caplog.text and "app:" not in message


def test_the_cli_reports_a_missing_variable_without_a_traceback(make_project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_NOT_SET_ANYWHERE", raising=False)
    root = make_project({"tenantflow.yaml": PROJECT_YAML.replace(
        "stores: {checkpointer: memory, store: memory}",
        "stores: {checkpointer: postgres, store: postgres, postgres: {dsn_env: TF_NOT_SET_ANYWHERE}}")})
    result = CliRunner().invoke(main, ["run", "hello", "--tenant", "alpha", "--input", '{"text": "hi"}',
                                       "--project", str(root)])
    assert result.exit_code == 1
    assert "error: stores: postgres needs a connection string in the environment variable TF_NOT_SET_ANYWHERE" \
        in result.output
    assert "Traceback" not in result.output


def test_a_silo_schema_name_must_fit_postgresqls_limit() -> None:
    settings = PostgresSpec(silo_schema_prefix="tenantflow_silo_")
    assert silo_schema(settings, "acme") == "tenantflow_silo_acme"
    with pytest.raises(StoresError, match="longer than PostgreSQL's 63 characters"):
        silo_schema(settings, "a" * 48)


# -- the backends -------------------------------------------------------------------------------

async def test_postgres_backends_persist_across_reopen_in_their_own_schema(pg_schemas: Schemas,
                                                                           tmp_path: Path) -> None:
    config = config_for(pg_schemas)
    thread: RunnableConfig = {"configurable": {"thread_id": ACME.thread_id}}
    async with open_backends(config, tmp_path) as backends:
        assert isinstance(backends.checkpointer.inner, AsyncPostgresSaver)  # sealed: encryption is on by default
        assert isinstance(backends.store.inner, AsyncPostgresStore)
        memory = ScopedStore(backends.store, ACME, read_levels=["user"], write_levels=["user"])
        await memory.put("user", "prefs", {"tone": "formal"})
        graph = counter_graph().compile(checkpointer=backends.checkpointer, store=backends.store)
        assert await graph.ainvoke({"count": 1}, thread) == {"count": 2}
    # No SQLite file on the side: only the development key file that wraps the tenants' data keys.
    files = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [".tenantflow/keys/master.key"]
    tables = set(pg_schemas.rows(pg_schemas.shared))
    assert {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations", "store",
            "store_migrations"} <= tables
    assert pg_schemas.store_prefixes(pg_schemas.shared) == {"tenant.acme.user.u1", "tenantflow_keys.acme"}

    async with open_backends(config, tmp_path) as backends:  # migrations again: nothing to do, nothing lost
        memory = ScopedStore(backends.store, ACME, read_levels=["user"])
        got = await memory.get("user", "prefs")
        assert got is not None and got["value"] == {"tone": "formal"}
        graph = counter_graph().compile(checkpointer=backends.checkpointer)
        assert (await graph.aget_state(thread)).values == {"count": 2}
    # The pools are closed with the backends.
    with pytest.raises(Exception, match="closed"):
        await backends.store.aget(("global",), "k")


async def test_workers_starting_at_once_migrate_a_new_schema_once(pg_schemas: Schemas, tmp_path: Path) -> None:
    config = config_for(pg_schemas)

    async def worker(n: int) -> int:
        async with open_backends(config, tmp_path) as backends:
            await backends.store.aput(("tenant", "t", "user", f"u{n}"), "k", {"n": n})
            return len(await backends.store.asearch(("tenant", "t"), limit=100))

    counts = await asyncio.gather(*(worker(n) for n in range(4)))
    assert max(counts) == 4
    rows = pg_schemas.rows(pg_schemas.shared)
    assert sorted(r[0] for r in rows["store_migrations"]) == list(range(len(AsyncPostgresStore.MIGRATIONS)))
    assert sorted(r[0] for r in rows["checkpoint_migrations"]) == list(range(len(AsyncPostgresSaver.MIGRATIONS)))


async def test_only_the_postgres_side_uses_postgres_when_the_kinds_differ(pg_schemas: Schemas,
                                                                         tmp_path: Path) -> None:
    config = config_for(pg_schemas).model_copy(update={"store": "sqlite"})
    async with open_backends(config, tmp_path) as backends:
        assert isinstance(backends.checkpointer.inner, AsyncPostgresSaver)
        await backends.store.aput(("global",), "k", {"v": 1})
    assert (tmp_path / ".tenantflow" / "memory.sqlite").is_file()
    assert "store" not in pg_schemas.rows(pg_schemas.shared)


# -- the demo SaaS on PostgreSQL ------------------------------------------------------------------

async def test_the_demo_runs_for_three_tenants_and_sessions_continue(pg_schemas: Schemas, tmp_path: Path) -> None:
    root = demo_project(tmp_path / "demo", pg_schemas)
    async with Engine.open(root) as engine:
        first = {t: await engine.run("support-triage", engine.dev_context(t, "u1", "s1"), TICKET)
                 for t in ("globex", "initech", "acme")}
        assert {t: r.output["category"] for t, r in first.items()} == {
            "globex": "billing", "initech": "billing", "acme": "billing"}
        # The same session again: LangGraph loads the thread's checkpoint from PostgreSQL and appends to it,
        # and the user's memory written by the first run is read back.
        second = await engine.run("support-triage", engine.dev_context("globex", "u1", "s1"),
                                  {"ticket": "Still charged twice", "customer_id": "cus_1001"})
        graph = engine.compile("support-triage", "globex").graph
        thread: RunnableConfig = {"configurable": {"thread_id": second.thread_id}}
        state = await graph.aget_state(thread)
        history = [s async for s in graph.aget_state_history(thread)]
        assert state.values["input"]["ticket"] == "Still charged twice"
        assert state.values["memory"]["user"] == [
            {"category": "billing", "confidence": first["globex"].steps["classify"]["confidence"],
             "key": "last_ticket"}]
        assert [s.values.get("input", {}).get("ticket") for s in history if s.values.get("input")][-1] == \
            TICKET["ticket"]
        # Another session of the same user starts a thread of its own.
        other = await graph.aget_state({"configurable": {"thread_id": "globex:u1:s2"}})
        assert other.values == {}
        # A silo tenant's session is read back from its own schema.
        acme = await engine.compile("support-triage", "acme").graph.aget_state(
            {"configurable": {"thread_id": "acme:u1:s1"}})
        assert acme.values["input"]["ticket"] == TICKET["ticket"]

    # Pool tenants' checkpoints and memory in the shared tables; the silo tenants' in schemas of their own,
    # and only there.
    assert {row[0] for row in pg_schemas.rows(pg_schemas.shared)["checkpoints"]} == {"globex:u1:s1"}
    # Beside them, the pool tenant's wrapped data keys; a silo tenant's live in its own schema.
    assert pg_schemas.store_prefixes(pg_schemas.shared) == {"tenant.globex.user.u1", "tenantflow_keys.globex"}
    assert pg_schemas.existing() == sorted([pg_schemas.shared, pg_schemas.silo("acme"), pg_schemas.silo("initech")])
    for tenant in ("acme", "initech"):
        assert {row[0] for row in pg_schemas.rows(pg_schemas.silo(tenant))["checkpoints"]} == {f"{tenant}:u1:s1"}
        assert pg_schemas.store_prefixes(pg_schemas.silo(tenant)) == {f"tenant.{tenant}.user.u1",
                                                                      f"tenantflow_keys.{tenant}"}


# -- tenants cannot cross ---------------------------------------------------------------------------

SILO_MEMORY = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: keep}
input: {text: {type: string}}
memory: {read: [tenant, user], write: [tenant, user]}
steps:
  - id: keep
    remember: {level: user, key: last, value: {text: "{{ input.text }}"}}
  - id: keep_tenant
    remember: {level: tenant, key: "{{ user.id }}", value: {text: "{{ input.text }}"}}
  - return: {seen: "{{ memory.user | map(attribute='text') | list }}"}
"""


@pytest.fixture
def keep_project(make_project, pg_schemas: Schemas) -> Path:
    root: Path = make_project(
        {"workflows/keep.yaml": SILO_MEMORY,
         "tenantflow.yaml": make_project().joinpath("tenantflow.yaml").read_text()
         .replace("stores: {checkpointer: memory, store: memory}\n", pg_schemas.stores_yaml())},
        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "basic"),
                 "vault-7": tenant_yaml("vault-7", "premium", "isolation: {memory: silo}\n")})
    return root


async def test_a_run_cannot_read_or_write_another_tenants_thread(keep_project: Path, pg_schemas: Schemas) -> None:
    async with Engine.open(keep_project) as engine:
        assert isinstance(engine.checkpointer, TenantCheckpointer)
        await engine.run("keep", engine.dev_context("alpha", "u1", "s1"), {"text": "alpha's secret"})
        graph = engine.compile("keep", "beta").graph
        before = pg_schemas.rows(pg_schemas.shared)
        with pytest.raises(AuthError) as caught:
            await graph.ainvoke({"input": {"text": "beta's"}}, config={"configurable": {"thread_id": "alpha:u1:s1"}},
                                context=engine.dev_context("beta", "u1", "s1"))
        assert str(caught.value) == "thread 'alpha:u1:s1' does not belong to tenant 'beta'"
        # Reading it through the checkpointer during a beta run is refused the same way, before any query.
        beta_run: RunnableConfig = {"configurable": {"thread_id": "alpha:u1:s1",
                                                     "__pregel_runtime": _Runtime(engine.dev_context("beta", "u1", "s1"))}}
        assert engine.checkpointer is not None
        with pytest.raises(AuthError):
            await engine.checkpointer.aget_tuple(beta_run)
        with pytest.raises(AuthError):
            [c async for c in engine.checkpointer.alist(beta_run)]
        after = pg_schemas.rows(pg_schemas.shared)
    assert before == after  # nothing written, nothing changed
    assert {row[0] for row in after["checkpoints"]} == {"alpha:u1:s1"}


class _Runtime:
    """What LangGraph puts in a run's config: only its ``context`` matters to the checkpointer."""

    def __init__(self, context: TenantContext):
        self.context = context


async def test_the_scoped_store_keeps_tenants_apart_on_the_shared_tables(keep_project: Path,
                                                                        pg_schemas: Schemas) -> None:
    async with Engine.open(keep_project) as engine:
        for tenant in ("alpha", "beta"):
            await engine.run("keep", engine.dev_context(tenant, "u1", "s1"), {"text": f"{tenant}'s secret"})
        again = await engine.run("keep", engine.dev_context("beta", "u1", "s2"), {"text": "again"})
        assert again.output == {"seen": ["beta's secret"]}
        assert engine.store is not None
        beta = ScopedStore(engine.store, engine.dev_context("beta", "u1", "s1"), read_levels=["tenant", "user"],
                           write_levels=["tenant", "user"])
        # The shared table holds alpha's item: only the scoped view stands between beta and it.
        assert await engine.store.aget(("tenant", "alpha", "user", "u1"), "last") is not None
        with pytest.raises(MemoryAccessDenied):
            beta.check_namespace(("tenant", "alpha", "user", "u1"), write=False)
        with pytest.raises(MemoryAccessDenied):
            beta.check_namespace(("tenant", "alpha"), write=True)
        assert [item["value"] for item in await beta.search("user")] == [{"text": "again"}]
        assert all("alpha" not in repr(item) for item in await beta.search("tenant"))


async def test_a_silo_tenants_memory_and_checkpoints_are_physically_apart(keep_project: Path,
                                                                         pg_schemas: Schemas) -> None:
    async with Engine.open(keep_project) as engine:
        for tenant in ("alpha", "vault-7"):
            await engine.run("keep", engine.dev_context(tenant, "u1", "s1"), {"text": f"{tenant}'s secret"})
        again = await engine.run("keep", engine.dev_context("vault-7", "u1", "s2"), {"text": "again"})
        assert again.output == {"seen": ["vault-7's secret"]}
        assert engine.store is not None
        # The shared store does not have it at all, whatever the namespace asked.
        assert await engine.store.asearch(("tenant", "vault-7")) == []
    shared, silo = pg_schemas.rows(pg_schemas.shared), pg_schemas.rows(pg_schemas.silo("vault-7"))
    assert "vault-7" not in repr(shared["store"])
    assert {row[0] for row in silo["store"]} == {"tenant.vault-7.user.u1", "tenant.vault-7", "tenantflow_keys.vault-7"}
    assert "alpha" not in repr(silo["store"])
    # Its sessions' checkpoints too: the shared tables hold none of its threads, nor its input.
    assert {row[0] for row in shared["checkpoints"]} == {"alpha:u1:s1"}
    assert {row[0] for row in silo["checkpoints"]} == {"vault-7:u1:s1", "vault-7:u1:s2"}
    assert "vault-7" not in repr(shared["checkpoints"]) + repr(shared.get("checkpoint_blobs", []))
    # There, encrypted with its own key (stores.encryption is on by default): nothing readable of its input.
    assert "vault-7's secret" not in repr(silo["checkpoint_blobs"]) + repr(silo["checkpoints"]) + repr(silo["store"])
    assert "+aesgcm:vault-7:" in repr(silo["checkpoint_blobs"])
    with psycopg.connect(DSN, autocommit=True) as conn:
        [(owner_schema,)] = conn.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'store' AND "
            "table_schema = %s", (pg_schemas.silo("vault-7"),)).fetchall()
    assert owner_schema == pg_schemas.silo("vault-7")


async def test_no_token_secret_or_password_lands_in_the_tables(make_project, pg_schemas: Schemas,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The PostgreSQL twin of the SQLite scan in tests/identity/test_exchange.py."""
    from engine.identity.dev import mint_dev_token
    from tests.runtime.support import CHAT_YAML, DEV_SECRET, DEV_SECRET_ENV, IDENTITY_YAML

    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    root = make_project(
        {"workflows/chat.yaml": CHAT_YAML, "workflows/keep.yaml": SILO_MEMORY,
         "tenantflow.yaml": make_project().joinpath("tenantflow.yaml").read_text()
         .replace("stores: {checkpointer: memory, store: memory}\n", pg_schemas.stores_yaml()) + IDENTITY_YAML},
        tenants={"alpha": tenant_yaml("alpha", "basic"), "vault": tenant_yaml("vault", "premium",
                                                                              "isolation: {memory: silo}\n")})
    project = load_project(root)
    assert project.spec.identity is not None
    tokens = {t: mint_dev_token(project.spec.identity, tenant=t, user="u1") for t in ("alpha", "vault")}
    results: list[Any] = []
    async with Engine.open(root) as engine:
        for token in tokens.values():
            caller = engine.authenticate(token, session_id="s1")
            for workflow, data in (("chat", {"text": "hello"}), ("keep", {"text": "hi"}), ("chat", {"text": "x"})):
                results.append(await engine.run(workflow, caller.context, data, credential=caller.credential))
    assert results[2].output == {"previous": "hello"}
    stored = pg_schemas.dump()
    assert b"alpha:u1:s1" in stored and b"tenant.vault.user.u1" in stored  # the scan sees the rows
    for secret in (*tokens.values(), *(t.rsplit(".", 1)[1] for t in tokens.values()), DEV_SECRET, PASSWORD, DSN):
        assert secret.encode() not in stored
        assert all(secret not in repr(r.to_json()) for r in results)
