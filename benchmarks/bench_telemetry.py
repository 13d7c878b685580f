"""What telemetry costs a run: a 5-step workflow with exporters off and on (OTLP/HTTP to a local receiver).

Variants, run interleaved in one process (blocks of runs, order rotated each round):

* ``bare``: the run's hot path as it was before telemetry was built: the node wrapper, the run
  bookkeeping and the model-call wrapper without their telemetry checks (patched back in this
  process), no ledger. The baseline.
* ``off``: as shipped, telemetry off (the default): each instrumented place asks ``active()`` and
  gets None; the run's part object still counts tool calls and tokens.
* ``on``: telemetry on: spans (BatchSpanProcessor) and metrics (PeriodicExportingMetricReader,
  1 s) exported over OTLP/HTTP to a receiver in another process on 127.0.0.1.
* ``traces`` / ``metrics``: one signal on, the other off: where ``on``'s cost goes.
* ``ledger``: off, plus the usage ledger in SQLite (one upsert per run in a worker thread).
* ``sampled`` (only with ``--only``): ``on`` with ``OTEL_TRACES_SAMPLER=parentbased_traceidratio`` at 10 %.
* ``on@REV`` (with ``--before REV``): ``on`` with the span and metric code of git revision REV
  (its ``engine/telemetry/instruments.py``, loaded in this process) and the SDK's default exemplar
  filter: an earlier version side by side with this one, on the same providers and exporters.

The workflow: a skill, a tool, two ``llm`` steps on the scripted model and a ``return``, plus the
engine's input and output guards (7 nodes). No checkpointer, in-memory store.

Once the engine is built the cyclic GC's full passes are kept off it with ``gc.freeze()``, as
``tenantflow serve`` does once it has started (``--no-freeze-gc``: as a library or ``tenantflow run``
leaves it). It matters here: spans wait in the exporter's queue long enough to reach the oldest
generation, and without the freeze each full pass walks everything the engine built.

    python benchmarks/bench_telemetry.py                # ~1 min: 30 rounds x 20 runs per variant
    python benchmarks/bench_telemetry.py --before main  # plus main's span code as ``on@main``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.bench_compile import machine
from engine.engine import Engine
from engine.project import load_project

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: benchtelemetry}
models:
  catalog:
    small: {provider: scripted, model_id: small-v1, price_per_1k: {input: 0.001, output: 0.002}}
  providers:
    scripted: {fixtures: fixtures/scripted.yaml}
tiers:
  basic: {model: small}
stores: {checkpointer: memory, store: memory}
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: five}
input:
  text: {type: string}
steps:
  - id: first
    skill: echo
    with: {text: "{{ input.text }}"}
  - id: look
    tool: notes.lookup
    with: {key: k1}
  - id: answer
    llm: {prompt: "Answer: {{ steps.first.text }}"}
  - id: check
    llm: {prompt: "Check: {{ steps.answer.text }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""

SKILLS = '''\
from engine.skills.decorators import skill, tool
from engine.skills.bridge import SkillContext


@skill("echo")
def echo(*, text: str, ctx: SkillContext) -> dict:
    return {"text": text}


@tool("notes.lookup")
def lookup(*, key: str, ctx: SkillContext) -> dict:
    return {"key": key}
'''

FILES = {
    "tenantflow.yaml": PROJECT,
    "fixtures/scripted.yaml": "default: \"[{model}] fine\"\n",
    "skills/shared.py": SKILLS,
    "workflows/five.yaml": WORKFLOW,
    "tenants/alpha/tenant.yaml": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: alpha}\ntier: basic\n"
                                 "entitlements: {tools: ['notes.*']}\n",
}

VARIANTS = ("bare", "off", "on", "traces", "metrics", "ledger")
REPO = Path(__file__).resolve().parent.parent


def write_project(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copytree(Path(__file__).resolve().parent.parent / "skills" / "bridge", root / "skills" / "bridge",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _receive(port: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]
    server.serve_forever()


@contextlib.contextmanager
def receiver() -> Iterator[str]:
    """An OTLP/HTTP endpoint that accepts everything, in another process (its work is not this process's)."""
    context = multiprocessing.get_context("spawn")
    port = context.Value("i", 0)
    process = context.Process(target=_receive, args=(port,), daemon=True)
    process.start()
    deadline = time.monotonic() + 30
    while not port.value:
        assert time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port.value}"
    finally:
        process.terminate()
        process.join()


