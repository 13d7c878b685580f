"""No stored value is quoted in a log line: a memory value PostgreSQL refuses fails the request without its text.

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


def test_a_value_postgres_refuses_is_never_quoted_in_the_log(tmp_path: Path, pg_schemas: Schemas) -> None:
    root = write_project(tmp_path / "proj")
    use_stores(root, pg_schemas.stores_yaml())
    with dev_secret():
        token = Tokens(root)("alpha")
        body = json.dumps({"workflow": "chat", "input": {"text": f"a\u0000{MARKER} card 4111"}})
        with running(RuntimeConfig(root=root, watch_interval_s=0)) as base, captured_logs() as logs:
            answer = httpx.post(f"{base}/invocations", content=body, timeout=30,
                                headers={"Authorization": f"Bearer {token}", SESSION: "s-1"})
            fine = httpx.post(f"{base}/invocations", json={"workflow": "chat", "input": {"text": "plain"}},
                              headers={"Authorization": f"Bearer {token}", SESSION: "s-2"}, timeout=30)
    # Stored as it is, PostgreSQL refuses the value (500); where the value is stored sealed (encryption at rest)
    # it is stored (200). Either way, no log line quotes it.
    assert answer.status_code in (200, 500) and MARKER not in answer.text
    assert fine.status_code == 200  # the pool goes on
    if answer.status_code == 500:
        failed = logs.records("runtime.request_failed")
        assert failed and "details withheld, they may quote stored data" in failed[0]["error_message"]
    assert all(MARKER not in line for line in logs.lines)


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
