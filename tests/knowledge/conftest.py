"""Fixtures of the knowledge tests: PostgreSQL schemas, the memo model, and the backend parameter."""

from tests.knowledge.support import backend
from tests.memory.postgres_support import pg_schemas
from tests.run.memo import memo_provider

__all__ = ["backend", "memo_provider", "pg_schemas"]
