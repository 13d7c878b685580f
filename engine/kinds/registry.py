"""The registry of step kinds and node kinds, and the spec models built from it.

Built once, on first use, from the engine's own kinds, the
``tenantflow.step_kinds`` entry points of installed packages, and kinds
registered by :func:`register_step_kind`; reset with :func:`reset_step_kinds`
(tests). A name registered twice is an error, never a silent replacement.

>>> kinds = step_kinds()
>>> kinds.kind("llm").work, kinds.kind("switch").work
(True, False)
>>> list(kinds.keys)[:3]
['skill', 'llm', 'tool']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from pydantic import Field, create_model

from engine.errors import Problem, SpecError
from engine.kinds.base import NodeKind, StepKind
from engine.spec.source import DocPath
from engine.spec.workflow import Step, WorkflowSpec

#: Entry point group a package registers its own step kinds in (a StepKind subclass or instance).
ENTRY_POINTS = "tenantflow.step_kinds"

#: The engine's kinds, in the order their keys are listed to authors.
BUILTIN = (
    "engine.kinds.skill:Skill", "engine.kinds.llm:Llm", "engine.kinds.tool:Tool", "engine.kinds.switch:Switch",
    "engine.kinds.parallel:Parallel", "engine.kinds.loop:Loop", "engine.kinds.call:Call", "engine.kinds.set:Set",
    "engine.kinds.return_:Return", "engine.kinds.remember:Remember", "engine.kinds.recall:Recall",
    "engine.kinds.retrieve:Retrieve", "engine.kinds.ask:Ask",
)
#: The engine's own nodes: not written by authors, added by lowering.
ENGINE_NODES = ("engine.kinds.guard:GuardInput", "engine.kinds.guard:GuardOutput",
                "engine.kinds.memory_load:MemoryLoad")


class StepKinds:
    """Step kinds by YAML key and node kinds by IR kind, with the spec models built from them."""

    def __init__(self, kinds: Iterable[StepKind], engine_nodes: Iterable[NodeKind] = ()):
        self.kinds: dict[str, StepKind] = {}
        self.nodes: dict[str, NodeKind] = {}
        for node in engine_nodes:
            self._add_node(node)
        for kind in kinds:
            if kind.name in self.kinds:
                raise ValueError(f"step kind '{kind.name}' is registered twice")
            self.kinds[kind.name] = kind
            for node in (kind, *kind.helper_nodes):
                self._add_node(node)

    def _add_node(self, node: NodeKind) -> None:
        if node.name in self.nodes:
            raise ValueError(f"node kind '{node.name}' is registered twice")
        if type(node).build is NodeKind.build:
            raise ValueError(f"node kind '{node.name}' builds no node: define its build(node, b)")
        self.nodes[node.name] = node

    @property
    def keys(self) -> Iterator[str]:
        return iter(self.kinds)

    def kind(self, key: str) -> StepKind:
        return self.kinds[key]

    def of(self, step: Step) -> StepKind:
        return self.kinds[step.kind]

    def node(self, name: str) -> NodeKind:
        return self.nodes[name]

    @cached_property
    def work(self) -> frozenset[str]:
        """Node kinds that do work: the input guard must come before every one of them."""
        return frozenset(name for name, node in self.nodes.items() if node.work)

    @cached_property
    def step_model(self) -> type[Step]:
        return self._models[0]

    @cached_property
    def workflow_model(self) -> type[WorkflowSpec]:
        return self._models[1]

    @cached_property
    def _models(self) -> tuple[type[Step], type[WorkflowSpec]]:
        # Nested kinds name the step model by the string "TenantflowStep" (no module defines that name, so it stays
        # a forward reference): it is resolved once every kind has its field.
        fields: dict[str, Any] = {}
        kind_fields: dict[str, str] = {}
        for key, kind in self.kinds.items():
            name = kind.field_name or key
            kind_fields[key] = name
            alias = key if name != key else None
            fields[name] = (kind.spec_type("TenantflowStep") | None, Field(default=None, alias=alias,
                                                                             **kind.constraints))
        step = create_model("Step", __base__=Step, __doc__=Step.__doc__, __module__=Step.__module__, **fields)
        step.kind_fields = kind_fields
        step.optional_id = frozenset(key for key, kind in self.kinds.items() if not kind.needs_id)
        namespace = {"TenantflowStep": step}
        for value in fields.values():
            for model in _models_in(value[0]):
                model.model_rebuild(_types_namespace=namespace)
        step.model_rebuild(_types_namespace=namespace)
        workflow = create_model("WorkflowSpec", __base__=WorkflowSpec, __module__=WorkflowSpec.__module__,
                                steps=(list[step], Field(min_length=1)))  # type: ignore[valid-type]
        return step, workflow

    def iter_steps(self, steps: list[Step], path: DocPath = ("steps",)) -> list[tuple[DocPath, Step]]:
        """Every step with its document path, nested ones (parallel branches, loop bodies) included."""
        found: list[tuple[DocPath, Step]] = []
        for i, step in enumerate(steps):
            here = (*path, i)
            found.append((here, step))
            kind = self.kinds[step.kind]
            for sub, inner in kind.children(step.body):
                found += self.iter_steps(inner, (*here, step.kind, *sub))
        return found


def _models_in(annotation: Any) -> Iterator[Any]:
    """Pydantic models inside a type annotation (``X | None``, ``list[X]``...)."""
    if hasattr(annotation, "model_rebuild"):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _models_in(arg)


_registered: list[StepKind] = []
_current: StepKinds | None = None


def register_step_kind(kind: StepKind | type[StepKind]) -> None:
    """Add a step kind for every workflow compiled after this call (a project's own kinds).

    >>> class Echo(StepKind):                                        # doctest: +SKIP
    ...     name, spec = "echo", str
    >>> register_step_kind(Echo)                                     # doctest: +SKIP
    """
    global _current
    instance = kind() if isinstance(kind, type) else kind
    if any(k.name == instance.name for k in _registered):
        raise ValueError(f"step kind '{instance.name}' is registered twice")
    _registered.append(instance)
    _current = None


def reset_step_kinds() -> None:
    """Forget registered kinds and reread entry points on next use (tests)."""
    global _current
    _registered.clear()
    _current = None


def step_kinds() -> StepKinds:
    """The registry: the engine's kinds, installed packages' kinds, then registered ones."""
    global _current
    if _current is None:
        kinds = [_load(ref) for ref in BUILTIN]
        problems: list[Problem] = []
        for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
            try:
                loaded = point.load()
            except Exception as exc:  # a broken plugin is reported, with its name, never half-loaded
                problems.append(Problem(f"entry point {point.name} = {point.value}", 0, 0, "",
                                        f"cannot load step kind: {exc.__class__.__name__}: {exc}",
                                        code="step-kind-plugin"))
                continue
            kinds.append(loaded() if isinstance(loaded, type) else loaded)
        if problems:
            raise SpecError(problems)
        try:
            _current = StepKinds([*kinds, *_registered], [_load(ref) for ref in ENGINE_NODES])
        except ValueError as exc:
            raise SpecError([Problem(ENTRY_POINTS, 0, 0, "", str(exc), code="step-kind-plugin")]) from None
    return _current


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(import_module(module), name)()
