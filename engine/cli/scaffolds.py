"""``tenantflow new tenant|workflow``: files that validate and run, written into the project."""

from __future__ import annotations

import re
from pathlib import Path

import click

from engine.cli.common import fail, open_project, project_option, user_errors
from engine.cli.group import main
from engine.spec.hints import did_you_mean

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

TENANT = """\
# yaml-language-server: $schema=../../schema/tenantflow.schema.json
apiVersion: tenantflow/v1
kind: Tenant
metadata: {{id: {id}, name: {name}}}
tier: {tier}
# Tools are closed by default: list the ones it may call (globs), e.g. [kb.*].
entitlements: {{tools: []}}
# Without a list the tenant runs every workflow of the project.
# workflows: [...]
"""

WORKFLOW = """\
# yaml-language-server: $schema=../schema/tenantflow.schema.json
apiVersion: tenantflow/v1
kind: Workflow
metadata: {{name: {name}}}
input:
  text: {{type: string, maxLength: 4000}}
output:
  reply: {{type: string}}
steps:
  - id: answer
    llm:
      model: tier                 # the tenant's own model, else its tier's
      prompt: |
        You help the customers of {{{{ tenant.name }}}}. Answer briefly.
        {{{{ input.text }}}}
  - return: {{reply: "{{{{ steps.answer.text }}}}"}}
"""


@main.group()
def new() -> None:
    """Add a tenant or a workflow to the project: files that validate and run."""


def _checked_id(kind: str, value: str) -> str:
    if not _ID.fullmatch(value):
        fail(f"error: {kind} '{value}' must match [A-Za-z0-9][A-Za-z0-9_-]* (no dots or spaces)")
    return value


@new.command("tenant")
@click.argument("tenant_id")
@click.option("--tier", "-t", required=True, help="One of the project's tiers.")
@click.option("--name", help="Display name (default: the id).")
@project_option
def new_tenant(tenant_id: str, tier: str, name: str | None, project_dir: Path) -> None:
    """Write tenants/TENANT_ID/tenant.yaml on TIER."""
    with user_errors():
        project = open_project(project_dir)
        _checked_id("tenant id", tenant_id)
        if tier not in project.spec.tiers:
            fail(f"error: unknown tier '{tier}' ({did_you_mean(tier, project.spec.tiers)})")
        target = project.root / project.spec.paths.tenants / tenant_id / "tenant.yaml"
        if target.exists():
            fail(f"error: {project.display(target)} exists")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(TENANT.format(id=tenant_id, name=name or tenant_id, tier=tier), encoding="utf-8")
        click.echo(f"wrote {project.display(target)}\n"
                   f"next: tenantflow validate && tenantflow run WORKFLOW --tenant {tenant_id} --input '{{...}}'")


@new.command("workflow")
@click.argument("name")
@project_option
def new_workflow(name: str, project_dir: Path) -> None:
    """Write workflows/NAME.yaml: an input, one LLM step on the tenant's tier model, a return."""
    with user_errors():
        project = open_project(project_dir)
        _checked_id("workflow name", name)
        if name in project.workflows:
            fail(f"error: workflow '{name}' already exists ({project.workflows[name].doc.file})")
        target = project.root / project.spec.paths.workflows / f"{name}.yaml"
        if target.exists():
            fail(f"error: {project.display(target)} exists")
        target.write_text(WORKFLOW.format(name=name), encoding="utf-8")
        listing = sorted(t for t, v in project.tenants.items() if v.spec.workflows)
        note = (f"\ntenants with a `workflows:` list run it once it is added there: {', '.join(listing)}"
                if listing else "")
        click.echo(f"wrote {project.display(target)}{note}\n"
                   f"next: tenantflow validate && tenantflow run {name} --tenant TENANT --input "
                   "'{\"text\": \"hello\"}'")