@contextlib.contextmanager
def bare() -> Iterator[None]:
    """The hot path without this change's checks: the node wrapper, run part and model-call wrapper of before."""
    from engine.compile import emit
    from engine.kinds import llm, model_call
    from engine.run import observe
    from engine.steps import STEP_GATE

    async def node_call(self: Any, state: Any, runtime: Any) -> Any:
        gate = STEP_GATE.get()
        if gate is not None:
            await gate()
        return await self.fn(state, runtime)

    async def plain_call(spend: Any, ctx: Any, settings: Any, entry: Any, alias: str, step: str, call: Any, *,
                         requested: str = "", prompt: str = "", chain: Any = None) -> Any:
        t0 = time.perf_counter()
        response = await call()
        return model_call.ModelCall(model_call.usage_record(step, alias, entry, response, ctx.tenant_id, t0,
                                                            requested=requested), response)

    class PlainPart:
        def __init__(self, *, ctx: Any, meter: Any, **_: Any):
            self.ctx, self.meter = ctx, meter

        running = staticmethod(contextlib.nullcontext)

        async def finished(self, state: Any, paused: bool = False) -> None:
            self.meter.record_tokens(self.ctx.tenant_id, sum(u["input_tokens"] + u["output_tokens"]
                                                             for u in state.get("usage") or []))

    saved = (emit._Node.__call__, llm.observed_call, observe.RunPart)
    import engine.run.runner as runner

    emit._Node.__call__ = node_call  # type: ignore[method-assign]
    llm.observed_call = plain_call  # type: ignore[assignment]
    runner.RunPart = PlainPart  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        emit._Node.__call__, llm.observed_call, runner.RunPart = saved  # type: ignore[method-assign,assignment,misc]


def telemetry_class_at(revision: str) -> Any:
    """The ``Telemetry`` class of ``revision``'s engine/telemetry/instruments.py, loaded beside this one."""
    text = subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:engine/telemetry/instruments.py"],
                          check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"instruments_at_{revision}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(text, f"{revision}:engine/telemetry/instruments.py", "exec"), module.__dict__)
    return module.Telemetry


