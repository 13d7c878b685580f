"""tenantflow: multi-tenant AI agent workflows in YAML, compiled to LangGraph graphs.

    from pathlib import Path
    from engine import Engine

    async with Engine.open(Path(".")) as engine:
        ctx = engine.dev_context("acme", user_id="u1", session_id="s1")
        result = await engine.run("support-triage", ctx, {"ticket": "...", "customer_id": "c1"})
        print(result.output, result.usage)

Names are imported on first use: ``import engine`` stays cheap for commands
that never run a graph (validate, diff, snapshot).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.context import TenantContext
    from engine.engine import CompiledWorkflow, Engine, NothingToResume, RunResult, StepEvent, TokenEvent
    from engine.errors import (
        AuthError,
        CompileError,
        GuardrailBlocked,
        MemoryAccessDenied,
        ModelError,
        PolicyDenied,
        Problem,
        RunError,
        SkillError,
        SpecError,
        TemplateError,
        TenantflowError,
    )
    from engine.identity.authenticate import Caller
    from engine.identity.credentials import DelegatedToken, UserCredential
    from engine.identity.exchange import ExchangeRefused
    from engine.identity.verify import TokenRejected
    from engine.inputs import InputError
    from engine.kinds.base import RunContext, StepKind
    from engine.kinds.registry import register_step_kind
    from engine.models.registry import register_provider
    from engine.policy.authorizer import AccessDenied
    from engine.project import Project, load_project
    from engine.run.sessions import RunInfo, SessionInfo, Sessions
    from engine.skills.bridge import SkillCall, SkillContext
    from engine.skills.decorators import skill, tool
    from engine.state import fresh_run

_EXPORTS = {
    # Running workflows
    "Engine": "engine.engine",
    "RunResult": "engine.engine",
    "CompiledWorkflow": "engine.engine",
    "TenantContext": "engine.context",
    "RunContext": "engine.kinds.base",
    "fresh_run": "engine.state",
    # Streaming, sessions, resuming (Engine.stream, Engine.sessions, Engine.resume and Engine.answer)
    "StepEvent": "engine.engine",
    "TokenEvent": "engine.engine",
    "Sessions": "engine.run.sessions",
    "SessionInfo": "engine.run.sessions",
    "RunInfo": "engine.run.sessions",
    # Extending: a project's own step kinds and model providers (docs/extending.md)
    "StepKind": "engine.kinds.base",
    "register_step_kind": "engine.kinds.registry",
    "register_provider": "engine.models.registry",
    "Project": "engine.project",
    "load_project": "engine.project",
    # Identity: a verified caller and the credential that travels beside its run
    "Caller": "engine.identity.authenticate",
    "UserCredential": "engine.identity.credentials",
    "DelegatedToken": "engine.identity.credentials",
    # Writing skills, tools and bridges
    "skill": "engine.skills.decorators",
    "tool": "engine.skills.decorators",
    "SkillContext": "engine.skills.bridge",
    "SkillCall": "engine.skills.bridge",
    # Errors, one per phase
    "TenantflowError": "engine.errors",
    "Problem": "engine.errors",
    "SpecError": "engine.errors",
    "CompileError": "engine.errors",
    "TemplateError": "engine.errors",
    "InputError": "engine.inputs",
    "AuthError": "engine.errors",
    "TokenRejected": "engine.identity.verify",
    "ExchangeRefused": "engine.identity.exchange",
    "PolicyDenied": "engine.errors",
    "AccessDenied": "engine.policy.authorizer",
    "MemoryAccessDenied": "engine.errors",
    "GuardrailBlocked": "engine.errors",
    "ModelError": "engine.errors",
    "SkillError": "engine.errors",
    "RunError": "engine.errors",
    "NothingToResume": "engine.engine",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
