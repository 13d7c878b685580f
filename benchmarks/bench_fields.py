"""The field validator (engine/spec/fields.py) against the hand-written checkers it replaced.

The hand-written ``check_input``, ``check_arguments`` and ``FormatCheck`` are
read from a git revision that still has them (``--before``) and imported
beside the current ones, so all run in one process, interleaved in rounds
with the order rotated each round. The current ones run twice: as they are
(jsonschema-rs passes a value that fits, jsonschema explains one that does
not) and with jsonschema alone (the fast path off, with validators compiled
apart). Each round times ``--number`` calls of a variant with ``timeit``; the
table gives the median and the best round in microseconds per call. Before
timing, the script checks that every variant gives the same verdict on every
case it times.

Cases: the demo's support-triage input (``check_input``, valid, then missing
``customer_id`` with a number for ``ticket``), its output against the
declared output (``FormatCheck``), and the arguments of support-triage's
``lookup`` step against ``billing.get_invoices``'s JSON Schema
(``check_arguments``). The first-call cost of the new validator (import
of jsonschema and jsonschema-rs, compiling a schema) is timed once, apart, and
so is a whole support-triage run, for scale. The first line says the machine,
the time and how long ``sum(range(10**6))`` takes on it.

    python benchmarks/bench_fields.py
    python benchmarks/bench_fields.py --rounds 30 --number 5000 --before 1ce39c8
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The last commit with the three hand-written checkers.
BEFORE = "1ce39c8"
TICKET = {"ticket": "Our site has been down since 9am, is there an outage?", "customer_id": "cus_1001"}
BAD_TICKET = {"ticket": 42}
OUTPUT = {"reply": "We are looking into the outage and will write back within the hour.", "category": "technical"}
ARGUMENTS = {"customer_id": "cus_1001", "limit": 3}
CASES = ("check_input, valid", "check_input, 2 problems", "FormatCheck, valid output", "check_arguments, valid")


def old_module(revision: str, path: str, folder: Path) -> ModuleType:
    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout
    file = folder / path.replace("/", "_")
    file.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"before_{file.stem}", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_time(project: Any, runs: int) -> float:
    """Median ms of one whole support-triage run: what the per-call times are a part of."""
    from langgraph.store.memory import InMemoryStore

    from engine.engine import Engine

    engine = Engine(project, store=InMemoryStore())
    ctx = engine.dev_context("acme", "u1", "s1")

    async def timed() -> list[float]:
        await engine.run("support-triage", ctx, TICKET)  # compile and warm up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            await engine.run("support-triage", ctx, TICKET)
            times.append((time.perf_counter() - t0) * 1000)
        return times

    return statistics.median(asyncio.run(timed()))


def calibration_ms() -> float:
    t0 = time.perf_counter()
    sum(range(10**6))
    return (time.perf_counter() - t0) * 1000


def verdict(call: Callable[[], Any]) -> Any:
    try:
        return ("ok", call())
    except Exception as exc:  # the refusal itself is the verdict
        return ("refused", type(exc).__name__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BEFORE, help="git revision with the hand-written checkers")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--number", type=int, default=2000, help="calls per variant per round")
    parser.add_argument("--runs", type=int, default=100, help="whole runs timed for scale")
    args = parser.parse_args()

    import engine.inputs
    import engine.tools.arguments
    from engine.guardrails.schema import FormatCheck
    from engine.project import load_project
    from engine.spec import fields
    from engine.spec.fields import Validator, object_schema

    project = load_project(ROOT)
    spec = project.workflows["support-triage"].spec
    tool = project.registry.resolve("tool", "billing.get_invoices", "acme")
    assert tool is not None
    schema = project.tools.input_schema(tool)

    assert not {"jsonschema", "jsonschema_rs"} & sys.modules.keys(), "loading a project must not import them"
    t0 = time.perf_counter()
    Validator(object_schema(spec.input))
    first_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    Validator(object_schema(spec.output))
    next_ms = (time.perf_counter() - t0) * 1000
    run_ms = run_time(project, args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before_inputs = old_module(args.before, "engine/inputs.py", folder)
        before_arguments = old_module(args.before, "engine/tools/arguments.py", folder)
        before_schema = old_module(args.before, "engine/guardrails/schema.py", folder)

    # jsonschema alone: the same entry points with the fast path off, on validators compiled apart.
    states = {"after": (fields._compiled, fields._seen, fields._fast_check), "jsonschema": ({}, {}, lambda _: None)}

    def use(side: str) -> Callable[[], None]:
        def setup() -> None:
            fields._compiled, fields._seen, fields._fast_check = states.get(side, states["after"])
        return setup

    sides = ("before", "jsonschema", "after")
    cases: dict[str, dict[str, Callable[[], Any]]] = {name: {} for name in CASES}
    for side in sides:
        use(side)()
        if side == "before":
            inputs, arguments, format_check = before_inputs, before_arguments, before_schema.FormatCheck
        else:
            inputs, arguments, format_check = engine.inputs, engine.tools.arguments, FormatCheck
        cases["check_input, valid"][side] = partial(inputs.check_input, "support-triage", spec.input, TICKET)
        cases["check_input, 2 problems"][side] = partial(verdict, partial(inputs.check_input, "st", spec.input,
                                                                          BAD_TICKET))
        cases["FormatCheck, valid output"][side] = partial(format_check(spec.output), OUTPUT)
        cases["check_arguments, valid"][side] = partial(arguments.check_arguments, "billing.get_invoices", schema,
                                                        ARGUMENTS)
    for name, calls in cases.items():
        for side in sides:
            use(side)()
            assert verdict(calls[side]) == verdict(calls["before"]), (name, side)

    times: dict[tuple[str, str], list[float]] = {(name, side): [] for name in cases for side in sides}
    for round_ in range(args.rounds):
        for name, calls in cases.items():
            for side in sides[round_ % 3:] + sides[:round_ % 3]:
                seconds = timeit.timeit(calls[side], setup=use(side), number=args.number)
                times[(name, side)].append(seconds / args.number * 1e6)
    use("after")()

    print(f"{os.cpu_count()} cpu ({platform.machine()}), Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, sum(range(10**6)) in {calibration_ms():.1f} ms, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{args.rounds} rounds x {args.number} calls, before = {args.before}")
    print(f"first Validator (imports jsonschema, jsonschema-rs): {first_ms:.1f} ms; the next one: {next_ms:.2f} ms; "
          f"one support-triage run (acme, scripted model), median of {args.runs}: {run_ms:.2f} ms")
    print(f"{'case':28} {'before µs':>10} {'jsonschema':>11} {'after µs':>10} {'ratio':>6}   (median; best round)")
    for name in cases:
        t = {side: times[(name, side)] for side in sides}
        b, j, a = (statistics.median(t[side]) for side in sides)
        best = "; ".join(f"{min(t[side]):.2f}" for side in sides)
        print(f"{name:28} {b:10.2f} {j:11.2f} {a:10.2f} {a / b:6.1f}   ({best})")


if __name__ == "__main__":
    main()
