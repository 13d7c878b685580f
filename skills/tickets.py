"""Ticket classification by keyword rules: instant, deterministic, no model call.

Tenants with their own vocabulary ship their own ``classify_ticket`` in
``tenants/<id>/skills/``; the bridge prefers it over this one.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

Category = Literal["billing", "technical", "account", "other"]

#: Whole-word patterns per category, matched on the lower-cased ticket.
RULES: dict[Category, re.Pattern[str]] = {
    "billing": re.compile(r"\b(invoices?|refunds?|charged?|charges|payments?|bill(s|ed|ing)?|receipts?|statements?|"
                          r"subscription|credit card|overcharged|price|plan)\b"),
    "technical": re.compile(r"\b(errors?|crash(es|ed)?|bugs?|timeouts?|broken|not working|api|slow|"
                            r"500|404|exception|sync)\b"),
    "account": re.compile(r"\b(password|log ?in|sign ?in|2fa|mfa|locked|username|email address|"
                          r"delete my account|sso|invite)\b"),
}


class Classification(BaseModel):
    category: Category
    #: Share of the matched keywords that point at the category, damped when few matched.
    confidence: float
    matched: list[str]


@skill("classify_ticket", version="1")
async def classify_ticket(*, text: str, ctx: SkillContext) -> Classification:
    """Sort a support ticket into billing, technical, account or other."""
    lowered = text.lower()
    hits = {category: [m.group(0) for m in pattern.finditer(lowered)] for category, pattern in RULES.items()}
    total = sum(len(words) for words in hits.values())
    if total == 0:
        return Classification(category="other", confidence=0.3, matched=[])
    best: Category = max(hits, key=lambda c: len(hits[c]))
    share = len(hits[best]) / total
    return Classification(category=best, confidence=round(share * min(1.0, 0.55 + 0.15 * len(hits[best])), 2),
                          matched=sorted(set(hits[best])))
