"""The runtime's OpenAPI document: ``openapi.json`` beside this module, checked in, served at ``GET /openapi.json``.

tests/runtime/test_openapi.py keeps it true: its paths and methods are the
app's routes, and the runtime, fuzzed against it over HTTP, answers only
what it documents.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

PATH = Path(__file__).with_name("openapi.json")


@functools.cache
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return data


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document())
