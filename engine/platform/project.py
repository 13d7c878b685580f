"""The one engine a LangGraph server process serves: the project in ``TENANTFLOW_PROJECT`` (else the folder
the server was started in), loaded once, with no checkpointer or store of its own (the server's are used)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from engine.engine import Engine
from engine.project import load_project

#: The project folder the server serves; the folder it was started in when unset.
PROJECT_ENV = "TENANTFLOW_PROJECT"

_lock = threading.Lock()
_engines: dict[Path, Engine] = {}


def served_engine() -> Engine:
    """The engine of the served project, built on first use (the server's factory and auth handler share it)."""
    root = Path(os.environ.get(PROJECT_ENV) or ".").resolve()
    with _lock:
        found = _engines.get(root)
        if found is None:
            found = _engines[root] = Engine(load_project(root))
        return found


def forget_engines() -> None:
    """Load the project again on next use (tests; a server restart does the same)."""
    with _lock:
        _engines.clear()
