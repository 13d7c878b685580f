"""Start-up work with the cyclic garbage collector paused.

Importing LangGraph and the engine, loading a project and building the
runtime create hundreds of thousands of objects that live as long as the
process. Each allocation burst triggers the cyclic GC, which walks the
objects made so far again and again: with 1,000 tenant files that is about
a third of the time the runtime needs to start (docs/benchmarks.md,
"Startup"). Nothing these phases make is garbage worth collecting early, so
they run with the collector off and end by moving what they built out of
its view (``gc.freeze``), so that later collections do not walk it either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def startup_phase() -> Iterator[None]:
    """Run the block with the cyclic GC off; then freeze what exists and restore the GC's previous state.

    For work whose results live as long as the process (imports, the
    runtime's start). Cyclic garbage made inside the block is never
    collected, so keep per-request work out of it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic GC off, then restore its previous state (nothing is frozen).

    For loading a project and resolving its tenants in any process (the CLI, a test, a library user):
    the objects made there live as long as the project, and with 10,000 tenant files the collections
    that their allocation bursts trigger took about two thirds of the load. The collector runs again
    after the block, once, instead of again and again within it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
