"""Cedar policies deciding every skill and tool call; the quota usage they read is :mod:`engine.usage`'s."""

from engine.policy.authorizer import AccessDenied, AccessItem, Authorizer, Decision, TenantFacts
from engine.policy.bundle import PolicyBundle, load_policies

__all__ = ["AccessDenied", "AccessItem", "Authorizer", "Decision", "TenantFacts", "PolicyBundle", "load_policies"]
