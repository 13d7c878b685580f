"""Find skills, tools and bridges in a project's Python and YAML files."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from engine.errors import Problem
from engine.skills.bridge import Bridge
from engine.skills.decorators import MARK, Mark
from engine.skills.registry import DuplicateSkill, SkillDef, SkillRegistry, python_skill
from engine.spec.skill import SkillSpec
from engine.spec.source import load_document
from engine.spec.validation import validate


def import_file(path: Path, display: str, problems: list[Problem]) -> ModuleType | None:
    """Import a user's Python file under a private module name.

    The name carries a digest of the path so two tenants' ``skills/crm.py``
    never shadow each other in ``sys.modules``.
    """
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"tenantflow_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        problems.append(Problem(display, 0, 0, "", "cannot import this file as a Python module"))
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # user code: report any failure as a problem, never a traceback
        sys.modules.pop(name, None)
        line = 0
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename) == path:
                line = frame.lineno or 0
        if isinstance(exc, SyntaxError) and exc.filename == str(path):
            line = exc.lineno or line
        problems.append(Problem(display, line, 1 if line else 0, "",
                                f"cannot import skill module: {exc.__class__.__name__}: {exc}", code="skill-import"))
        return None
    return module


def load_skill_folder(folder: Path, scope: str, root: Path, registry: SkillRegistry) -> list[Problem]:
    """Register every marked callable in ``folder/*.py`` and every ``folder/*.yaml`` prompt skill."""
    problems: list[Problem] = []
    if not folder.is_dir():
        return problems
    for path in sorted(folder.glob("*.py")):
        display = _display(path, root)
        module = import_file(path, display, problems)
        if module is None:
            continue
        for value in vars(module).values():
            mark = getattr(value, MARK, None)
            if not isinstance(mark, Mark) or getattr(value, "__module__", None) != module.__name__:
                continue
            try:
                definition = python_skill(value, kind=mark.kind, name=mark.name, version=mark.version,
                                          scope=scope, source=display, description=mark.description)
                registry.add(definition)
            except DuplicateSkill as exc:
                problems.append(Problem(display, _line_of(value), 1, "", str(exc), code="duplicate-skill"))
            except Exception as exc:  # a bad annotation in user code
                problems.append(Problem(display, _line_of(value), 1, "",
                                        f"cannot register {mark.kind} '{mark.name}': {_first_line(exc)}",
                                        code="skill-signature"))
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        display = _display(path, root)
        doc, doc_problems = load_document(path, display, layer=scope)
        problems += doc_problems
        if doc is None:
            continue
        spec, spec_problems = validate(SkillSpec, doc)
        problems += spec_problems
        if spec is None:
            continue
        try:
            registry.add(SkillDef("skill", spec.metadata.name, spec.metadata.version, scope, display,
                                  spec.metadata.description, prompt=spec))
        except DuplicateSkill as exc:
            problems.append(doc.problem(("metadata", "name"), str(exc), code="duplicate-skill"))
    return problems


def load_bridges(folder: Path, names: list[str], root: Path) -> tuple[list[Bridge], list[Problem]]:
    """Import ``folder/<name>.py`` for each bridge name, in order."""
    problems: list[Problem] = []
    bridges: list[Bridge] = []
    for name in names:
        path = folder / f"{name}.py"
        display = _display(path, root)
        if not path.is_file():
            problems.append(Problem(display, 0, 0, "bridge", f"bridge '{name}' is listed in tenantflow.yaml but "
                                    f"{display} does not exist", code="bridge-missing"))
            continue
        module = import_file(path, display, problems)
        fn: Any = getattr(module, "bridge", None) if module else None
        if module is not None and not callable(fn):
            problems.append(Problem(display, 0, 0, "",
                                    "a bridge module must define `async def bridge(call, call_next)`",
                                    code="bridge-shape"))
            continue
        if fn is not None:
            bridges.append(fn)
    if "auth" not in names:
        problems.append(Problem("tenantflow.yaml", 0, 0, "bridge",
                                "the bridge chain must include 'auth': skill calls are closed by default",
                                code="bridge-auth"))
    return bridges, problems


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _line_of(value: Any) -> int:
    code = getattr(value, "__code__", None)
    return int(code.co_firstlineno) if code is not None else 0


def _first_line(exc: Exception) -> str:
    """pydantic's schema errors span lines and end in a URL; the first line says what is wrong."""
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__
