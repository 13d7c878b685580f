"""The runtime's JSON log lines: one per request, with tenant, request, session and workflow.

Lines go through the engine's JSON formatter (:mod:`engine.telemetry.logs`).
They carry ids, statuses and timings only: never a token, a payload or an
output. A 500's exception goes here with its type, message and stack (a
storage driver's message withheld: it may quote stored data), and
nowhere else.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from engine.errors import safe_message
from engine.telemetry import logs

LOGGER_NAME = f"{logs.LOGGER_NAME}.runtime"


def logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def configure(level: str) -> None:
    """The engine's lines at ``level``; the runtime's own (requests, start, reload, stop) at INFO."""
    logs.configure(level)
    logger().setLevel(logging.INFO)


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    log = logger()
    if log.isEnabledFor(level):
        log.log(level, name, extra={k.replace(".", "_"): v for k, v in fields.items() if v is not None},
                stacklevel=2)


def failure(name: str, exc: BaseException, **fields: Any) -> None:
    """An unexpected error: logged with its stack (the client only gets the request id). A storage driver's
    message is withheld, in the stack too: it may quote stored data (:func:`engine.errors.safe_message`)."""
    event(name, logging.ERROR, **fields, **{"error.type": type(exc).__name__,
                                            "error.message": safe_message(exc)[:2000],
                                            "error.stack": stack(exc)[-8000:]})


def stack(exc: BaseException) -> str:
    """``exc``'s traceback as Python prints it, its causes first, each message made safe."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n".join("Traceback (most recent call last):\n" + "".join(traceback.format_tb(e.__traceback__))
                     + f"{type(e).__name__}: {safe_message(e)}\n" for e in reversed(chain))
