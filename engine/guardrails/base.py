"""The detector interface every guardrail family implements.

A detector looks at one string and reports :class:`Finding` objects: what
kind of thing it found and where. It never decides what happens next (that
is the tenant's configured :data:`Action`) and never hands back the matched
text, so findings can go into graph state, logs and metrics as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Action = Literal["block", "redact", "flag", "off"]
"""What a guard does with a finding: stop the run, mask the span, only record it, or ignore it."""

ACTIONS: tuple[Action, ...] = ("block", "redact", "flag", "off")

#: Higher is stricter. An overlay may not move a mandatory rule down this scale.
ACTION_STRICTNESS: dict[str, int] = {"off": 0, "flag": 1, "redact": 2, "block": 3}

Stage = Literal["input", "output"]
"""Where a guard node sits: before the first step or after the last."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found in a scanned string.

    ``start``/``end`` are offsets into the scanned string (``text[start:end]``
    is the span). The matched text itself is deliberately not kept.

    >>> Finding(category="pii", type="email", start=8, end=25, confidence=0.95)
    Finding(category='pii', type='email', start=8, end=25, confidence=0.95)
    """

    category: str
    type: str
    start: int
    end: int
    confidence: float

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"invalid finding span {self.start}..{self.end}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {self.confidence}")


class Detector(Protocol):
    """Anything that scans a string and reports findings.

    ``name`` identifies the detector in guard records (``"pii"``,
    ``"denied_terms"``, ...). ``scan`` must be pure and thread-safe: one
    detector instance is shared by every tenant whose configuration is equal.
    """

    @property
    def name(self) -> str: ...

    def scan(self, text: str) -> list[Finding]: ...
