"""Run workflow test cases offline: scripted models, mocked skills and tools, an in-memory store.

Each case run gets a fresh :class:`~engine.engine.Engine` on a copy of the
project whose registry holds the case's mocks as implementations scoped to
the tenant under test. The registry prefers a tenant's own implementation,
so a mock replaces the shared one exactly the way a tenant's own skill
would, behind the same bridge chain (logging, auth, errors): entitlements,
retries and ``on_error`` behave as in production. Every model provider
answers from the test's scripted responses; no model is ever called.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import SkillError, TenantflowError
from engine.models.base import ModelProvider
from engine.models.registry import Providers
from engine.models.scripted import ScriptedProvider
from engine.models.scripted_fixture import ScriptedFixture
from engine.project import Project
from engine.review.diff import show
from engine.review.testfiles import CaseRun
from engine.skills.bridge import SkillContext
from engine.skills.registry import Kind, SkillDef, SkillRegistry
from engine.spec.workflow_test import Expectation, MockSpec
from engine.telemetry import logs


@dataclass
class CaseResult:
    run: CaseRun
    failures: list[str] = field(default_factory=list)
    #: An unexpected error (not a failed expectation): a bug in a skill, a mock or the engine.
    error: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.error


class _ScriptedOnly(Providers):
    """Every provider name answers from one scripted double: a test never calls a real model."""

    def __init__(self, provider: ModelProvider) -> None:
        super().__init__()
        self._only = provider

    def get(self, name: str, *, fixtures: str | Path | None = None, region_name: str | None = None,
            options: Mapping[str, Any] | None = None) -> ModelProvider:
        return self._only


def _scripted(run: CaseRun) -> ScriptedProvider:
    case, spec = run.case.model, run.file.spec.model
    responses = [*(case.responses if case else []), *(spec.responses if spec else [])]
    default = case.default if case and case.default is not None else spec.default if spec else None
    return ScriptedProvider(ScriptedFixture(responses=responses, default=default))


def _kinds(registry: SkillRegistry, name: str) -> list[Kind]:
    kinds: tuple[Kind, ...] = ("skill", "tool")
    return [k for k in kinds if name in registry.names(k)]


def mocked_registry(base: SkillRegistry, tenant: str, mocks: dict[str, MockSpec], source: str,
                    calls: dict[str, list[dict[str, Any]]]) -> SkillRegistry:
    """``base`` with each mock as ``tenant``'s own implementation (replacing one it already had)."""
    kinds = {name: _kinds(base, name) for name in mocks}
    replaced = {(k, name) for name, ks in kinds.items() for k in ks}
    registry = SkillRegistry()
    for definition in base.all():
        if (definition.kind, definition.name) not in replaced or definition.scope != tenant:
            registry.add(definition)
    for name, spec in sorted(mocks.items()):
        calls.setdefault(name, [])
        for kind in kinds[name]:
            real = base.resolve(kind, name, tenant)
            versions = sorted({d.version for d in base.all() if d.kind == kind and d.name == name})
            for version in versions:
                registry.add(SkillDef(kind, name, version, tenant, source, f"mock of {name}",
                                      fn=_mock_fn(name, spec, calls[name]),
                                      input_model=real.input_model if real is not None else None))
    return registry


