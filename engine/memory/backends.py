"""The checkpointer and store a project runs on, opened from its config.

With no configuration both live in SQLite files under ``.tenantflow/`` in
the project folder: ``checkpoints.sqlite`` (LangGraph's AsyncSqliteSaver)
and ``memory.sqlite`` (LangGraph's AsyncSqliteStore). ``memory`` selects
LangGraph's in-process InMemorySaver / InMemoryStore, for tests and
throwaway runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from langgraph.store.sqlite.aio import AsyncSqliteStore
from pydantic import BaseModel, ConfigDict

CHECKPOINTS_FILE = "checkpoints.sqlite"
MEMORY_FILE = "memory.sqlite"


class StoresConfig(BaseModel):
    """The ``stores`` section of ``tenantflow.yaml``."""

    model_config = ConfigDict(extra="forbid")

    #: Folder of the SQLite files; relative paths resolve against the project folder.
    data_dir: str = ".tenantflow"
    checkpointer: Literal["sqlite", "memory"] = "sqlite"
    store: Literal["sqlite", "memory"] = "sqlite"


@dataclass(frozen=True)
class Backends:
    """An open checkpointer and store, valid inside :func:`open_backends`."""

    checkpointer: BaseCheckpointSaver[str]
    store: BaseStore


def data_path(config: StoresConfig, base_dir: Path) -> Path:
    """The data folder of ``config``, resolved against the project folder ``base_dir``."""
    return base_dir / Path(config.data_dir).expanduser()


@asynccontextmanager
async def open_backends(config: StoresConfig, base_dir: Path) -> AsyncIterator[Backends]:
    """Open the checkpointer and store ``config`` names; close both on exit.

    Example::

        async with open_backends(StoresConfig(), project_dir) as backends:
            graph = builder.compile(checkpointer=backends.checkpointer, store=backends.store)
    """
    folder = data_path(config, base_dir)
    if "sqlite" in (config.checkpointer, config.store):
        folder.mkdir(parents=True, exist_ok=True)
    async with AsyncExitStack() as stack:
        checkpointer: BaseCheckpointSaver[str]
        if config.checkpointer == "sqlite":
            # The saver creates its tables itself on first use.
            checkpointer = await stack.enter_async_context(
                AsyncSqliteSaver.from_conn_string(str(folder / CHECKPOINTS_FILE))
            )
        else:
            checkpointer = InMemorySaver()
        store: BaseStore
        if config.store == "sqlite":
            sqlite_store = await stack.enter_async_context(
                AsyncSqliteStore.from_conn_string(str(folder / MEMORY_FILE))
            )
            await sqlite_store.setup()
            store = sqlite_store
        else:
            store = InMemoryStore()
        yield Backends(checkpointer=checkpointer, store=store)
