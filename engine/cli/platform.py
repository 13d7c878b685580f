"""``tenantflow export langgraph``: serve the project's graphs on LangGraph's own server."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.common import open_project, project_option, user_errors
from engine.cli.group import main


@main.group()
def export() -> None:
    """Write configuration for another runtime."""


@export.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: langgraph.json in the project folder).")
@project_option
def langgraph(output: Path | None, project_dir: Path) -> None:
    """Write langgraph.json and langgraph_graphs.py: every workflow a graph (its factory), the project's
    token issuers as the server's auth (engine.platform.auth:auth). Then, in the project folder:
    pip install 'tenantflow[platform]' && langgraph dev --allow-blocking."""
    from engine.platform.export import write_langgraph_config

    with user_errors():
        project = open_project(project_dir)
        written = write_langgraph_config(project, output or project.root / "langgraph.json")
    for path in written:
        click.echo(f"wrote {path}")
