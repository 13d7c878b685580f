"""The workflow test file (``kind: WorkflowTest``): cases run offline with scripted models and tool mocks.

Test files live next to the workflows, in ``workflows/tests/`` (the project
loader reads only ``workflows/*.yaml``, so they are never taken for
workflows)::

    apiVersion: tenantflow/v1
    kind: WorkflowTest
    metadata: {name: support-triage}
    workflow: support-triage
    tenants: [globex, initech, acme]       # default: every tenant that runs it
    model:                                 # scripted answers, as in fixtures/scripted.yaml
      responses:
        - {step: draft, json: {reply: "[{model}] Thanks!"}}
    mocks:                                 # skills and tools replaced for every case
      kb.search: {output: {query: x, articles: []}}
    cases:
      - name: a billing ticket gets the invoices
        input: {ticket: "I was charged twice", customer_id: cus_1001}
        mocks:
          billing.get_invoices: {output: {customer_id: cus_1001, invoices: []}}
        expect:
          output: {category: billing}
          ran: [classify, lookup, draft]
          skipped: [search]
          models: {draft: tier}
        expect_by_tenant:
          acme: {ran: [compliance_note]}

Values under ``expect`` compare as a subset: a mapping checks only the keys
it names, a list checks its length and each item the same way, anything
else must be equal.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from engine.spec.common import Ident, Strict
from engine.spec.scripted import ScriptedResponse
from engine.spec.workflow import MemoryLevel


class ScriptedModel(Strict):
    """Scripted model answers (the format of fixtures/scripted.yaml): the first matching response wins."""

    responses: list[ScriptedResponse] = Field(default_factory=list)
    default: str | None = None


class MockSpec(Strict):
    """What a mocked skill or tool does: return ``output``, return ``outputs`` in turn, or fail with ``error``."""

    output: Any = None
    #: One per call, in order; the last one repeats.
    outputs: list[Any] | None = Field(default=None, min_length=1)
    #: Every call fails with this message.
    error: str | None = Field(default=None, min_length=1)
    #: Whether the error is transient (the step's retry policy retries it, with its real backoff).
    retryable: bool = False

    @model_validator(mode="before")
    @classmethod
    def _one_behaviour(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [k for k in ("output", "outputs", "error") if k in data]
            if len(given) != 1:
                raise ValueError("a mock needs exactly one of 'output', 'outputs' or 'error'"
                                 + (f", this one has {', '.join(given)}" if given else ""))
            if "retryable" in data and "error" not in data:
                raise ValueError("'retryable' only applies to an 'error' mock")
        return data


class Expectation(Strict):
    """What a run must show. Every key is optional; only the keys given are checked."""

    #: Output fields (a subset).
    output: dict[str, Any] | None = None
    #: Output fields whose text must match a regular expression (searched).
    output_matches: dict[str, str] | None = None
    #: false: not blocked; true: blocked; a string: blocked with a message containing it.
    blocked: bool | str | None = None
    #: The run must fail with an error whose message contains this text.
    fails: str | None = None
    #: Steps that ran.
    ran: list[str] | None = None
    #: Steps that did not run.
    skipped: list[str] | None = None
    #: Step outputs by step id (subsets).
    steps: dict[str, Any] | None = None
    #: The model of each LLM (or prompt skill) step: a catalog alias, ``tier`` (the tenant's own/tier
    #: model), or a model id.
    models: dict[str, str] | None = None
    #: Guardrail records, in order, each compared on the keys it gives (``[]``: none).
    guard: list[dict[str, Any]] | None = None
    #: Step errors the workflow handled (on_error), each compared on the keys it gives.
    errors: list[dict[str, Any]] | None = None
    #: Inputs each mock received, call by call, each compared on the keys it gives.
    calls: dict[str, list[dict[str, Any]]] | None = None


class CaseSpec(Strict):
    """One case: an input, run for each of its tenants."""

    name: str = Field(min_length=1)
    description: str = ""
    #: Tenants to run it for (default: the file's).
    tenants: list[Ident] | None = Field(default=None, min_length=1)
    user: Ident = "test-user"
    input: dict[str, Any] = Field(default_factory=dict)
    #: Memory items present before the run: level -> key -> value (a mapping).
    memory: dict[MemoryLevel, dict[str, dict[str, Any]]] = Field(default_factory=dict)
    #: Scripted answers tried before the file's.
    model: ScriptedModel | None = None
    #: Mocks for this case, over the file's.
    mocks: dict[str, MockSpec] = Field(default_factory=dict)
    expect: Expectation = Field(default_factory=Expectation)
    #: Per tenant, expectation keys that replace those of ``expect``.
    expect_by_tenant: dict[Ident, Expectation] = Field(default_factory=dict)


class WorkflowTestMeta(Strict):
    name: Ident
    description: str = ""


class WorkflowTestSpec(Strict):
    api_version: Literal["tenantflow/v1"] = Field(alias="apiVersion")
    kind: Literal["WorkflowTest"]
    metadata: WorkflowTestMeta
    #: The workflow under test.
    workflow: Ident
    #: Tenants every case runs for, unless a case names its own (default: every tenant that runs the workflow).
    tenants: list[Ident] = Field(default_factory=list)
    model: ScriptedModel | None = None
    mocks: dict[str, MockSpec] = Field(default_factory=dict)
    cases: list[CaseSpec] = Field(min_length=1)
