"""What a step kind is, and what every kind's module gets to work with.

A step kind is one class holding everything about it (pydantic_graph's one
class per node): the YAML key that names it and that key's shape, whether it
is work the input guard must precede, the step lists it nests, how it lowers
into IR nodes and edges, the templates it contains, its structural and
per-tenant checks, how it renders in graph/explain/diff, and how it builds
its LangGraph node. The compiler, the renderers, the JSON Schema and the
review tools loop over the registry (:mod:`engine.kinds.registry`) and never
name a kind.

Run-time services reach a node through LangGraph's ``Runtime`` context
(:class:`RunContext`): building a node closes over the IR only, so a graph
compiles with no engine, authorizer or token verifier in reach.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from engine.context import TenantContext
from engine.errors import (
    AuthError,
    Problem,
    RunError,
    RunFailure,
    TemplateError,
    TenantflowError,
    quotes_data,
    safe_message,
)
from engine.ir import IRNode, WorkflowIR
from engine.spec.source import DocPath, Source, format_path
from engine.spec.workflow import Step
from engine.templating import compile_tree

if TYPE_CHECKING:
    from langgraph.runtime import Runtime
    from langgraph.store.base import BaseStore

    from engine.guardrails.chain import GuardChain
    from engine.kinds.model_call import Spend
    from engine.knowledge.index import DocumentSearch, TenantKnowledge
    from engine.models.base import ModelProvider, ToolSpec
    from engine.skills.bridge import SkillCall
    from engine.skills.registry import SkillRegistry
    from engine.spec.project import ModelEntry
    from engine.state import RunState
    from engine.tenancy import TenantSettings

#: What a kind builds: the node function LangGraph runs (LangGraph and the state stay out of a plain import).
NodeFn = Callable[["RunState", "Runtime[RunContext]"], Awaitable[dict[str, Any]]]
Locate = Callable[[DocPath], Source]


# -- run time ---------------------------------------------------------------------------


class Services(Protocol):
    """Run-time services a compiled graph uses; shared by every tenant of a structure.

    Everything tenant-specific is looked up here from the run's context, so
    one compiled graph serves many tenants.
    """

    def settings(self, tenant_id: str) -> TenantSettings: ...

    def guard_chain(self, tenant_id: str) -> GuardChain: ...

    def model(self, tenant: TenantSettings, alias: str) -> tuple[ModelEntry, ModelProvider]: ...

    async def call_skill(self, call: SkillCall) -> Any: ...

    def tool_specs(self, tenant: TenantSettings, names: list[str], ctx: TenantContext, step: str = "",
                   ) -> list[ToolSpec]: ...

    async def memory_store(self, ctx: TenantContext, default: BaseStore | None) -> BaseStore | None: ...

    async def invoke_workflow(self, workflow: str, payload: dict[str, Any], ctx: TenantContext) -> dict[str, Any]: ...

    @property
    def spend(self) -> Spend:
        """The monthly budgets' checks around every model call."""
        ...

    #: The tenant's knowledge index, for ``documents`` or ``memory``; None when the engine has none.
    async def knowledge(self, ctx: TenantContext, purpose: str) -> TenantKnowledge | None: ...

    #: Where the tenant's ``retrieve`` steps search documents (local index or Bedrock knowledge base).
    async def documents(self, ctx: TenantContext) -> DocumentSearch | None: ...


@dataclass(frozen=True)
class RunContext:
    """LangGraph's run context (``context_schema``): the tenant context, and the services of the run.

    Immutable for the run and never written to state or checkpoints. The
    tenant context holds ids and claims only; the services hold no tenant state.
    """

    tenant: TenantContext
    services: Services = field(repr=False, compare=False)
    #: The run's raw input, for the input guard only: it reaches state (and so checkpoints) only as
    #: the guard passes it, redacted where the tenant redacts. None when a run is resumed.
    payload: dict[str, Any] | None = field(default=None, repr=False, compare=False)


def run_context(runtime: Runtime[RunContext]) -> RunContext:
    found = runtime.context
    if not isinstance(found, RunContext):
        # Closed by default: a graph never runs without a tenant context.
        raise AuthError("no tenant context: run the workflow with context=RunContext(TenantContext(...), services)")
    return found


