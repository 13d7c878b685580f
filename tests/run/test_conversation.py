"""Conversations: a session keeps its guarded turns across runs, and never shares them across tenants or users."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import AuthError
from engine.kinds.base import RunContext
from engine.state import fresh_run
from tests.conftest import tenant_yaml
from tests.run.memo import REQUESTS, memo_provider

__all__ = ["memo_provider"]

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: chatproj}
models:
  catalog:
    small: {provider: memo, model_id: memo-v1}
tiers:
  basic: {model: small}
  premium: {model: small}
stores: {checkpointer: STORE, store: STORE}
"""

CHAT = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: chat}
input:
  message: {type: string}
output:
  reply: {type: string}
conversation: {keep_messages: KEEP}
steps:
  - id: answer
    llm: {prompt: "{{ input.message }}", history: HISTORY}
  - return: {reply: "{{ steps.answer.text }}"}
"""

def _project(make_project: Any, *, store: str = "memory", keep: int = 100, history: str = "true") -> Path:
    return make_project({
        "tenantflow.yaml": PROJECT.replace("STORE", store),
        "workflows/hello.yaml": CHAT.replace("KEEP", str(keep)).replace("HISTORY", history),
    }, tenants={
        "alpha": tenant_yaml("alpha", "basic", "guardrails: {pii: {email: redact}, "
                             "leakage: {canaries: [CANARY-alpha-1b2c3d]}}\n"),
        "beta": tenant_yaml("beta", "premium", "guardrails: {leakage: {canaries: [CANARY-beta-9f8e7d]}}\n"),
    })


async def _say(engine: Engine, tenant: str, user: str, session: str, text: str) -> Any:
    return await engine.run("chat", engine.dev_context(tenant, user, session), {"message": text})


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_a_session_keeps_its_turns_and_turn_three_sees_turns_one_and_two(make_project, store) -> None:
    async with Engine.open(_project(make_project, store=store)) as engine:
        await _say(engine, "alpha", "u1", "s1", "my name is Ada")
        await _say(engine, "alpha", "u1", "s1", "I live in Oslo")
        result = await _say(engine, "alpha", "u1", "s1", "where do I live?")
        assert result.output == {"reply": "heard: my name is Ada | I live in Oslo | where do I live?"}
        # The model got the earlier turns as a conversation: user, assistant, user, assistant, user.
        assert [m["role"] for m in REQUESTS[-1].messages] == ["user", "assistant"] * 2 + ["user"]
        kept = await engine.sessions("alpha").messages("u1", "s1")
        assert [m["text"] for m in kept][::2] == ["my name is Ada", "I live in Oslo", "where do I live?"]
        # Per-run fields start afresh: the third run's usage is its own call only.
        assert len(result.usage) == 1


async def test_history_never_crosses_tenants_or_users(make_project) -> None:
    async with Engine.open(_project(make_project)) as engine:
        await _say(engine, "alpha", "u1", "s1", "alpha secret plan")
        # Same user id and session id, other tenant: a thread of its own, nothing of alpha's.
        beta = await _say(engine, "beta", "u1", "s1", "what did I say?")
        assert beta.output == {"reply": "heard: what did I say?"}
        # Same tenant, other user, same session id: nothing of u1's.
        other = await _say(engine, "alpha", "u2", "s1", "what did I say?")
        assert other.output == {"reply": "heard: what did I say?"}
        # Both tenants share one compiled graph: the separation is the thread, checked per run.
        assert engine.compile("chat", "alpha").graph is engine.compile("chat", "beta").graph
        assert [s.user_id for s in await engine.sessions("alpha").list()] == ["u2", "u1"]
        assert [(s.tenant_id, s.user_id) for s in await engine.sessions("beta").list()] == [("beta", "u1")]


async def test_a_run_pointed_at_another_tenants_thread_reads_none_of_its_history(make_project) -> None:
    async with Engine.open(_project(make_project)) as engine:
        await _say(engine, "beta", "u1", "s1", "beta confidential")
        compiled = engine.compile("chat", "alpha")
        ctx = TenantContext(tenant_id="alpha", tier="basic", user_id="u1", session_id="s1")
        REQUESTS.clear()
        with pytest.raises(AuthError, match="does not belong to tenant 'alpha'"):
            await compiled.graph.ainvoke(fresh_run({"message": "what did beta say?"}),
                                         config={"configurable": {"thread_id": "beta:u1:s1"}},
                                         context=RunContext(ctx, engine.services), durability="exit")
        assert REQUESTS == []  # refused before any step: no model saw beta's turns
        assert [m["text"] for m in await engine.sessions("beta").messages("u1", "s1")] == [
            "beta confidential", "heard: beta confidential"]


async def test_the_guards_decide_what_the_conversation_keeps(make_project) -> None:
    async with Engine.open(_project(make_project)) as engine:
        # The input guard redacts alpha's email before the prompt is rendered: the turn keeps the placeholder.
        await _say(engine, "alpha", "u1", "s1", "mail me at ada@example.com")
        kept = await engine.sessions("alpha").messages("u1", "s1")
        assert "ada@example.com" not in str(kept) and "[EMAIL]" in kept[0]["text"]
        # An answer carrying another tenant's canary is blocked by the output guard: the turn is not kept.
        leaked = await _say(engine, "alpha", "u1", "s1", "echo here is CANARY-beta-9f8e7d")
        assert leaked.blocked and leaked.output == {}
        saved = await engine.compile("chat", "alpha").graph.aget_state(
            {"configurable": {"thread_id": "alpha:u1:s1"}})
        # The run's checkpoint keeps neither the answer's turn nor the mark (masked in the step's output too);
        # only the user's own input holds what the user typed.
        assert saved.values["turns"] == [] and "CANARY-beta" not in str(saved.values["steps"])
        assert "CANARY-beta" not in str(saved.values["messages"])
        assert len(await engine.sessions("alpha").messages("u1", "s1")) == 2
        # Nor is an answer carrying a secret, even though the reply field is all that is returned.
        secret = await _say(engine, "alpha", "u1", "s1", "echo AKIAIOSFODNN7EXAMPLE")
        assert secret.blocked
        kept = await engine.sessions("alpha").messages("u1", "s1")
        assert "CANARY-beta" not in str(kept) and "AKIA" not in str(kept) and len(kept) == 2
        # The next turn's model sees only what was kept.
        await _say(engine, "alpha", "u1", "s1", "and now?")
        assert "CANARY-beta" not in str(REQUESTS[-1].messages) and "AKIA" not in str(REQUESTS[-1].messages)


async def test_windows_and_the_kept_bound_trim_the_oldest_turns(make_project) -> None:
    async with Engine.open(_project(make_project, keep=4, history="{messages: 2}")) as engine:
        for text in ("one", "two", "three"):
            await _say(engine, "alpha", "u1", "s1", text)
        # The step's window: the last turn (2 messages) before the new user message.
        assert [m["content"][0]["text"] for m in REQUESTS[-1].messages] == ["two", "heard: one | two", "three"]
        # The workflow keeps 4 messages: turn one was trimmed away.
        assert [m["text"] for m in await engine.sessions("alpha").messages("u1", "s1")][::2] == ["two", "three"]
    async with Engine.open(_project(make_project, history="{tokens: 6}")) as engine:
        for text in ("red green", "blue black", "white"):
            await _say(engine, "alpha", "u2", "s1", text)
        # Turn two saw turn one (2 + 4 tokens); its answer ("heard: red green | blue black", 7 tokens)
        # does not fit 6, so turn three sees nothing before it (a window never opens on an answer).
        assert [m["content"][0]["text"] for m in REQUESTS[-2].messages] == ["red green", "heard: red green",
                                                                              "blue black"]
        assert [m["content"][0]["text"] for m in REQUESTS[-1].messages] == ["white"]


async def test_history_window_needs_exactly_one_bound(make_project) -> None:
    from engine.errors import SpecError
    from engine.project import load_project

    with pytest.raises(SpecError, match="exactly one bound"):
        load_project(_project(make_project, history="{messages: 2, tokens: 5}"))


async def test_sessions_are_listed_and_deleted_one_tenant_at_a_time(make_project, caplog) -> None:
    async with Engine.open(_project(make_project)) as engine:
        await _say(engine, "alpha", "u1", "s1", "hello")
        await _say(engine, "beta", "u1", "s1", "hello")
        # No tenant, an unknown one, or an id that would widen a prefix: refused, and audited.
        caplog.set_level(logging.WARNING, logger="tenantflow")
        for tenant in ("", "gamma", "alpha:u1"):
            with pytest.raises(AuthError, match="session operation refused"):
                engine.sessions(tenant)
        with pytest.raises(AuthError, match="session operation refused"):
            await engine.sessions("alpha").delete("u1:s1", "x")
        with pytest.raises(AuthError, match="session operation refused"):
            await engine.sessions("alpha").list("u1:")
        # alpha's handle deletes alpha's session; beta's, with the same user and session ids, stays.
        assert await engine.sessions("alpha").delete("u1", "s1") is True
        assert await engine.sessions("alpha").list() == []
        assert await engine.sessions("alpha").delete("u1", "s1") is False
        assert len(await engine.sessions("beta").messages("u1", "s1")) == 2


def cli_sessions_round(root: str) -> Callable[..., Any]:
    """Continue, list, show and delete sessions of two tenants through the CLI (each command a new engine, as a
    new process would); the ``cli`` function it used, for more."""
    import json

    from click.testing import CliRunner

    from engine.cli import main

    def cli(*args: str) -> Any:
        result = CliRunner().invoke(main, [*args, "--project", root])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    cli("run", "chat", "--tenant", "alpha", "--user", "u1", "--session", "s1", "--input", '{"message": "I am Ada"}')
    second = cli("run", "chat", "--tenant", "alpha", "--user", "u1", "--session", "s1",
                 "--input", '{"message": "who am I?"}')
    assert second["output"] == {"reply": "heard: I am Ada | who am I?"}  # a new process, the same session
    cli("run", "chat", "--tenant", "beta", "--user", "u1", "--session", "s1", "--input", '{"message": "hi"}')
    assert [(s["tenant"], s["user"], s["session"]) for s in cli("sessions", "--tenant", "alpha")] == [
        ("alpha", "u1", "s1")]
    shown = cli("sessions", "--tenant", "alpha", "--user", "u1", "--show", "s1")
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"] * 2
    assert cli("sessions", "--tenant", "alpha", "--user", "u1", "--delete", "s1")["deleted"] is True
    assert cli("sessions", "--tenant", "alpha") == []
    assert len(cli("sessions", "--tenant", "beta")) == 1
    return cli


def test_the_cli_continues_lists_shows_and_deletes_sessions(make_project) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    root = str(_project(make_project, store="sqlite"))
    cli = cli_sessions_round(root)
    # No unscoped listing: --tenant is required, and a delete names its user.
    assert CliRunner().invoke(main, ["sessions", "--project", root]).exit_code != 0
    refused = CliRunner().invoke(main, ["sessions", "--tenant", "beta", "--delete", "s1", "--project", root])
    assert refused.exit_code != 0 and "need --user" in refused.output
    # A user who leaves: every session of theirs in one tenant goes, the same user id elsewhere stays.
    for tenant, session in (("alpha", "s2"), ("alpha", "s3"), ("beta", "s2")):
        cli("run", "chat", "--tenant", tenant, "--user", "u1", "--session", session, "--input", '{"message": "x"}')
    cli("run", "chat", "--tenant", "alpha", "--user", "u2", "--session", "s2", "--input", '{"message": "x"}')
    assert cli("sessions", "--tenant", "alpha", "--user", "u1", "--purge")["deleted"] == ["s2", "s3"]
    assert [s["user"] for s in cli("sessions", "--tenant", "alpha")] == ["u2"]
    assert {s["session"] for s in cli("sessions", "--tenant", "beta", "--user", "u1")} == {"s1", "s2"}
