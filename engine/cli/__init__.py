"""The ``tenantflow`` command line: one module per group of commands."""

from engine.cli import commands  # noqa: F401  (registers its commands on main)
from engine.cli.group import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
