"""Engine.stream: the same run as Engine.run, step by step; and the SSE framing of its events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langgraph.store.memory import InMemoryStore

from engine.engine import Engine, RunResult, StepEvent
from engine.inputs import InputError
from engine.project import load_project
from engine.runtime.streaming import frame
from tests.conftest import REPO


@pytest.fixture
def engine() -> Engine:
    return Engine(load_project(REPO), store=InMemoryStore())


async def test_stream_yields_each_step_then_the_same_result_as_run(engine: Engine) -> None:
    ctx = engine.dev_context("globex", "u1", "s1")
    payload = {"ticket": "I was charged twice", "customer_id": "cus_1"}
    events = [event async for event in engine.stream("support-triage", ctx, payload)]
    steps = [e for e in events if isinstance(e, StepEvent)]
    assert [s.step for s in steps] == ["guard.input", "memory.load", "classify", "route", "lookup", "draft",
                                       "note_category", "return_6", "guard.output"]
    assert [s.kind for s in steps][:3] == ["guard_input", "memory_load", "skill"]
    result = events[-1]
    assert isinstance(result, RunResult)
    # Another user: the first run's memory write does not change the second one's prompt.
    ran = await engine.run("support-triage", engine.dev_context("globex", "u2", "s1"), payload)
    assert timeless(result.to_json()) == timeless(ran.to_json())


def timeless(value: Any) -> Any:
    """``value`` without its durations, which differ from run to run."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k != "duration_ms"}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def test_stream_refuses_bad_input_before_anything_runs(engine: Engine) -> None:
    with pytest.raises(InputError) as refused:
        engine.stream("support-triage", engine.dev_context("globex"), {"ticket": 3})
    assert refused.value.fields == {"ticket": "expected string, got int",
                                    "customer_id": "required field is missing"}


def test_a_frame_is_one_data_line_and_a_blank_line() -> None:
    data = frame({"text": "two\nlines", "emoji": "é"})
    assert data == 'data: {"text":"two\\nlines","emoji":"é"}\n\n'.encode()
    assert json.loads(data[len(b"data: "):-2]) == {"text": "two\nlines", "emoji": "é"}


