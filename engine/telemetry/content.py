"""Prompt and completion text on spans: only for a tenant that opts in, never where its profile forbids it."""

from __future__ import annotations

#: Guardrail profiles whose tenants' texts never go into traces, whatever the tenant file says: their data
#: (health records, payment cards) must not be copied to a tracing backend.
CONTENT_FORBIDDEN_PROFILES = frozenset({"hipaa", "pci"})

#: What a span carries instead of a text the tenant's output rules block.
WITHHELD = "[withheld: blocked by the tenant's output rules]"
