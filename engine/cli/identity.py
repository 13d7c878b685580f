"""Identity commands: mint a development token, and show what a token's caller would run as."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.common import open_project, project_option, user_errors
from engine.cli.group import main


@main.command()
@click.option("--tenant", "-t", required=True, help="Tenant id (must exist in tenants/).")
@click.option("--user", "-u", required=True, help="User id (the token's subject).")
@click.option("--scope", "scopes", multiple=True, help="A scope the user has (repeat for more).")
@click.option("--ttl", default=3600, show_default=True, type=click.IntRange(60, 86400), help="Lifetime in seconds.")
@click.option("--issuer", default=None, help="Which development issuer (default: the first).")
@project_option
def token(tenant: str, user: str, scopes: tuple[str, ...], ttl: int, issuer: str | None, project_dir: Path) -> None:
    """Mint a development JWT, accepted only by the project's development issuer.

    The development issuer is the one in tenantflow.yaml's identity.issuers
    with ``secret_env`` and ``development: true``; its secret is read from
    that environment variable. Never configure one in production.
    """
    from engine.identity.dev import mint_dev_token

    with user_errors():
        project = open_project(project_dir)
        if tenant not in project.tenants:
            from engine.errors import AuthError
            from engine.spec.hints import did_you_mean

            hint = did_you_mean(tenant, project.tenants)
            raise AuthError(f"unknown tenant '{tenant}'" + (f" ({hint})" if hint else ""))
        click.echo(mint_dev_token(project.spec.identity, tenant=tenant, user=user, scopes=scopes, ttl_s=ttl,
                                  issuer=issuer))


@main.command()
@click.argument("token_text", metavar="TOKEN")
@click.option("--session", "-s", default="dev-session", show_default=True, help="Session id.")
@project_option
def whoami(token_text: str, session: str, project_dir: Path) -> None:
    """Verify TOKEN (or @file) and print the tenant context a run with it gets; exit 1 if refused."""
    from engine.engine import Engine

    with user_errors():
        if token_text.startswith("@"):
            token_text = Path(token_text[1:]).read_text(encoding="utf-8").strip()
        engine = Engine(open_project(project_dir))
        ctx = engine.authenticate(token_text, session_id=session).context
        click.echo(json.dumps({"tenant": ctx.tenant_id, "tier": ctx.tier, "user": ctx.user_id,
                               "session": ctx.session_id, "thread": ctx.thread_id, "issuer": ctx.issuer,
                               "scopes": sorted(ctx.scopes), "attributes": dict(ctx.attributes)},
                              indent=2, sort_keys=True))


@main.command()
@click.argument("query", required=False, default="")
@click.option("--kind", type=click.Choice(["skill", "tool"]), default=None, help="Only skills or only tools.")
@click.option("--tenant", "-t", default=None, help="Only what this tenant may use.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_option
def skills(query: str, kind: str | None, tenant: str | None, fmt: str, project_dir: Path) -> None:
    """List skills and tools: versions, source, description, and which tenants and tiers may use each.

    QUERY keeps entries whose name or description contains every word of it.
    """
    from engine.engine import Engine
    from engine.tools.discovery import registry_listing

    with user_errors():
        engine = Engine(open_project(project_dir))
        if tenant is not None:
            engine.settings(tenant)  # an unknown tenant is a clear error
        found = registry_listing(engine.project.registry, engine.project.tools, engine.project.tenants,
                                 engine.tenants.facts, engine.authorizer, query=query, kind=kind, tenant=tenant)
        if fmt == "json":
            click.echo(json.dumps([item.to_json() for item in found], indent=2, sort_keys=True))
            return
        if not found:
            click.echo("no skill or tool matches")
            return
        for item in found:
            owner = "" if item.scope == "shared" else f" (own implementation of {item.scope})"
            who = ", ".join(item.tenants) or "no tenant"
            tiers = ", ".join(item.tiers) or "-"
            click.echo(f"{item.kind} {item.name} v{', v'.join(item.versions)} [{item.source}]{owner}\n"
                       f"    {item.description or '(no description)'}\n    tenants: {who}; tiers: {tiers}")
