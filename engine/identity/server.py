"""The built-in token service over HTTP: ``POST /token`` (RFC 8693) and ``GET /jwks.json``.

For development and tests; a production deployment points
``identity.exchange.endpoint`` at its own token service.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.identity.exchange import ExchangeRefused, TokenService

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def token_app(service: TokenService) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            body = service.exchange(fields)
        except ExchangeRefused as exc:
            return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status,
                                headers=_NO_STORE)
        return JSONResponse(body, headers=_NO_STORE)

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(service.jwks())

    return Starlette(routes=[Route("/token", token, methods=["POST"]), Route("/jwks.json", jwks, methods=["GET"])])
