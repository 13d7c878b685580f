"""A 10-step LLM pipeline: the engine against the same pipeline written by hand in LangGraph.

The workflow is ten ``llm`` steps in a row, each prompting with the previous
step's text, on the scripted model (the same ``ScriptedProvider`` instance for
every variant), for one pooled tenant with the default guardrails. Variants,
timed in ONE process, interleaved in blocks with the order rotated each round:

* ``engine.run``       ``Engine.run``: graph-cache lookup, input check, the compiled
                       graph (input guard, ten llm nodes, return, output guard), RunResult;
* ``hw guards on``     a plain ``StateGraph`` of ten nodes calling the provider with an
                       f-string prompt and recording usage (tokens and cost), between an input
                       and an output guard node running the tenant's guard chain
                       (``chain_for`` with the project's leakage index), as the engine's do: the
                       output node also checks every step's answer for other tenants' marks;
* ``hw guards off``    the same ten nodes without the guard nodes.

Before timing, every variant's output and usage are checked to be the same.

    python benchmarks/bench_pipeline.py              # 300 runs per variant
    python benchmarks/bench_pipeline.py -n 100 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from engine.context import TenantContext
from engine.engine import Engine
from engine.guardrails.chain import chain_for
from engine.models.base import ChatRequest
from engine.project import load_project

ROOT = Path(__file__).resolve().parent.parent
STEPS = 10
PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: pipeline}
models:
  catalog:
    small: {provider: scripted, model_id: small-v1, price_per_1k: {input: 0.001, output: 0.002}}
  providers:
    scripted: {fixtures: fixtures/scripted.yaml}
tiers:
  basic: {model: small}
stores: {checkpointer: memory, store: memory}
"""
FIXTURES = 'responses: []\ndefault: "[{model}] a short answer of a few words"\n'
TENANT = "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: acme, name: Acme}\ntier: basic\n"
PAYLOAD = {"text": "Summarize the customer's last three tickets and suggest a next step."}


def workflow_yaml() -> str:
    lines = ["apiVersion: tenantflow/v1", "kind: Workflow", "metadata: {name: pipeline}",
             "input:", "  text: {type: string, maxLength: 4000}", "steps:"]
    previous = "input.text"
    for i in range(1, STEPS + 1):
        lines += [f"  - id: s{i}", f'    llm: {{prompt: "Step {i}: {{{{ {previous} }}}}"}}']
        previous = f"steps.s{i}.text"
    lines.append(f'  - return: {{text: "{{{{ {previous} }}}}"}}')
    return "\n".join(lines) + "\n"


