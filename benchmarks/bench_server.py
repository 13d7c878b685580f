"""Load generator for the runtime server (`tenantflow serve`), on loopback only, bounded in count and time.

Every server is a real `tenantflow serve` process on 127.0.0.1; the load
comes from this process (asyncio + httpx). Workflow: the demo's
support-triage on its billing path (classify, route, lookup, draft,
remember, then return) with the scripted model, on a temporary copy of the
demo project with extra pooled tenants. Throughput, overhead and noisy
neighbour run on LangGraph's in-memory stores (several worker processes
cannot share the SQLite files); throughput and overhead run with
``--stores postgres`` on LangGraph's PostgreSQL saver and store instead
(the database in TENANTFLOW_DATABASE_URL, else the local ``test``
database; a schema of this run's own, dropped at the end), and on both,
interleaved, with ``--stores postgres --stores memory``; startup runs on
the demo's SQLite stores.

1. Throughput: requests/s, p50 and p99 for 1 and 2 workers (2 workers
   share their limits through Redis; the 1-worker line is given with both
   limiters), closed loop with C concurrent clients.
2. Overhead: the server's latency against `Engine.run` of the same compiled
   graph in this process (sequential calls, same project, same stores).
3. Noisy neighbour: tenant B sends at 80 % of its rate limit, alone, then
   while tenant A sends at its own limit and at 10x it; B's p99 against B
   alone, and B's lost requests (rounds of the three phases, interleaved).
4. Startup: a project with 1,000 extra pooled tenants; the time from
   starting `tenantflow serve` to the first 200 of /invocations.

    python benchmarks/bench_server.py            # about 2 minutes
    python benchmarks/bench_server.py --quick    # fewer requests, shorter phases
    python benchmarks/bench_server.py --only throughput --stores postgres --stores memory
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SECRET_ENV = "TENANTFLOW_DEV_SECRET"
SECRET = "bench-secret-0123456789abcdef0123456789"
REDIS_URL = "redis://127.0.0.1:6379/0"
#: This run's Redis keys (deleted at the end): no count of an earlier run carries over.
REDIS_PREFIX = f"tfbench-{os.getpid()}"
#: ``--stores postgres``: where the connection string is (as `tenantflow serve` reads it) and this run's schema.
DATABASE_ENV = "TENANTFLOW_DATABASE_URL"
LOCAL_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
PG_SCHEMA = f"tfbench_{os.getpid()}"
WORKFLOW = "support-triage"
INPUT = {"ticket": "I was charged twice for my last invoice", "customer_id": "cus_1001"}
PAYLOAD = {"workflow": WORKFLOW, "input": INPUT}
#: No request loop of this script runs longer than this.
MAX_PHASE_S = 60.0
#: Requests per second: A's limit (it sends 10 times as many), B's limit and B's rate.
NOISY_LIMIT, QUIET_LIMIT, QUIET_RATE = 2, 10, 8


def machine() -> str:
    import platform
    from importlib.metadata import version

    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cpu ({cpu}), Python {platform.python_version()}, langgraph {version('langgraph')}, "
            f"uvicorn {version('uvicorn')}, load average {load:.2f}, {time.strftime('%Y-%m-%d %H:%M %Z')}")


def bench_project(folder: Path, pooled: int = 0, stores: str = "sqlite") -> Path:
    """A copy of the demo with the benchmark's tenants (and ``pooled`` more running support-triage).

    ``stores="memory"``: LangGraph's in-memory checkpointer and store, which several workers can use
    (each its own); `tenantflow serve` refuses several workers on the SQLite files.
    """
    folder.mkdir(parents=True)
    for name in ("tenantflow.yaml", "workflows", "skills", "fixtures", "tenants", "policies"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, folder / name)
    if stores != "sqlite":
        config = folder / "tenantflow.yaml"
        text = config.read_text()
        assert "checkpointer: sqlite" in text and "store: sqlite" in text
        text = (text.replace("checkpointer: sqlite", f"checkpointer: {stores}")
                .replace("store: sqlite", f"store: {stores}"))
        if stores == "postgres":
            # The default pools (2 to 10 connections per worker), in this run's own schema.
            text = text.replace(f"store: {stores}\n", f"store: {stores}\n  postgres: {{dsn_env: {DATABASE_ENV}, "
                                                       f"schema: {PG_SCHEMA}}}\n", 1)
        config.write_text(text)
    tenants = {
        # Generous limits: the throughput runs measure the server, not the limiter's refusals.
        "bench": "quotas: {requests_per_minute: 1000000, concurrency: 1000, tokens_per_day: 1000000000}",
        # The noisy neighbour (A: 2 requests/s, 2 at a time) and its neighbour (B: 10 requests/s).
        "noisy": f"quotas: {{requests_per_minute: {NOISY_LIMIT * 60}, concurrency: 2}}",
        "quiet": f"quotas: {{requests_per_minute: {QUIET_LIMIT * 60}, concurrency: 8}}",
    }
    tenants.update({f"pool{i:05d}": "" for i in range(pooled)})
    for tenant, extra in tenants.items():
        (folder / "tenants" / tenant).mkdir()
        (folder / "tenants" / tenant / "tenant.yaml").write_text(
            "apiVersion: tenantflow/v1\nkind: Tenant\n"
            f"metadata: {{id: {tenant}, name: Customer {tenant}}}\ntier: basic\n"
            "isolation: {runtime: pool, memory: pool, tools: pool, rag: pool}\n"
            "entitlements: {tools: [kb.search, billing.get_invoices]}\n"
            f"workflows: [support-triage, summarize]\n{extra}\n")
    return folder


def token(root: Path, tenant: str, user: str = "u1") -> str:
    from engine.identity.dev import mint_dev_token
    from engine.project import load_project

    return mint_dev_token(load_project(root).spec.identity, tenant=tenant, user=user, ttl_s=3600)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    started_at: float
    first_ok_s: float = 0.0


@contextlib.contextmanager
def server(root: Path, *, workers: int = 1, redis: bool = False, probe: dict[str, str] | None = None,
           timeout_s: float = 60, log: Path | None = None, extra: tuple[str, ...] = ()) -> Iterator[Server]:
    """`tenantflow serve` on a free loopback port; with ``probe`` (headers), wait for a 200 of /invocations."""
    port = free_port()
    command = [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--project", str(root),
               "--workers", str(workers), "--watch-interval", "0", "--no-access-log", "--drain-timeout", "5", *extra]
    env = {**os.environ, SECRET_ENV: SECRET}
    if redis:
        command += ["--redis", REDIS_URL, "--redis-prefix", REDIS_PREFIX]
    started = time.perf_counter()
    handle = open(log, "wb") if log is not None else None
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=handle if handle is not None else subprocess.DEVNULL, start_new_session=True)
    running = Server(f"http://127.0.0.1:{port}", process, started)
    try:
        with httpx.Client(timeout=10) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"tenantflow serve exited with {process.returncode}")
                if time.perf_counter() - started > timeout_s:
                    raise RuntimeError("tenantflow serve did not answer in time")
                with contextlib.suppress(httpx.TransportError):
                    if probe is None:
                        if client.get(f"{running.url}/ping").status_code == 200:
                            break
                    elif client.post(f"{running.url}/invocations", json=PAYLOAD, headers=probe).status_code == 200:
                        break
                time.sleep(0.005)
        running.first_ok_s = time.perf_counter() - started
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if handle is not None:
            handle.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    elapsed_s: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    def add(self, status: int, ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.latencies_ms.append(ms)


async def _one(client: httpx.AsyncClient, url: str, headers: dict[str, str], run: Run) -> None:
    t0 = time.perf_counter()
    try:
        response = await client.post(f"{url}/invocations", json=PAYLOAD, headers=headers)
    except httpx.HTTPError:
        run.errors += 1
        return
    run.add(response.status_code, (time.perf_counter() - t0) * 1000)


async def closed_loop(url: str, headers: dict[str, str], *, requests: int, concurrency: int) -> Run:
    """``concurrency`` clients, each sending its next request when its last one is answered."""
    run = Run()
    remaining = requests
    deadline = time.perf_counter() + MAX_PHASE_S
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        async def worker() -> None:
            nonlocal remaining
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                await _one(client, url, headers, run)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        run.elapsed_s = time.perf_counter() - t0
    return run


async def open_loop(client: httpx.AsyncClient, url: str, headers: dict[str, str], *, rate: float,
                    duration_s: float) -> Run:
    """Requests sent at a fixed ``rate`` whatever the answers, for ``duration_s`` (open loop)."""
    run = Run()
    tasks: list[asyncio.Task[None]] = []
    t0 = time.perf_counter()
    count = int(rate * duration_s)
    for i in range(count):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(client, url, headers, run)))
    await asyncio.gather(*tasks)
    run.elapsed_s = time.perf_counter() - t0
    return run


def flood_main(url: str, rate: float, duration_s: float) -> None:
    """The noisy tenant as a client of its own (another process): the token comes in FLOOD_TOKEN."""
    headers = {"Authorization": f"Bearer {os.environ['FLOOD_TOKEN']}", "Content-Type": "application/json"}

    async def flood() -> Run:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            await client.get(f"{url}/ping")
            print("ready", flush=True)
            sys.stdin.readline()  # go
            return await open_loop(client, url, headers, rate=rate, duration_s=duration_s)

    run = asyncio.run(flood())
    print(json.dumps({"latencies_ms": run.latencies_ms, "statuses": run.statuses, "errors": run.errors,
                      "elapsed_s": run.elapsed_s}), flush=True)


async def flooding(url: str, token_: str, rate: float, duration_s: float) -> tuple[asyncio.subprocess.Process, Any]:
    """Start the noisy tenant's process; returns it once it is ready, and a coroutine that starts it and waits."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--flood", url, str(rate), str(duration_s), env={**os.environ, "FLOOD_TOKEN": token_},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None and process.stdin is not None
    assert (await process.stdout.readline()).strip() == b"ready"

    async def go() -> Run:
        assert process.stdout is not None and process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
        data = json.loads(await process.stdout.readline())
        await process.wait()
        run = Run(latencies_ms=data["latencies_ms"], errors=data["errors"], elapsed_s=data["elapsed_s"])
        run.statuses = {int(k): v for k, v in data["statuses"].items()}
        return run

    return process, go()