async def block(engine: Engine, n: int, offset: int) -> tuple[float, float]:
    """Wall and CPU time per run (ms); CPU time is the whole process's, the exporter threads' included."""
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        await engine.run("five", engine.dev_context("alpha", "u1", f"s{offset + i}"), {"text": "hello"})
    return (time.perf_counter() - started) / n * 1000, (time.process_time() - cpu) / n * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--block", type=int, default=20)
    parser.add_argument("--before", help="also run `on` with this git revision's span and metric code")
    parser.add_argument("--only", help="comma-separated variants to run (bare is always run: the baseline)")
    parser.add_argument("--no-freeze-gc", action="store_true", help="leave the GC as a library user has it")
    args = parser.parse_args()
    variants = VARIANTS + ((f"on@{args.before}",) if args.before else ())
    if args.only:
        wanted = {"bare", *args.only.split(",")}
        variants = tuple(v for v in (*variants, "sampled") if v in wanted)
    from engine.spec.project import TelemetrySpec
    from engine.telemetry.exporters import install
    from engine.telemetry.instruments import activate
    from engine.telemetry.ledger import SqliteLedger

    tmp = Path(tempfile.mkdtemp())
    try:
        root = write_project(tmp / "proj")
        engine = Engine(load_project(root))
        ledger = SqliteLedger(tmp / "usage.sqlite")
        if not args.no_freeze_gc:
            gc.freeze()  # what `tenantflow serve` does once started (engine/runtime/app.py)
        with receiver() as endpoint:
            os.environ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000"
            both = install(TelemetrySpec(traces="otlp", metrics="otlp", endpoint=endpoint))
            traces = install(TelemetrySpec(traces="otlp", endpoint=endpoint))
            metrics = install(TelemetrySpec(metrics="otlp", endpoint=endpoint))
            assert both is not None and traces is not None and metrics is not None
            installed = {"on": both.telemetry, "traces": traces.telemetry, "metrics": metrics.telemetry}
            everything = [both, traces, metrics]
            if args.before:
                os.environ["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based"  # the SDK's default, as before
                earlier = install(TelemetrySpec(traces="otlp", metrics="otlp", endpoint=endpoint))
                del os.environ["OTEL_METRICS_EXEMPLAR_FILTER"]
                assert earlier is not None
                everything.append(earlier)
                installed[f"on@{args.before}"] = telemetry_class_at(args.before)(
                    earlier.tracer_provider, earlier.meter_provider, labels=earlier.telemetry.labels)
            if "sampled" in variants:
                os.environ.update(OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG="0.1")
                sampled = install(TelemetrySpec(traces="otlp", metrics="otlp", endpoint=endpoint))
                del os.environ["OTEL_TRACES_SAMPLER"], os.environ["OTEL_TRACES_SAMPLER_ARG"]
                assert sampled is not None
                everything.append(sampled)
                installed["sampled"] = sampled.telemetry
            activate(None)
            for _ in range(3):  # warm up every variant
                for variant in variants:
                    await run_variant(engine, variant, installed, ledger, args.block, 0)
            times: dict[str, list[float]] = {v: [] for v in variants}
            cpu: dict[str, list[float]] = {v: [] for v in variants}
            for r in range(args.rounds):
                order = variants[r % len(variants):] + variants[:r % len(variants)]
                for variant in order:
                    wall, used = await run_variant(engine, variant, installed, ledger, args.block, r * 1000)
                    times[variant].append(wall)
                    cpu[variant].append(used)
            for one in everything:
                one.shutdown()
        await ledger.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"machine: {machine()}; gc.freeze() after startup: {not args.no_freeze_gc}")
    print(f"{args.rounds} rounds x {args.block} runs per variant; ms per run: median of the rounds' means")
    print("(round ratio: each round's mean over the same round's bare mean; CPU: the process's, all threads)\n")
    print("| variant | wall ms | wall ratio | round ratio [p10..p90] | CPU ms | CPU ratio "
          "| CPU round ratio [p10..p90] |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant in variants:
        cells = []
        for found, base in ((times[variant], times["bare"]), (cpu[variant], cpu["bare"])):
            ratios = sorted(v / b for v, b in zip(found, base, strict=True))
            p10, p90 = ratios[len(ratios) // 10], ratios[(len(ratios) * 9) // 10 - 1]
            cells += [f"{statistics.median(found):.3f}", f"{statistics.median(found) / statistics.median(base):.3f}",
                      f"{statistics.median(ratios):.3f} [{p10:.3f}..{p90:.3f}]"]
        print(f"| {variant} | " + " | ".join(cells) + " |")


async def run_variant(engine: Engine, variant: str, installed: Any, ledger: Any, n: int,
                      offset: int) -> tuple[float, float]:
    from engine.telemetry.instruments import activate

    engine.runner.ledger = ledger if variant == "ledger" else None
    activate(installed.get(variant))
    try:
        if variant == "bare":
            with bare():
                return await block(engine, n, offset)
        return await block(engine, n, offset)
    finally:
        activate(None)
        engine.runner.ledger = None


if __name__ == "__main__":
    asyncio.run(main())
