"""tenantflow: multi-tenant AI agent workflows in YAML, compiled to LangGraph graphs.

    from pathlib import Path
    from engine import Engine

    async with Engine.open(Path(".")) as engine:
        ctx = engine.dev_context("acme", user_id="u1", session_id="s1")
        result = await engine.run("support-triage", ctx, {"ticket": "...", "customer_id": "c1"})
        print(result.output, result.usage)
"""

from engine.context import TenantContext
from engine.engine import CompiledWorkflow, Engine, RunResult
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
from engine.inputs import InputError
from engine.project import Project, load_project
from engine.skills.bridge import SkillCall, SkillContext
from engine.skills.decorators import skill, tool

__all__ = [
    # Running workflows
    "Engine",
    "RunResult",
    "CompiledWorkflow",
    "TenantContext",
    "Project",
    "load_project",
    # Writing skills, tools and bridges
    "skill",
    "tool",
    "SkillContext",
    "SkillCall",
    # Errors, one per phase
    "TenantflowError",
    "Problem",
    "SpecError",
    "CompileError",
    "TemplateError",
    "InputError",
    "AuthError",
    "PolicyDenied",
    "MemoryAccessDenied",
    "GuardrailBlocked",
    "ModelError",
    "SkillError",
    "RunError",
]
