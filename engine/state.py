"""The graph state every compiled workflow shares: ids and data, never secrets."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from langgraph.types import Overwrite


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: parallel branches each add their own keys."""
    return {**(left or {}), **(right or {})}


def fresh_run(payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The input of a new run on a thread: per-run fields start empty.

    The engine passes no ``payload``: the raw input travels in the run context
    (:class:`engine.kinds.base.RunContext`) and enters state only through the
    input guard, so no checkpoint, whatever the durability, holds what the
    guard blocked or redacted. A payload given here starts in state (graphs
    run by hand, without a checkpointer).

    A thread is a session; its checkpoint keeps the previous run's state.
    ``Overwrite`` bypasses the reducers so no step output, usage, guard or
    error record of an earlier run leaks into this one (or its bill). Only
    ``messages``, the session's conversation, is carried from run to run.
    """
    return {
        "input": payload if payload is not None else {},
        "steps": Overwrite({}),
        "memory": {},
        "output": {},
        "usage": Overwrite([]),
        "guard": Overwrite([]),
        "errors": Overwrite([]),
        "route": Overwrite({}),
        "loops": Overwrite({}),
        "turns": Overwrite([]),
        "blocked": "",
    }


class RunState(TypedDict, total=False):
    #: The workflow input, after the input guard (redacted where configured).
    input: dict[str, Any]
    #: Output of each step by step id.
    steps: Annotated[dict[str, Any], merge_dicts]
    #: Memory read before the first step, by level.
    memory: dict[str, Any]
    #: The workflow output, after the output guard.
    output: dict[str, Any]
    #: One record per model call: step, model, provider, tokens, duration, cost.
    usage: Annotated[list[dict[str, Any]], operator.add]
    #: One record per guardrail finding (never the matched text).
    guard: Annotated[list[dict[str, Any]], operator.add]
    #: One record per failed step that the workflow handled (on_error).
    errors: Annotated[list[dict[str, Any]], operator.add]
    #: The route each branching node chose (switch case, ok/error, again/done).
    route: Annotated[dict[str, str], merge_dicts]
    #: Iterations started, by loop id.
    loops: Annotated[dict[str, int], merge_dicts]
    #: Set when the input guard blocked the run: the safe message to return.
    blocked: str
    #: This run's turns of ``llm`` steps with ``history`` (role, text), waiting for the output guard.
    turns: Annotated[list[dict[str, str]], operator.add]
    #: The session's conversation, kept across runs on the thread: only turns both guards passed.
    messages: Annotated[list[AnyMessage], add_messages]
