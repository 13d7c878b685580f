from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite.aio import AsyncSqliteStore
from pydantic import ValidationError

from engine.memory.backends import StoresConfig, open_backends
from engine.memory.scoped import ScopedStore
from tests.memory.support import ACME, counter_graph


def test_config_defaults_to_sqlite_under_dot_tenantflow() -> None:
    assert StoresConfig() == StoresConfig(data_dir=".tenantflow", checkpointer="sqlite", store="sqlite")


@pytest.mark.parametrize(
    "raw",
    [{"store": "mysql"}, {"checkpointer": "redis"}, {"data_dir": ".tf", "dsn": "postgresql://x"},
     {"postgres": {"dsn": "postgresql://x"}}, {"postgres": {"pool": {"min_size": 5, "max_size": 2}}}],
)
def test_config_rejects_unknown_backends_and_keys(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        StoresConfig.model_validate(raw)


async def test_sqlite_backends_persist_across_reopen(tmp_path: Path) -> None:
    config = StoresConfig(data_dir="state/db")
    thread: RunnableConfig = {"configurable": {"thread_id": ACME.thread_id}}
    async with open_backends(config, tmp_path) as backends:
        assert isinstance(backends.checkpointer.inner, AsyncSqliteSaver)  # sealed: encryption is on by default
        assert isinstance(backends.store.inner, AsyncSqliteStore)
        memory = ScopedStore(backends.store, ACME, read_levels=["user"], write_levels=["user"])
        await memory.put("user", "prefs", {"tone": "formal"})
        graph = counter_graph().compile(checkpointer=backends.checkpointer, store=backends.store)
        assert await graph.ainvoke({"count": 1}, thread) == {"count": 2}

    assert sorted(p.name for p in (tmp_path / "state" / "db").glob("*.sqlite")) == [
        "checkpoints.sqlite",
        "memory.sqlite",
    ]

    async with open_backends(config, tmp_path) as backends:
        memory = ScopedStore(backends.store, ACME, read_levels=["user"])
        got = await memory.get("user", "prefs")
        assert got is not None and got["value"] == {"tone": "formal"}
        graph = counter_graph().compile(checkpointer=backends.checkpointer)
        assert (await graph.aget_state(thread)).values == {"count": 2}


async def test_connections_are_closed_on_exit(tmp_path: Path) -> None:
    thread: RunnableConfig = {"configurable": {"thread_id": ACME.thread_id}}
    async with open_backends(StoresConfig(), tmp_path) as backends:
        graph = counter_graph().compile(checkpointer=backends.checkpointer)
        await graph.ainvoke({"count": 0}, thread)
        assert (tmp_path / ".tenantflow" / "checkpoints.sqlite-wal").exists()
    # SQLite removes the write-ahead log when the last connection closes.
    assert not (tmp_path / ".tenantflow" / "checkpoints.sqlite-wal").exists()
    with pytest.raises(ValueError, match="no active connection"):
        await backends.store.aget(("global",), "k")


async def test_absolute_data_dir_ignores_the_project_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    async with open_backends(StoresConfig(data_dir=str(elsewhere)), tmp_path / "project") as backends:
        await backends.store.aput(("global",), "k", {"v": 1})
    assert (elsewhere / "memory.sqlite").exists()
    assert not (tmp_path / "project").exists()


async def test_memory_backends_touch_no_files(tmp_path: Path) -> None:
    async with open_backends(StoresConfig(checkpointer="memory", store="memory"), tmp_path) as backends:
        assert isinstance(backends.checkpointer, InMemorySaver)
        assert isinstance(backends.store, InMemoryStore)
    assert list(tmp_path.iterdir()) == []
