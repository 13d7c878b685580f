"""The quota counts Cedar policies see (``context.quota``), shared by workers and replicas through Redis.

The runtime started with ``--redis`` records into the meter its limiter
reads, in Redis; two engines on one Redis stand for two workers. The meter's
own exchange of counts is tested in tests/usage/test_redis.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import asyncio as aioredis

from engine.engine import Engine
from engine.policy.authorizer import AccessDenied
from engine.project import load_project
from engine.runtime.config import RuntimeConfig
from engine.usage.redis import RedisMeter
from tests.policy.test_policies import TENANTS, _files, _run
from tests.runtime.support import (
    REDIS_URL,
    SESSION,
    Tokens,
    delete_redis_keys,
    dev_secret,
    redis_or_skip,
    serving,
    write_project,
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    with dev_secret():
        yield write_project(tmp_path / "proj")


def test_the_runtime_with_redis_counts_policy_quotas_there(project: Path) -> None:
    asyncio.run(redis_or_skip())
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    tokens = Tokens(project)
    try:
        with serving(RuntimeConfig(root=project, watch_interval_s=0, redis_url=REDIS_URL,
                                   redis_prefix=prefix)) as (url, app):
            quotas = app.state.service.holder.engine.quotas
            assert isinstance(quotas, RedisMeter) and quotas is app.state.service.meter  # one meter, two readers
            answer = httpx.post(f"{url}/invocations", json={"workflow": "hello", "input": {"text": "hi"}},
                                headers={"Authorization": f"Bearer {tokens('alpha')}", SESSION: "s-1"}, timeout=30)
            assert answer.status_code == 200, answer.text
            # When its slot is given back the run's request is in Redis, under alpha's keys only.
            keys: list[bytes] = []
            deadline = time.monotonic() + 5
            while not any(b":req:" in key for key in keys) and time.monotonic() < deadline:
                keys = asyncio.run(_keys(prefix))
                time.sleep(0.1)
            assert any(b":req:" in key for key in keys)
            assert all(key.startswith(f"{prefix}:{{alpha}}:".encode()) for key in keys)
    finally:
        asyncio.run(delete_redis_keys(prefix))


async def _keys(prefix: str) -> list[bytes]:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        return [key async for key in client.scan_iter(f"{prefix}:*")]
    finally:
        await client.aclose()


async def test_a_policy_threshold_holds_for_the_tenant_across_workers(make_project) -> None:
    """The platform's token-budget policy forbids beta's tool calls once its tokens reach 1,000 today: tokens
    spent through one worker close the tools on the other. Alpha's budget is its own."""
    await redis_or_skip()
    prefix = f"tftest-{uuid.uuid4().hex[:8]}"
    project = load_project(make_project(_files(), tenants=TENANTS))
    one = Engine(project, quotas=RedisMeter.from_url(REDIS_URL, prefix=prefix))
    two = Engine(load_project(project.root), quotas=RedisMeter.from_url(REDIS_URL, prefix=prefix))
    shared_one, shared_two = one.quotas, two.quotas
    assert isinstance(shared_one, RedisMeter) and isinstance(shared_two, RedisMeter)
    try:
        assert (await _run(two, "read", "beta")).steps["call"] == {"key": "k1"}
        shared_one.record_tokens("beta", 1000)  # spent through the first worker
        await shared_one.sync()
        await shared_two.sync()
        with pytest.raises(AccessDenied) as caught:
            await _run(two, "read", "beta")
        assert caught.value.reasons == ("policies/platform.cedar:17",)
        assert (await _run(two, "read", "alpha")).steps["call"] == {"key": "k1"}
    finally:
        await shared_one.close()
        await shared_two.close()
        await delete_redis_keys(prefix)
