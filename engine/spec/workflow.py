"""The workflow file: metadata, input/output, memory plan and steps.

A step's common keys (``id``, ``with``, ``retry``, ``on_error``, ...) are
here; the key that names its kind (``llm``, ``loop``, ...) and that key's
shape belong to the kind's own module (:mod:`engine.kinds`). The concrete
``Step`` and ``WorkflowSpec`` models are built from the registered kinds by
:meth:`engine.kinds.registry.StepKinds.models`; the classes here are their
bases, and the types the rest of the engine reads them as.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from engine.spec.common import FieldSpec, Ident, RetrySpec, Strict

MemoryLevel = Literal["global", "strategy", "tenant", "user", "session"]
Durability = Literal["sync", "async", "exit"]


class Step(Strict):
    """One step. Exactly one kind key (``skill``, ``llm``, ...) says what it does."""

    #: Kind key -> field name, in registration order; set on the model built from the registry.
    kind_fields: ClassVar[dict[str, str]] = {}
    #: Kinds whose steps may go without an id (``return``); set on the model built from the registry.
    optional_id: ClassVar[frozenset[str]] = frozenset()

    id: Ident | None = None
    description: str = ""
    with_: dict[str, Any] | None = Field(default=None, alias="with")
    retry: RetrySpec | None = None
    timeout_s: float | None = Field(default=None, gt=0, le=3600)
    #: A step id to go to when the step fails, "continue" to go on, or "fail".
    on_error: str | None = None
    #: The step to go to after this one (default: the next in the list).
    next: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        keys = list(cls.kind_fields)
        kinds = [k for k in keys if k in data]
        if len(kinds) > 1:
            raise ValueError(f"a step has exactly one kind, this one has {len(kinds)}: {', '.join(kinds)}")
        if not kinds:
            known = {f.alias or name for name, f in cls.model_fields.items()}
            if any(key not in known for key in data):
                # pydantic reports the unknown key itself, with a did-you-mean.
                return data
            raise ValueError(f"step has no kind: add one of {', '.join(keys)}")
        if kinds[0] not in cls.optional_id and "id" not in data:
            raise ValueError(f"missing required field 'id' (every {kinds[0]} step needs an id)")
        return data

    @property
    def kind(self) -> str:
        for kind, name in self.kind_fields.items():
            if getattr(self, name) is not None:
                return kind
        raise AssertionError("validated step without kind")

    @property
    def body(self) -> Any:
        """The value of the step's kind key (an ``LlmSpec``, a skill name, ...)."""
        return getattr(self, self.kind_fields[self.kind])


class MemoryPlan(Strict):
    read: list[MemoryLevel] = Field(default_factory=list)
    write: list[MemoryLevel] = Field(default_factory=list)


class ConversationSpec(Strict):
    """What a session keeps of its conversation, for the workflow's ``llm`` steps with ``history``."""

    #: Messages kept in the session's checkpoint; older ones are dropped as new turns arrive.
    keep_messages: int = Field(default=100, ge=2, le=10_000)
    #: What happens when the kept messages or a step's window are full: ``trim`` drops the oldest
    #: turns (whole turns: a window starts on a user message). Summarizing is not built.
    when_full: Literal["trim"] = "trim"


class WorkflowMeta(Strict):
    name: Ident
    version: int | str = 1
    strategy: Ident | None = None
    description: str = ""


class WorkflowSpec(Strict):
    api_version: Literal["tenantflow/v1"] = Field(alias="apiVersion")
    kind: Literal["Workflow"]
    metadata: WorkflowMeta
    input: dict[str, FieldSpec] = Field(default_factory=dict)
    output: dict[str, FieldSpec] = Field(default_factory=dict)
    memory: MemoryPlan = Field(default_factory=MemoryPlan)
    conversation: ConversationSpec = Field(default_factory=ConversationSpec)
    #: When runs of this workflow write checkpoints (LangGraph's durability): ``sync`` after every
    #: step, before the next starts; ``async`` after every step, in the background; ``exit`` once,
    #: at the end. Unset: the tier's, else ``exit``.
    durability: Durability | None = None
    steps: list[Step] = Field(min_length=1)
