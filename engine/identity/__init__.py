"""Identity: verified user tokens, the tenant context built from them, and token exchange for tools."""

from engine.identity.authenticate import Caller, authenticate
from engine.identity.credentials import DelegatedToken, UserCredential, current_credential
from engine.identity.exchange import Delegation, ExchangeRefused, TokenService, WorkloadIdentity
from engine.identity.verify import TokenIdentity, TokenRejected, TokenVerifier

__all__ = [
    "Caller",
    "authenticate",
    "DelegatedToken",
    "UserCredential",
    "current_credential",
    "Delegation",
    "ExchangeRefused",
    "TokenService",
    "WorkloadIdentity",
    "TokenIdentity",
    "TokenRejected",
    "TokenVerifier",
]
