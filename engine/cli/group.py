"""The ``tenantflow`` command group; each command module registers itself on it."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tenantflow")
def main() -> None:
    """Multi-tenant AI agent workflows in YAML, compiled to LangGraph graphs."""
