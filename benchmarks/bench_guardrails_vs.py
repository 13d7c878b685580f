"""This code's guardrails against another checkout's, side by side in one run.

    python benchmarks/bench_guardrails_vs.py --against /path/to/other/checkout [--rounds 15]

Two worker processes, one importing this checkout's engine (``PYTHONPATH``
set to it) and one the other's, both given the same typical 2 KB messages and
2 KB ticket by this checkout's ``benchmarks/bench_guardrails.py``, and each
compiling the demo project of its own checkout.
The parent asks them in turn, round by round with the order alternating, so
drift of the machine hits both alike:

* throughput: the full PII and secrets detector set over the typical 2 KB
  messages, process CPU time per round, MB/s;
* latency: both guard nodes of the demo's ``support-triage`` on the 2 KB
  ticket for one tenant, median process CPU time per call over a block.

Prints one table with the medians and the ratio. Other processes on the
machine move absolute numbers; the ratio of two interleaved measurements
moves less.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TENANTS = ("globex", "initech", "acme")


def worker() -> None:
    """Answer commands on stdin with one JSON line each, measuring the checkout on sys.path."""
    # This checkout's benchmark helpers for both workers: the same messages (this checkout's corpus) and ticket.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_guardrails as bench
    from langchain_core.runnables.config import var_child_runnable_config
    from langgraph.runtime import Runtime

    import engine
    from engine.engine import Engine
    from engine.guardrails.pii import PII_TYPES, PiiDetector
    from engine.guardrails.secrets import SECRET_TYPES, SecretsDetector
    from engine.ir import GUARD_INPUT, GUARD_OUTPUT
    from engine.kinds.base import Build, RunContext
    from engine.kinds.guard import GuardInput, GuardOutput
    from engine.project import load_project

    typical = bench.typical_messages(1_000_000)
    size = sum(len(t.encode("utf-8")) for t in typical)
    pii, secrets = PiiDetector(PII_TYPES), SecretsDetector(SECRET_TYPES)
    found = sum(len(pii.scan(t)) + len(secrets.scan(t)) for t in typical)  # warm up
    eng = Engine(load_project(Path.cwd()))
    nodes: dict[str, Any] = {}
    for tenant in TENANTS:
        compiled = eng.compile("support-triage", tenant)
        build = Build(compiled.ir, lambda path: None)  # type: ignore[arg-type,return-value]
        ctx = eng.dev_context(tenant, "u1", "s1")
        nodes[tenant] = (GuardInput().build(compiled.ir.nodes[GUARD_INPUT], build),
                         GuardOutput().build(compiled.ir.nodes[GUARD_OUTPUT], build),
                         Runtime(context=RunContext(ctx, eng.services)), ctx)
    reply = (bench.REPLY * 2)[:2048]
    state_in: dict[str, Any] = {"input": {"ticket": bench.TICKET, "customer_id": "cus_1001"}}
    state_out: dict[str, Any] = {
        "input": state_in["input"], "output": {"reply": reply, "category": "billing"},
        "steps": {"classify": {"category": "billing", "confidence": 0.92},
                  "lookup": {"invoices": [{"id": "inv_1", "status": "open", "amount": 42.0}]},
                  "draft": {"reply": reply}},
        "memory": {"user": [{"ticket": "Earlier: password reset"}]},
    }

    async def latency(tenant: str, calls: int) -> list[float]:
        node_in, node_out, runtime, ctx = nodes[tenant]
        token = var_child_runnable_config.set({"configurable": {"thread_id": ctx.thread_id,
                                                                "checkpoint_ns": "guard.input:1"}})
        took = []
        for _ in range(calls):
            start = time.process_time()
            await node_in(state_in, runtime)
            await node_out(state_out, runtime)
            took.append(time.process_time() - start)
        var_child_runnable_config.reset(token)
        return took

    for tenant in TENANTS:
        asyncio.run(latency(tenant, 50))  # warm up
    print(json.dumps({"engine": engine.__file__, "bytes": size, "findings": found}), flush=True)
    for line in sys.stdin:
        command = line.split()
        gc.collect()
        if command[0] == "throughput":
            start = time.process_time()
            for text in typical:
                pii.scan(text)
                secrets.scan(text)
            print(json.dumps({"seconds": time.process_time() - start}), flush=True)
        elif command[0] == "latency":
            took = asyncio.run(latency(command[1], int(command[2])))
            print(json.dumps({"median": statistics.median(took)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, required=True, help="the other checkout (e.g. main's worktree)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200, help="guard-node calls per tenant per round")
    args = parser.parse_args()
    trees = {"this": ROOT, "other": args.against.resolve()}
    workers = {}
    for name, tree in trees.items():
        env = {**os.environ, "PYTHONPATH": str(tree)}
        workers[name] = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker"], cwd=tree, env=env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    hello = {name: json.loads(w.stdout.readline()) for name, w in workers.items()}  # type: ignore[union-attr]

    def ask(name: str, command: str) -> dict[str, Any]:
        process = workers[name]
        process.stdin.write(command + "\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
        return json.loads(process.stdout.readline())  # type: ignore[union-attr]

    print(f"python {sys.version.split()[0]}; this: {trees['this']}, other: {trees['other']}")
    stamp("starts")
    throughput: dict[str, list[float]] = {name: [] for name in workers}
    latency: dict[tuple[str, str], list[float]] = {(name, t): [] for name in workers for t in TENANTS}
    for round_ in range(args.rounds):
        order = list(workers) if round_ % 2 == 0 else list(reversed(workers))
        for name in order:
            throughput[name].append(hello[name]["bytes"] / ask(name, "throughput")["seconds"] / 1e6)
            for tenant in TENANTS:
                latency[(name, tenant)].append(ask(name, f"latency {tenant} {args.calls}")["median"] * 1e6)
    stamp("ends")
    for process in workers.values():
        process.stdin.close()  # type: ignore[union-attr]
        process.wait()
    print(f"\n{args.rounds} rounds, alternating; medians of the rounds\n")
    print("| measure | this | other | this / other |")
    print("|---|---:|---:|---:|")
    this, other = statistics.median(throughput["this"]), statistics.median(throughput["other"])
    print(f"| PII + secrets, typical 2 KB messages (MB/s) | {this:.1f} | {other:.1f} | {this / other:.2f} |")
    for tenant in TENANTS:
        this, other = statistics.median(latency[("this", tenant)]), statistics.median(latency[("other", tenant)])
        print(f"| both guard nodes, 2 KB ticket, {tenant} (µs) | {this:.0f} | {other:.0f} | {this / other:.2f} |")
    print(f"\nfindings on the typical messages: this {hello['this']['findings']}, other {hello['other']['findings']}")


def stamp(event: str) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC] {event}; load average {load}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main()
