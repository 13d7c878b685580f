"""The ``tenantflow`` command line: one module per group of commands."""

from engine.startup import startup_phase

with startup_phase():  # modules live as long as the process (see engine/startup.py)
    import engine.cli.costs  # noqa: F401  (costs)
    import engine.cli.guardrails  # noqa: F401  (guardrails eval)
    import engine.cli.identity  # noqa: F401  (token, whoami, skills)
    import engine.cli.keys  # noqa: F401  (keys status, keys rotate)
    import engine.cli.knowledge  # noqa: F401  (ingest, tenant export, tenant delete)
    import engine.cli.platform  # noqa: F401  (export langgraph)
    import engine.cli.review  # noqa: F401  (registers its commands on main)
    import engine.cli.runtime  # noqa: F401  (serve, routes)
    import engine.cli.scaffolds  # noqa: F401  (new tenant, new workflow)
    import engine.cli.sessions  # noqa: F401  (sessions, runs)
    from engine.cli import commands  # noqa: F401  (registers its commands on main)
    from engine.cli.group import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
