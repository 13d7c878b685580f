from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite.aio import AsyncSqliteStore


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseStore]:
    """Every isolation test runs against LangGraph's in-memory and real SQLite stores."""
    if request.param == "memory":
        yield InMemoryStore()
        return
    async with AsyncSqliteStore.from_conn_string(str(tmp_path / "memory.sqlite")) as sqlite_store:
        await sqlite_store.setup()
        yield sqlite_store
