"""Help-center search over HelpDeskly's public articles.

The articles are product documentation, the same for every tenant, so this
tool needs no tenant filter. Tenant-private documents belong in a retrieval
store isolated per tenant, not here.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one on Python 3.11

from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


class Article(TypedDict):
    id: str
    title: str
    url: str
    snippet: str
    score: float


class SearchResult(TypedDict):
    query: str
    articles: list[Article]


_BASE = "https://help.helpdeskly.example/articles/"

#: (id, title, snippet, keywords)
ARTICLES: list[tuple[str, str, str, frozenset[str]]] = [
    ("reset-password", "Reset your password",
     "Use 'Forgot password' on the sign-in page; the link is valid for 30 minutes.",
     frozenset({"password", "reset", "forgot", "login", "sign", "locked"})),
    ("enable-2fa", "Turn on two-factor authentication",
     "Settings > Security > Two-factor; recovery codes are shown once, keep them safe.",
     frozenset({"2fa", "mfa", "two", "factor", "authentication", "security", "code"})),
    ("read-invoice", "Understand your invoice",
     "Invoices are issued on the 1st; line items show seats, usage overage and taxes.",
     frozenset({"invoice", "invoices", "bill", "charge", "charged", "overage", "tax", "seats"})),
    ("refunds", "Refund policy",
     "Annual plans can be refunded pro rata within 30 days; duplicate charges are refunded in 5-7 business days.",
     frozenset({"refund", "refunds", "duplicate", "charged", "twice", "cancel", "money"})),
    ("update-payment", "Update your payment method",
     "Billing > Payment method; the new card is used from the next invoice.",
     frozenset({"card", "payment", "method", "expired", "billing", "update"})),
    ("api-errors", "API error codes and rate limits",
     "429 means the rate limit was hit: retry with exponential backoff. 5xx errors are retried safely.",
     frozenset({"api", "error", "errors", "429", "500", "rate", "limit", "timeout"})),
    ("status-page", "Service status and incidents",
     "Live status and incident history are at status.helpdeskly.example; subscribe for updates.",
     frozenset({"down", "outage", "status", "incident", "slow", "unavailable", "working"})),
    ("sso-setup", "Set up single sign-on (SAML)",
     "Admins upload the IdP metadata under Settings > SSO; test with one user before enforcing.",
     frozenset({"sso", "saml", "okta", "idp", "single", "sign"})),
]


@tool("kb.search")
async def search(*, query: str, limit: Annotated[int, Field(ge=1, le=10)] = 3, ctx: SkillContext) -> SearchResult:
    """Search the help center; best matches first."""
    words = set(re.findall(r"[a-z0-9]+", query.lower()))
    scored = []
    for article_id, title, snippet, keywords in ARTICLES:
        overlap = len(words & keywords)
        if overlap:
            scored.append(Article(id=article_id, title=title, url=_BASE + article_id, snippet=snippet,
                                  score=round(overlap / len(keywords), 3)))
    scored.sort(key=lambda a: (-a["score"], a["id"]))
    return SearchResult(query=query, articles=scored[:limit])
