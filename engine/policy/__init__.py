"""Cedar policies deciding every skill and tool call, and the quota usage they read."""

from engine.policy.authorizer import AccessDenied, AccessItem, Authorizer, Decision, TenantFacts
from engine.policy.bundle import PolicyBundle, load_policies
from engine.policy.quotas import QuotaUsage

__all__ = ["AccessDenied", "AccessItem", "Authorizer", "Decision", "TenantFacts", "PolicyBundle", "load_policies",
           "QuotaUsage"]