def merge(into: Run, run: Run) -> None:
    into.latencies_ms += run.latencies_ms
    into.errors += run.errors
    into.elapsed_s += run.elapsed_s
    for status, count in run.statuses.items():
        into.statuses[status] = into.statuses.get(status, 0) + count


def line(name: str, run: Run) -> str:
    rps = run.ok / run.elapsed_s if run.elapsed_s else 0.0
    others = {k: v for k, v in sorted(run.statuses.items()) if k != 200}
    return (f"| {name} | {run.ok + sum(others.values()) + run.errors} | {rps:.1f} | "
            f"{percentile(run.latencies_ms, 50):.1f} | {percentile(run.latencies_ms, 99):.1f} | "
            f"{others or '-'}{f', {run.errors} transport errors' if run.errors else ''} |")


async def overhead(root: Path, url: str, headers: dict[str, str], runs: int,
                   concurrency: int) -> tuple[list[float], list[float], float]:
    """Sequential latencies of the server and of `Engine.run` in this process, interleaved request by request
    (the order alternating), so both see the same machine; then in-process throughput at ``concurrency``.

    ``root`` is a copy of the served project: the same workflow, tenants and SQLite stores, in files of its own.
    """
    from engine.engine import Engine

    workflow, data = WORKFLOW, dict(INPUT)
    served: list[float] = []
    local: list[float] = []
    async with Engine.open(root) as engine, httpx.AsyncClient(timeout=30) as client:
        run = Run()

        async def remote() -> None:
            t0 = time.perf_counter()
            await _one(client, url, headers, run)
            served.append((time.perf_counter() - t0) * 1000)

        async def here(i: int) -> None:
            t0 = time.perf_counter()
            await engine.run(workflow, engine.dev_context("bench", "u1", f"seq-{i}"), data)
            local.append((time.perf_counter() - t0) * 1000)

        for i in range(5):
            await remote()
            await here(1000 + i)
        served.clear()
        local.clear()
        deadline = time.perf_counter() + MAX_PHASE_S
        for i in range(runs):
            if time.perf_counter() > deadline:
                break
            if i % 2:
                await remote()
                await here(i)
            else:
                await here(i)
                await remote()
        assert run.ok == len(run.latencies_ms), run.statuses
        queue = list(range(runs))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                await engine.run(workflow, engine.dev_context("bench", "u1", f"par-{i}"), data)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return served, local, runs / (time.perf_counter() - t0)


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '%s'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


