"""A tenant whose plain ``def`` skills block does not starve another tenant's blocking skills.

Before, every blocking skill ran on asyncio's default executor (6 threads
here), one queue for all tenants (issue 18). Real engine, two tenants, a
skill that sleeps in its thread.
"""

from __future__ import annotations

import asyncio
import threading
import time

from engine.engine import Engine
from engine.project import load_project
from engine.skills.threads import THREADS_PER_TENANT, TenantThreads
from tests.conftest import SKILLS_PY

BLOCKING_PY = '''\
import threading
import time

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

RUNNING = {}
PEAK = {}
LOCK = threading.Lock()


@skill("block")
def block(*, seconds: float, ctx: SkillContext) -> dict:
    tenant = ctx.tenant.tenant_id
    with LOCK:
        RUNNING[tenant] = RUNNING.get(tenant, 0) + 1
        PEAK[tenant] = max(PEAK.get(tenant, 0), RUNNING[tenant])
    time.sleep(seconds)
    with LOCK:
        RUNNING[tenant] -= 1
    return {"thread": threading.current_thread().name, "peak": PEAK[tenant]}
'''

BLOCK_YAML = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: block}
input:
  seconds: {type: number}
steps:
  - id: wait
    skill: block
    with: {seconds: "{{ input.seconds }}"}
  - return: {thread: "{{ steps.wait.thread }}", peak: "{{ steps.wait.peak }}"}
"""


async def test_one_tenants_blocking_skills_do_not_queue_anothers(make_project) -> None:
    root = make_project({"skills/shared.py": SKILLS_PY, "skills/blocking.py": BLOCKING_PY,
                         "workflows/block.yaml": BLOCK_YAML})
    engine = Engine(load_project(root))
    alpha = [engine.run("block", engine.dev_context("alpha", "u1", f"s{n}"), {"seconds": 0.4}) for n in range(24)]
    flood = [asyncio.ensure_future(run) for run in alpha]
    await asyncio.sleep(0.1)  # alpha's calls fill its threads and queue behind them
    started = time.perf_counter()
    result = await engine.run("block", engine.dev_context("beta", "u1", "s-b"), {"seconds": 0.05})
    beta_s = time.perf_counter() - started
    results = await asyncio.gather(*flood)
    assert beta_s < 0.8, beta_s  # on the shared executor: behind 24 x 0.4 s / 6 threads, about 1.5 s
    assert result.output["thread"].startswith("skill-beta")
    assert {r.output["thread"].rsplit("_", 1)[0] for r in results} == {"skill-alpha"}
    assert max(int(r.output["peak"]) for r in results) == THREADS_PER_TENANT  # alpha's own bound


async def test_pools_are_kept_for_the_tenants_that_used_one_last() -> None:
    threads = TenantThreads(per_tenant=2, max_pools=2)
    names = [await threads.run(t, lambda: threading.current_thread().name) for t in ("a", "b", "c")]
    assert [n.rsplit("_", 1)[0] for n in names] == ["skill-a", "skill-b", "skill-c"]
    assert list(threads._pools) == ["b", "c"]
