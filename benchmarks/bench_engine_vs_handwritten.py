"""The compiled demo workflow ``support-triage`` against the same work written by hand in LangGraph.

Variants, measured in ONE process, interleaved in blocks (A/B/C/D, then
rotated) so drift of the machine hits every variant alike:

* ``engine.run``   Engine.run(...): compile-cache lookup, input check, ainvoke, RunResult.
* ``graph``        compiled.graph.ainvoke(fresh_run(input), context=RunContext(ctx, services)) on the engine's graph.
* ``handwritten``  a plain LangGraph StateGraph for ONE tenant with the same nodes
                   (guard in, memory load, classify, route, lookup|search, draft,
                   remember, return, guard out), f-strings instead of templates,
                   no bridge chain. This is the baseline of the 25 % target.
* ``hw-lean``      the same work in fewer nodes (switch as a conditional edge,
                   remember + return in one node): what the per-step cost of
                   LangGraph itself adds to the engine's one-node-per-step shape.

Every variant shares the same InMemoryStore, the same ScriptedProvider
instance (the engine's), the same guard chain (``chain_for``) and the same
skill and tool functions (the ones the registry loaded from ``skills/``).
Before timing, each scenario is run once per variant and the outputs, guard
records, prompt text sent to the model and memory written are checked to be
identical.

    python benchmarks/bench_engine_vs_handwritten.py                 # default: 500 runs per variant, blocks of 5
    python benchmarks/bench_engine_vs_handwritten.py -n 200 --profile  # + profile of the engine path
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore

from engine.context import TenantContext
from engine.engine import Engine
from engine.guardrails.chain import chain_for
from engine.kinds.base import RunContext
from engine.models.base import ChatRequest
from engine.policy.authorizer import AccessItem
from engine.project import load_project
from engine.skills.bridge import SkillContext
from engine.state import fresh_run
from engine.tenancy import TenantSettings

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = "support-triage"


@dataclass(frozen=True)
class Scenario:
    name: str
    tenant: str
    payload: dict[str, Any]


SCENARIOS = [
    # basic tier, default guard profile: email redacted; billing -> lookup -> draft (with earlier ticket in memory)
    Scenario("globex/billing", "globex", {
        "ticket": "Hi, I was charged twice for my subscription this month. Please refund the duplicate "
                  "charge. You can reach me at dana.lee@example.com.",
        "customer_id": "cus_1001"}),
    # premium, HIPAA profile, own prompt and an inserted compliance_note step; account -> search -> draft
    Scenario("acme/account", "acme", {
        "ticket": "I'm locked out: the password reset link never arrives. My login email is "
                  "sam.ortiz@example.org.",
        "customer_id": "mem_20417"}),
]


# --------------------------------------------------------------------------------------------
# The hand-written graph: what a careful engineer writes for ONE tenant, without the engine.
# --------------------------------------------------------------------------------------------

class HWState(TypedDict, total=False):
    input: dict[str, Any]
    guard: list[dict[str, Any]]
    blocked: str
    memory: dict[str, list[dict[str, Any]]]
    classify: dict[str, Any]
    compliance: dict[str, Any]
    route: str
    lookup: dict[str, Any]
    search: dict[str, Any]
    draft: dict[str, Any]
    usage: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    output: dict[str, Any]


_NOTICE = ("Do not repeat diagnoses, medications, lab results or member identifiers in the reply. "
           "Route clinical questions to the care team through the secure patient portal.")
_CLINICAL_WORDS = ("diagnos", "prescription", "medication", "lab result", "symptom")


def _prompt_globex(s: HWState, tenant_name: str) -> str:
    c = s["classify"]
    parts = [f"You are the support assistant of {tenant_name}. Draft a reply to the\n"
             "customer's ticket below: friendly, specific, at most 150 words. Use only the\n"
             "context given here; never mention other customers or internal systems.\n\n"
             f"Category: {c['category']} (confidence {c['confidence']})"]
    earlier = s["memory"].get("user")
    if earlier:
        parts.append(f"\nEarlier tickets of this customer: {json.dumps(earlier, sort_keys=True, default=str)}")
    parts.append(_context_block(s, "Recent invoices of customer",
                                 "The billing system is unavailable: do not quote amounts; say a specialist "
                                 "will follow up."))
    parts.append(f"\n\nTicket:\n{s['input']['ticket']}\n\nAnswer with a JSON object: {{\"reply\": \"...\"}}\n")
    return "".join(parts)


def _prompt_acme(s: HWState, tenant_name: str) -> str:
    c, note = s["classify"], s["compliance"]
    parts = [f"You are the member support assistant of {tenant_name}, a healthcare\n"
             "provider. Draft a reply to the member's ticket below: warm, plain language,\n"
             "at most 120 words. Use only the context given here.\n\n"
             f"Compliance: {note['notice']}"]
    if note["clinical"]:
        parts.append("\nThis ticket touches on clinical matters: do not advise; point the member to\n"
                     "their care team through the secure patient portal.")
    parts.append(f"\n\nCategory: {c['category']} (confidence {c['confidence']})")
    parts.append(_context_block(s, "Recent statements of member account",
                                 "The billing system is unavailable: do not quote amounts; say the billing "
                                 "office will follow up."))
    parts.append(f"\n\nTicket:\n{s['input']['ticket']}\n\nAnswer with a JSON object: {{\"reply\": \"...\"}}\n")
    return "".join(parts)


def _context_block(s: HWState, invoices_title: str, unavailable: str) -> str:
    if s["route"] == "lookup":
        lookup = s.get("lookup", {})
        if "invoices" not in lookup:
            return f"\n\n{unavailable}"
        lines = [f"\n\n{invoices_title} {lookup['customer_id']}:"]
        lines += [f"\n- {i['number']}, issued {i['issued']}: {i['amount']} {i['currency']}, {i['status']}"
                  for i in lookup["invoices"]] or ["\n- none on file"]
        return "".join(lines)
    articles = s.get("search", {}).get("articles")
    if not articles:
        return ""
    lines = ["\n\nHelp-center articles that may answer it (link the best one):"]
    lines += [f"\n- {a['title']} ({a['url']}): {a['snippet']}" for a in articles]
    return "".join(lines)


_JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def build_handwritten(engine: Engine, tenant: str, store: BaseStore, *, lean: bool = False,
                      wrap: Callable[[str, Any], Any] | None = None) -> Any:
    """A hand-written StateGraph for ``tenant``: everything tenant-specific fixed at build time.

    ``wrap(name, fn)``, if given, wraps each node function (profile_engine.py times nodes with it).
    """
    settings: TenantSettings = engine.settings(tenant)
    # The same guard work as the engine's: the tenant's profile plus the other tenants' marks (leakage).
    chain = chain_for(settings.guardrails, engine.leakage_index())
    entry, provider = engine.tenants.model(settings, "tier")  # the engine's ScriptedProvider instance
    registry = engine.project.registry
    classify_def = registry.resolve("skill", "classify_ticket", tenant)  # skills/tickets.py
    invoices_def = registry.resolve("tool", "billing.get_invoices", tenant)  # skills/billing.py
    search_def = registry.resolve("tool", "kb.search", tenant)  # skills/kb.py
    classify_fn, invoices_fn, search_fn = classify_def.fn, invoices_def.fn, search_def.fn

    def authorize(ctx: TenantContext, definition: Any, inputs: dict[str, Any], step: str) -> None:
        # A multi-tenant application decides every call too: the same Cedar policies, one decision per call.
        engine.authorizer.check(ctx, engine.tenants.facts(ctx.tenant_id), AccessItem.of(definition, inputs),
                                stage="call", workflow=WORKFLOW, step=step)
    prompt_fn = _prompt_acme if tenant == "acme" else _prompt_globex
    has_compliance = tenant == "acme"  # Acme's override inserts a compliance_note step
    name, price = settings.name, entry.price_per_1k

    async def guard_in(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        result = chain.check_value(state["input"], "input", tenant=runtime.context.tenant_id)
        records = [dict(r) for r in result.records]
        if result.blocked:
            return {"input": {}, "guard": records, "blocked": result.message}
        return {"input": result.value, "guard": records}

    async def load_memory(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        ctx = runtime.context
        tenant_ns = ("tenant", ctx.tenant_id)
        user_ns = (*tenant_ns, "user", ctx.user_id)
        memory = {}
        for level, ns in (("tenant", tenant_ns), ("user", user_ns)):
            items = [i for i in await runtime.store.asearch(ns, limit=50) if tuple(i.namespace) == ns]
            items.sort(key=lambda i: (i.updated_at, i.key), reverse=True)
            memory[level] = [{**i.value, "key": i.key} for i in items]
        return {"memory": memory}

    async def classify(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        ctx = SkillContext(runtime.context, WORKFLOW, "classify")
        inputs = {"text": state["input"]["ticket"]}
        authorize(runtime.context, classify_def, inputs, "classify")
        return {"classify": (await classify_fn(**inputs, ctx=ctx)).model_dump()}

    async def compliance_note(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        ticket = state["input"]["ticket"].lower()
        return {"compliance": {"clinical": any(w in ticket for w in _CLINICAL_WORDS), "notice": _NOTICE}}

    async def route(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        return {"route": "lookup" if state["classify"]["category"] == "billing" else "search"}

    async def lookup(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        try:
            ctx = SkillContext(runtime.context, WORKFLOW, "lookup")
            inputs = {"customer_id": state["input"]["customer_id"], "limit": 3}
            authorize(runtime.context, invoices_def, inputs, "lookup")
            return {"lookup": await invoices_fn(**inputs, ctx=ctx)}
        except Exception as exc:  # on_error: draft (the prompt says billing is unavailable)
            return {"lookup": {"error": str(exc)}, "errors": [{"step": "lookup", "error": type(exc).__name__}]}

    async def search(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        try:
            ctx = SkillContext(runtime.context, WORKFLOW, "search")
            inputs = {"query": state["input"]["ticket"], "limit": 3}
            authorize(runtime.context, search_def, inputs, "search")
            return {"search": await search_fn(**inputs, ctx=ctx)}
        except Exception as exc:  # on_error: continue
            return {"search": {"error": str(exc)}, "errors": [{"step": "search", "error": type(exc).__name__}]}

    async def draft(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        ctx = runtime.context
        request = ChatRequest(model_id=entry.model_id,
                              messages=[{"role": "user", "content": [{"text": prompt_fn(state, name)}]}],
                              max_tokens=600, temperature=0.3, workflow=WORKFLOW, step="draft",
                              tenant_id=ctx.tenant_id)
        t0 = time.perf_counter()
        for attempt in (1, 2):  # retry: 2 attempts, timeout 30 s: it is a network call in production
            try:
                response = await asyncio.wait_for(provider.converse(request), 30)
                break
            except Exception:
                if attempt == 2:
                    raise
                await asyncio.sleep(1)
        match = _JSON_OBJECT.search(response.text)
        reply = json.loads(match.group(0))["reply"] if match else None
        cost = response.input_tokens / 1000 * price.input + response.output_tokens / 1000 * price.output
        usage = {"step": "draft", "tenant": ctx.tenant_id, "model": response.model_id,
                 "model_alias": settings.resolve_alias("tier"), "model_requested": "tier",
                 "provider": response.provider, "input_tokens": response.input_tokens,
                 "output_tokens": response.output_tokens,
                 "duration_ms": round((time.perf_counter() - t0) * 1000, 3), "cost_usd": round(cost, 8)}
        return {"draft": {"reply": reply}, "usage": [usage]}

    async def remember(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        ctx = runtime.context
        c = state["classify"]
        await runtime.store.aput(("tenant", ctx.tenant_id, "user", ctx.user_id), "last_ticket",
                                 {"category": c["category"], "confidence": c["confidence"]})
        return {}

    async def return_(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        return {"output": {"reply": state["draft"]["reply"], "category": state["classify"]["category"]}}

    async def remember_and_return(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        await remember(state, runtime)
        return await return_(state, runtime)

    async def guard_out(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        if state.get("blocked"):
            return {"output": {}}
        tenant_id = runtime.context.tenant_id
        result = chain.check_value(state.get("output", {}), "output", tenant=tenant_id)
        records = state.get("guard", []) + [dict(r) for r in result.records]
        # Other tenants' marks in what the run gathered (tool results, model answers, memory), as the engine does.
        gathered = {"steps": {k: state[k] for k in ("classify", "lookup", "search", "draft") if k in state},  # type: ignore[literal-required]
                    "memory": state.get("memory", {})}
        records += [dict(r) for r in chain.check_leakage(gathered, tenant=tenant_id).records]
        if result.blocked:
            return {"output": {}, "guard": records, "blocked": result.message}
        return {"output": result.value, "guard": records}

    async def lookup_then_route(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        return {**await lookup(state, runtime), "route": "lookup"}

    async def search_then_route(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        return {**await search(state, runtime), "route": "search"}

    # Routers are async, as the engine's are: a sync one would cost a worker-thread hop per edge.
    async def pick(state: HWState) -> str:
        return "lookup" if state["classify"]["category"] == "billing" else "search"

    async def after_guard(state: HWState) -> str:
        return "guard_out" if state.get("blocked") else "load_memory"

    async def by_route(state: HWState) -> str:
        return state["route"]

    g = StateGraph(HWState, context_schema=TenantContext)
    if wrap is not None:
        add_node = g.add_node
        g.add_node = lambda name, fn: add_node(name, wrap(name, fn))  # type: ignore[method-assign]
    g.add_node("guard_in", guard_in)
    g.add_node("load_memory", load_memory)
    g.add_node("classify", classify)
    g.add_node("draft", draft)
    g.add_node("guard_out", guard_out)
    g.add_edge(START, "guard_in")
    g.add_conditional_edges("guard_in", after_guard, ["guard_out", "load_memory"])
    g.add_edge("load_memory", "classify")
    last = "classify"
    if has_compliance:
        g.add_node("compliance_note", compliance_note)
        g.add_edge("classify", "compliance_note")
        last = "compliance_note"
    if lean:
        # The switch is a conditional edge; the tool node records the route the prompt reads;
        # remember and return are one node.
        g.add_node("lookup", lookup_then_route)
        g.add_node("search", search_then_route)
        g.add_conditional_edges(last, pick, ["lookup", "search"])
        g.add_node("finish", remember_and_return)
        g.add_edge("draft", "finish")
        g.add_edge("finish", "guard_out")
    else:
        g.add_node("route", route)
        g.add_node("lookup", lookup)
        g.add_node("search", search)
        g.add_node("remember", remember)
        g.add_node("return", return_)
        g.add_edge(last, "route")
        g.add_conditional_edges("route", by_route, ["lookup", "search"])
        g.add_edge("draft", "remember")
        g.add_edge("remember", "return")
        g.add_edge("return", "guard_out")
    g.add_edge("lookup", "draft")
    g.add_edge("search", "draft")
    g.add_edge("guard_out", END)
    return g.compile(store=store, name=f"handwritten-{tenant}{'-lean' if lean else ''}")


# --------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------

Runner = Callable[[], Awaitable[Any]]


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


def variants_for(engine: Engine, scenario: Scenario, store: BaseStore) -> dict[str, Runner]:
    ctx = engine.dev_context(scenario.tenant, "u1", "s1")
    run_ctx = RunContext(ctx, engine.services)
    compiled = engine.compile(WORKFLOW, scenario.tenant)
    hand = build_handwritten(engine, scenario.tenant, store)
    lean = build_handwritten(engine, scenario.tenant, store, lean=True)
    payload = scenario.payload

    async def engine_run() -> Any:
        return await engine.run(WORKFLOW, ctx, payload)

    async def graph() -> Any:
        return await compiled.graph.ainvoke(fresh_run(payload), context=run_ctx)

    async def handwritten() -> Any:
        return await hand.ainvoke({"input": payload}, context=ctx)

    async def hw_lean() -> Any:
        return await lean.ainvoke({"input": payload}, context=ctx)

    return {"engine.run": engine_run, "graph": graph, "handwritten": handwritten, "hw-lean": hw_lean}


def _normalise(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):  # RunResult
        result = {"output": result.output, "guard": result.guard, "usage": result.usage, "blocked": result.blocked}
    usage = [{k: v for k, v in u.items() if k != "duration_ms"} for u in result.get("usage") or []]
    return {"output": result.get("output"), "guard": result.get("guard"), "usage": usage,
            "blocked": result.get("blocked") or None}


async def check_same_work(engine: Engine, scenario: Scenario, store: BaseStore, runners: dict[str, Runner]) -> None:
    """Run each variant once; its output, guard records, usage, prompt and memory write must be identical."""
    settings = engine.settings(scenario.tenant)
    _, provider = engine.tenants.model(settings, "tier")
    prompts: list[str] = []
    original = provider.converse

    async def recording(request: ChatRequest) -> Any:
        prompts.append(request.messages[0]["content"][0]["text"])
        return await original(request)

    user_ns = ("tenant", scenario.tenant, "user", "u1")
    seen: dict[str, Any] = {}
    provider.converse = recording  # type: ignore[method-assign]
    try:
        for name, run in runners.items():
            await store.adelete(user_ns, "last_ticket")
            await run()  # the first run of a session: no earlier ticket in memory
            prompts.clear()
            result = _normalise(await run())  # the steady state: the earlier ticket is in memory
            item = await store.aget(user_ns, "last_ticket")
            seen[name] = {**result, "prompt": prompts[-1] if prompts else None,
                          "memory": item.value if item else None}
    finally:
        del provider.converse  # back to the class method
    reference = seen["engine.run"]
    if reference["blocked"] or not reference["output"].get("reply"):
        raise SystemExit(f"{scenario.name}: the engine run did not produce a reply: {reference}")
    for name, got in seen.items():
        for key, value in reference.items():
            if got[key] != value:
                raise SystemExit(f"{scenario.name}: variant {name!r} differs from engine.run in {key!r}:\n"
                                 f"  engine: {value!r}\n  {name}: {got[key]!r}")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _new_day(engine: Engine) -> None:
    """Thousands of runs would spend the tenants' daily token budget, and then the
    platform policy rightly forbids tools; start each round on a fresh day so every
    run does the same work."""
    engine.quotas.reset()


async def measure(runners: dict[str, Runner], n: int, block: int, warmup: int, progress: Any, task: Any,
                  between_rounds: Callable[[], None]) -> tuple[dict[str, list[float]], dict[str, list[float]],
                                                            list[dict[str, float]]]:
    for run in runners.values():
        for _ in range(warmup):
            await run()
            between_rounds()
        progress.advance(task, warmup)
    times: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}  # process CPU time, all threads
    rounds: list[dict[str, float]] = []  # block medians per round, for per-round ratios
    names = list(runners)
    for r in range((n + block - 1) // block):
        shift = r % len(names)
        this_round: dict[str, float] = {}
        between_rounds()
        gc.collect()  # between rounds, so a full collection rarely lands inside a timed run
        for name in names[shift:] + names[:shift]:  # rotate the order: A B C D, B C D A, ...
            run = runners[name]
            block_times, block_cpu = [], []
            for _ in range(block):
                c0, t0 = time.process_time_ns(), time.perf_counter_ns()
                await run()
                block_times.append((time.perf_counter_ns() - t0) / 1e6)
                block_cpu.append((time.process_time_ns() - c0) / 1e6)
            times[name] += block_times
            cpu[name] += block_cpu
            this_round[name] = statistics.median(block_times)
            this_round[name + "/cpu"] = statistics.median(block_cpu)
            progress.advance(task, block)
        rounds.append(this_round)
    return times, cpu, rounds


async def profile(engine: Engine, scenario: Scenario, runner: Runner, iterations: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pip install pyinstrument for --profile", file=sys.stderr)
        return
    profiler = Profiler(interval=0.0002, async_mode="enabled")
    profiler.start()
    for _ in range(iterations):
        await runner()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--iterations", type=int, default=500, help="timed runs per variant and scenario")
    parser.add_argument("--block", type=int, default=5, help="runs per interleaved block")
    parser.add_argument("--warmup", type=int, default=30, help="untimed runs per variant first")
    parser.add_argument("--target", type=float, default=1.25, help="max engine/handwritten median ratio")
    parser.add_argument("--profile", action="store_true", help="profile the engine path with pyinstrument after")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    console = Console(width=150)
    console.print(f"[bold]support-triage: engine vs hand-written LangGraph[/bold]  ({machine()})")
    store = InMemoryStore()
    engine = Engine(load_project(ROOT), store=store)
    plans = []
    for scenario in SCENARIOS:
        runners = variants_for(engine, scenario, store)
        await check_same_work(engine, scenario, store, runners)
        plans.append((scenario, runners))
    console.print("same output, guard records, usage, prompt text and memory write in every variant: "
                  "[green]yes[/green]")

    results: dict[str, Any] = {"machine": machine(), "args": vars(args) | {"json": str(args.json)}, "scenarios": {}}
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        measured = []
        for scenario, runners in plans:
            rounds_total = (args.iterations + args.block - 1) // args.block
            task = progress.add_task(scenario.name, total=len(runners) * (args.warmup + rounds_total * args.block))
            measured.append((scenario, *await measure(runners, args.iterations, args.block, args.warmup,
                                                      progress, task, lambda: _new_day(engine))))

    table = Table(title=f"ms per run: {args.iterations} timed runs per variant, blocks of {args.block}, "
                        f"interleaved. ratio = median / median(handwritten). round ratio = median over rounds "
                        f"of (block median / handwritten block median of the same round), \\[p10..p90]. "
                        f"cpu = process CPU time (all threads), less sensitive to other load on the machine")
    for col in ("scenario", "variant", "median", "p95", "ratio", "round ratio", "cpu median", "cpu p95", "cpu ratio"):
        table.add_column(col, justify="left" if col in ("scenario", "variant") else "right")
    verdicts = []
    for scenario, times, cpu, rounds in measured:
        base, cpu_base = statistics.median(times["handwritten"]), statistics.median(cpu["handwritten"])
        entry: dict[str, Any] = {}
        for name, values in times.items():
            med, cpu_med = statistics.median(values), statistics.median(cpu[name])
            per_round = sorted(r[name] / r["handwritten"] for r in rounds)
            spread = (f"{statistics.median(per_round):.2f} \\[{_p(per_round, .1):.2f}..{_p(per_round, .9):.2f}]"
                      if name != "handwritten" else "")
            table.add_row(scenario.name, name, f"{med:.2f}", f"{_p(values, .95):.2f}", f"{med / base:.2f}", spread,
                          f"{cpu_med:.2f}", f"{_p(cpu[name], .95):.2f}", f"{cpu_med / cpu_base:.2f}")
            entry[name] = {"median_ms": med, "p95_ms": _p(values, .95), "min_ms": min(values), "ratio": med / base,
                           "round_ratio_median": statistics.median(per_round),
                           "round_ratio_p10_p90": [_p(per_round, .1), _p(per_round, .9)],
                           "cpu_median_ms": cpu_med, "cpu_p95_ms": _p(cpu[name], .95), "cpu_ratio": cpu_med / cpu_base}
        table.add_section()
        results["scenarios"][scenario.name] = entry
        for name in ("engine.run", "graph"):
            verdicts.append((scenario.name, name, entry[name]["ratio"], entry[name]["cpu_ratio"]))
    console.print(table)
    for name, variant, ratio, cpu_ratio in verdicts:
        ok = ratio <= args.target and cpu_ratio <= args.target
        console.print(f"{name:16} {variant:11} engine/handwritten = {ratio:.2f} wall, {cpu_ratio:.2f} cpu;  "
                      f"target <= {args.target:.2f}: {'[green]met[/green]' if ok else '[red]MISSED[/red]'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.profile:
        scenario, runners = plans[0]
        console.print(f"\n[bold]pyinstrument, engine.run, {scenario.name}, 200 runs[/bold]")
        await profile(engine, scenario, runners["engine.run"], 200)


if __name__ == "__main__":
    asyncio.run(main())
