"""A two-tenant (plus one silo tenant) project with a retrieve workflow, on SQLite or PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import tenant_yaml
from tests.memory.postgres_support import Schemas

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: knowledge}
models:
  catalog:
    small: {provider: memo, model_id: memo-v1}
tiers:
  basic: {model: small}
"""
KNOWLEDGE = "knowledge: {embeddings: {provider: offline-test-double, dimensions: 128}}"

#: Answer from the tenant's documents: the passages go into the prompt, the memo model repeats its prompt.
ASK = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: ask}
input:
  question: {type: string}
steps:
  - id: docs
    retrieve: {query: "{{ input.question }}", k: 3}
  - id: answer
    llm:
      prompt: "Context: {% for p in steps.docs.passages %}[{{ p.source }}] {{ p.text }} {% endfor %}Question: {{ input.question }}"
  - return: {answer: "{{ steps.answer.text }}", sources: "{{ steps.docs.passages | map(attribute='source') | join(',') }}", dropped: "{{ steps.docs.dropped }}"}
"""

#: Remember a note, recall by a query.
NOTES = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: notes}
input:
  note: {type: string}
  key: {type: string}
  query: {type: string}
memory: {read: [user], write: [user]}
steps:
  - id: keep
    remember: {level: user, key: "{{ input.key }}", value: {text: "{{ input.note }}"}}
  - id: found
    recall: {level: user, query: "{{ input.query }}", limit: 1}
  - return: {found: "{{ steps.found.items | map(attribute='text') | join('|') }}", dropped: "{{ steps.found.dropped }}"}
"""

TENANTS = {
    "alpha": tenant_yaml("alpha", "basic"),
    "beta": tenant_yaml("beta", "basic"),
    "gamma": tenant_yaml("gamma", "basic", "isolation: {rag: silo, memory: silo}\n"),
}


def stores_line(backend: str, schemas: Schemas | None) -> str:
    if backend == "sqlite":
        return f"stores: {{checkpointer: sqlite, store: sqlite, {KNOWLEDGE}}}\n"
    assert schemas is not None
    line = schemas.stores_yaml().rstrip()
    return line[:-1] + f", {KNOWLEDGE}}}\n"


def knowledge_project(make_project: Any, backend: str, schemas: Schemas | None, extra: dict[str, str] | None = None
                      ) -> Path:
    return make_project({"tenantflow.yaml": PROJECT + stores_line(backend, schemas), "workflows/ask.yaml": ASK,
                         "workflows/notes.yaml": NOTES, **(extra or {})}, tenants=TENANTS)


def cli(root: Path, *args: str, ok: bool = True) -> Any:
    result = CliRunner().invoke(main, [*args, "--project", str(root)], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def write_docs(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def sqlite_rows(root: Path, tenant: str, user: str | None = None) -> dict[str, int]:
    """Rows naming ``tenant`` (or its ``user``) in every table of every SQLite file of the project."""
    found: dict[str, int] = {}
    for path in sorted((root / ".tenantflow").rglob("*.sqlite")):
        with closing(sqlite3.connect(path)) as conn:
            tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
                hits = sum(1 for row in rows if any(_names(value, tenant, user) for value in row))
                if hits:
                    found[f"{path.relative_to(root)}:{table}"] = hits
    return found


def postgres_rows(schemas: Schemas, tenant: str, user: str | None = None) -> dict[str, int]:
    found: dict[str, int] = {}
    for schema in schemas.existing():
        for table, rows in schemas.rows(schema).items():
            hits = sum(1 for row in rows if any(_names(value, tenant, user) for value in row))
            if hits:
                found[f"{schema}.{table}"] = hits
    return found


def _names(value: object, tenant: str, user: str | None = None) -> bool:
    """Does a column value name ``tenant`` (or its ``user``) as an id: a tenant column, a thread id, a namespace,
    a memory index scope, a key row."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if user is not None:
        return text.startswith(f"{tenant}:{user}:") or f"tenant.{tenant}.user.{user}" in text \
            or f"tenant/{tenant}/user/{user}" in text
    return text == tenant or text.startswith(f"{tenant}:") or f"tenant.{tenant}" in text \
        or f"tenantflow_keys.{tenant}" in text or f"tenant/{tenant}" in text


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param
