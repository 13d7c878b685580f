"""Where the engine's overhead over a hand-written graph goes, with evidence.

Three parts, engine code untouched:

1. ``micro``: the per-call cost of each piece of run-time work the engine
   adds (thread hop for sync skills, timeouts, provider lookup, guard-chain
   lookup, scoped store, Jinja prompt vs f-string, pydantic in/out, span).
2. ``nodes``: wall time inside each node function, engine graph vs the
   hand-written one, node by node.
3. ``ablation``: the compiled ``support-triage`` graph run with one candidate
   fix monkeypatched in at a time (applied around each block, interleaved
   with the unpatched graph and the hand-written one), then all together,
   to show what each fix would buy in wall time.
4. ``--pyinstrument``: a wall-clock profile of the unpatched graph.

    python benchmarks/profile_engine.py                 # micro + ablation, globex/billing
    python benchmarks/profile_engine.py --scenario 1    # acme/account
    python benchmarks/profile_engine.py --each          # ablation of each fix alone too
    python benchmarks/profile_engine.py --pyinstrument  # + profile
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine_vs_handwritten import (  # noqa: E402
    ROOT, SCENARIOS, WORKFLOW, Engine, InMemoryStore, Runner, _p, build_handwritten, fresh_run, load_project,
    machine,
)

import engine.engine as engine_mod  # noqa: E402
import engine.nodes.guard as guard_mod  # noqa: E402
import engine.nodes.llm as llm_mod  # noqa: E402
import engine.nodes.memory as memory_mod  # noqa: E402
import engine.skills.policy as policy_mod  # noqa: E402
from engine.guardrails.chain import chain_for  # noqa: E402
from engine.memory.scoped import ScopedStore  # noqa: E402
from engine.skills.bridge import SkillContext  # noqa: E402
from engine.skills.policy import Attempts, is_retryable  # noqa: E402
from engine.skills.registry import SkillDef  # noqa: E402
from engine.spec.common import RetrySpec  # noqa: E402
from engine.telemetry.tracing import tracer  # noqa: E402

# --------------------------------------------------------------------------------------------
# Candidate fixes, as reversible monkeypatches: each returns its undo.
# --------------------------------------------------------------------------------------------

Patch = Callable[[Engine], Callable[[], None]]


def _set(obj: Any, name: str, value: Any) -> Callable[[], None]:
    old = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    if isinstance(obj, dict):
        obj[name] = value
        return lambda: obj.__setitem__(name, old)
    setattr(obj, name, value)
    return lambda: setattr(obj, name, old)


def inline_sync_skills(engine: Engine) -> Callable[[], None]:
    """Call sync skills inline instead of ``asyncio.to_thread`` (engine/skills/registry.py:131)."""
    async def call_implementation(definition: SkillDef, inputs: dict[str, Any], ctx: Any) -> Any:
        assert definition.fn is not None
        if definition.is_async:
            return await definition.fn(ctx=ctx, **inputs)
        return definition.fn(ctx=ctx, **inputs)

    return _set(engine_mod, "call_implementation", call_implementation)


async def _run_with_policy(call: Callable[[], Awaitable[Any]], *, retry: RetrySpec | None, timeout_s: float | None,
                           attempts: Attempts | None = None, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
                           ) -> Any:
    """engine.skills.policy.run_with_policy with ``asyncio.timeout`` (3.11) instead of ``wait_for``."""
    policy = retry or RetrySpec()
    tracker = attempts if attempts is not None else Attempts()
    delay = policy.backoff_s
    while True:
        tracker.count += 1
        try:
            if timeout_s is None:
                return await call()
            async with asyncio.timeout(timeout_s):
                return await call()
        except Exception as exc:
            if isinstance(exc, TimeoutError):
                exc = TimeoutError(f"timed out after {timeout_s:g} s")
            tracker.last_error = exc
            if tracker.count >= policy.attempts or not is_retryable(exc):
                raise exc from None
        await sleep(min(delay, policy.max_backoff_s))
        delay *= policy.multiplier


def timeout_without_task(engine: Engine) -> Callable[[], None]:
    """``asyncio.timeout`` instead of ``asyncio.wait_for`` (a new Task per call in 3.11)."""
    errors_bridge = next(b for b in engine.project.bridges if "errors" in b.__module__)
    undo = [_set(policy_mod, "run_with_policy", _run_with_policy), _set(llm_mod, "run_with_policy", _run_with_policy),
            _set(errors_bridge.__globals__, "run_with_policy", _run_with_policy)]
    return lambda: [u() for u in undo] and None


def cache_model_lookup(engine: Engine) -> Callable[[], None]:
    """Memoise Engine.model per (tenant, alias): Providers._key calls Path.resolve() on every LLM step."""
    original, cache = engine.model, {}

    def model(tenant: Any, alias: str) -> Any:
        key = (tenant.tenant_id, alias)
        found = cache.get(key)
        if found is None:
            found = cache[key] = original(tenant, alias)
        return found

    engine.model = model  # type: ignore[method-assign]
    return lambda: delattr(engine, "model")


def cache_guard_chain(engine: Engine) -> Callable[[], None]:
    """Keep the GuardChain per tenant: chain_for() json-dumps the config on every guard node."""
    cache: dict[str, Any] = {}

    def _chain(services: Any, ctx: Any) -> Any:
        found = cache.get(ctx.tenant_id)
        if found is None:
            found = cache[ctx.tenant_id] = chain_for(services.settings(ctx.tenant_id).guardrails)
        return found

    return _set(guard_mod, "_chain", _chain)


def cache_scoped_store(engine: Engine) -> Callable[[], None]:
    """Build the ScopedStore once per (graph, principal), not once per memory node."""
    original, cache = memory_mod.scoped, {}

    def key(owner: Any, runtime: Any) -> tuple[Any, ...]:
        ctx = runtime.context
        return (id(owner), id(runtime.store), ctx.tenant_id, ctx.user_id, ctx.session_id)

    if inspect.iscoroutinefunction(original):  # scoped(build, runtime), awaits engine.memory_store()
        async def scoped(owner: Any, runtime: Any) -> Any:
            k = key(owner, runtime)
            found = cache.get(k)
            if found is None:
                found = cache[k] = await original(owner, runtime)
            return found
    else:  # scoped(ir, runtime)
        def scoped(owner: Any, runtime: Any) -> Any:  # type: ignore[misc]
            k = key(owner, runtime)
            found = cache.get(k)
            if found is None:
                found = cache[k] = original(owner, runtime)
            return found

    return _set(memory_mod, "scoped", scoped)


def cache_tracer(engine: Engine) -> Callable[[], None]:
    """One tracer object instead of trace.get_tracer() per skill call (skills/bridge/logging.py)."""
    logging_bridge = next(b for b in engine.project.bridges if "logging" in b.__module__)
    the_tracer = tracer()
    return _set(logging_bridge.__globals__, "tracer", lambda: the_tracer)


FIXES: dict[str, Patch] = {
    "inline sync skills": inline_sync_skills,
    "asyncio.timeout": timeout_without_task,
    "cache model lookup": cache_model_lookup,
    "cache guard chain": cache_guard_chain,
    "cache scoped store": cache_scoped_store,
    "cache tracer": cache_tracer,
}


# --------------------------------------------------------------------------------------------
# 1. Micro-costs
# --------------------------------------------------------------------------------------------

async def _time_us(fn: Callable[[], Any], n: int = 2000, is_async: bool = False) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        if is_async:
            await fn()
        else:
            fn()
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000


async def micro(engine: Engine, tenant: str, payload: dict[str, Any]) -> list[tuple[str, float, int, str]]:
    from engine.compile.state import fresh_run as _fresh  # noqa: F401
    from engine.nodes.base import variables
    from engine.templating import load_template_file

    settings = engine.settings(tenant)
    ctx = engine.dev_context(tenant, "u1", "s1")
    classify = engine.project.registry.resolve("skill", "classify_ticket", tenant)
    skill_ctx = SkillContext(ctx, WORKFLOW, "classify")
    plan = engine.compile(WORKFLOW, tenant).ir.spec.memory
    store = InMemoryStore()

    def noop() -> int:
        return 1

    async def anoop() -> int:
        return 1

    async def with_timeout() -> int:
        async with asyncio.timeout(5):
            return await anoop()

    state = (await engine.compile(WORKFLOW, tenant).graph.ainvoke(fresh_run(payload), context=ctx))
    prompt_path = "tenants/acme/prompts/draft_reply.j2" if tenant == "acme" else "workflows/prompts/draft_reply.j2"
    template = load_template_file(ROOT / prompt_path, prompt_path)
    scope = variables(state, ctx, settings)
    hand = build_handwritten(engine, tenant, store)  # noqa: F841 (its prompt function is the f-string baseline)
    from bench_engine_vs_handwritten import _prompt_acme, _prompt_globex

    hw_state = {"input": state["input"], "memory": state["memory"], "classify": state["steps"]["classify"],
                "route": state["steps"]["route"]["goto"], "lookup": state["steps"].get("lookup", {}),
                "search": state["steps"].get("search", {}), "compliance": state["steps"].get("compliance_note", {})}
    prompt_fn = _prompt_acme if tenant == "acme" else _prompt_globex
    span_tracer = tracer()

    def span() -> None:
        with tracer().start_as_current_span("skill x", attributes={"a": "b"}):
            pass

    def span_cached() -> None:
        with span_tracer.start_as_current_span("skill x", attributes={"a": "b"}):
            pass

    inputs = {"text": payload["ticket"]}
    skill_calls = 2  # classify + one tool (lookup or search)
    timeouts = 3  # classify (5 s), the tool (10 s or 5 s), draft (30 s)
    rows = [
        ("asyncio.to_thread(sync no-op)", await _time_us(lambda: asyncio.to_thread(noop), is_async=True),
         skill_calls, "every sync skill/tool call (skills/registry.py call_implementation)"),
        ("  vs direct call of the same no-op", await _time_us(noop), skill_calls, ""),
        ("asyncio.wait_for(coro, timeout)", await _time_us(lambda: asyncio.wait_for(anoop(), 5), is_async=True),
         timeouts, "every step with timeout_s (skills/policy.py run_with_policy): a new Task each"),
        ("  vs async with asyncio.timeout()", await _time_us(with_timeout, is_async=True), timeouts, ""),
        ("Engine.model(settings, 'tier')", await _time_us(lambda: engine.model(settings, "tier")), 1,
         "every LLM step; Providers._key -> Path(fixtures).resolve() (a syscall)"),
        ("chain_for(settings.guardrails)", await _time_us(lambda: chain_for(settings.guardrails)), 2,
         "both guard nodes: model_dump + json.dumps + lru_cache lookup"),
        ("ScopedStore(...)", await _time_us(lambda: ScopedStore(store, ctx, strategy="support-agent",
                                                                read_levels=plan.read, write_levels=plan.write)),
         2, "both memory nodes (namespaces + id regexes rebuilt)"),
        ("tracer() + span", await _time_us(span), skill_calls, "logging bridge, every skill/tool call"),
        ("  vs cached tracer + span", await _time_us(span_cached), skill_calls, ""),
        ("draft prompt: Jinja sandbox render", await _time_us(lambda: template.render(scope)), 1,
         "inherent to templates"),
        ("  vs f-string (hand-written)", await _time_us(lambda: prompt_fn(hw_state, settings.name)), 1, ""),
        ("classify: validate_inputs + fn + dump_output", await _time_us(
            lambda: classify.dump_output(classify.fn(ctx=skill_ctx, **classify.validate_inputs(inputs)))), 1,
         "pydantic in and out around the skill"),
        ("  vs fn + model_dump (hand-written)", await _time_us(
            lambda: classify.fn(text=payload["ticket"], ctx=skill_ctx).model_dump()), 1, ""),
    ]
    return rows


# --------------------------------------------------------------------------------------------
# 2. Ablation
# --------------------------------------------------------------------------------------------

async def ablation(engine: Engine, scenario: Any, store: Any, n: int, block: int, progress: Any, each: bool
                   ) -> tuple[dict[str, tuple[list[float], list[float]]], list[dict[str, float]]]:
    ctx = engine.dev_context(scenario.tenant, "u1", "s1")
    compiled = engine.compile(WORKFLOW, scenario.tenant)
    hand = build_handwritten(engine, scenario.tenant, store)
    payload = scenario.payload

    async def graph() -> Any:
        return await compiled.graph.ainvoke(fresh_run(payload), context=ctx)

    async def handwritten() -> Any:
        return await hand.ainvoke({"input": payload}, context=ctx)

    plans: dict[str, tuple[Runner, list[Patch]]] = {"handwritten": (handwritten, []), "graph (as is)": (graph, [])}
    if each:  # each fix alone: its effect (tens to hundreds of us) is often below this machine's noise
        for name, fix in FIXES.items():
            plans[f"graph + {name}"] = (graph, [fix])
    plans["graph + all fixes"] = (graph, list(FIXES.values()))

    # The patched graph must still do the same work.
    reference = await graph()
    for name, (run, fixes) in plans.items():
        undo = [fix(engine) for fix in fixes]
        try:
            for _ in range(10):
                result = await run()
        finally:
            for u in reversed(undo):
                u()
        if name != "handwritten" and result["output"] != reference["output"]:
            raise SystemExit(f"{name}: output changed: {result['output']!r}")

    task = progress.add_task(f"ablation {scenario.name}", total=len(plans) * n)
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in plans}
    rounds: list[dict[str, float]] = []  # block medians per round: paired against handwritten of the same round
    names = list(plans)
    for r in range((n + block - 1) // block):
        shift = r % len(names)
        gc.collect()
        this_round: dict[str, float] = {}
        for name in names[shift:] + names[:shift]:
            run, fixes = plans[name]
            undo = [fix(engine) for fix in fixes]
            block_wall = []
            try:
                for _ in range(block):
                    c0, t0 = time.process_time_ns(), time.perf_counter_ns()
                    await run()
                    block_wall.append((time.perf_counter_ns() - t0) / 1e6)
                    samples[name][1].append((time.process_time_ns() - c0) / 1e6)
            finally:
                for u in reversed(undo):
                    u()
            samples[name][0].extend(block_wall)
            this_round[name] = statistics.median(block_wall)
            progress.advance(task, block)
        rounds.append(this_round)
    return samples, rounds


# --------------------------------------------------------------------------------------------
# 3. Per-node time, engine vs hand-written
# --------------------------------------------------------------------------------------------

ENGINE_TO_HW = {"guard.input": "guard_in", "memory.load": "load_memory", "classify": "classify",
                "compliance_note": "compliance_note", "route": "route", "lookup": "lookup", "search": "search",
                "draft": "draft", "note_category": "remember", "guard.output": "guard_out"}


async def node_times(scenario: Any, n: int, block: int, progress: Any
                     ) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float], list[float]]:
    """Wall time inside each node function (µs) and per run (ms), for a fresh engine and hand-written graph."""
    import engine.nodes.registry as registry

    engine_nodes: dict[str, list[float]] = {}
    hw_nodes: dict[str, list[float]] = {}

    def timer(into: dict[str, list[float]], name: str, fn: Any) -> Any:
        samples = into.setdefault(name, [])

        async def timed(state: Any, runtime: Any) -> Any:
            t0 = time.perf_counter_ns()
            try:
                return await fn(state, runtime)
            finally:
                samples.append((time.perf_counter_ns() - t0) / 1000)

        return timed

    saved = dict(registry.BUILDERS)
    for kind, build in saved.items():
        registry.BUILDERS[kind] = (lambda build: lambda node, b: timer(
            engine_nodes, "return" if node.kind == "return" else node.id, build(node, b)))(build)
    store = InMemoryStore()
    try:
        engine = Engine(load_project(ROOT), store=store)
        compiled = engine.compile(WORKFLOW, scenario.tenant)
    finally:
        registry.BUILDERS.clear()
        registry.BUILDERS.update(saved)
    hand = build_handwritten(engine, scenario.tenant, store, wrap=lambda name, fn: timer(hw_nodes, name, fn))
    ctx = engine.dev_context(scenario.tenant, "u1", "s1")
    runs = {"graph": (lambda: compiled.graph.ainvoke(fresh_run(scenario.payload), context=ctx), []),
            "handwritten": (lambda: hand.ainvoke({"input": scenario.payload}, context=ctx), [])}
    for run, _ in runs.values():
        for _ in range(20):
            await run()
    for samples in (*engine_nodes.values(), *hw_nodes.values()):
        samples.clear()
    task = progress.add_task(f"node times {scenario.name}", total=2 * n)
    for r in range((n + block - 1) // block):
        for name in (["graph", "handwritten"] if r % 2 == 0 else ["handwritten", "graph"]):
            run, totals = runs[name]
            gc.collect()
            for _ in range(block):
                t0 = time.perf_counter_ns()
                await run()
                totals.append((time.perf_counter_ns() - t0) / 1e6)
            progress.advance(task, block)
    return engine_nodes, hw_nodes, runs["graph"][1], runs["handwritten"][1]


async def state_overhead(n: int = 400) -> tuple[float, float]:
    """Nine no-op nodes: the engine's RunState (reducers, Overwrite) vs a plain TypedDict, median ms."""
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    from engine.compile.state import RunState

    class Plain(TypedDict, total=False):
        input: dict[str, Any]
        a0: Any
        a1: Any
        a2: Any
        a3: Any
        a4: Any
        a5: Any
        a6: Any
        a7: Any
        a8: Any

    def build(state: Any, engine_like: bool) -> Any:
        g = StateGraph(state)
        for i in range(9):
            if engine_like:
                async def node(s: Any, i: int = i) -> dict[str, Any]:
                    return {"steps": {f"n{i}": {"x": i}}, "route": {f"n{i}": "ok"}}
            else:
                async def node(s: Any, i: int = i) -> dict[str, Any]:
                    return {f"a{i}": {"x": i}}
            g.add_node(f"n{i}", node)
        g.add_edge(START, "n0")
        for i in range(8):
            g.add_edge(f"n{i}", f"n{i + 1}")
        g.add_edge("n8", END)
        return g.compile()

    payload = {"ticket": "x" * 150, "customer_id": "cus_1001"}
    engine_like, plain = build(RunState, True), build(Plain, False)
    runs = {"RunState": lambda: engine_like.ainvoke(fresh_run(payload)),
            "plain": lambda: plain.ainvoke({"input": payload})}
    times: dict[str, list[float]] = {k: [] for k in runs}
    for run in runs.values():
        for _ in range(20):
            await run()
    for r in range(n // 5):
        gc.collect()
        for name in (list(runs) if r % 2 else list(runs)[::-1]):
            for _ in range(5):
                t0 = time.perf_counter_ns()
                await runs[name]()
                times[name].append((time.perf_counter_ns() - t0) / 1e6)
    return statistics.median(times["RunState"]), statistics.median(times["plain"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", type=int, default=0, help=f"0..{len(SCENARIOS) - 1}")
    parser.add_argument("-n", "--iterations", type=int, default=300)
    parser.add_argument("--block", type=int, default=5)
    parser.add_argument("--each", action="store_true", help="also time each fix alone in the ablation")
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    console = Console(width=150)
    scenario = SCENARIOS[args.scenario]
    console.print(f"[bold]engine overhead, {scenario.name}[/bold]  ({machine()})")
    store = InMemoryStore()
    engine = Engine(load_project(ROOT), store=store)

    table = Table(title="1. micro-costs (median of 2000 calls; per run = us x calls in one support-triage run)")
    for col in ("what", "us per call", "calls per run", "us per run", "where"):
        table.add_column(col, justify="left" if col in ("what", "where") else "right")
    for what, us, calls, note in await micro(engine, scenario.tenant, scenario.payload):
        table.add_row(what, f"{us:.1f}", str(calls), f"{us * calls:.0f}", note)
    console.print(table)

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        engine_nodes, hw_nodes, graph_runs, hw_runs = await node_times(scenario, args.iterations, args.block,
                                                                      progress)
        samples, rounds = await ablation(engine, scenario, store, args.iterations, args.block, progress, args.each)

    table = Table(title=f"2. time inside each node function, median us over {args.iterations} runs "
                        "(node order of the engine graph; the rest of a run is LangGraph itself)")
    for col in ("engine node", "engine us", "hand-written node", "hand-written us", "difference us"):
        table.add_column(col, justify="right" if "us" in col else "left")
    total_e = total_h = 0.0
    for name, values in engine_nodes.items():
        if not values:
            continue
        hw_name = ENGINE_TO_HW.get(name, name)
        e_us = statistics.median(values)
        h_values = hw_nodes.get(hw_name) or []
        h_us = statistics.median(h_values) if h_values else 0.0
        total_e, total_h = total_e + e_us, total_h + h_us
        table.add_row(name, f"{e_us:.0f}", hw_name if h_values else "(none)", f"{h_us:.0f}" if h_values else "",
                      f"{e_us - h_us:+.0f}")
    g_run, h_run = statistics.median(graph_runs) * 1000, statistics.median(hw_runs) * 1000
    table.add_section()
    table.add_row("sum of node medians", f"{total_e:.0f}", "", f"{total_h:.0f}", f"{total_e - total_h:+.0f}")
    table.add_row("median run", f"{g_run:.0f}", "", f"{h_run:.0f}", f"{g_run - h_run:+.0f}")
    table.add_row("run minus nodes (LangGraph)", f"{g_run - total_e:.0f}", "", f"{h_run - total_h:.0f}",
                  f"{(g_run - total_e) - (h_run - total_h):+.0f}")
    console.print(table)
    state_ms, plain_ms = await state_overhead()
    console.print(f"LangGraph with the engine's RunState (reducers, Overwrite) vs a plain TypedDict, nine no-op "
                  f"nodes: {state_ms:.2f} ms vs {plain_ms:.2f} ms per run")

    base_wall = statistics.median(samples["graph (as is)"][0])
    hw_wall, hw_cpu = (statistics.median(v) for v in samples["handwritten"])
    table = Table(title=f"3. ablation: {args.iterations} runs each, blocks of {args.block}, interleaved "
                        "(patches applied around each block only). round ratio = median over rounds of "
                        "block median / handwritten block median of the same round \\[p10..p90]")
    for col in ("variant", "median ms", "p95 ms", "saved vs as-is", "cpu median ms", "ratio", "cpu ratio",
                "round ratio"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for name, (wall, cpu) in samples.items():
        med, cpu_med = statistics.median(wall), statistics.median(cpu)
        paired = sorted(r[name] / r["handwritten"] for r in rounds)
        table.add_row(name, f"{med:.2f}", f"{_p(wall, .95):.2f}",
                      f"{base_wall - med:+.2f}" if name != "handwritten" else "", f"{cpu_med:.2f}",
                      f"{med / hw_wall:.2f}", f"{cpu_med / hw_cpu:.2f}",
                      f"{statistics.median(paired):.2f} \\[{_p(paired, .1):.2f}..{_p(paired, .9):.2f}]"
                      if name != "handwritten" else "")
    console.print(table)

    if args.pyinstrument:
        from pyinstrument import Profiler

        ctx = engine.dev_context(scenario.tenant, "u1", "s1")
        compiled = engine.compile(WORKFLOW, scenario.tenant)
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        for _ in range(200):
            await compiled.graph.ainvoke(fresh_run(scenario.payload), context=ctx)
        profiler.stop()
        console.print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    asyncio.run(main())
