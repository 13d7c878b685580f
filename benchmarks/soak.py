"""Soak: a real `tenantflow serve` for N minutes under three tenants, one flooding at ten times its limit.

On demand only (not in CI): ``python benchmarks/soak.py --minutes 10``.
The server is the demo project (the benchmark's copy, bench_server.py) on
PostgreSQL stores (LangGraph's saver and store, in a schema of this run's
own on the database in TENANTFLOW_DATABASE_URL, else the local ``test``
database; dropped at the end). Load, open loop, from this process:

- ``quiet``: support-triage at 8 requests/s (its limit: 10/s), 40 sessions in turn;
- ``bench``: summarize and support-triage alternately at 4 requests/s, 40 sessions;
- ``noisy``: support-triage at 20 requests/s, ten times its limit of 2/s.

Every minute: the server's resident memory (RSS) and open file descriptors
(from /proc), its connections to PostgreSQL (its sockets to the database's
port), and per tenant the answers by status and the p99 latency of its 200s.
The verdict fails (exit status 1) if RSS grew more than 5 % from the end of
the first minute (warm-up) to the end, if open descriptors grew by more than
10, or if a quiet or bench request was lost (not answered 200).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_server import (
    DATABASE_ENV,
    LOCAL_DATABASE,
    SECRET,
    SECRET_ENV,
    Run,
    bench_project,
    machine,
    percentile,
    postgres_cleanup,
    server,
    token,
)

RATES = {"quiet": 8.0, "bench": 4.0, "noisy": 20.0}
SESSIONS = 40
TRIAGE = {"workflow": "support-triage",
          "input": {"ticket": "I was charged twice for my last invoice", "customer_id": "cus_1001"}}
SUMMARIZE = {"workflow": "summarize", "input": {"text": "The customer wrote three times about a duplicate charge "
                                                        "on the March invoice and asks for a refund."}}
#: Growth allowed after warm-up.
MAX_RSS_GROWTH = 0.05
MAX_FD_GROWTH = 10


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def db_connections(pid: int, port: int = 5432) -> int:
    """The process's TCP sockets connected to ``port`` (its PostgreSQL connections)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                count += 1
    return count


async def tenant_load(client: httpx.AsyncClient, url: str, tenant: str, bearer: str, rate: float, until: float,
                      runs: dict[int, dict[str, Run]], started: float) -> None:
    tasks: list[asyncio.Task[None]] = []

    async def one(n: int) -> None:
        body = SUMMARIZE if tenant == "bench" and n % 2 else TRIAGE
        t0 = time.perf_counter()
        minute = int((t0 - started) // 60)
        run = runs.setdefault(minute, {}).setdefault(tenant, Run())
        try:
            response = await client.post(f"{url}/invocations", json=body, headers={
                "Authorization": f"Bearer {bearer}",
                "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": f"{tenant}-s{n % SESSIONS}"})
        except httpx.HTTPError:
            run.errors += 1
            return
        run.add(response.status_code, (time.perf_counter() - t0) * 1000)

    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() < until:
        delay = t0 + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
        tasks = [t for t in tasks if not t.done()]
        n += 1
    await asyncio.gather(*tasks)


async def sample(pid: int, until: float, started: float, samples: list[tuple[int, int, int, int]]) -> None:
    """At the end of each minute: (minute, RSS KiB, open fds, DB connections)."""
    minute = 0
    while True:
        next_at = started + (minute + 1) * 60
        if next_at > until + 1:
            return
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        samples.append((minute + 1, rss_kb(pid), open_fds(pid), db_connections(pid)))
        minute += 1


async def soak(url: str, pid: int, bearers: dict[str, str], minutes: float
               ) -> tuple[dict[int, dict[str, Run]], list[tuple[int, int, int, int]]]:
    started = time.perf_counter()
    until = started + minutes * 60
    runs: dict[int, dict[str, Run]] = {}
    samples: list[tuple[int, int, int, int]] = []
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(sample(pid, until, started, samples),
                             *(tenant_load(client, url, tenant, bearers[tenant], rate, until, runs, started)
                               for tenant, rate in RATES.items()))
    return runs, samples


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    os.environ.setdefault(DATABASE_ENV, LOCAL_DATABASE)
    os.environ[SECRET_ENV] = SECRET  # the server's development issuer signs with it too
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        root = bench_project(Path(tmp) / "proj", stores="postgres")
        for tenant in RATES:
            # Ten minutes at these rates use more model tokens than the tier's daily budget: a budget refusal
            # would hide what the soak looks for. The noisy tenant stays ten times over its request rate.
            path = root / "tenants" / tenant / "tenant.yaml"
            text = path.read_text()
            if "tokens_per_day" not in text:
                path.write_text(text.replace("quotas: {", "quotas: {tokens_per_day: 1000000000, ", 1))
        bearers = {tenant: token(root, tenant) for tenant in RATES}
        try:
            with server(root, extra=()) as running:
                runs, samples = asyncio.run(soak(running.url, running.process.pid, bearers, args.minutes))
        finally:
            postgres_cleanup()
    print(f"\n{args.minutes:g} minutes; rates per s: {RATES}\n")
    print("| minute | RSS MiB | open fds | DB connections | quiet p99 ms | quiet 200 / sent | bench p99 ms | "
          "bench 200 / sent | noisy 200 / 429 / sent | quiet and bench, not 200 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    lost = 0
    for minute, rss, fds, conns in samples:
        cells = []
        other: dict[str, int] = {}
        for tenant in ("quiet", "bench"):
            run = runs.get(minute - 1, {}).get(tenant, Run())
            sent = sum(run.statuses.values()) + run.errors
            lost += sent - run.ok
            cells += [f"{percentile(run.latencies_ms, 99):.1f}", f"{run.ok} / {sent}"]
            for status, count in run.statuses.items():
                if status != 200:
                    other[f"{tenant} {status}"] = count
            if run.errors:
                other[f"{tenant} transport errors"] = run.errors
        noisy = runs.get(minute - 1, {}).get("noisy", Run())
        noisy_sent = sum(noisy.statuses.values()) + noisy.errors
        print(f"| {minute} | {rss / 1024:.1f} | {fds} | {conns} | {' | '.join(cells)} | "
              f"{noisy.ok} / {noisy.statuses.get(429, 0)} / {noisy_sent} | {other or '-'} |")
    if len(samples) < 2:
        print("\nverdict: too short to judge (at least 2 minutes)")
        return 1
    warm_rss, end_rss = samples[0][1], samples[-1][1]
    growth = (end_rss - warm_rss) / warm_rss
    fd_growth = samples[-1][2] - samples[0][2]
    failures = []
    if growth > MAX_RSS_GROWTH:
        failures.append(f"RSS grew {growth:.1%} after warm-up (at most {MAX_RSS_GROWTH:.0%})")
    if fd_growth > MAX_FD_GROWTH:
        failures.append(f"open fds grew by {fd_growth}")
    if lost:
        failures.append(f"{lost} quiet or bench requests not answered 200")
    print(f"\nRSS after warm-up {warm_rss / 1024:.1f} MiB, at the end {end_rss / 1024:.1f} MiB ({growth:+.1%}); "
          f"open fds {samples[0][2]} -> {samples[-1][2]}")
    print("verdict: " + ("FAIL: " + "; ".join(failures) if failures else "pass"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
