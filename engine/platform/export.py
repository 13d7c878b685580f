"""``langgraph.json`` for a project, and ``langgraph_graphs.py``: one graph factory per workflow, the auth handler."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from engine.project import Project

AUTH = "engine.platform.auth:auth"
#: The module ``langgraph.json`` names the factories in, written beside it.
GRAPHS_FILE = "langgraph_graphs.py"


def factory_name(workflow: str) -> str:
    """The Python name of a workflow's factory in ``langgraph_graphs.py``.

    >>> factory_name("support-triage")
    'support_triage'
    """
    return re.sub(r"\W", "_", workflow)


def langgraph_config(project: Project) -> dict[str, Any]:
    """The LangGraph server's configuration serving ``project``: one graph per workflow (its name is the
    server's ``graph_id`` and assistant), the custom auth, the project folder as the working directory.

    The project is found through ``TENANTFLOW_PROJECT`` (``"."``: start the server in the project folder).
    """
    return {
        "$schema": "https://langgra.ph/schema.json",
        "python_version": "3.11",
        "dependencies": ["."],
        "graphs": {name: f"./{GRAPHS_FILE}:{factory_name(name)}" for name in sorted(project.workflows)},
        "auth": {"path": AUTH},
        "env": {"TENANTFLOW_PROJECT": "."},
    }


def graphs_module(project: Project) -> str:
    lines = ["# Written by `tenantflow export langgraph`: LangGraph's server calls one factory per graph.",
             "from engine.platform.graphs import workflow_factory", ""]
    lines += [f"{factory_name(name)} = workflow_factory({name!r})" for name in sorted(project.workflows)]
    return "\n".join(lines) + "\n"


def write_langgraph_config(project: Project, path: Path) -> list[Path]:
    """Write ``langgraph.json`` at ``path`` and ``langgraph_graphs.py`` beside it; the paths written."""
    path.write_text(json.dumps(langgraph_config(project), indent=2) + "\n", encoding="utf-8")
    graphs = path.parent / GRAPHS_FILE
    graphs.write_text(graphs_module(project), encoding="utf-8")
    return [path, graphs]
