"""SQLite's disk full: runs fail with a clear error, nothing is corrupted, and runs work again once there is room.

The real files LangGraph's SQLite checkpointer and store write
(engine/memory/backends.py); the disk is "full" when each connection may not
grow its file past the pages it has (``PRAGMA max_page_count``): SQLite then
answers SQLITE_FULL exactly as on a full disk.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine
from engine.errors import RunError
from engine.memory.backends import CHECKPOINTS_FILE, MEMORY_FILE, StoresConfig, open_backends
from engine.project import load_project
from tests.runtime.support import write_project


def _connection(backend: Any) -> Any:
    """The aiosqlite connection under a LangGraph SQLite saver or store, through any wrappers (``inner``)."""
    while not hasattr(backend, "conn"):
        backend = backend.inner
    return backend.conn


async def _full(conn: Any) -> None:
    execute = conn.execute
    cursor = await execute("PRAGMA page_count")
    await execute(f"PRAGMA max_page_count = {(await cursor.fetchone())[0]}")


async def _room(conn: Any) -> None:
    await conn.execute("PRAGMA max_page_count = 1073741823")


async def test_a_full_disk_fails_runs_clearly_corrupts_nothing_and_room_brings_them_back(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj")
    project = load_project(root)
    stores = StoresConfig.model_validate(project.spec.stores.model_dump())
    async with open_backends(stores, root) as backends:
        engine = Engine(project, checkpointer=backends.checkpointer, store=backends.store, stores=backends.stores)
        ctx = engine.dev_context("alpha", "u1", "s1")
        await engine.run("chat", ctx, {"text": "kept before the disk filled"})
        connections = [_connection(backends.checkpointer), _connection(backends.store)]
        for conn in connections:
            await _full(conn)
        failures = []
        for n in range(5):
            with pytest.raises(Exception) as caught:
                await engine.run("chat", engine.dev_context("alpha", "u1", f"full{n}"), {"text": "x" * 20000})
            failures.append(caught.value)
        for conn in connections:
            await _room(conn)
        after = await engine.run("chat", engine.dev_context("alpha", "u1", "s1"), {"text": "after"})
    assert all(isinstance(f, RunError) for f in failures), failures
    assert all(str(f) == "step 'save' failed: OperationalError (SQLITE_ERROR), after OperationalError (SQLITE_FULL: "
               "the disk (or the database's size limit) is full): details withheld, they may quote stored data"
               for f in failures), [str(f) for f in failures]
    assert after.output == {"previous": "kept before the disk filled"}  # the session from before is intact
    for name in (CHECKPOINTS_FILE, MEMORY_FILE):
        path = next((root / ".tenantflow").rglob(name))
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
