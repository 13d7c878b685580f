"""Checkpoint cost per durability mode: the engine against LangGraph's saver used directly, and encryption's cost.

A workflow of 10 ``set`` steps (no model, no tool: what is measured is the
checkpointing; 13 nodes with the two guards and the return) runs N times per
cell, each run on a new session, in one process, the cells interleaved (one run
of each in turn, the order rotating) so that the other processes of the machine
weigh on every cell alike:

* ``engine``: the engine with ``stores.encryption: {provider: none}``, and with no checkpointer;
* ``sealed``: the same engine with encryption on (``local``: AES-256-GCM per tenant);
* ``direct``: a LangGraph graph of 13 trivial async nodes on the engine's ``RunState`` (its channels and
  reducers, each node writing a step output as the engine's do), on LangGraph's saver class (AsyncSqliteSaver /
  AsyncPostgresSaver) **on the engine's own connection** (the same aiosqlite connection, the same psycopg pool),
  and with no checkpointer.

The checkpoint cost of a mode is its median minus the no-checkpointer median of the same side; per step is that
divided by 13 nodes. The engine's overhead on checkpointing is engine cost / direct cost; encryption's cost per
step is (sealed - engine) / 13.

    python benchmarks/bench_durability.py                     # SQLite, N=60
    python benchmarks/bench_durability.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_compile import machine
from engine.engine import Engine
from engine.project import load_project

ROOT = Path(__file__).resolve().parent.parent
STEPS = 10
NODES = STEPS + 3  # the input guard, the steps, the return node, the output guard
MODES = ("exit", "async", "sync")

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: benchdurability}
models:
  catalog:
    small: {provider: scripted, model_id: small-v1}
  providers:
    scripted: {fixtures: fixtures/scripted.yaml}
tiers:
  basic: {model: small}
"""


def workflow(mode: str) -> str:
    steps = "".join(f"  - id: s{i}\n    set: {{v: \"{{{{ input.text }}}}-{i}\"}}\n" for i in range(STEPS))
    return (f"apiVersion: tenantflow/v1\nkind: Workflow\nmetadata: {{name: w{mode}}}\ndurability: {mode}\n"
            f"input:\n  text: {{type: string}}\nsteps:\n{steps}  - return: {{v: \"{{{{ steps.s9.v }}}}\"}}\n")


