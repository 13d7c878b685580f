"""This code's guardrails against another checkout's, side by side in one run.

    python benchmarks/bench_guardrails_vs.py --against /path/to/other/checkout [--against ...] [--rounds 15]

One worker process per checkout, this one importing this checkout's engine (``PYTHONPATH``
set to it) and each other one its own, all given the same typical 2 KB messages and
2 KB ticket by this checkout's ``benchmarks/bench_guardrails.py``, and each
compiling the demo project of its own checkout.
The parent asks them in turn, round by round with the order rotating, so
drift of the machine hits all alike:

* throughput: the full PII and secrets detector set over the typical 2 KB
  messages, process CPU time per round, MB/s;
* cold throughput: the same with the detectors' per-candidate caches emptied
  before every message (the typical messages repeat the corpus's texts, so a
  warm cache flatters a checkout that has one; this is its worst case);
* latency: both guard nodes of the demo's ``support-triage`` on the 2 KB
  ticket for one tenant, median process CPU time per call over a block.

Prints one table with the medians and the ratio of this checkout to each other one. Other processes on the
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
    # The per-candidate caches of a checkout that has them (emptied for the cold measure).
    caches = [cached for module, name in (("engine.guardrails.phones", "_verdict"),)
              if (cached := getattr(sys.modules.get(module), name, None)) is not None]
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
        elif command[0] == "cold":
            start = time.process_time()
            for text in typical:
                for cached in caches:
                    cached.cache_clear()
                pii.scan(text)
                secrets.scan(text)
            print(json.dumps({"seconds": time.process_time() - start}), flush=True)
        elif command[0] == "latency":
            took = asyncio.run(latency(command[1], int(command[2])))
            print(json.dumps({"median": statistics.median(took)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, action="append", required=True,
                        help="another checkout (e.g. main's worktree); repeat for more")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200, help="guard-node calls per tenant per round")
    args = parser.parse_args()
    trees = {"this": ROOT}
    for tree in args.against:
        trees[tree.resolve().name if tree.resolve().name not in trees else str(tree.resolve())] = tree.resolve()
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

    print(f"python {sys.version.split()[0]}; " + ", ".join(f"{name}: {tree}" for name, tree in trees.items()))
    stamp("starts")
    names = list(workers)
    rows = {"PII + secrets, typical 2 KB messages (MB/s)": "throughput",
            "the same, caches emptied before every message (MB/s)": "cold",
            **{f"both guard nodes, 2 KB ticket, {tenant} (µs)": tenant for tenant in TENANTS}}
    measured: dict[tuple[str, str], list[float]] = {(name, row): [] for name in names for row in rows}
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            for row, what in rows.items():
                if what in ("throughput", "cold"):
                    measured[(name, row)].append(hello[name]["bytes"] / ask(name, what)["seconds"] / 1e6)
                else:
                    measured[(name, row)].append(ask(name, f"latency {what} {args.calls}")["median"] * 1e6)
    stamp("ends")
    for process in workers.values():
        process.stdin.close()  # type: ignore[union-attr]
        process.wait()
    others = names[1:]
    print(f"\n{args.rounds} rounds, order rotating; medians of the rounds\n")
    print("| measure | " + " | ".join(names) + " | " + " | ".join(f"this / {o}" for o in others) + " |")
    print("|---|" + "---:|" * (len(names) + len(others)))
    for row in rows:
        medians = {name: statistics.median(measured[(name, row)]) for name in names}
        digits = 1 if "MB/s" in row else 0
        print(f"| {row} | " + " | ".join(f"{medians[n]:.{digits}f}" for n in names) + " | "
              + " | ".join(f"{medians['this'] / medians[o]:.2f}" for o in others) + " |")
    print("\nfindings on the typical messages: " + ", ".join(f"{n} {hello[n]['findings']}" for n in names))


def stamp(event: str) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC] {event}; load average {load}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main()