def _mock_fn(name: str, spec: MockSpec, calls: list[dict[str, Any]]) -> Callable[..., Any]:
    async def mock(*, ctx: SkillContext, **inputs: Any) -> Any:
        calls.append(dict(inputs))
        if spec.error is not None:
            raise SkillError(ctx.step, f"{name}: {spec.error}", retryable=spec.retryable)
        if spec.outputs is not None:
            return spec.outputs[min(len(calls), len(spec.outputs)) - 1]
        return spec.output

    return mock


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Handled step failures log warnings; a test run reports them as results instead."""
    logger = logs.logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


async def run_case(project: Project, run: CaseRun) -> CaseResult:
    from langgraph.store.memory import InMemoryStore

    from engine.engine import Engine
    from engine.memory.namespaces import namespace_for

    started = time.perf_counter()
    calls: dict[str, list[dict[str, Any]]] = {}
    registry = mocked_registry(project.registry, run.tenant, run.mocks, f"<mock in {run.file.display}>", calls)
    store = InMemoryStore()
    engine = Engine(dataclasses.replace(project, registry=registry), store=store,
                    providers=_ScriptedOnly(_scripted(run)))
    result = CaseResult(run)
    try:
        ctx = engine.dev_context(run.tenant, run.case.user, f"test-{run.index}")
        strategy = project.workflows[run.workflow].spec.metadata.strategy
        for level, items in sorted(run.case.memory.items()):
            for key, value in sorted(items.items()):
                await store.aput(namespace_for(level, ctx, strategy), key, value)
        try:
            outcome = await engine.run(run.workflow, ctx, run.case.input)
        except TenantflowError as exc:
            result.failures = _failed_run(run.expect, str(exc))
        else:
            result.failures = check(run.expect, outcome, engine.settings(run.tenant).catalog,
                                    engine.settings(run.tenant).default_model, calls)
    except Exception as exc:  # a bug in user code or the engine: report it, never a traceback
        result.error = f"{exc.__class__.__name__}: {exc}"
    result.duration_s = time.perf_counter() - started
    return result


def _failed_run(expect: Expectation, message: str) -> list[str]:
    if expect.fails is None:
        return [f"the run failed: {message}"]
    if expect.fails not in message:
        return [f"fails: expected the run to fail with {show(expect.fails)}, it failed with: {message}"]
    return []


def check(expect: Expectation, outcome: Any, catalog: dict[str, Any], default_model: str,
          calls: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every expectation ``outcome`` (a RunResult) does not meet, as one message each."""
    failures: list[str] = []
    if expect.fails is not None:
        failures.append(f"fails: expected the run to fail with {show(expect.fails)}, it succeeded")
    if expect.output is not None:
        failures += compare(expect.output, outcome.output, "output")
    for key, pattern in sorted((expect.output_matches or {}).items()):
        value = outcome.output.get(key)
        if not isinstance(value, str) or re.search(pattern, value) is None:
            failures.append(f"output.{key}: expected a match for /{pattern}/, got {show(value)}")
    if expect.blocked is not None:
        blocked = outcome.blocked
        if expect.blocked is False and blocked:
            failures.append(f"blocked: expected the run not to be blocked, it was: {blocked}")
        elif expect.blocked is True and not blocked:
            failures.append("blocked: expected the run to be blocked, it was not")
        elif isinstance(expect.blocked, str) and (not blocked or expect.blocked not in blocked):
            failures.append(f"blocked: expected a block with {show(expect.blocked)}, got {show(blocked or None)}")
    ran = list(outcome.steps)
    for step in expect.ran or []:
        if step not in outcome.steps:
            failures.append(f"ran: step {step} did not run (ran: {', '.join(ran) or 'none'})")
    for step in expect.skipped or []:
        if step in outcome.steps:
            failures.append(f"skipped: step {step} ran")
    for step, wanted in sorted((expect.steps or {}).items()):
        if step not in outcome.steps:
            failures.append(f"steps.{step}: the step did not run")
        else:
            failures += compare(wanted, outcome.steps[step], f"steps.{step}")
    for step, model in sorted((expect.models or {}).items()):
        alias = default_model if model == "tier" else model
        entry = catalog.get(alias)
        wanted_id = entry.model_id if entry is not None else model
        used = sorted({u["model"] for u in outcome.usage if u["step"] == step})
        label = f"{alias} ({wanted_id})" if entry is not None else wanted_id
        if not used:
            failures.append(f"models.{step}: expected {label}, the step made no model call")
        elif used != [wanted_id]:
            failures.append(f"models.{step}: expected {label}, got {', '.join(used)}")
    if expect.guard is not None:
        failures += compare(expect.guard, outcome.guard, "guard")
    if expect.errors is not None:
        failures += compare(expect.errors, outcome.errors, "errors")
    for name, wanted_calls in sorted((expect.calls or {}).items()):
        failures += compare(wanted_calls, calls.get(name, []), f"calls.{name}")
    return failures


def compare(expected: Any, actual: Any, where: str) -> list[str]:
    """Subset comparison: mappings check the keys they name, lists their length and items, the rest equality."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected a mapping, got {show(actual)}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}.{key}: missing (got {', '.join(map(str, actual)) or 'nothing'})")
            else:
                out += compare(value, actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {show(actual)}"]
        if len(expected) != len(actual):
            noun = "item" if len(expected) == 1 else "items"
            return [f"{where}: expected {len(expected)} {noun}, got {len(actual)}: {show(actual)}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += compare(e, a, f"{where}[{i}]")
        return out
    same = expected == actual and isinstance(expected, bool) == isinstance(actual, bool)
    return [] if same else [f"{where}: expected {show(expected)}, got {show(actual)}"]


async def run_all(project: Project, runs: list[CaseRun],
                  on_result: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Run every case in order (one at a time: output and mocks stay deterministic)."""
    results = []
    with _quiet_logs():
        for run in runs:
            result = await run_case(project, run)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
