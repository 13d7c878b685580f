"""Nothing readable at rest: after runs with a card number, an SSN, a token and a conversation, no SQLite file,
PostgreSQL table or log line holds any of them, nor anything of the conversation, without the tenant's key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.engine import Engine
from tests.conftest import tenant_yaml
from tests.memory.postgres_support import Schemas, pg_schemas
from tests.run.memo import memo_provider

__all__ = ["memo_provider", "pg_schemas"]

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: atrest}
models:
  catalog:
    small: {provider: memo, model_id: memo-v1}
tiers:
  basic: {model: small, durability: sync}
"""

CHAT = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: chat}
input:
  message: {type: string}
output:
  reply: {type: string}
memory: {read: [user], write: [user]}
steps:
  - id: answer
    llm: {prompt: "{{ input.message }}", history: true}
  - id: keep
    remember: {level: user, key: last, value: "{{ steps.answer.text }}"}
  - return: {reply: "{{ steps.answer.text }}"}
"""

CARD, SSN, TOKEN = "4111 1111 1111 1111", "078-05-1120", "sk-proj-abcdefghijklmnopqrstuvwxyz123456"
#: Another tenant's (beta's) canary: an answer of alpha that holds it is a leak the output guard blocks.
CANARY = "CANARY-beta-9f8e7d"
#: What the conversation says: every word of it must be unreadable at rest.
SAID = ("my dog is called Bartholomew", "he was born in Reykjavik", "what is my dog called and where was he born")
NEVER = (CARD, CARD.replace(" ", ""), SSN, SSN.replace("-", ""), TOKEN, CANARY, "Bartholomew", "Reykjavik")


def chat_project_with(make_project: Any, stores: str) -> Path:
    return make_project({"tenantflow.yaml": PROJECT + stores, "workflows/chat.yaml": CHAT}, tenants={
        "alpha": tenant_yaml("alpha", "basic"),
        "beta": tenant_yaml("beta", "basic", f"guardrails: {{leakage: {{canaries: [{CANARY}]}}}}\n")})


async def _runs(root: Path) -> None:
    async with Engine.open(root) as engine:
        def say(text: str, tenant: str = "alpha", session: str = "s1") -> Any:
            return engine.run("chat", engine.dev_context(tenant, "u1", session), {"message": text})

        for text in SAID:
            answer = await say(text)
        assert "Bartholomew" in answer.output["reply"] and "Reykjavik" in answer.output["reply"]
        assert (await say(f"my card is {CARD}", session="s2")).blocked
        assert (await say(f"use the token {TOKEN}", session="s3")).blocked
        redacted = await say(f"my ssn is {SSN}", session="s4")
        assert SSN not in str(redacted.output) and not redacted.blocked
        # The model repeats another tenant's canary: the output guard blocks the answer, but the llm step's output
        # was checkpointed (durability sync) before the guard ran: it must not be readable either.
        leaked = await say(f"echo {CANARY}", session="s5")
        assert leaked.blocked and CANARY not in str(leaked.output)
        # The other tenant's conversation is sealed with its own key.
        await say("beta's words are Marmalade", tenant="beta")
        # The conversation is there, for whoever holds the key.
        kept = await engine.sessions("alpha").messages("u1", "s1")
        assert [m["text"] for m in kept][0] == SAID[0]


def _assert_unreadable(stored: bytes, logs: bytes) -> None:
    assert stored  # (the logs may be empty: runs without tool calls log little; what is there is searched)
    for raw in (*NEVER, "Marmalade"):
        assert raw.encode() not in stored, raw
        assert raw.encode() not in logs, raw
    assert b"+aesgcm:alpha:" in stored and b"+aesgcm:beta:" in stored


async def test_no_sqlite_file_or_log_holds_inputs_or_conversation(make_project: Any) -> None:
    from tests.runtime.support import captured_logs

    root = chat_project_with(make_project, "stores: {checkpointer: sqlite, store: sqlite}\n")
    with captured_logs() as logged:
        await _runs(root)
    stored = b"".join(p.read_bytes() for p in (root / ".tenantflow").rglob("*") if p.is_file())
    _assert_unreadable(stored, "\n".join(logged.lines).encode())


async def test_no_postgresql_table_or_log_holds_inputs_or_conversation(make_project: Any,
                                                                       pg_schemas: Schemas) -> None:
    from tests.runtime.support import captured_logs

    root = chat_project_with(make_project, pg_schemas.stores_yaml())
    with captured_logs() as logged:
        await _runs(root)
    stored = pg_schemas.dump() + b"".join(p.read_bytes() for p in (root / ".tenantflow").rglob("*") if p.is_file())
    _assert_unreadable(stored, "\n".join(logged.lines).encode())
    assert b"alpha:u1:s1" in stored  # the thread ids (addresses) are plaintext; what they hold is not


async def test_without_encryption_the_gap_is_real(make_project: Any) -> None:
    """The control: with ``encryption: {provider: none}`` the same runs leave the conversation (and the blocked
    answer) readable, so the tests above fail if sealing stops working, not only if the words change."""
    root = chat_project_with(make_project, "stores: {checkpointer: sqlite, store: sqlite, encryption: {provider: none}}\n")
    await _runs(root)
    stored = b"".join(p.read_bytes() for p in (root / ".tenantflow").rglob("*") if p.is_file())
    assert b"Bartholomew" in stored and b"Marmalade" in stored
    assert CANARY.encode() in stored  # the blocked answer, in the llm step's per-step checkpoint
    for raw in (CARD, SSN, TOKEN):  # the input guard runs before the first checkpoint, sealed or not
        assert raw.encode() not in stored