def context_of(runtime: Runtime[RunContext]) -> TenantContext:
    return run_context(runtime).tenant


def variables(state: RunState, ctx: TenantContext, settings: TenantSettings | None = None) -> dict[str, Any]:
    """What templates and expressions can see: data and ids, nothing else."""
    return {
        "input": state.get("input", {}),
        "steps": state.get("steps", {}),
        "memory": state.get("memory", {}),
        "loop": state.get("loops", {}),
        "tenant": {"id": ctx.tenant_id, "tier": ctx.tier, "name": settings.name if settings else ctx.tenant_id},
        "user": {"id": ctx.user_id},
    }


_ENGINE_DIR = str(Path(__file__).resolve().parent.parent)


def _raised_at(exc: BaseException) -> str:
    """`` (at skills/tickets.py:42 in classify)``: the innermost frame of the author's own code (a skill, a
    tool), from its project's ``tenants/`` or ``skills/`` folder on (else relative to the working folder), so
    a bug in a skill names its file and line."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        file = tb.tb_frame.f_code.co_filename
        if not (file.startswith(_ENGINE_DIR) or "site-packages" in file or file.startswith("<")
                or "/lib/python" in file):
            found = (file, tb.tb_lineno, tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    if found is None:
        return ""
    file, line, name = found
    for folder in ("/tenants/", "/skills/"):
        if folder in file:
            file = file[file.rindex(folder) + 1:]
            break
    else:
        try:
            file = Path(file).resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            pass
    return f" (at {file}:{line} in {name})"


def failure_record(node: IRNode, exc: BaseException, attempts: int, started: float) -> dict[str, Any]:
    """A clean error record for state: kind and safe message, never a traceback."""
    if isinstance(exc, (TenantflowError, TimeoutError)):
        message = str(exc)
    elif quotes_data(exc):  # a storage driver's error: its class and code, never its text (it may quote data)
        message = safe_message(exc) + _raised_at(exc)
    else:
        message = f"{exc.__class__.__name__}: {exc}{_raised_at(exc)}"
    return {
        "step": node.id,
        "kind": node.kind,
        "error": exc.__class__.__name__,
        "message": message[:500],
        "attempts": attempts,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        # A provider's transient failure (throttling, unavailable): the runtime answers 503, retry later.
        **({"retryable": True} if getattr(exc, "retryable", False) is True else {}),
        # The request's own input made it fail (a value memory cannot store): the runtime answers 400.
        **({"client_input": exc.code} if isinstance(exc, TenantflowError) and exc.client_input else {}),
    }


def handle_failure(node: IRNode, record: dict[str, Any]) -> dict[str, Any]:
    """Route a failed step per on_error: to a step, on to the next, or fail the run."""
    on_error = node.step.on_error if node.step is not None else None
    if on_error is None or on_error == "fail":
        details = {"attempts": record["attempts"], **({"retryable": True} if record.get("retryable") else {}),
                   **({"client_input": record["client_input"]} if record.get("client_input") else {})}
        raise RunError(RunFailure(node.id, record["error"], record["message"], details))
    update: dict[str, Any] = {"errors": [record], "steps": {node.id: {"error": record["message"]}}}
    if on_error != "continue":
        update["route"] = {node.id: "error"}
    return update


def succeeded(node: IRNode, output: Any, **extra: Any) -> dict[str, Any]:
    """The update of a step that worked: its output, and the "ok" route if it can fail over."""
    update: dict[str, Any] = {"steps": {node.id: output}, **extra}
    step = node.step
    if step is not None and step.on_error not in (None, "fail", "continue"):
        update["route"] = {node.id: "ok"}
    return update


class Build:
    """What a node builder gets: the checked IR and where things were written. No services."""

    def __init__(self, ir: WorkflowIR, locate: Locate):
        self.ir, self.locate = ir, locate

    def template(self, node: IRNode, sub: DocPath, value: Any, *, expression: bool = False) -> Any:
        """The templates in ``value`` (written at ``node.path + sub``), compiled once: at check time if
        the kind declared them (:meth:`StepKind.templates`), else here."""
        path = (*node.path, *sub)
        if path not in self.ir.compiled:
            self.ir.compiled[path] = compile_tree(value, self.locate, path, expression=expression)
        return self.ir.compiled[path]

    def expression(self, node: IRNode, sub: DocPath, source: str) -> Any:
        return self.template(node, sub, source, expression=True)


# -- compile time ---------------------------------------------------------------------


def problem(locate: Locate, path: DocPath, message: str, hint: str = "", code: str = "") -> Problem:
    """A problem at the file, line and column that set ``path``."""
    src = locate(path)
    return Problem(src.file, src.line, src.col, format_path(src.path or path), message, hint, code)


Scope = tuple[tuple[str, str], ...]


class Lowerer(Protocol):
    """What a kind's :meth:`StepKind.lower` may do to the IR being built (:mod:`engine.compile.lower`)."""

    ir: WorkflowIR

    def sequence(self, steps: list[Step], path: DocPath, exit_to: str, scope: Scope) -> str:
        """Lower a list of steps that continues at ``exit_to``; return its entry node."""

    def goto(self, source: str, target: str, label: str, path: DocPath, scope: Scope) -> None:
        """An edge to a step the author named (checked once every step exists)."""

    def exit(self, source: str, target: str | Goto, label: str, path: DocPath, scope: Scope) -> None:
        """An edge to the step that follows (``target``), or to the author's ``next:``."""

    def report(self, path: DocPath, message: str, code: str) -> None: ...