def wrk(url: str, bearer: str, connections: int, seconds: int, folder: Path) -> tuple[float, float, float, int]:
    """wrk (a C load generator, far lighter than this script's Python client): req/s, p50 ms, p99 ms, non-2xx."""
    script = folder / "post.lua"
    script.write_text(WRK_SCRIPT % (json.dumps(PAYLOAD), bearer))
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                          f"{url}/invocations"], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value = next(line.split()[1] for line in out.splitlines() if line.strip().startswith(label))
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
        return float(value[: -len(unit)]) * factor[unit]

    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    bad = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
    return rps, ms("50%"), ms("99%"), bad


def postgres_cleanup() -> None:
    """Drop this run's schema (its checkpoints and memory)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(os.environ[DATABASE_ENV], autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(PG_SCHEMA)))


def redis_cleanup() -> None:
    async def delete() -> None:
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            keys = [k async for k in client.scan_iter(f"{REDIS_PREFIX}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()

    asyncio.run(delete())


def redis_up() -> bool:
    async def ping() -> bool:
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        try:
            return bool(await client.ping())
        except Exception:
            return False
        finally:
            await client.aclose()

    return asyncio.run(ping())


def throughput_part(requests: int, concurrency: int, have_redis: bool, stores: tuple[str, ...] = ("memory",)) -> None:
    """1. Throughput of 1 and 2 workers (on each kind of ``stores``); 2. overhead against `Engine.run` in process."""
    with tempfile.TemporaryDirectory() as tmp:
        roots = {kind: bench_project(Path(tmp) / f"proj-{kind}", stores=kind) for kind in stores}
        # The projects differ only in their stores: a token of one is good for all.
        headers = {"Authorization": f"Bearer {token(roots[stores[0]], 'bench')}", "Content-Type": "application/json"}
        print(f"## throughput: support-triage, {requests} requests, {concurrency} concurrent clients, "
              f"{' and '.join(stores)} stores\n")
        print("| server | requests | req/s | p50 ms | p99 ms | other answers |\n|---|---:|---:|---:|---:|---|")
        setups = []
        for kind in stores:
            label = f"{kind}: " if len(stores) > 1 else ""
            setups.append((f"{label}1 worker, limits in process", kind, 1, False))
            if have_redis:
                setups += [(f"{label}1 worker, limits in Redis", kind, 1, True),
                           (f"{label}2 workers, limits in Redis", kind, 2, True)]
        rounds = 4
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(server(roots[kind], workers=w, redis=r)) for _, kind, w, r in setups]
            for running in servers:
                asyncio.run(closed_loop(running.url, headers, requests=20, concurrency=2))  # warm every worker
            # All servers up at once, measured in turns with the order rotated: drift on a shared machine
            # falls on each of them alike.
            results = [Run() for _ in setups]
            for r in range(rounds):
                for k in range(len(setups)):
                    i = (k + r) % len(setups)
                    merge(results[i], asyncio.run(closed_loop(servers[i].url, headers, requests=requests // rounds,
                                                              concurrency=concurrency)))
            for (name, _, _, _), result in zip(setups, results, strict=True):
                print(line(name, result))
            if shutil.which("wrk"):
                # A keep-alive connection stays with the worker that accepted it: with few connections, one
                # worker of two may get them all. 32 connections let both workers take their share.
                print("\nThe same servers driven by wrk (a C client: -t1, 10 s per line, in turns):\n")
                print("| server | connections | req/s | p50 ms | p99 ms | non-2xx |\n|---|---:|---:|---:|---:|---:|")
                bearer = headers["Authorization"].split()[1]
                for connections in (concurrency, 32):
                    for (name, _, _, _), running in zip(setups, servers, strict=True):
                        rps, p50, p99, bad = wrk(running.url, bearer, connections, 10, Path(tmp))
                        print(f"| {name} | {connections} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {bad} |")
            else:
                print("\n(wrk is not installed: `apt-get install wrk` adds a line per server measured with it)")
            for kind in stores:
                twin = bench_project(Path(tmp) / f"twin-{kind}", stores=kind)
                first = next(i for i, setup in enumerate(setups) if setup[1] == kind)
                served, local, in_rps = asyncio.run(overhead(twin, servers[first].url, headers, requests // 2,
                                                             concurrency))
                ratio = percentile(served, 50) / percentile(local, 50)
                print(f"\n## overhead, {kind} stores: {len(served)} sequential requests, interleaved with as many "
                      "`Engine.run` in process\n")
                print("| | p50 ms | p99 ms |\n|---|---:|---:|")
                print(f"| server (1 worker), sequential | {percentile(served, 50):.1f} | "
                      f"{percentile(served, 99):.1f} |")
                print(f"| `Engine.run` in process, sequential | {percentile(local, 50):.1f} | "
                      f"{percentile(local, 99):.1f} |")
                print(f"\noverhead ratio (p50): {ratio:.2f} (+{percentile(served, 50) - percentile(local, 50):.1f} ms "
                      f"per request); `Engine.run` in process with {concurrency} concurrent runs: {in_rps:.1f} runs/s")


def noisy_part(rounds: int, phase_s: float, extra: tuple[str, ...] = ()) -> None:
    """3. B alone, with A at its limit, with A at 10x its limit, in rounds."""
    conditions = {"A at its limit": NOISY_LIMIT, "A at 10x its limit": NOISY_LIMIT * 10}
    print(f"\n## noisy neighbour: B at {QUIET_RATE} req/s (its limit: {QUIET_LIMIT}/s); A at {NOISY_LIMIT} "
          f"req/s (its limit) or at {NOISY_LIMIT * 10} req/s (10x); {rounds} rounds of {phase_s:.0f} s per phase: "
          f"B alone, then B with A at its limit and with A at 10x (in turns)\n")
    print("| phase | tenant | requests | req/s answered 200 | p50 ms | p99 ms | other answers |\n"
          "|---|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        root = bench_project(Path(tmp) / "proj", stores="memory")
        noisy_token = token(root, "noisy")
        quiet = {"Authorization": f"Bearer {token(root, 'quiet')}", "Content-Type": "application/json"}
        with server(root, extra=extra) as running:

            async def phases() -> tuple[Run, dict[str, Run], dict[str, Run]]:
                limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
                alone, b_runs, a_runs = Run(), {k: Run() for k in conditions}, {k: Run() for k in conditions}
                async with httpx.AsyncClient(timeout=30, limits=limits) as client:
                    await open_loop(client, running.url, quiet, rate=QUIET_RATE, duration_s=2)  # warm up
                    for r in range(rounds):
                        merge(alone, await open_loop(client, running.url, quiet, rate=QUIET_RATE,
                                                     duration_s=phase_s))
                        for name in (list(conditions) if r % 2 == 0 else list(conditions)[::-1]):
                            # A is another client in another process, as tenants are: its own load never
                            # slows down how this process measures B.
                            _, flood_run = await flooding(running.url, noisy_token, conditions[name], phase_s)
                            b, flood = await asyncio.gather(
                                open_loop(client, running.url, quiet, rate=QUIET_RATE, duration_s=phase_s),
                                flood_run)
                            merge(b_runs[name], b)
                            merge(a_runs[name], flood)
                return alone, b_runs, a_runs

            alone, b_runs, a_runs = asyncio.run(phases())
    rows = [("B alone", "B", alone)]
    for name in conditions:
        rows += [(name, "B", b_runs[name]), (name, "A", a_runs[name])]
    for phase, tenant, run in rows:
        cells = line(tenant, run).split(" | ", 1)[1]
        print(f"| {phase} | {tenant} | {cells}")
    print()
    for name in conditions:
        b, a = b_runs[name], a_runs[name]
        ratio = percentile(b.latencies_ms, 99) / percentile(alone.latencies_ms, 99)
        lost = sum(b.statuses.values()) + b.errors - b.ok
        print(f"{name}: B's p99 / B alone {ratio:.2f} (target <= 1.5), B lost {lost} requests (target 0); "
              f"A admitted {a.ok} of {sum(a.statuses.values()) + a.errors}")


def startup_part(times: int) -> None:
    """4. From `tenantflow serve` to the first 200, with 1,000 extra pooled tenants (SQLite stores)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = bench_project(Path(tmp) / "proj", pooled=1000)
        probe = {"Authorization": f"Bearer {token(root, 'pool00999')}", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import engine.cli, engine.cli.runtime, engine.runtime.app"],
                       check=True)
        imports_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        from engine.project import load_project

        load_project(root)
        load_s = time.perf_counter() - t0
        firsts, startups = [], []
        for i in range(times):
            log = Path(tmp) / f"serve-{i}.log"
            with server(root, probe=probe, log=log) as running:
                firsts.append(running.first_ok_s)
            started = [json.loads(x) for x in log.read_text().splitlines() if '"runtime.started"' in x]
            startups.append(started[0]["startup_ms"] / 1000)
    print(f"\n## startup with {1000 + 6} tenants\n\n"
          f"from starting `tenantflow serve` to the first 200 of /invocations (a pooled tenant, support-triage): "
          f"{', '.join(f'{s:.2f}' for s in firsts)} s (median {statistics.median(firsts):.2f} s)\n"
          f"of which the server's own start (importing the engine, loading the project, building the engine, "
          f"compiling each workflow once, opening the stores), from the command's first line to listening: "
          f"{', '.join(f'{s:.2f}' for s in startups)} s;\n"
          f"`python -c 'import engine.cli, engine.runtime.app'` alone (Python, LangGraph, LangChain core, ...): "
          f"{imports_s:.2f} s; `load_project` of this project alone, in this process: {load_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests and shorter phases")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", choices=["throughput", "noisy", "startup"], action="append",
                        help="run only these parts (repeat for more; default: all)")
    parser.add_argument("--stores", choices=["memory", "postgres"], action="append",
                        help="throughput part: the servers' checkpointer and store (default memory; repeat to "
                             f"measure both, interleaved; postgres: the database in {DATABASE_ENV}, else "
                             f"{LOCAL_DATABASE})")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="noisy part: start the server with --no-gc-freeze (to compare)")
    parser.add_argument("--flood", nargs=3, metavar=("URL", "RATE", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        flood_main(args.flood[0], float(args.flood[1]), min(float(args.flood[2]), MAX_PHASE_S))
        return
    parts = set(args.only or ["throughput", "noisy", "startup"])
    os.environ[SECRET_ENV] = SECRET
    have_redis = redis_up()
    print(f"machine: {machine()}")
    print(f"redis at {REDIS_URL}: {'up' if have_redis else 'unreachable (2-worker and Redis lines skipped)'}")
    stores = tuple(dict.fromkeys(args.stores or ["memory"]))
    if "postgres" in stores:
        os.environ.setdefault(DATABASE_ENV, LOCAL_DATABASE)
        print(f"postgres: the database in {DATABASE_ENV}, schema {PG_SCHEMA}, default pools")
    print()
    try:
        if "throughput" in parts:
            throughput_part(150 if args.quick else 400, args.concurrency, have_redis, stores)
        if "noisy" in parts:
            noisy_part(2 if args.quick else 3, 5.0 if args.quick else 10.0,
                       ("--no-gc-freeze",) if args.no_gc_freeze else ())
        if "startup" in parts:
            startup_part(1 if args.quick else 3)
    finally:
        if have_redis:
            redis_cleanup()
        if "postgres" in stores:
            postgres_cleanup()


if __name__ == "__main__":
    main()
