"""Silo memory: a tenant with isolation.memory silo gets its own store; pool tenants share one."""

from __future__ import annotations

from pathlib import Path

from engine.engine import Engine
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

    import sqlite3

    shared = sqlite3.connect(root / "data" / "memory.sqlite")
    prefixes = {row[0].split(".")[1] for row in shared.execute("select prefix from store")}
    silo = sqlite3.connect(root / "data" / "tenants" / "acme" / "memory.sqlite")
    silo_prefixes = {row[0].split(".")[1] for row in silo.execute("select prefix from store")}
    assert prefixes == {"alpha", "beta"}
    assert silo_prefixes == {"acme"}
