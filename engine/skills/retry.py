"""Retry and timeout around one call: the step's ``retry`` and ``timeout_s``.

Used by the errors bridge for skills and tools and by LLM steps, so every
kind of work follows one policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.errors import ModelError, SkillError, TemplateError
from engine.spec.common import RetrySpec

T = TypeVar("T")


@dataclass
class Attempts:
    """How many tries a call took."""

    count: int = 0


def is_retryable(exc: BaseException) -> bool:
    """Transient failures are retried; mistakes in input or config are not."""
    if isinstance(exc, (ModelError, SkillError)):
        return exc.retryable
    if isinstance(exc, TemplateError):
        return False
    return isinstance(exc, (asyncio.TimeoutError, TimeoutError, ConnectionError, OSError))


async def run_with_policy(
    call: Callable[[], Awaitable[T]],
    *,
    retry: RetrySpec | None,
    timeout_s: float | None,
    attempts: Attempts | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """Run ``call`` under the timeout, retrying retryable failures with backoff."""
    policy = retry or RetrySpec()
    tracker = attempts if attempts is not None else Attempts()
    delay = policy.backoff_s
    while True:
        tracker.count += 1
        try:
            if timeout_s is None:
                return await call()
            # asyncio.timeout, unlike wait_for, does not start a task per call.
            async with asyncio.timeout(timeout_s):
                return await call()
        except Exception as exc:
            if isinstance(exc, asyncio.TimeoutError):
                exc = TimeoutError(f"timed out after {timeout_s:g} s")
            if tracker.count >= policy.attempts or not is_retryable(exc):
                raise exc from None
        await sleep(min(delay, policy.max_backoff_s))
        delay *= policy.multiplier
