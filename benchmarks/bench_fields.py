"""The field validator (engine/spec/fields.py, jsonschema) against the hand-written checkers it replaced.

The hand-written ``check_input``, ``check_arguments`` and ``FormatCheck`` are
read from a git revision that still has them (``--before``) and imported
beside the current ones, so both run in one process, interleaved in rounds
with the order rotated each round. Each round times ``--number`` calls of a
variant with ``timeit``; the table gives the median and the best round in
microseconds per call. Before timing, the script checks that both variants
give the same verdict on every case it times.

Cases: the demo's support-triage input (``check_input``, valid, then missing
``customer_id`` with a number for ``ticket``), its output against the
declared output (``FormatCheck``), and the arguments of support-triage's
``lookup`` step against ``billing.get_invoices``'s JSON Schema
(``check_arguments``). The first-call cost of the new validator (import
of jsonschema, compiling a schema) is timed once, apart, and so is a whole
support-triage run, for scale.

    python benchmarks/bench_fields.py
    python benchmarks/bench_fields.py --rounds 30 --number 5000 --before 1ce39c8
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
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

    from engine.guardrails.schema import FormatCheck
    from engine.inputs import check_input
    from engine.project import load_project
    from engine.spec.fields import Validator, object_schema
    from engine.tools.arguments import check_arguments

    project = load_project(ROOT)
    spec = project.workflows["support-triage"].spec
    tool = project.registry.resolve("tool", "billing.get_invoices", "acme")
    assert tool is not None
    schema = project.tools.input_schema(tool)

    assert "jsonschema" not in sys.modules, "loading a project must not import jsonschema"
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

    old_format, new_format = before_schema.FormatCheck(spec.output), FormatCheck(spec.output)
    cases: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "check_input, valid": (lambda: before_inputs.check_input("support-triage", spec.input, TICKET),
                               lambda: check_input("support-triage", spec.input, TICKET)),
        "check_input, 2 problems": (lambda: verdict(lambda: before_inputs.check_input("st", spec.input, BAD_TICKET)),
                                    lambda: verdict(lambda: check_input("st", spec.input, BAD_TICKET))),
        "FormatCheck, valid output": (lambda: old_format(OUTPUT), lambda: new_format(OUTPUT)),
        "check_arguments, valid": (lambda: before_arguments.check_arguments("billing.get_invoices", schema, ARGUMENTS),
                                   lambda: check_arguments("billing.get_invoices", schema, ARGUMENTS)),
    }
    for name, (before, after) in cases.items():
        assert verdict(before) == verdict(after), name

    times: dict[tuple[str, str], list[float]] = {(name, side): [] for name in cases for side in ("before", "after")}
    for round_ in range(args.rounds):
        for name, (before, after) in cases.items():
            sides = [("before", before), ("after", after)]
            for side, call in sides[round_ % 2:] + sides[:round_ % 2]:
                seconds = timeit.timeit(call, number=args.number)
                times[(name, side)].append(seconds / args.number * 1e6)

    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds x {args.number} calls, before = {args.before}")
    print(f"first Validator (imports jsonschema): {first_ms:.1f} ms; the next one: {next_ms:.2f} ms; "
          f"one support-triage run (acme, scripted model), median of {args.runs}: {run_ms:.2f} ms")
    print(f"{'case':28} {'before µs':>10} {'after µs':>10} {'ratio':>6}   (median; best round)")
    for name in cases:
        before_t, after_t = times[(name, "before")], times[(name, "after")]
        b, a = statistics.median(before_t), statistics.median(after_t)
        print(f"{name:28} {b:10.2f} {a:10.2f} {a / b:6.1f}   ({min(before_t):.2f}; {min(after_t):.2f})")


if __name__ == "__main__":
    main()
