"""The workflow file: metadata, input/output, memory plan and steps."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from engine.spec.common import FieldSpec, Ident, RetrySpec, Strict

MemoryLevel = Literal["global", "strategy", "tenant", "user", "session"]

#: Each step has exactly one of these keys; it names the step's kind.
STEP_KINDS = ("skill", "llm", "tool", "switch", "parallel", "loop", "call", "set", "return", "remember", "recall")


class LlmSpec(Strict):
    """An LLM step: prompt, model choice and optional structured output."""

    prompt: str
    system: str | None = None
    #: "tier" takes the tenant's model (its own, else its tier's); any other
    #: value pins a catalog alias, allowed only if the tenant's tier allows it.
    model: str = "tier"
    output: dict[str, FieldSpec] | None = None
    tools: list[str] = Field(default_factory=list)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=1)
    max_tool_turns: int = Field(default=4, ge=1, le=20)


class SwitchCase(Strict):
    when: str | None = None
    goto: str | None = None
    default: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> SwitchCase:
        if self.default is not None:
            if self.when is not None or self.goto is not None:
                raise ValueError("a default case has only 'default: STEP'")
        elif self.when is None or self.goto is None:
            raise ValueError("a case needs both 'when: EXPRESSION' and 'goto: STEP' (or is 'default: STEP')")
        return self


class ParallelSpec(Strict):
    branches: dict[Ident, list[Step]] = Field(min_length=2)


class LoopSpec(Strict):
    #: Required: every loop is bounded.
    max_iterations: int | None = Field(default=None, ge=1, le=1000)
    until: str | None = None
    steps: list[Step] = Field(min_length=1)


class RememberSpec(Strict):
    level: MemoryLevel
    key: str
    value: Any


class RecallSpec(Strict):
    level: MemoryLevel
    key: str | None = None
    query: str | None = None
    limit: int = Field(default=10, ge=1, le=100)


class Step(Strict):
    """One step. Exactly one kind key (``skill``, ``llm``, ...) says what it does."""

    id: Ident | None = None
    description: str = ""
    skill: str | None = None
    llm: LlmSpec | None = None
    tool: str | None = None
    switch: list[SwitchCase] | None = Field(default=None, min_length=1)
    parallel: ParallelSpec | None = None
    loop: LoopSpec | None = None
    call: str | None = None
    set: dict[str, Any] | None = None
    return_: dict[str, Any] | None = Field(default=None, alias="return")
    remember: RememberSpec | None = None
    recall: RecallSpec | None = None
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
        kinds = [k for k in STEP_KINDS if k in data]
        if len(kinds) > 1:
            raise ValueError(f"a step has exactly one kind, this one has {len(kinds)}: {', '.join(kinds)}")
        if not kinds:
            known = {f.alias or name for name, f in cls.model_fields.items()}
            if any(key not in known for key in data):
                # pydantic reports the unknown key itself, with a did-you-mean.
                return data
            raise ValueError(f"step has no kind: add one of {', '.join(STEP_KINDS)}")
        if kinds[0] != "return" and "id" not in data:
            raise ValueError(f"missing required field 'id' (every {kinds[0]} step needs an id)")
        return data

    @property
    def kind(self) -> str:
        for kind in STEP_KINDS:
            if getattr(self, "return_" if kind == "return" else kind) is not None:
                return kind
        raise AssertionError("validated step without kind")


class MemoryPlan(Strict):
    read: list[MemoryLevel] = Field(default_factory=list)
    write: list[MemoryLevel] = Field(default_factory=list)


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
    steps: list[Step] = Field(min_length=1)


ParallelSpec.model_rebuild()
LoopSpec.model_rebuild()
