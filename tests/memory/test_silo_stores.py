"""Silo memory: a tenant with isolation.memory silo gets its own store and checkpointer; pool tenants share one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.errors import AuthError
from engine.memory.checkpoints import SiloNotOpen
from tests.conftest import tenant_yaml

REMEMBERING = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input: {text: {type: string}}
memory: {read: [tenant, user], write: [tenant, user]}
steps:
  - id: keep
    remember: {level: user, key: last, value: {text: "{{ input.text }}"}}
  - id: keep_tenant
    remember: {level: tenant, key: "{{ user.id }}", value: {text: "{{ input.text }}"}}
  - id: look
    recall: {level: user, key: last}
  - return: {seen: "{{ memory.user | map(attribute='text') | list }}"}
"""


async def test_silo_tenant_memory_lives_in_its_own_sqlite_file(make_project):
    root: Path = make_project(
        {"workflows/hello.yaml": REMEMBERING,
         "tenantflow.yaml": make_project().joinpath("tenantflow.yaml").read_text()
         .replace("stores: {checkpointer: memory, store: memory}", "stores: {data_dir: data}")},
        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "basic"),
                 "acme": tenant_yaml("acme", "premium", "isolation: {memory: silo}\n")})
    async with Engine.open(root) as engine:
        for tenant in ("alpha", "beta", "acme"):
            await engine.run("hello", engine.dev_context(tenant, "u1", "s1"), {"text": f"from {tenant}"})
        again = {t: await engine.run("hello", engine.dev_context(t, "u1", "s2"), {"text": "again"})
                 for t in ("alpha", "beta", "acme")}
        assert engine.graph_count() == 1
    # Same user id in three tenants: each sees only its own earlier run.
    assert again["alpha"].output == {"seen": ["from alpha"]}
    assert again["beta"].output == {"seen": ["from beta"]}
    assert again["acme"].output == {"seen": ["from acme"]}
    assert (root / "data" / "tenants" / "acme" / "memory.sqlite").is_file()
    assert not (root / "data" / "tenants" / "alpha").exists()

    shared = sqlite3.connect(root / "data" / "memory.sqlite")
    prefixes = {row[0].split(".")[1] for row in shared.execute("select prefix from store")}
    silo = sqlite3.connect(root / "data" / "tenants" / "acme" / "memory.sqlite")
    silo_prefixes = {row[0].split(".")[1] for row in silo.execute("select prefix from store")}
    assert prefixes == {"alpha", "beta"}
    assert silo_prefixes == {"acme"}


async def test_silo_tenant_checkpoints_live_in_its_own_sqlite_file(make_project):
    root: Path = make_project(
        {"workflows/hello.yaml": REMEMBERING,
         "tenantflow.yaml": make_project().joinpath("tenantflow.yaml").read_text()
         .replace("stores: {checkpointer: memory, store: memory}", "stores: {data_dir: data}")},
        tenants={"alpha": tenant_yaml("alpha", "basic"),
                 "acme": tenant_yaml("acme", "premium", "isolation: {memory: silo}\n")})
    async with Engine.open(root) as engine:
        assert engine.checkpointer is not None
        # Read synchronously before the silo is open: a clear error, not the shared file's (empty) answer.
        with pytest.raises(SiloNotOpen, match="tenant 'acme' keeps its checkpoints apart"):
            engine.checkpointer.get_tuple({"configurable": {"thread_id": "acme:u1:s1", "checkpoint_ns": ""}})
        for tenant in ("alpha", "acme"):
            await engine.run("hello", engine.dev_context(tenant, "u1", "s1"), {"text": f"from {tenant}"})
        # The session goes on from its own checkpointer.
        graph = engine.compile("hello", "acme").graph
        state = await graph.aget_state({"configurable": {"thread_id": "acme:u1:s1"}})
        assert state.values["input"] == {"text": "from acme"}
        # Alpha, inside one of its runs, cannot reach acme's thread: refused before any read.
        with pytest.raises(AuthError):
            await engine.compile("hello", "alpha").graph.ainvoke(
                {"input": {"text": "x"}}, config={"configurable": {"thread_id": "acme:u1:s1"}},
                context=engine.dev_context("alpha", "u1", "s1"))

    def threads(path: Path) -> set[str]:
        with closing(sqlite3.connect(path)) as db:
            return {row[0] for row in db.execute("select distinct thread_id from checkpoints")}

    assert threads(root / "data" / "checkpoints.sqlite") == {"alpha:u1:s1"}
    assert threads(root / "data" / "tenants" / "acme" / "checkpoints.sqlite") == {"acme:u1:s1"}
    # Encrypted there with acme's own key (kept in its own memory file), and nowhere in the shared files.
    silo_bytes = (root / "data" / "tenants" / "acme" / "checkpoints.sqlite").read_bytes()
    assert b"from acme" not in silo_bytes and b"+aesgcm:acme:" in silo_bytes
    assert b"acme" not in (root / "data" / "checkpoints.sqlite").read_bytes() + (root / "data" / "memory.sqlite").read_bytes()