def make_project(root: Path) -> Path:
    files = {"tenantflow.yaml": PROJECT, "fixtures/scripted.yaml": FIXTURES, "tenants/acme/tenant.yaml": TENANT,
             "workflows/pipeline.yaml": workflow_yaml()}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    # The project's bridge skills (auth, logging, errors), as every project has them.
    shutil.copytree(ROOT / "skills" / "bridge", root / "skills" / "bridge",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


class HWState(TypedDict, total=False):
    input: dict[str, Any]
    text: str
    #: Each step's answer, for the output guard's leakage check of what the run gathered.
    answers: dict[str, str]
    usage: list[dict[str, Any]]
    guard: list[dict[str, Any]]
    blocked: str
    output: dict[str, Any]


def build_handwritten(engine: Engine, tenant: str, *, guards: bool) -> Any:
    settings = engine.settings(tenant)
    chain = chain_for(settings.guardrails, engine.leakage_index())
    entry, provider = engine.tenants.model(settings, "tier")
    price = entry.price_per_1k

    def step(i: int) -> Callable[[HWState, Runtime[TenantContext]], Awaitable[HWState]]:
        async def node(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
            previous = state["input"]["text"] if i == 1 else state["text"]
            request = ChatRequest(model_id=entry.model_id, messages=[
                {"role": "user", "content": [{"text": f"Step {i}: {previous}"}]}],
                workflow="pipeline", step=f"s{i}", tenant_id=runtime.context.tenant_id)
            started = time.perf_counter()
            async with asyncio.timeout(60):
                response = await provider.converse(request)
            usage = {"step": f"s{i}", "model": entry.model_id, "input_tokens": response.input_tokens,
                     "output_tokens": response.output_tokens,
                     "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                     "cost_usd": response.input_tokens / 1000 * price.input
                     + response.output_tokens / 1000 * price.output}
            return {"text": response.text, "answers": {**state.get("answers", {}), f"s{i}": response.text},
                    "usage": [*state.get("usage", []), usage]}
        return node

    async def guard_in(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        result = chain.check_value(state["input"], "input", tenant=runtime.context.tenant_id)
        if result.blocked:
            return {"input": {}, "blocked": result.message, "guard": [dict(r) for r in result.records]}
        return {"input": result.value, "guard": [dict(r) for r in result.records]}

    async def guard_out(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        tenant = runtime.context.tenant_id
        result = chain.check_value({"text": state["text"]}, "output", tenant=tenant)
        records = [*state.get("guard", []), *(dict(r) for r in result.records)]
        # Other tenants' marks in what the run gathered (every step's answer), as the engine's output guard
        # and bench_engine_vs_handwritten's hand-written one do.
        records += [dict(r) for r in chain.check_leakage({"steps": state.get("answers", {})}, tenant=tenant).records]
        return {"output": result.value, "guard": records}

    async def plain_out(state: HWState, runtime: Runtime[TenantContext]) -> HWState:
        return {"output": {"text": state["text"]}}

    graph: StateGraph[HWState, TenantContext, HWState, HWState] = StateGraph(HWState, context_schema=TenantContext)
    names = [f"s{i}" for i in range(1, STEPS + 1)]
    for i, name in enumerate(names, 1):
        graph.add_node(name, step(i))  # type: ignore[call-overload]
    graph.add_node("out", guard_out if guards else plain_out)  # type: ignore[call-overload]
    if guards:
        graph.add_node("guard_in", guard_in)  # type: ignore[call-overload]
        graph.add_edge(START, "guard_in")
        graph.add_edge("guard_in", names[0])
    else:
        graph.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        graph.add_edge(a, b)
    graph.add_edge(names[-1], "out")
    graph.add_edge("out", END)
    return graph.compile()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--iterations", type=int, default=300, help="timed runs per variant")
    parser.add_argument("--block", type=int, default=5, help="runs per interleaved block")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="profile engine.run with cProfile after")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tenantflow-pipeline-") as tmp:
        engine = Engine(load_project(make_project(Path(tmp))))
        tenant = "acme"
        ctx = engine.dev_context(tenant, "u1", "s1")
        hw_on, hw_off = build_handwritten(engine, tenant, guards=True), build_handwritten(engine, tenant, guards=False)

        async def run_engine() -> tuple[Any, Any]:
            result = await engine.run("pipeline", ctx, PAYLOAD)
            return result.output, [(u["step"], u["input_tokens"], u["output_tokens"]) for u in result.usage]

        def hw(graph: Any) -> Callable[[], Awaitable[tuple[Any, Any]]]:
            async def run() -> tuple[Any, Any]:
                state = await graph.ainvoke({"input": dict(PAYLOAD)}, context=ctx)
                return state["output"], [(u["step"], u["input_tokens"], u["output_tokens"]) for u in state["usage"]]
            return run

        variants: dict[str, Callable[[], Awaitable[tuple[Any, Any]]]] = {
            "engine.run": run_engine, "hw guards on": hw(hw_on), "hw guards off": hw(hw_off)}
        reference = await run_engine()
        for name, fn in variants.items():
            assert await fn() == reference, f"{name} does not do the same work"
        for fn in variants.values():
            for _ in range(args.warmup):
                await fn()
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        order = list(variants)
        load = os.getloadavg()
        for r in range((args.iterations + args.block - 1) // args.block):
            for name in order[r % len(order):] + order[:r % len(order)]:
                for _ in range(args.block):
                    t0, c0 = time.perf_counter(), time.process_time()
                    await variants[name]()
                    times[name].append((time.perf_counter() - t0) * 1000)
                    cpu[name].append((time.process_time() - c0) * 1000)
        print(f"10-step LLM pipeline, {args.iterations} runs per variant, interleaved "
              f"({time.strftime('%Y-%m-%d %H:%M %Z')}, load average {load[0]:.2f} -> {os.getloadavg()[0]:.2f})")
        print("wall = elapsed time; cpu = this process's CPU time, less sensitive to other load on the machine")
        print(f"{'variant':<16}{'wall ms':>9}{'p90':>8}{'/ hw on':>9}{'/ hw off':>9}{'cpu ms':>9}{'/ hw on':>9}"
              f"{'/ hw off':>9}")
        for name, values in times.items():
            med, cpu_med = statistics.median(values), statistics.median(cpu[name])
            p90 = sorted(values)[int(0.9 * (len(values) - 1))]
            ratios = [med / statistics.median(times[b]) for b in ("hw guards on", "hw guards off")]
            cpu_ratios = [cpu_med / statistics.median(cpu[b]) for b in ("hw guards on", "hw guards off")]
            print(f"{name:<16}{med:>9.2f}{p90:>8.2f}{ratios[0]:>9.2f}{ratios[1]:>9.2f}{cpu_med:>9.2f}"
                  f"{cpu_ratios[0]:>9.2f}{cpu_ratios[1]:>9.2f}")
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.iterations):
                await run_engine()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
