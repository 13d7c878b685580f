"""Step kinds: one module per kind, each holding everything about it.

The extension point for a project's own kinds: subclass :class:`StepKind`,
then register it with :func:`register_step_kind` or in a package's
``tenantflow.step_kinds`` entry point group (docs/extending.md).
"""

from engine.kinds.base import (
    Binding,
    Build,
    Goto,
    Lowerer,
    NodeFn,
    NodeKind,
    RunContext,
    Services,
    StepKind,
    TemplateRef,
    context_of,
    failure_record,
    handle_failure,
    problem,
    run_context,
    succeeded,
    variables,
)
from engine.kinds.registry import StepKinds, register_step_kind, reset_step_kinds, step_kinds

__all__ = [
    # what a kind is
    "StepKind",
    "NodeKind",
    "TemplateRef",
    # what it gets: at compile time, at build time, at run time
    "Lowerer",
    "Goto",
    "Binding",
    "problem",
    "Build",
    "NodeFn",
    "RunContext",
    "Services",
    "run_context",
    "context_of",
    "variables",
    "succeeded",
    "handle_failure",
    "failure_record",
    # the registry
    "StepKinds",
    "step_kinds",
    "register_step_kind",
    "reset_step_kinds",
]
