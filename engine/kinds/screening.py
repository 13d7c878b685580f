"""Retrieved passages and recalled memories pass the guard before they can reach a prompt.

A document or a memory entry is text someone else wrote: it can carry an
instruction aimed at the model (indirect prompt injection), a secret, or
another tenant's marks. Each text is checked with the tenant's input guard
(injection, secrets, PII, terms) and its leakage check; one with a blocking
finding, or any injection, secret or leakage finding whatever its action, is
dropped, and the step's output records which and why (finding types only,
never the text). What passes keeps the guard's redactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.guardrails.chain import GuardChain

#: Finding categories that drop a text whatever action the tenant set for them.
ALWAYS_DROP = frozenset({"injection", "secret", "leakage"})


@dataclass(frozen=True)
class Screened:
    kept: list[tuple[int, str]]
    dropped: list[dict[str, Any]]


def screen(chain: GuardChain, texts: Sequence[tuple[str, str]], tenant: str) -> Screened:
    """Screen ``texts`` ((label, text) each): the kept ones by index with their redacted text, and the dropped."""
    kept: list[tuple[int, str]] = []
    dropped: list[dict[str, Any]] = []
    for i, (label, text) in enumerate(texts):
        checked = chain.check(text, "input", label, tenant=tenant)
        leaked = chain.check_leakage(text, label, tenant=tenant)
        records = [*checked.records, *leaked.records]
        reasons = sorted({f"{r['category']}:{r['type']}" for r in records
                          if r["action"] == "block" or r["category"] in ALWAYS_DROP})
        if reasons:
            dropped.append({"item": label, "reasons": reasons})
        else:
            kept.append((i, checked.text))
    return Screened(kept, dropped)
