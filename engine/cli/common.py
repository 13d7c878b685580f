"""Helpers every command shares: the project option and user-facing errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from engine.errors import CompileError, SpecError, TenantflowError, render_problems
from engine.project import Project, find_root, load_project

project_option = click.option(
    "--project", "-p", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Project folder (or any folder inside it).")


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Every error tenantflow raises on purpose becomes a message and exit 1, never a traceback."""
    try:
        yield
    except (SpecError, CompileError) as exc:
        count = len(exc.problems)
        fail(f"{render_problems(exc.problems)}\n{count} problem{'s' if count != 1 else ''} found")
    except TenantflowError as exc:
        fail(f"error: {exc}")


def open_project(project_dir: Path) -> Project:
    return load_project(find_root(project_dir))


@contextmanager
def telemetry_on(project: Project) -> Iterator[None]:
    """Export spans and metrics as the OTEL_* variables and ``telemetry:`` say, flushed when the block ends."""
    from engine.telemetry.exporters import install

    installed = install(project.spec.telemetry)
    try:
        yield
    finally:
        if installed is not None:
            installed.shutdown()
