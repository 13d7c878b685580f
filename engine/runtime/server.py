"""Run the runtime under uvicorn: one process, or several workers sharing their limits through Redis."""

from __future__ import annotations

import os
from functools import partial
from typing import Any

from engine.project import Project
from engine.runtime.config import CONFIG_ENV, RuntimeConfig
from engine.runtime.protocol import HeaderDeadlineProtocol


def uvicorn_options(config: RuntimeConfig, host: str, port: int) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "lifespan": "on",
        # httptools' protocol, closing a connection whose request headers take longer than header_timeout_s.
        "http": partial(HeaderDeadlineProtocol, header_timeout_s=config.header_timeout_s),
        # The runtime logs one JSON line per request itself.
        "access_log": False,
        "log_level": "warning",
        "server_header": False,
        # A /ws message larger than the body limit gets a 413 message; one more than twice as large is cut off by
        # uvicorn (close code 1009) before it is read whole, instead of at uvicorn's default of 16 MiB.
        "ws_max_size": config.max_body_bytes * 2,
        # SIGTERM: stop accepting, let requests in flight finish (up to the drain timeout), then shut down.
        "timeout_graceful_shutdown": config.drain_timeout_s,
    }


def serve(config: RuntimeConfig, *, host: str, port: int, workers: int = 1, project: Project | None = None,
          started: float | None = None) -> None:
    import uvicorn

    options = uvicorn_options(config, host, port)
    if workers > 1:
        # Each worker process builds its own app from the configuration in the environment.
        os.environ[CONFIG_ENV] = config.to_env()
        uvicorn.run("engine.runtime.app:app_from_env", factory=True, workers=workers, **options)
        return
    from engine.runtime.app import create_app

    uvicorn.run(create_app(config, project, started=started), **options)
