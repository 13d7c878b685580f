"""Bridge: errors. The step's retry and timeout policy around the implementation.

Transient failures are retried with backoff; when the policy runs out the
error goes up to the step, which records it in state and follows its
``on_error`` (a fallback step, continue, or fail the run).
"""

from __future__ import annotations

from typing import Any

from engine.skills.bridge import Handler, SkillCall
from engine.skills.retry import Attempts, run_with_policy


async def bridge(call: SkillCall, call_next: Handler) -> Any:
    attempts = Attempts()

    async def once() -> Any:
        return await call_next(call)

    try:
        return await run_with_policy(once, retry=call.retry, timeout_s=call.timeout_s, attempts=attempts)
    finally:
        call.attempts = attempts.count
