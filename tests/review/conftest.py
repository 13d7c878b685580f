"""A small project with four tenants on three tiers, and a git repository of its history."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, SKILLS_PY

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: fixture}
models:
  catalog:
    small: {provider: scripted, model_id: small-v1}
    medium: {provider: scripted, model_id: medium-v1}
    large: {provider: scripted, model_id: large-v1}
  providers:
    scripted: {fixtures: fixtures/scripted.yaml}
tiers:
  basic: {model: small}
  standard: {model: medium, allowed_models: [small]}
  premium: {model: large, allowed_models: [medium, small]}
stores: {checkpointer: memory, store: memory}
"""

TRIAGE = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: triage}
input:
  text: {type: string}
output:
  reply: {type: string}
steps:
  - id: first
    skill: echo
    with: {text: "{{ input.text }}"}
  - id: draft
    llm:
      prompt: prompts/draft.j2
      max_tokens: 300
    retry: {attempts: 2}
  - return: {reply: "{{ steps.draft.text }}"}
"""

PROMPT = """\
Answer the customer politely.
They wrote: {{ steps.first.text }}
Sign as the support team.
"""

NOTES = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: notes}
input:
  key: {type: string}
steps:
  - id: look
    tool: notes.lookup
    with: {key: "{{ input.key }}"}
  - return: {key: "{{ steps.look.key }}"}
"""


def tenant(tenant_id: str, tier: str, extra: str = "") -> str:
    return (f"apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {{id: {tenant_id}}}\ntier: {tier}\n"
            f"entitlements: {{tools: ['notes.*']}}\n{extra}")


DELTA_OVERRIDE = """\
overrides:
  triage:
    steps:
      draft: {llm: {max_tokens: 200}}
"""

FILES = {
    "tenantflow.yaml": PROJECT,
    "fixtures/scripted.yaml": "default: '[{model}] ok'\n",
    "skills/shared.py": SKILLS_PY,
    "workflows/triage.yaml": TRIAGE,
    "workflows/prompts/draft.j2": PROMPT,
    "workflows/notes.yaml": NOTES,
    "tenants/alpha/tenant.yaml": tenant("alpha", "basic"),
    "tenants/beta/tenant.yaml": tenant("beta", "premium"),
    "tenants/gamma/tenant.yaml": tenant("gamma", "premium"),
    "tenants/delta/tenant.yaml": tenant("delta", "standard", DELTA_OVERRIDE),
}


def write_project(root: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or FILES).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    bridge = root / "skills" / "bridge"
    if not bridge.exists():
        shutil.copytree(REPO / "skills" / "bridge", bridge, ignore=shutil.ignore_patterns("__pycache__"))
    return root


GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


REORDERED_TRIAGE = """\
# The triage workflow, keys in another order and with comments: same meaning.
kind: Workflow
apiVersion: tenantflow/v1
metadata: {name: triage}
output:
  reply: {type: string}   # what the customer gets
input:
  text: {type: string}
steps:
  - skill: echo
    id: first
    with: {text: "{{ input.text }}"}
  - retry: {attempts: 2}
    llm:
      max_tokens: 300
      prompt: prompts/draft.j2
    id: draft
  # The answer.
  - return: {reply: "{{ steps.draft.text }}"}
"""

#: (tag, what the commit does, edit); each builds on the one before.
History = list[tuple[str, str, Callable[[Path], None]]]

HISTORY: History = [
    ("prompt", "reword the shared prompt", lambda r: edit(r, "workflows/prompts/draft.j2", "politely", "briefly")),
    ("tier", "premium tier model large -> medium",
     lambda r: edit(r, "tenantflow.yaml", "premium: {model: large, allowed_models: [medium, small]}",
                    "premium: {model: medium, allowed_models: [large, small]}")),
    ("override", "delta's override of draft: 200 -> 500 tokens",
     lambda r: edit(r, "tenants/delta/tenant.yaml", "max_tokens: 200", "max_tokens: 500")),
    ("reorder", "reorder keys, add comments",
     lambda r: (r / "workflows/triage.yaml").write_text(REORDERED_TRIAGE, encoding="utf-8")),
    ("rename", "rename step first -> greet",
     lambda r: (edit(r, "workflows/triage.yaml", "id: first", "id: greet"),
                edit(r, "workflows/prompts/draft.j2", "steps.first.text", "steps.greet.text"))),
    ("rename-draft", "rename step draft -> compose (delta overrides draft)",
     lambda r: (edit(r, "workflows/triage.yaml", "id: draft", "id: compose"),
                edit(r, "workflows/triage.yaml", "steps.draft.text", "steps.compose.text"))),
]


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of the fixture project: tag ``base``, then one tag per commit of HISTORY."""
    repo = tmp_path_factory.mktemp("history")
    write_project(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    for tag, message, change in HISTORY:
        change(repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)
        git(repo, "tag", tag)
    return repo


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
