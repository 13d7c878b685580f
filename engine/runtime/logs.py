"""The runtime's JSON log lines: one per request, with tenant, request, session and workflow.

Lines go through the engine's JSON formatter (:mod:`engine.telemetry.logs`).
They carry ids, statuses and timings only: never a token, a payload or an
output. A 500's exception goes here with its type, message and stack, and
nowhere else.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

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
    """An unexpected error: logged whole, with its stack (the client only gets the request id)."""
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    event(name, logging.ERROR, **fields, **{"error.type": type(exc).__name__, "error.message": str(exc)[:2000],
                                            "error.stack": stack[-8000:]})
