"""Many tenants on one machine: what grows with tenants and what grows with structures.

Generated projects: the demo copied to a temporary folder with N extra tiny tenant files
(tiers basic, standard and premium in turn, each running support-triage and summarize),
for N = 1, 100, 1,000 and 10,000 pooled tenants, and 1,000 tenants with a structure each
(each overrides one step of support-triage with its own description, so no two share a
graph). Every measurement runs in a fresh child process, so peak RSS is that of one job:

* validate: ``validate_project`` (every tenant x workflow pair), time and peak RSS;
* load: ``load_project`` + ``Engine(...)`` (the tenant directory), time, then RSS;
* compiled graphs: after compiling support-triage for one tenant of each tier (pooled) or
  for 50 tenants (structures), the number of compiled graphs and resolved workflows;
* first run: ``Engine.run`` of support-triage for a tenant never seen before whose
  structure's graph is compiled (median of 20 such tenants, and the worst); cached run: the
  same tenant again (median of 20);
* Cedar: a new user's first decision (``Authorizer.decide``, one tool): median time over 200
  new users, and the RSS those 200 users' cached entities add, per user.

    python benchmarks/bench_scale.py                      # every scenario (~3-5 min on 2 loaded cores)
    python benchmarks/bench_scale.py --only 10000 --only s1000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {"1": (1, False), "100": (100, False), "1000": (1000, False), "10000": (10000, False),
             "s1000": (1000, True)}
PAYLOAD = {"ticket": "I was charged twice for my subscription this month", "customer_id": "cus_1"}
TIERS = ("basic", "standard", "premium")


def machine() -> str:
    import platform

    load = os.getloadavg()
    return (f"{os.cpu_count()} cpu, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def make_project(folder: Path, tenants: int, structures: bool) -> Path:
    for name in ("tenantflow.yaml", "workflows", "skills", "fixtures", "tenants", "policies"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__", ".tenantflow"))
        elif src.exists():
            shutil.copy2(src, folder / name)
    for i in range(tenants):
        tid = f"t{i:05d}"
        (folder / "tenants" / tid).mkdir()
        text = ("apiVersion: tenantflow/v1\nkind: Tenant\n"
                f"metadata: {{id: {tid}, name: Customer {i}}}\ntier: {TIERS[i % 3]}\n"
                "entitlements: {tools: [kb.search, billing.get_invoices]}\n"
                "workflows: [support-triage, summarize]\n")
        if structures:
            text += f"overrides:\n  support-triage:\n    steps: {{classify: {{description: Customer {i}'s triage}}}}\n"
        (folder / "tenants" / tid / "tenant.yaml").write_text(text, encoding="utf-8")
    return folder


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_validate(root: Path) -> dict[str, Any]:
    from engine.review.validate import validate_project

    started = time.perf_counter()
    result = validate_project(root)
    return {"validate_s": time.perf_counter() - started, "validate_peak_mb": peak_mb(), "pairs": result.pairs,
            "problems": len(result.problems)}


def child_load(root: Path, structures: bool) -> dict[str, Any]:
    from langgraph.store.memory import InMemoryStore

    from engine.context import TenantContext
    from engine.engine import Engine
    from engine.policy.authorizer import AccessItem
    from engine.project import load_project

    out: dict[str, Any] = {"rss_start_mb": rss_mb()}
    started = time.perf_counter()
    project = load_project(root)
    engine = Engine(project, store=InMemoryStore())
    out["load_s"] = time.perf_counter() - started
    out["rss_after_load_mb"] = rss_mb()
    # As `tenantflow serve` does once started (RuntimeConfig.freeze_gc): what the load built is kept out of
    # the collector's full passes, which would otherwise walk it during requests.
    gc.freeze()
    extra = sorted(t for t in project.tenants if t.startswith("t"))
    # Compile the structures the first runs below need.
    warm = extra[:50] if structures else extra[:3]
    for tenant in warm:
        engine.compile("support-triage", tenant)
    out["graphs"] = len(engine.graphs)
    out["resolved_workflows"] = sum(1 for key in project.derived if key[0] == "effective")

    async def runs() -> tuple[list[float], list[float]]:
        first, cached = [], []
        rest = warm[3:23] if structures else extra[len(warm):][:: max(1, len(extra) // 20)][:20]
        candidates = rest or warm
        for tenant in candidates:
            # A tenant seen for the first time: its structure's graph is compiled, the tenant is new.
            ctx = TenantContext(tenant_id=tenant, tier=engine.settings(tenant).tier, user_id="u1",
                                session_id="s1", issuer="dev")
            t0 = time.perf_counter()
            await engine.run("support-triage", ctx, PAYLOAD)
            first.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            await engine.run("support-triage", ctx, PAYLOAD)
            cached.append((time.perf_counter() - t0) * 1000)
        return first, cached

    # Warm the process-wide caches (templates, guard detectors) with a demo tenant first.
    asyncio.run(engine.run("support-triage", engine.dev_context("globex"), PAYLOAD))
    first, cached = asyncio.run(runs())
    out["first_run_ms"], out["first_run_max_ms"] = statistics.median(first), max(first)
    out["cached_run_ms"] = statistics.median(cached)
    out["graphs_after_runs"] = len(engine.graphs)

    # A new user's first Cedar decision.
    tenant = extra[0] if extra else "globex"
    facts = engine.tenants.facts(tenant)
    found = engine.project.registry.resolve("tool", "kb.search", tenant)
    assert found is not None
    item = AccessItem.of(found)
    times = []
    before = rss_mb()
    users = 200
    for i in range(users):
        ctx = TenantContext(tenant_id=tenant, tier=facts.tier, user_id=f"new-user-{i}", session_id="s1",
                            issuer="dev", attributes=(("department", f"d{i}"),))
        t0 = time.perf_counter()
        engine.authorizer.decide(ctx, facts, [item], stage="call", workflow="support-triage", step="search")
        times.append((time.perf_counter() - t0) * 1000)
    out["cedar_first_ms"] = statistics.median(times)
    out["cedar_kb_per_user"] = (rss_mb() - before) * 1024 / users
    out["peak_mb"] = peak_mb()
    return out


def run_child(mode: str, root: Path, structures: bool) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", mode, str(root), *(["--structures"] if structures
                                                                                   else [])],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), help="scenarios to run")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ROOT"), help=argparse.SUPPRESS)
    parser.add_argument("--structures", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    if args.child:
        mode, root = args.child
        fn = child_validate if mode == "validate" else lambda r: child_load(r, args.structures)
        print(json.dumps(fn(Path(root))))
        return
    print(f"tenantflow at scale ({machine()})")
    header = ("scenario", "validate s", "validate peak MB", "load s", "RSS after load MB", "graphs",
              "resolved wfs", "first run ms (max)", "cached run ms", "cedar new user ms", "cedar KB/user")
    print(" | ".join(header))
    results = {}
    for name in args.only or list(SCENARIOS):
        tenants, structures = SCENARIOS[name]
        with tempfile.TemporaryDirectory(prefix="tenantflow-scale-") as tmp:
            root = make_project(Path(tmp), tenants, structures)
            v = run_child("validate", root, structures)
            load = run_child("load", root, structures)
        results[name] = {**v, **load}
        label = f"{tenants} {'with a structure each' if structures else 'pooled'}"
        print(" | ".join([label, f"{v['validate_s']:.2f}", f"{v['validate_peak_mb']:.0f}", f"{load['load_s']:.2f}",
                          f"{load['rss_after_load_mb']:.0f}", str(load["graphs"]), str(load["resolved_workflows"]),
                          f"{load['first_run_ms']:.1f} ({load['first_run_max_ms']:.1f})",
                          f"{load['cached_run_ms']:.1f}", f"{load['cedar_first_ms']:.3f}",
                          f"{load['cedar_kb_per_user']:.1f}"]), flush=True)
        if v["problems"]:
            print(f"  ({v['problems']} validate problems)")
    print(f"done ({machine()})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
