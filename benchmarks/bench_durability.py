"""Checkpoint cost per durability mode: the engine against LangGraph's checkpointer used directly.

A workflow of 10 ``set`` steps (no model, no tool: what is measured is the
checkpointing) runs N times per mode, each run on a new session, on:

* the engine (``Engine.open`` on the project's stores: SQLite, or PostgreSQL with ``--postgres``),
  and the same engine with no checkpointer;
* a LangGraph graph of 12 trivial async nodes (the engine's 10 steps and 2 guard nodes) on the same
  saver class (AsyncSqliteSaver / AsyncPostgresSaver), and with none.

The checkpoint cost of a mode is its median minus the no-checkpointer median of the same side; per
step is that divided by 12 nodes. The engine's overhead on checkpointing is the ratio of the two costs.

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
from pathlib import Path
from typing import Any, TypedDict

from benchmarks.bench_compile import machine
from engine.engine import Engine
from engine.project import load_project

ROOT = Path(__file__).resolve().parent.parent
STEPS = 10
NODES = STEPS + 2
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


async def time_engine(engine: Engine, workflow_name: str, n: int) -> float:
    samples = []
    for i in range(n + 5):
        ctx = engine.dev_context("alpha", "u1", f"s{uuid.uuid4().hex[:12]}")
        t0 = time.perf_counter()
        await engine.run(workflow_name, ctx, {"text": "x"})
        if i >= 5:
            samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


class S(TypedDict, total=False):
    v: str


def direct_graph(saver: Any, like_engine: bool) -> Any:
    """12 trivial nodes; ``like_engine``: on the engine's state (RunState's channels and reducers), each node
    writing a step output as the engine's do, so only the engine's own work differs."""
    from langgraph.graph import END, START, StateGraph

    from engine.state import RunState

    graph: Any = StateGraph(RunState if like_engine else S)
    previous = START
    for i in range(NODES):
        async def node(state: Any, i: int = i) -> dict[str, Any]:
            if like_engine:
                return {"steps": {f"n{i}": {"v": f"x-{i}"}}}
            return {"v": f"{state.get('v', '')[:8]}-{i}"}
        graph.add_node(f"n{i}", node)
        graph.add_edge(previous, f"n{i}")
        previous = f"n{i}"
    graph.add_edge(previous, END)
    return graph.compile(checkpointer=saver)


async def time_direct(saver: Any, mode: str | None, n: int, like_engine: bool) -> float:
    from engine.state import fresh_run

    graph = direct_graph(saver, like_engine)
    samples = []
    for i in range(n + 5):
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        t0 = time.perf_counter()
        start = fresh_run({"text": "x"}) if like_engine else {"v": "x"}
        await graph.ainvoke(start, config, **({"durability": mode} if mode else {}))
        if i >= 5:
            samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


async def measure(root: Path, n: int, direct_saver: Any) -> dict[str, dict[str, float]]:
    bare = Engine(load_project(root))
    out: dict[str, dict[str, float]] = {"engine": {"none": await time_engine(bare, "wexit", n)},
                                        "direct": {"none": await time_direct(None, None, n, False)},
                                        "state": {"none": await time_direct(None, None, n, True)}}
    async with Engine.open(root) as engine:
        for mode in MODES:
            out["engine"][mode] = await time_engine(engine, f"w{mode}", n)
    async with direct_saver() as saver:
        for mode in MODES:
            out["direct"][mode] = await time_direct(saver, mode, n, False)
            out["state"][mode] = await time_direct(saver, mode, n, True)
    return out


def report(name: str, found: dict[str, dict[str, float]]) -> None:
    print(f"\n{name}: median ms per run of {NODES} nodes ({STEPS} steps + 2 guards); cost = mode - no checkpointer;"
          " direct = 1 channel, state = the engine's RunState")
    print(f"{'mode':6} {'engine':>7} {'direct':>7} {'state':>7} {'cost: engine':>13} {'direct':>7} {'state':>7}"
          f" {'per step (engine)':>18} {'engine/state':>13}")
    for mode in MODES:
        e, d, st = found["engine"][mode], found["direct"][mode], found["state"][mode]
        ec, dc, sc = (e - found["engine"]["none"], d - found["direct"]["none"], st - found["state"]["none"])
        print(f"{mode:6} {e:7.2f} {d:7.2f} {st:7.2f} {ec:13.2f} {dc:7.2f} {sc:7.2f} {ec / NODES:18.3f}"
              f" {ec / sc if sc > 0 else float('nan'):13.2f}")
    print(f"{'none':6} {found['engine']['none']:7.2f} {found['direct']['none']:7.2f} {found['state']['none']:7.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=60)
    parser.add_argument("--postgres", default=None, help="a DSN: measure PostgreSQL too (schemas made and dropped)")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        root = write_project(Path(tmp) / "proj", "stores: {checkpointer: sqlite, store: sqlite}\n")

        from contextlib import asynccontextmanager

        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        @asynccontextmanager
        async def sqlite_saver() -> Any:
            async with AsyncSqliteSaver.from_conn_string(str(Path(tmp) / "direct.sqlite")) as saver:
                yield saver

        report("SQLite", await measure(root, args.n, sqlite_saver))
        if args.postgres:
            import psycopg
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            os.environ["BENCH_DSN"] = args.postgres
            pg_root = write_project(Path(tmp) / "pg", f"stores: {{checkpointer: postgres, store: postgres, postgres: "
                                    f"{{dsn_env: BENCH_DSN, schema: {schema}}}}}\n")

            @asynccontextmanager
            async def pg_saver() -> Any:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}_direct")
                joiner = "&" if "?" in args.postgres else "?"
                dsn = f"{args.postgres}{joiner}options=-csearch_path%3D{schema}_direct"
                async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
                    await saver.setup()
                    yield saver

            try:
                report("PostgreSQL", await measure(pg_root, args.n, pg_saver))
            finally:
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema}_direct CASCADE")


if __name__ == "__main__":
    asyncio.run(main())
