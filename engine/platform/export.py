"""``langgraph.json`` for a project: every workflow a graph of the same factory, the project's auth handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.project import Project

FACTORY = "engine.platform.graphs:make_graph"
AUTH = "engine.platform.auth:auth"


def langgraph_config(project: Project) -> dict[str, Any]:
    """The LangGraph server's configuration serving ``project``: one graph per workflow (its name is the
    server's ``graph_id`` and assistant), the custom auth, the project folder as the working directory.

    The project is found through ``TENANTFLOW_PROJECT`` (``"."``: start the server in the project folder).
    """
    return {
        "$schema": "https://langgra.ph/schema.json",
        "python_version": "3.11",
        "dependencies": ["."],
        "graphs": {name: FACTORY for name in sorted(project.workflows)},
        "auth": {"path": AUTH},
        "env": {"TENANTFLOW_PROJECT": "."},
    }


def write_langgraph_config(project: Project, path: Path) -> Path:
    path.write_text(json.dumps(langgraph_config(project), indent=2) + "\n", encoding="utf-8")
    return path
