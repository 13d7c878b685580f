"""Structured JSON logs: one object per line, tenant fields on every record."""

from __future__ import annotations

import json
import logging
from typing import Any

LOGGER_NAME = "tenantflow"
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        return json.dumps(data, default=str, sort_keys=True)


def logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def configure(level: str = "WARNING") -> None:
    """Send the engine's logs to stderr as JSON lines."""
    log = logger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``name`` with structured ``fields`` (ids and numbers only; never payloads or tokens)."""
    log = logger()
    if log.isEnabledFor(level):
        log.log(level, name, extra={k.replace(".", "_"): v for k, v in fields.items()}, stacklevel=2)
