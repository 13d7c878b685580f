"""Per-tenant limits over HTTP: two runtime replicas on one Redis enforce one rate limit and one daily budget.

The meter itself (bucket, concurrency, daily tokens, in process and through
Redis) is tested in tests/usage. This test uses the Redis at 127.0.0.1:6379;
it skips when Redis cannot be reached, unless TENANTFLOW_REQUIRE_SERVICES=1
(CI), where it fails instead.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.runtime.config import RuntimeConfig
from tests.runtime.support import (
    REDIS_URL,
    SESSION,
    Tokens,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    running,
    write_project,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path_factory.mktemp("limits") / "proj")


def test_two_runtime_replicas_enforce_one_rate_limit_over_http(project: Path) -> None:
    asyncio.run(redis_or_skip())
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    config = RuntimeConfig(root=project, watch_interval_s=0, redis_url=REDIS_URL, redis_prefix=prefix)
    token = Tokens(project)("trickle")  # a bucket of 1
    body = json.dumps({"workflow": "hello", "input": {"text": "hi"}})
    headers = {"Authorization": f"Bearer {token}", SESSION: "s-1"}
    try:
        with running(config) as first, running(config) as second:
            assert httpx.post(f"{first}/invocations", content=body, headers=headers, timeout=30).status_code == 200
            refused = httpx.post(f"{second}/invocations", content=body, headers=headers, timeout=30)
    finally:
        asyncio.run(delete_redis_keys(prefix))
    assert refused.status_code == 429
    assert refused.json()["code"] == "requests_per_minute"
    assert int(refused.headers["retry-after"]) >= 1


def test_tokens_a_run_used_on_one_replica_close_the_tenants_day_on_the_other(project: Path) -> None:
    """The run's engine records its tokens into the meter; the slot given back adds them to Redis, where the
    other replica's admission reads them at once. A neighbour's budget is its own."""
    asyncio.run(redis_or_skip())
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    config = RuntimeConfig(root=project, watch_interval_s=0, redis_url=REDIS_URL, redis_prefix=prefix)
    tokens = Tokens(project)
    body = json.dumps({"workflow": "hello", "input": {"text": "hi"}})

    def invoke(url: str, tenant: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens(tenant)}", SESSION: "s-1"}
        return httpx.post(f"{url}/invocations", content=body, headers=headers, timeout=30)

    try:
        with running(config) as first, running(config) as second:
            assert invoke(first, "thrifty").status_code == 200  # uses more than its 1 token a day
            refused = invoke(second, "thrifty")
            neighbour = invoke(second, "alpha")
    finally:
        asyncio.run(delete_redis_keys(prefix))
    assert (refused.status_code, refused.json()["code"]) == (429, "tokens_per_day")
    assert 0 < int(refused.headers["retry-after"]) <= 86401
    assert neighbour.status_code == 200
