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


async def test_a_nul_character_fails_the_step_marked_as_the_inputs_only_when_the_input_brought_it(make_project):
    import pytest

    from engine.errors import RunError

    engine = _engine(make_project, "", failures=0)
    with pytest.raises(RunError) as from_input:
        await engine.run("hello", engine.dev_context("alpha", "u1", "s1"), {"text": "a\x00b"})
    assert from_input.value.failure.kind == "MemoryValueRefused"
    assert from_input.value.failure.details.get("client_input") == "memory-value"
    # A NUL the workflow itself made (here a template; a model or skill output alike) is not the caller's error.
    made = WORKFLOW.replace('"{{ input.text }}"', "\"{{ input.text ~ '\\\\x00' }}\"").replace("POLICY", "")
    root = make_project({"workflows/hello.yaml": made})
    engine = Engine(load_project(root), store=InMemoryStore())
    with pytest.raises(RunError) as from_workflow:
        await engine.run("hello", engine.dev_context("beta", "u1", "s1"), {"text": "plain"})
    assert from_workflow.value.failure.kind == "MemoryValueRefused"
    assert "client_input" not in from_workflow.value.failure.details
    # on_error routes around it like any step failure.
    engine = _engine(make_project, "on_error: continue", failures=0)
    result = await engine.run("hello", engine.dev_context("alpha", "u1", "s2"), {"text": "a\x00b"})
    assert [(e["step"], e["error"]) for e in result.errors] == [("keep", "MemoryValueRefused")]