def write_project(root: Path, stores: str) -> Path:
    files = {"tenantflow.yaml": PROJECT + stores, "fixtures/scripted.yaml": "default: ok\n",
             "tenants/alpha/tenant.yaml": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: alpha}\n"
                                          "tier: basic\nquotas: {requests_per_minute: 100000}\n"}
    files |= {f"workflows/w{mode}.yaml": workflow(mode) for mode in MODES}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    shutil.copytree(ROOT / "skills" / "bridge", root / "skills" / "bridge",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


Run = Callable[[], Awaitable[Any]]


def engine_run(engine: Engine, workflow_name: str) -> Run:
    def run() -> Awaitable[Any]:
        return engine.run(workflow_name, engine.dev_context("alpha", "u1", f"s{uuid.uuid4().hex[:12]}"),
                          {"text": "x"})
    return run


def direct_graph(saver: Any) -> Any:
    """13 trivial nodes on the engine's state, each writing a step output as the engine's do."""
    from langgraph.graph import END, START, StateGraph

    from engine.state import RunState

    graph: Any = StateGraph(RunState)
    previous = START
    for i in range(NODES):
        async def node(state: Any, i: int = i) -> dict[str, Any]:
            return {"steps": {f"n{i}": {"v": f"x-{i}"}}}
        graph.add_node(f"n{i}", node)
        graph.add_edge(previous, f"n{i}")
        previous = f"n{i}"
    graph.add_edge(previous, END)
    return graph.compile(checkpointer=saver)


def direct_run(saver: Any, mode: str | None) -> Run:
    from engine.state import fresh_run

    graph = direct_graph(saver)

    def run() -> Awaitable[Any]:
        config = {"configurable": {"thread_id": f"alpha:u1:{uuid.uuid4().hex}"}}
        return graph.ainvoke(fresh_run({"text": "x"}), config, **({"durability": mode} if mode else {}))
    return run


async def interleaved(cells: dict[str, Run], n: int, warmup: int = 5) -> dict[str, float]:
    """The median ms of each cell, its runs interleaved with the other cells' (the order rotating each round)."""
    names = list(cells)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(n + warmup):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            t0 = time.perf_counter()
            await cells[name]()
            if i >= warmup:
                samples[name].append((time.perf_counter() - t0) * 1000)
    return {name: statistics.median(found) for name, found in samples.items()}


def raw_saver(engine: Engine) -> Any:
    """The LangGraph saver under the engine's tenant checkpointer (unsealed: encryption is off in that project)."""
    assert engine.checkpointer is not None
    return engine.checkpointer.inner


async def measure(plain_root: Path, sealed_root: Path, n: int) -> dict[str, float]:
    bare = Engine(load_project(plain_root))
    async with Engine.open(plain_root) as plain, Engine.open(sealed_root) as sealed:
        saver = raw_saver(plain)
        # LangGraph's own class on the engine's own connection (aiosqlite connection / psycopg pool).
        direct_saver = type(saver)(saver.conn)
        cells: dict[str, Run] = {"engine none": engine_run(bare, "wexit"), "direct none": direct_run(None, None)}
        for mode in MODES:
            cells[f"engine {mode}"] = engine_run(plain, f"w{mode}")
            cells[f"sealed {mode}"] = engine_run(sealed, f"w{mode}")
            cells[f"direct {mode}"] = direct_run(direct_saver, mode)
        return await interleaved(cells, n)


def report(name: str, found: dict[str, float]) -> None:
    print(f"\n{name}: median ms per run of {NODES} nodes; cost = mode - no checkpointer (same side); "
          "per step = cost / nodes")
    print(f"{'mode':6} {'engine':>7} {'sealed':>7} {'direct':>7} {'cost: engine':>13} {'sealed':>7} {'direct':>7}"
          f" {'engine/direct':>14} {'per step: engine':>17} {'encryption':>11}")
    for mode in MODES:
        e, s, d = found[f"engine {mode}"], found[f"sealed {mode}"], found[f"direct {mode}"]
        ec, sc, dc = e - found["engine none"], s - found["engine none"], d - found["direct none"]
        print(f"{mode:6} {e:7.2f} {s:7.2f} {d:7.2f} {ec:13.2f} {sc:7.2f} {dc:7.2f}"
              f" {ec / dc if dc > 0 else float('nan'):14.2f} {ec / NODES:17.3f} {(s - e) / NODES:11.3f}")
    print(f"{'none':6} {found['engine none']:7.2f} {'':>7} {found['direct none']:7.2f}")


def serializer_cost(n: int = 20000) -> None:
    """Encryption's own CPU per payload, without the noise of a whole run: LangGraph's serializer against the same
    one sealing (TenantSerializer: AES-256-GCM, a random nonce, the thread as associated data)."""
    import timeit

    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.store.memory import InMemoryStore

    from engine.memory.key_providers import LocalKeyFile
    from engine.memory.keyring import Keyring
    from engine.memory.sealed_checkpoints import TenantSerializer, _Scope, _scope

    with tempfile.TemporaryDirectory() as tmp:
        keys = asyncio.run(Keyring(InMemoryStore(), LocalKeyFile(Path(tmp) / "master.key")).keys("alpha"))
    # What a step's checkpoint holds: the steps channel after the 10 steps, and the run's input.
    value = {f"s{i}": {"v": f"x-{i}"} for i in range(STEPS)}
    plain, sealed = JsonPlusSerializer(), TenantSerializer(JsonPlusSerializer())
    token = _scope.set(_Scope("alpha:u1:s1", keys))
    try:
        stored_plain, stored_sealed = plain.dumps_typed(value), sealed.dumps_typed(value)
        rows = [("dumps", lambda: plain.dumps_typed(value), lambda: sealed.dumps_typed(value)),
                ("loads", lambda: plain.loads_typed(stored_plain), lambda: sealed.loads_typed(stored_sealed))]
        print(f"\nserializer, one payload ({len(stored_plain[1])} bytes plain, {len(stored_sealed[1])} sealed), "
              f"best of 5 x {n}, µs:")
        for name, a, b in rows:
            ta = min(timeit.repeat(a, number=n, repeat=5)) / n * 1e6
            tb = min(timeit.repeat(b, number=n, repeat=5)) / n * 1e6
            print(f"  {name}: plain {ta:.2f}  sealed {tb:.2f}  (+{tb - ta:.2f})")
    finally:
        _scope.reset(token)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--postgres", default=None, help="a DSN: measure PostgreSQL too (schemas made and dropped)")
    args = parser.parse_args()
    print(machine())
    plain, sealed = "encryption: {provider: none}", "encryption: {provider: local}"
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = "stores: {{checkpointer: sqlite, store: sqlite, {}}}\n"
        report("SQLite", await measure(write_project(Path(tmp) / "plain", sqlite.format(plain)),
                                       write_project(Path(tmp) / "sealed", sqlite.format(sealed)), args.n))
        if args.postgres:
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            os.environ["BENCH_DSN"] = args.postgres
            pg = ("stores: {{checkpointer: postgres, store: postgres, {}, postgres: {{dsn_env: BENCH_DSN, "
                  "schema: {}}}}}\n")
            try:
                report("PostgreSQL", await measure(write_project(Path(tmp) / "pgplain", pg.format(plain, schema)),
                                                   write_project(Path(tmp) / "pgsealed",
                                                                 pg.format(sealed, f"{schema}_sealed")), args.n))
            finally:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema}_sealed CASCADE")


if __name__ == "__main__":
    asyncio.run(main())
    serializer_cost()
