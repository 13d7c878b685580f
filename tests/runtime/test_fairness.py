"""Fair share: the runs of a tenant over its limits step aside, at step boundaries, for other tenants' runs."""

from __future__ import annotations

import asyncio
import time
from contextlib import nullcontext
from pathlib import Path

import httpx
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore

from engine.engine import Engine
from engine.project import load_project
from engine.runtime.config import RuntimeConfig
from engine.runtime.fairness import Fairness
from engine.steps import step_gate
from tests.conftest import REPO
from tests.runtime.support import SESSION, Tokens, dev_secret, serving, write_project

TICKET = {"ticket": "I was charged twice for my last invoice", "customer_id": "cus_1001"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_refusal_marks_the_tenant_over_for_the_penalty_only() -> None:
    clock = Clock()
    fairness = Fairness(penalty_s=2.0, clock=clock)
    fairness.refused("noisy")
    assert fairness.is_over("noisy") and not fairness.is_over("quiet")
    clock.now += 1.9
    assert fairness.is_over("noisy")
    clock.now += 0.2
    assert not fairness.is_over("noisy")


async def test_a_calm_tenant_never_waits_and_an_over_tenant_waits_for_calm_runs_to_end() -> None:
    fairness = Fairness(max_wait_s=5.0)
    fairness.refused("noisy")
    with fairness.running("quiet") as quiet_gate:
        assert quiet_gate is None
        with fairness.running("noisy") as noisy_gate:
            assert noisy_gate is not None
            waiting = asyncio.ensure_future(noisy_gate())
            await asyncio.sleep(0.05)
            assert not waiting.done()  # the quiet tenant's run is still in flight
        # (the noisy run's own context ended; its pending step still waits for the quiet run)
        assert not waiting.done()
    await asyncio.wait_for(waiting, 1.0)
    assert (fairness.yielded, fairness.timed_out) == (1, 0)
    assert fairness.calm_in_flight == 0


async def test_an_over_tenant_waits_at_most_max_wait_per_step() -> None:
    fairness = Fairness(max_wait_s=0.02)
    fairness.refused("noisy")
    with fairness.running("quiet"), fairness.running("noisy") as gate:
        assert gate is not None
        started = time.perf_counter()
        await gate()
        waited = time.perf_counter() - started
    assert 0.015 <= waited < 0.5
    assert (fairness.yielded, fairness.timed_out) == (0, 1)


async def test_without_calm_runs_in_flight_an_over_tenant_goes_straight_on() -> None:
    fairness = Fairness(max_wait_s=5.0)
    fairness.refused("noisy")
    with fairness.running("noisy") as gate:
        assert gate is not None
        await asyncio.wait_for(gate(), 0.1)
    assert (fairness.yielded, fairness.timed_out) == (0, 0)


def demo_engine() -> Engine:
    return Engine(load_project(REPO), checkpointer=InMemorySaver(), store=InMemoryStore())


async def test_every_step_of_a_run_awaits_the_gate() -> None:
    engine = demo_engine()
    calls = 0

    async def gate() -> None:
        nonlocal calls
        calls += 1

    with step_gate(gate):
        result = await engine.run("support-triage", engine.dev_context("globex", "u1", "s1"), TICKET)
    # One call per step that ran: the recorded steps plus the two guard nodes.
    assert calls >= len(result.steps) + 2
    calls_with_gate = calls
    await engine.run("support-triage", engine.dev_context("globex", "u1", "s2"), TICKET)
    assert calls == calls_with_gate  # outside the block no gate is set


async def test_a_quiet_tenants_run_overtakes_a_noisy_tenants_run_on_one_graph() -> None:
    """Two pooled tenants on one compiled graph: globex is over its limits, initech is not.

    globex's run starts first; initech's starts while it is in flight. Without the
    gate the two interleave step by step and globex's, ahead by a step, ends first.
    With it, globex's run waits at its next step boundary until initech's has ended.
    """
    engine = demo_engine()
    for warm in ("globex", "initech"):  # compile and warm both tenants' caches outside the race
        await engine.run("support-triage", engine.dev_context(warm, "u0", "warm"), TICKET)

    async def race(fairness: Fairness | None) -> list[str]:
        finished: list[str] = []

        async def run(tenant: str) -> None:
            with fairness.running(tenant) if fairness else nullcontext() as gate, step_gate(gate):
                result = await engine.run("support-triage", engine.dev_context(tenant, "u1", "s1"), TICKET)
            assert result.tenant_id == tenant and result.output  # each run is its own tenant's, and completes
            finished.append(tenant)

        noisy = asyncio.ensure_future(run("globex"))
        await asyncio.sleep(0)  # globex's run is under way
        await asyncio.gather(noisy, run("initech"))
        return finished

    assert await race(None) == ["globex", "initech"]
    fairness = Fairness(max_wait_s=5.0)
    fairness.refused("globex")
    assert await race(fairness) == ["initech", "globex"]
    assert fairness.yielded >= 1 and fairness.timed_out == 0


def test_a_refused_request_marks_its_tenant_over_in_the_server_and_no_other(tmp_path: Path) -> None:
    with dev_secret():
        root = write_project(tmp_path / "proj")
        tokens = Tokens(root)
        with serving(RuntimeConfig(root=root, watch_interval_s=0)) as (url, app), httpx.Client(base_url=url) as client:
            fairness = app.state.service.fairness

            def invoke(tenant: str) -> int:
                return client.post("/invocations", json={"workflow": "hello", "input": {"text": "hi"}},
                                   headers={"Authorization": f"Bearer {tokens(tenant)}", SESSION: "s-1"}).status_code

            assert invoke("trickle") == 200  # a bucket of one request
            assert not fairness.is_over("trickle")
            assert invoke("trickle") == 429
            assert fairness.is_over("trickle")  # its runs now step aside for its neighbours'
            assert invoke("alpha") == 200 and not fairness.is_over("alpha")
            assert fairness.calm_in_flight == 0  # every run that counted has ended
