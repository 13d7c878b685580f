"""The skill and tool registry: name + version + scope -> implementation.

Scope is ``"shared"`` for ``skills/`` and the tenant id for
``tenants/<id>/skills/``. Resolution at run time takes the tenant's own
implementation if there is one, else the shared one.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from engine.errors import TenantflowError
from engine.skills.threads import tenant_threads
from engine.spec.fields import describe, for_fields, with_defaults
from engine.spec.skill import SkillSpec

SHARED = "shared"
Kind = Literal["skill", "tool"]


class SkillInputError(TenantflowError, ValueError):
    """Arguments given to a skill do not match its typed inputs (never retried)."""

    code = "skill-input"


class SkillOutputError(TenantflowError, ValueError):
    """A skill returned a value its return type does not allow (a bug in the skill: never retried)."""

    code = "skill-output"


@dataclass(frozen=True)
class SkillDef:
    """One registered implementation of a skill or tool."""

    kind: Kind
    name: str
    version: str
    scope: str
    source: str
    description: str = ""
    fn: Callable[..., Any] | None = None
    prompt: SkillSpec | None = None
    input_model: type[BaseModel] | None = None
    output_adapter: TypeAdapter[Any] | None = field(default=None, compare=False)

    @property
    def is_async(self) -> bool:
        return self.fn is not None and inspect.iscoroutinefunction(self.fn)

    def validate_inputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        if self.prompt is not None:
            problems = for_fields(self.prompt.input).messages(inputs)
            if problems:
                raise SkillInputError(f"skill '{self.name}' got bad inputs: {describe(problems)}")
            return with_defaults(self.prompt.input, inputs)
        if self.input_model is None:
            return inputs
        return self._validated(inputs).model_dump()

    def arguments(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments of the callable: ``inputs`` validated and typed as its signature says (a
        parameter typed with a Pydantic model gets the model, not the dict that stands for it)."""
        if self.input_model is None:
            return inputs
        validated = self._validated(inputs)
        return {name: getattr(validated, name) for name in type(validated).model_fields}

    def _validated(self, inputs: dict[str, Any]) -> BaseModel:
        assert self.input_model is not None
        try:
            return self.input_model.model_validate(inputs)
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(input)'}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise SkillInputError(f"{self.kind} '{self.name}' got bad inputs: {details}") from None

    @functools.cached_property
    def output_keys(self) -> frozenset[str] | None:
        """The keys its answer has, where its type says (a pydantic model or TypedDict, a prompt skill's
        ``output:``); None when any key may come back. Computed once per implementation."""
        if self.prompt is not None:
            spec = self.prompt.llm
            return frozenset(spec.output) if spec.output else frozenset({"text"})
        if self.output_adapter is None:
            return None
        try:
            schema = self.output_adapter.json_schema()
        except Exception:  # noqa: BLE001 (a type without a JSON Schema: its keys are unknown)
            return None
        properties = schema.get("properties")
        if schema.get("type") != "object" or not isinstance(properties, dict) or schema.get("additionalProperties"):
            return None
        return frozenset(properties)

    def dump_output(self, value: Any) -> Any:
        """The output as JSON-like data for graph state."""
        if self.output_adapter is None:
            return value
        try:
            return self.output_adapter.dump_python(self.output_adapter.validate_python(value), mode="json")
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(output)'}: {e['msg']}"
                                for e in exc.errors(include_url=False))
            raise SkillOutputError(f"{self.kind} '{self.name}' ({self.source}) returned a value that does not "
                                   f"match its return type: {details}") from None


def python_skill(fn: Callable[..., Any], *, kind: Kind, name: str, version: str, scope: str, source: str,
                 description: str) -> SkillDef:
    """Build a SkillDef from a typed callable taking keyword arguments and ``ctx``."""
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        if param.name == "ctx" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints.get(param.name, Any), default)
    input_model = create_model(
        f"{name.replace('.', '_')}_input", __config__=ConfigDict(extra="forbid"), **fields
    )
    ret = hints.get("return")
    adapter = TypeAdapter(ret) if ret not in (None, type(None)) else None
    return SkillDef(kind, name, version, scope, source, description, fn, None, input_model, adapter)


def _version_key(version: str) -> tuple[int, ...] | tuple[str]:
    parts = version.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (version,)


class DuplicateSkill(ValueError):
    pass


class SkillRegistry:
    """Every skill and tool of a project, by kind, name, scope and version."""

    def __init__(self) -> None:
        self._defs: dict[tuple[Kind, str, str], dict[str, SkillDef]] = {}

    def add(self, definition: SkillDef) -> None:
        versions = self._defs.setdefault((definition.kind, definition.name, definition.scope), {})
        if definition.version in versions:
            first = versions[definition.version]
            raise DuplicateSkill(
                f"{definition.kind} '{definition.name}' version {definition.version} is defined twice "
                f"({first.source} and {definition.source})"
            )
        versions[definition.version] = definition

    def resolve(self, kind: Kind, name: str, tenant: str, version: str | None = None) -> SkillDef | None:
        """The tenant's own implementation if any, else the shared one; newest version unless pinned."""
        for scope in (tenant, SHARED):
            versions = self._defs.get((kind, name, scope))
            if not versions:
                continue
            if version is not None:
                found = versions.get(version)
                if found is not None:
                    return found
                continue
            return versions[max(versions, key=_version_key)]
        return None

    def names(self, kind: Kind, tenant: str | None = None) -> set[str]:
        """Names callable by ``tenant`` (shared ones plus its own), or every name."""
        return {n for (k, n, scope) in self._defs if k == kind and (tenant is None or scope in (tenant, SHARED))}

    def all(self) -> Iterable[SkillDef]:
        for versions in self._defs.values():
            yield from versions.values()


async def call_implementation(definition: SkillDef, inputs: dict[str, Any], ctx: Any) -> Any:
    """Call a Python skill or tool; blocking callables run in a worker thread of the calling tenant's own pool
    (:mod:`engine.skills.threads`), so one tenant's blocking skills never queue another's.

    ``inputs`` are JSON-like (policies, the gateway and logs see them so); the callable gets them as its
    signature types them (see :meth:`SkillDef.arguments`).
    """
    assert definition.fn is not None
    inputs = definition.arguments(inputs)
    if definition.is_async:
        return await definition.fn(ctx=ctx, **inputs)
    tenant = getattr(getattr(ctx, "tenant", None), "tenant_id", "")
    return await tenant_threads.run(tenant, definition.fn, ctx=ctx, **inputs)
