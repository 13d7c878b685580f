"""No stored value is quoted in a log line: a memory value PostgreSQL would refuse fails the request without its text.

PostgreSQL cannot store a NUL character in text or JSON; its DataError
quotes the first bytes of the value, and the runtime used to log that
message (issue 18). Real PostgreSQL (tests/memory/postgres_support.py), real
HTTP; the value carries a marker that must appear in no log line.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest

from engine.runtime.config import RuntimeConfig
from engine.runtime.logs import failure
from tests.memory.postgres_support import DSN, Schemas, pg_schemas
from tests.runtime.support import SESSION, Tokens, captured_logs, dev_secret, running, use_stores, write_project

__all__ = ["pg_schemas"]

MARKER = "marker-5e0c91"


@pytest.mark.parametrize("encryption", ["none", "local"])
def test_a_nul_character_in_a_memory_value_is_a_400_and_never_quoted(tmp_path: Path, pg_schemas: Schemas,
                                                                     encryption: str) -> None:
    """PostgreSQL cannot store NUL: a value holding one is refused before the store with 400 ``memory-value``,
    with encryption none (where PostgreSQL itself would refuse it) and sealed alike; the value is in no log line
    and in no answer."""
    root = write_project(tmp_path / "proj")
    use_stores(root, pg_schemas.stores_yaml().rstrip()[:-1] + f", encryption: {{provider: {encryption}}}}}\n")
    with dev_secret():
        token = Tokens(root)("alpha")
        body = json.dumps({"workflow": "chat", "input": {"text": f"a\u0000{MARKER} card 4111"}})
        with running(RuntimeConfig(root=root, watch_interval_s=0)) as base, captured_logs() as logs:
            answer = httpx.post(f"{base}/invocations", content=body, timeout=30,
                                headers={"Authorization": f"Bearer {token}", SESSION: "s-1"})
            fine = httpx.post(f"{base}/invocations", json={"workflow": "chat", "input": {"text": "plain"}},
                              headers={"Authorization": f"Bearer {token}", SESSION: "s-2"}, timeout=30)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "memory-value" and "NUL character (U+0000)" in answer.json()["details"]
    assert MARKER not in answer.text and "4111" not in answer.text
    assert fine.status_code == 200  # the pool goes on
    assert not logs.records("runtime.request_failed")
    assert all(MARKER not in line and "4111" not in line for line in logs.lines)
    # Nothing of it was stored.
    rows = [row for schema in pg_schemas.existing() for table, found in pg_schemas.rows(schema).items()
            if table == "store" for row in found]
    assert rows and all(MARKER not in str(row) for row in rows)


def test_postgres_errors_that_quote_a_value_are_logged_without_it(pg_schemas: Schemas) -> None:
    """The DataError itself, from the real server: its message quotes the value; the log line does not."""
    with psycopg.connect(DSN) as conn, pytest.raises(psycopg.DataError) as caught:
        conn.execute("SELECT %s::jsonb", (json.dumps({"value": f"a\u0000{MARKER}"}),))
    assert MARKER in str(caught.value) or "\\u0000" in str(caught.value)  # the driver's text quotes the data
    with captured_logs() as logs:
        failure("runtime.request_failed", caught.value, **{"request.id": "r1"})
    (record,) = logs.records("runtime.request_failed")
    assert record["error_message"] == ("UntranslatableCharacter (SQLSTATE 22P05: a value holds a NUL character or an "
                                       "escape PostgreSQL cannot store as text): details withheld, they may quote "
                                       "stored data")
    # The stack shows this test's source lines (their text, not the value): the value itself is nowhere.
    assert all(MARKER not in line and f'a\\u0000{MARKER}' not in line for line in logs.lines)