@dataclass(frozen=True)
class Goto:
    """A successor written by the author (``next:``), resolved once all steps exist."""

    step: str
    path: DocPath


@dataclass(frozen=True)
class TemplateRef:
    """A template (or expression) a step contains: compiled once, at check time."""

    sub: DocPath
    value: Any
    expression: bool = False


@dataclass
class Binding:
    """What a per-tenant check sees: the tenant, and what its project offers it."""

    tenant: TenantSettings
    skills: SkillRegistry
    workflows: frozenset[str]
    locate: Locate
    #: Project-relative template files and their text.
    files: dict[str, str]
    #: The output keys each workflow declares (its ``output:``), for the steps that call it.
    workflow_outputs: dict[str, frozenset[str]] = field(default_factory=dict)

    def problem(self, path: DocPath, message: str, hint: str = "", code: str = "") -> Problem:
        return problem(self.locate, path, message, hint, code)


class NodeKind:
    """A kind of IR node: how it renders and how it builds its LangGraph node.

    The engine's own nodes (guards, memory load) and the helper nodes of a
    nested step kind (``loop_next``, ``join``) are node kinds; every step
    kind is one too.
    """

    #: The IR node kind this builds (a step kind's YAML key, or e.g. ``loop_next``).
    name: ClassVar[str]
    #: Work the input guard must precede (skill, llm, tool, call).
    work: ClassVar[bool] = False
    #: Runs once every edge into it has fired (a parallel step's join), not once per edge.
    joins: ClassVar[bool] = False
    #: Mermaid's brackets for the node.
    shape: ClassVar[tuple[str, str]] = ("[", "]")

    def build(self, node: IRNode, b: Build) -> NodeFn:
        """The node LangGraph runs. Every kind defines it: the registry refuses one that does not."""
        raise TypeError(f"node kind '{self.name}' builds no node")

    def label(self, described: dict[str, Any]) -> str:
        """The second line of the node's Mermaid label."""
        return self.name.replace("_", " ")

    def edge_text(self, node: IRNode, label: str) -> str:
        """What an edge leaving the node with ``label`` means to a reader (a switch case's condition)."""
        return label


