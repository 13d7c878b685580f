"""Conversations over real HTTP, on SQLite and on PostgreSQL: turn 3 uses turns 1 and 2; no one else's turns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from engine.runtime.config import RuntimeConfig
from tests.conftest import REPO, SKILLS_PY, tenant_yaml
from tests.memory.postgres_support import pg_schemas
from tests.run.memo import memo_provider
from tests.runtime.support import IDENTITY_YAML, SESSION, Tokens, dev_secret, running

__all__ = ["memo_provider", "pg_schemas"]

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: chathttp}
models:
  catalog:
    small: {provider: memo, model_id: memo-v1}
tiers:
  basic: {model: small}
"""

CHAT = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: chat}
input:
  message: {type: string}
output:
  reply: {type: string}
steps:
  - id: answer
    llm: {prompt: "{{ input.message }}", history: true}
  - return: {reply: "{{ steps.answer.text }}"}
"""


def _write(root: Path, stores: str) -> Path:
    import shutil

    files = {
        "tenantflow.yaml": PROJECT + stores + IDENTITY_YAML,
        "workflows/chat.yaml": CHAT,
        "skills/shared.py": SKILLS_PY,
        "tenants/alpha/tenant.yaml": tenant_yaml("alpha", "basic", "quotas: {requests_per_minute: 6000}\n"),
        # A silo tenant: its sessions live in its own checkpointer (file or schema).
        "tenants/gamma/tenant.yaml": tenant_yaml("gamma", "basic", "isolation: {memory: silo}\nquotas: {requests_per_minute: 6000}\n"),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "skills" / "bridge", root / "skills" / "bridge",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _conversations(root: Path) -> None:
    tokens = Tokens(root)
    session = "conversation-session-0123456789abcdef"  # AgentCore sends 33 to 256 characters

    def say(http: httpx.Client, tenant: str, user: str, text: str) -> Any:
        response = http.post("/invocations", content=json.dumps({"workflow": "chat", "input": {"message": text}}),
                             headers={"Authorization": f"Bearer {tokens(tenant, user)}", SESSION: session,
                                      "Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        return response.json()["output"]["reply"]

    with dev_secret(), running(RuntimeConfig(root=root, watch_interval_s=0)) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        for tenant in ("alpha", "gamma"):
            say(http, tenant, "u1", f"I am {tenant} u1's first fact")
            say(http, tenant, "u1", "second fact: blue")
            third = say(http, tenant, "u1", "what do you know?")
            assert third == f"heard: I am {tenant} u1's first fact | second fact: blue | what do you know?"
        # Another user of alpha, and the other tenant, with the same session id: nothing of u1's turns.
        assert say(http, "alpha", "u2", "what do you know?") == "heard: what do you know?"
    # A new server process on the same stores: the session goes on where it was.
    with dev_secret(), running(RuntimeConfig(root=root, watch_interval_s=0)) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        assert say(http, "gamma", "u1", "fourth").startswith("heard: I am gamma u1's first fact | second fact")


def test_a_three_turn_conversation_over_http_on_sqlite(tmp_path: Path) -> None:
    root = _write(tmp_path / "proj", "stores: {checkpointer: sqlite, store: sqlite}\n")
    _conversations(root)
    # gamma's sessions are in its own file, never in the shared one; each sealed with its tenant's key.
    shared = (root / ".tenantflow" / "checkpoints.sqlite").read_bytes()
    silo = (root / ".tenantflow" / "tenants" / "gamma" / "checkpoints.sqlite").read_bytes()
    assert b"gamma" not in shared and b"+aesgcm:alpha:" in shared and b"+aesgcm:gamma:" in silo
    assert b"u1's first fact" not in shared + silo


def test_a_three_turn_conversation_over_http_on_postgres(tmp_path: Path, pg_schemas) -> None:
    root = _write(tmp_path / "proj", pg_schemas.stores_yaml())
    _conversations(root)
    # The usage ledger (ids and counts, the operator's metering: docs/observability.md) is one table for all.
    shared = b"".join(repr(r).encode() for table, rows in pg_schemas.rows(pg_schemas.shared).items()
                      if table != "usage_runs" for r in rows)
    silo = b"".join(repr(r).encode() for rows in pg_schemas.rows(pg_schemas.silo("gamma")).values() for r in rows)
    assert b"gamma" not in shared and b"+aesgcm:alpha:" in shared and b"+aesgcm:gamma:" in silo
    assert b"u1's first fact" not in shared + silo
