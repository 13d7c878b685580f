"""Initech's own ticket classifier: its support desk tracks outages separately.

Registered under Initech's scope, so the bridge runs it instead of the shared
``classify_ticket`` for Initech's tickets only.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill

Category = Literal["outage", "billing", "technical", "account", "other"]

#: Checked in order; the first category with a hit wins, so an outage report
#: that mentions an error is still an outage.
RULES: list[tuple[Category, re.Pattern[str]]] = [
    ("outage", re.compile(r"\b(outage|down|unreachable|unavailable|no one can|everyone|all users)\b")),
    ("billing", re.compile(r"\b(invoices?|refunds?|charged?|payments?|billing|purchase orders?|po)\b")),
    ("account", re.compile(r"\b(password|log ?in|sign ?in|locked|sso|badge|access request)\b")),
    ("technical", re.compile(r"\b(errors?|crash(es|ed)?|bugs?|slow|broken|not working|timeouts?|printer)\b")),
]


class Classification(BaseModel):
    category: Category
    confidence: float
    matched: list[str]


@skill("classify_ticket", version="1")
async def classify_ticket(*, text: str, ctx: SkillContext) -> Classification:
    """Sort an Initech ticket into outage, billing, account, technical or other."""
    lowered = text.lower()
    for category, pattern in RULES:
        words = sorted({m.group(0) for m in pattern.finditer(lowered)})
        if words:
            return Classification(category=category, confidence=min(0.95, 0.6 + 0.1 * len(words)), matched=words)
    return Classification(category="other", confidence=0.3, matched=[])