class StepKind(NodeKind):
    """A step kind: the YAML key, its shape, and everything the compiler and runtime do with it.

    Subclass it, set ``name`` and ``spec``, override what the kind does, and
    register it (:func:`engine.kinds.register_step_kind`, or the
    ``tenantflow.step_kinds`` entry point group).
    """

    #: The type of the kind key's value: a pydantic model, ``str``, ``dict[str, Any]``...
    spec: ClassVar[Any] = None
    #: The field name on the step model, where the key is a Python keyword (``return`` -> ``return_``).
    field_name: ClassVar[str | None] = None
    #: Constraints on the kind key's value, as pydantic ``Field`` arguments (``{"min_length": 1}``).
    constraints: ClassVar[dict[str, Any]] = {}
    #: May a step of this kind call a model (an ``llm`` step; a ``skill`` step, whose skill may be a prompt skill)?
    calls_model: ClassVar[bool] = False
    #: Must a step of this kind have an ``id`` (a ``return`` step need not: nothing refers to it)?
    needs_id: ClassVar[bool] = True
    #: May it have ``next:``? (switch and return choose their successors themselves.)
    allows_next: ClassVar[bool] = True
    #: May it sit inside a parallel branch (a straight line of steps)?
    in_branch: ClassVar[bool] = True
    #: Node kinds this kind's lowering adds besides its own (a loop's ``loop_next``).
    helper_nodes: ClassVar[tuple[NodeKind, ...]] = ()

    def spec_type(self, step: Any) -> Any:
        """The key's type; a nested kind builds it around ``step``, the concrete step model."""
        return self.spec

    def children(self, body: Any) -> Iterator[tuple[DocPath, list[Step]]]:
        """Nested step lists and where they sit under the kind key (``("steps",)``)."""
        return iter(())

    def raw_children(self, value: Any) -> Iterator[DocPath]:
        """Where nested step lists sit in the kind key's raw YAML value (for overrides, before validation)."""
        return iter(())

    def files(self, body: Any) -> Iterator[tuple[DocPath, str]]:
        """Template files the step reads: (where under the kind key, path as written).

        ``body`` is the kind key's raw YAML value: resolve reads it before validation (to rebase paths).
        """
        return iter(())

    def step_files(self, step: Step) -> Iterator[tuple[DocPath, str]]:
        """:meth:`files` of a validated step."""
        body = step.body
        return self.files(body.model_dump(by_alias=True) if hasattr(body, "model_dump") else body)

    def templates(self, step: Step) -> Iterator[TemplateRef]:
        """Every template and expression the step contains, at its path under the step."""
        return iter(())

    def outputs(self, step: Step) -> frozenset[str] | None:
        """The keys of the step's output (``steps.<id>.<key>``), where the kind knows them; None: any key
        (a skill's or tool's answer). Templates naming another key are reported at validate time."""
        return None

    def output_types(self, step: Step) -> dict[str, str]:
        """The declared type (``string``, ``number``...) of each output key, where the kind knows it: templates
        comparing one with a literal of another type, or iterating a string, are warned about at validate time."""
        return {}

    def bound_outputs(self, step: Step, b: Binding) -> frozenset[str] | None:
        """The output keys for one tenant, where they depend on it (the implementation of a skill it gets)."""
        return self.outputs(step)

    def lower(self, lw: Lowerer, node: IRNode, follow: str, nxt: str | Goto, scope: Scope) -> None:
        """Wire the node: by default to what follows, or to on_error's step when it fails."""
        step = node.step
        assert step is not None
        on_error = step.on_error
        if on_error is not None and on_error not in ("continue", "fail"):
            lw.goto(node.id, on_error, "error", (*node.path, "on_error"), scope)
            lw.exit(node.id, nxt, "ok", node.path, scope)
        else:
            lw.exit(node.id, nxt, "", node.path, scope)

    def check(self, node: IRNode, ir: WorkflowIR, locate: Locate) -> Iterable[Problem]:
        """Structural problems of the step: the same for every tenant of the structure."""
        return ()

    def bind(self, node: IRNode, b: Binding) -> Iterable[Problem]:
        """Problems of the step for one tenant: names it uses that the tenant lacks."""
        return ()

    def describe(self, node: IRNode, body: Any, tenant: TenantSettings, skills: SkillRegistry) -> dict[str, Any]:
        """The step's fields in the canonical JSON of ``tenantflow graph`` and snapshots."""
        return {}

    def view(self, body: Any) -> Any:
        """The kind key's value as review tools compare it (nested steps left out: they are nodes)."""
        dump = getattr(body, "model_dump", None)
        return dump(mode="json", by_alias=True, exclude_none=True) if dump is not None else body


def bind_templates(b: Binding, node: IRNode, kind: StepKind, errors: list[TemplateError]) -> None:
    """Compile every template of a step, for its errors (the structure's IR caches the compiled ones)."""
    assert node.step is not None
    for ref in kind.templates(node.step):
        compile_tree(ref.value, b.locate, (*node.path, *ref.sub), expression=ref.expression, errors=errors)
