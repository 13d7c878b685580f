"""Compile time of the demo workflows, per tenant, and the graph lookup of 1,000 pooled tenants.

1. ``Engine.compile(workflow, tenant)`` on a fresh Engine (the project is
   loaded once): median over N fresh engines, in two flavours:
   * cold: the process-wide caches (Jinja template compile cache, guard
     chains) are cleared before each, as in a new worker process;
   * warm: those caches kept, as after a graph-cache eviction.
2. The same compile, pass by pass, each pass called on its own:
   resolve_tenant, resolve_workflow, lower, check, check_bindings, emit,
   builder.compile (the engine compiles the builder twice: the top-level
   graph and the subgraph used by ``call`` steps).
3. 1,000 pooled tenants of one workflow (a temporary copy of the demo with
   1,000 extra tenant files, tiers basic/standard/premium in turn): time to
   load the project, to get the graph for every tenant the first time (one
   real compile, then resolve + digest + bindings per tenant), and again
   (cached), and a check that they all share ONE compiled graph.

    python benchmarks/bench_compile.py            # N=15 fresh engines, 1,000 pooled tenants
    python benchmarks/bench_compile.py -n 30 --tenants 2000
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.store.memory import InMemoryStore

from engine.compile.check import check, check_bindings
from engine.compile.emit import emit
from engine.compile.lower import lower
from engine.compile.resolve import resolve_tenant, resolve_workflow
from engine.engine import Engine
from engine.project import Project, load_project

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    import os
    import platform
    from importlib.metadata import version

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cpu ({cpu}), Python {platform.python_version()}, langgraph {version('langgraph')}, "
            f"{time.strftime('%Y-%m-%d %H:%M %Z')}")


def clear_process_caches() -> None:
    """Forget what a long-running process keeps between engines (a new worker starts without it)."""
    from engine import templating
    from engine.guardrails.chain import clear_chain_cache

    cached = getattr(templating, "_compile_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
    clear_chain_cache()


def ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000, result


def pairs(project: Project) -> list[tuple[str, str]]:
    out = []
    for workflow in sorted(project.workflows):
        for tenant_id, tenant in sorted(project.tenants.items()):
            runs = tenant.spec.workflows
            if not runs or workflow in runs:
                out.append((workflow, tenant_id))
    return out


def compile_times(project: Project, workflow: str, tenant: str, n: int, cold: bool) -> list[float]:
    times = []
    for _ in range(n):
        if cold:
            clear_process_caches()
        engine = Engine(project, store=InMemoryStore())
        gc.collect()
        t, _ = ms(lambda: engine.compile(workflow, tenant))
        times.append(t)
    return times


PASSES = ("resolve_tenant", "resolve_workflow", "lower", "check", "check_bindings", "emit", "builder.compile")
SHORT = {"resolve_tenant": "settings", "resolve_workflow": "resolve", "lower": "lower", "check": "check",
         "check_bindings": "bind", "emit": "emit", "builder.compile": "lg.compile"}


def pass_times(project: Project, workflow: str, tenant: str, n: int) -> dict[str, list[float]]:
    """Each pass timed on its own; process caches cleared first, as in the cold compile."""
    out: dict[str, list[float]] = {p: [] for p in PASSES}
    for _ in range(n):
        clear_process_caches()
        store = InMemoryStore()
        gc.collect()
        t, settings = ms(lambda: resolve_tenant(project, tenant))
        out["resolve_tenant"].append(t)
        t, eff = ms(lambda: resolve_workflow(project, workflow, tenant))
        out["resolve_workflow"].append(t)
        t, ir = ms(lambda: lower(eff))
        out["lower"].append(t)
        t, _ = ms(lambda: check(ir, eff.source))
        out["check"].append(t)
        t, _ = ms(lambda: check_bindings(ir, settings, project.registry, project.workflows, eff.source))
        out["check_bindings"].append(t)
        t, builder = ms(lambda: emit(ir, eff.source))
        out["emit"].append(t)
        t, _ = ms(lambda: builder.compile(checkpointer=None, store=store, name=workflow))
        out["builder.compile"].append(t)
    return out


def pooled_project(count: int, folder: Path) -> Path:
    """A copy of the demo project with ``count`` extra pooled tenants that run support-triage."""
    for name in ("tenantflow.yaml", "workflows", "skills", "fixtures", "tenants"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, folder / name)
    tiers = ("basic", "standard", "premium")
    for i in range(count):
        tid = f"pool{i:05d}"
        (folder / "tenants" / tid).mkdir()
        (folder / "tenants" / tid / "tenant.yaml").write_text(
            "apiVersion: tenantflow/v1\nkind: Tenant\n"
            f"metadata: {{id: {tid}, name: Pooled Customer {i}}}\n"
            f"tier: {tiers[i % 3]}\n"
            "isolation: {runtime: pool, memory: pool, tools: pool, rag: pool}\n"
            "entitlements: {tools: [kb.search, billing.get_invoices]}\n"
            "workflows: [support-triage, summarize]\n")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--engines", type=int, default=15, help="fresh engines per (workflow, tenant)")
    parser.add_argument("--tenants", type=int, default=1000, help="pooled tenants of support-triage")
    args = parser.parse_args()

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    console = Console(width=150)
    console.print(f"[bold]tenantflow compile times[/bold]  ({machine()})")
    t, project = ms(lambda: load_project(ROOT))
    console.print(f"load_project(demo): {t:.1f} ms (first, includes imports of skills)")
    todo = pairs(project)

    # The very first compile in the process: nothing cached anywhere (one sample).
    first_workflow, first_tenant = "support-triage", "globex"
    clear_process_caches()
    first, _ = ms(lambda: Engine(project, store=InMemoryStore()).compile(first_workflow, first_tenant))

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    rows = []
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("compile", total=len(todo) * 3 * args.engines)
        for workflow, tenant in todo:
            cold = compile_times(project, workflow, tenant, args.engines, cold=True)
            progress.advance(task, args.engines)
            warm = compile_times(project, workflow, tenant, args.engines, cold=False)
            progress.advance(task, args.engines)
            split = pass_times(project, workflow, tenant, args.engines)
            progress.advance(task, args.engines)
            rows.append((workflow, tenant, cold, warm, split))

    table = Table(title=f"Engine.compile on a fresh Engine: median \\[p90] ms over {args.engines} engines; "
                        "then each pass timed on its own (cold), median ms")
    for col in ("workflow", "tenant", "cold", "warm", *(SHORT[p] for p in PASSES), "sum"):
        table.add_column(col, justify="left" if col in ("workflow", "tenant") else "right")
    for workflow, tenant, cold, warm, split in rows:
        def cell(v: list[float]) -> str:
            return f"{statistics.median(v):.1f} [{sorted(v)[int(0.9 * (len(v) - 1))]:.1f}]"
        medians = [statistics.median(split[p]) for p in PASSES]
        table.add_row(workflow, tenant, cell(cold), cell(warm), *(f"{m:.2f}" for m in medians), f"{sum(medians):.1f}")
    console.print(table)
    console.print("settings = resolve_tenant, resolve = resolve_workflow (incl. digest), bind = check_bindings, "
                  "lg.compile = StateGraph.compile (the call-step subgraph compiles on first use)")
    console.print(f"very first compile in the process (support-triage/globex, nothing cached): {first:.1f} ms")

    # -- 1,000 pooled tenants -------------------------------------------------------------
    with tempfile.TemporaryDirectory(prefix="tenantflow-bench-") as tmp:
        root = pooled_project(args.tenants, Path(tmp))
        t_load, big = ms(lambda: load_project(root))
        # The tenant directory resolves every tenant's settings here, once, instead of at each tenant's first get.
        t_engine, engine = ms(lambda: Engine(big, store=InMemoryStore()))
        pooled = [t for t in sorted(big.tenants) if t.startswith("pool")]
        first_get, second_get = [], []
        graphs = set()
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task(f"{len(pooled)} pooled tenants", total=2 * len(pooled))
            gc.collect()
            t0 = time.perf_counter()
            for tenant in pooled:
                t, compiled = ms(lambda: engine.compile("support-triage", tenant))
                first_get.append(t)
                graphs.add(id(compiled.graph))
                progress.advance(task)
            total_first = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            for tenant in pooled:
                t, _ = ms(lambda: engine.compile("support-triage", tenant))
                second_get.append(t)
                progress.advance(task)
            total_second = (time.perf_counter() - t0) * 1000
        table = Table(title=f"{len(pooled)} pooled tenants, one workflow (support-triage)")
        for col in ("what", "total ms", "per tenant: median ms", "p95 ms", "max ms"):
            table.add_column(col, justify="left" if col == "what" else "right")
        table.add_row(f"load_project ({len(big.tenants)} tenant files)", f"{t_load:.0f}",
                      f"{t_load / len(big.tenants):.2f}", "", "")
        table.add_row("Engine(...) (tenant directory: every tenant's settings)", f"{t_engine:.0f}",
                      f"{t_engine / len(big.tenants):.2f}", "", "")
        for what, values, total in (("first get (1 compile + resolve/digest/bind each)", first_get, total_first),
                                    ("second get (cached)", second_get, total_second)):
            ordered = sorted(values)
            table.add_row(what, f"{total:.0f}", f"{statistics.median(values):.3f}",
                          f"{ordered[int(0.95 * (len(ordered) - 1))]:.3f}", f"{ordered[-1]:.1f}")
        console.print(table)
        console.print(f"distinct compiled graphs: {len(graphs)}, engine.compile_count = {engine.compile_count}, "
                      f"graph_count = {engine.graph_count()}")
        # Where a pooled tenant's first get goes: the passes it runs, on 50 tenants.
        sample = pooled[:50]
        split: dict[str, list[float]] = {"resolve_tenant": [], "resolve_workflow": [], "check_bindings": []}
        ir = engine.compile("support-triage", pooled[0]).ir
        for tenant in sample:
            t, settings = ms(lambda: resolve_tenant(big, tenant))
            split["resolve_tenant"].append(t)
            t, eff = ms(lambda: resolve_workflow(big, "support-triage", tenant))
            split["resolve_workflow"].append(t)
            t, _ = ms(lambda: check_bindings(ir, settings, big.registry, big.workflows, eff.source))
            split["check_bindings"].append(t)
        console.print("per pooled tenant, first get, pass by pass (median of 50): " + ", ".join(
            f"{name} {statistics.median(v):.2f} ms" for name, v in split.items()))

if __name__ == "__main__":
    main()
