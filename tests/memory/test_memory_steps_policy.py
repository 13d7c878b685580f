"""remember and recall follow the step's retry, timeout and on_error like any step."""

from __future__ import annotations

from typing import Any

from langgraph.store.memory import InMemoryStore

from engine.engine import Engine
from engine.project import load_project

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: hello}
input: {text: {type: string}}
memory: {read: [user], write: [user]}
steps:
  - id: keep
    remember: {level: user, key: last, value: {text: "{{ input.text }}"}}
    POLICY
  - return: {kept: "{{ steps.keep.key | default('no') }}"}
"""


class FlakyStore(InMemoryStore):
    """Fails the first ``failures`` writes, as a briefly unavailable database would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def aput(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store unavailable")
        await super().aput(*args, **kwargs)


def _engine(make_project, policy: str, failures: int) -> Engine:
    root = make_project({"workflows/hello.yaml": WORKFLOW.replace("POLICY", policy)})
    return Engine(load_project(root), store=FlakyStore(failures))


async def test_remember_retries_a_transient_store_failure(make_project):
    engine = _engine(make_project, "retry: {attempts: 3, backoff_s: 0}", failures=2)
    result = await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "hi"})
    assert result.output == {"kept": "last"}
    assert result.errors == []


async def test_remember_gives_up_and_follows_on_error(make_project):
    engine = _engine(make_project, "retry: {attempts: 2, backoff_s: 0}\n    on_error: continue", failures=5)
    result = await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "hi"})
    assert [(e["step"], e["error"], e["attempts"]) for e in result.errors] == [("keep", "ConnectionError", 2)]
    assert result.output == {"kept": "no"}
