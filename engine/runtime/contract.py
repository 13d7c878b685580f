"""The AgentCore Runtime service contract: headers in, JSON bodies in and out, errors as statuses.

Follows the contract of the ``bedrock-agentcore`` SDK's runtime app: the
session id, request id and custom metadata arrive in
``X-Amzn-Bedrock-AgentCore-Runtime-*`` headers, the user's JWT in
``Authorization: Bearer``; a bad JSON body is ``400 {"error": "Invalid
JSON", "details": ...}``; every error body has an ``"error"`` key. Unlike
the SDK, a 500 never carries the exception's text: only a generic message
and the request id, the details going to the log.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers

from engine.context import TenantContext
from engine.engine import NothingToResume, RunResult, UnknownWorkflow
from engine.errors import AuthError, MemoryAccessDenied, PolicyDenied, RunError, TenantflowError
from engine.identity.verify import TokenRejected
from engine.ids import is_valid_id
from engine.inputs import InputError
from engine.usage.budget import BudgetExceeded
from engine.usage.meter import LimiterUnavailable, OverLimit

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
USER_ID_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"
CUSTOM_HEADER_PREFIX = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-"

_CUSTOM_PREFIX = CUSTOM_HEADER_PREFIX.lower()
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]+")

#: Custom headers that name who the caller is: they must agree with the verified token, or the request is refused.
IDENTITY_HEADERS: dict[str, str] = {
    "tenant": "tenant", "tenant-id": "tenant", "tenantid": "tenant",
    "user": "user", "user-id": "user", "userid": "user",
    "tier": "tier", "subscription-tier": "tier",
}

INTERNAL_ERROR = "Internal error"


class HttpError(TenantflowError):
    """An answer other than 200: its status, a message safe to show, and extra fields or headers."""

    def __init__(self, status: int, message: str, *, fields: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, code: str = ""):
        self.status, self.message, self.code = status, message, code
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})
        super().__init__(f"{status} {message}")

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.message, **({"code": self.code} if self.code else {}), **self.fields,
                "request_id": request_id}


@dataclass(frozen=True)
class RequestMeta:
    """What the headers of one invocation say, before anything in them is trusted."""

    request_id: str
    session_id: str
    #: False when the caller sent no session id and one was made up for this request.
    session_given: bool
    token: str | None = field(repr=False)
    #: Custom headers by lower-case suffix (``X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant-Id`` -> ``tenant-id``).
    custom: dict[str, str]
    user_id: str | None
    wants_stream: bool
    #: Contract headers the request sent more than once (lower-case names): refused, whichever value comes last.
    repeated: tuple[str, ...] = ()


#: Headers that may appear once: a second copy could carry another identity than the one checked.
_SINGLE_HEADERS = frozenset(h.lower() for h in (SESSION_HEADER, REQUEST_ID_HEADER, USER_ID_HEADER, "authorization"))


def read_meta(headers: Headers) -> RequestMeta:
    """Read the contract's headers."""
    request_id = headers.get(REQUEST_ID_HEADER, "")
    if not _REQUEST_ID.fullmatch(request_id):
        request_id = str(uuid.uuid4())
    session = headers.get(SESSION_HEADER)
    custom = {k[len(_CUSTOM_PREFIX):]: v for k, v in headers.items() if k.lower().startswith(_CUSTOM_PREFIX)}
    accept = headers.get("accept", "")
    return RequestMeta(
        request_id=request_id,
        session_id=session if session is not None else str(uuid.uuid4()),
        session_given=session is not None,
        token=bearer_token(headers.get("authorization")),
        custom={k.lower(): v for k, v in custom.items()},
        user_id=headers.get(USER_ID_HEADER),
        wants_stream="text/event-stream" in accept.lower(),
        repeated=repeated_headers(headers),
    )


def repeated_headers(headers: Headers) -> tuple[str, ...]:
    """The contract's headers that ``headers`` holds more than once: the session, request and user ids,
    ``Authorization`` and every custom header."""
    names = [name.decode("latin-1").lower() for name, _ in headers.raw]
    seen: set[str] = set()
    twice: set[str] = set()
    for name in names:
        if name in _SINGLE_HEADERS or name.startswith(_CUSTOM_PREFIX):
            (twice if name in seen else seen).add(name)
    return tuple(sorted(twice))


def check_headers_once(meta: RequestMeta) -> None:
    """400 for a request that repeats a contract header: which copy a proxy or this server reads is not the
    caller's to choose (a token for one tenant and two tenant headers, the other tenant's first, must not pass)."""
    if meta.repeated:
        raise HttpError(400, "Duplicate header", code="duplicate-header",
                        fields={"details": f"sent more than once: {', '.join(meta.repeated)}"})


def bearer_token(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(token):
        return ""
    return token


def check_session_id(session: str) -> None:
    """A plain id or a thread id ``tenant:user:session``; anything else is the caller's mistake (400)."""
    parts = session.split(":")
    if len(parts) not in (1, 3) or not all(is_valid_id(p) for p in parts):
        raise HttpError(400, "invalid session id", code="session",
                        fields={"details": f"{SESSION_HEADER} must match [A-Za-z0-9][A-Za-z0-9_-]* "
                                           "(at most 128 characters) or be tenant:user:session"})


def unauthorized(reason: str) -> HttpError:
    """401, with the RFC 6750 challenge; ``reason`` is a stable code (``missing``, ``expired``, ``signature``...)."""
    error = "invalid_request" if reason == "missing" else "invalid_token"
    return HttpError(401, "Unauthorized", code=reason,
                     headers={"WWW-Authenticate": f'Bearer realm="tenantflow", error="{error}"'})


def authentication_error(exc: AuthError) -> HttpError:
    """What a refused token becomes: 401, or 403 for a session that belongs to someone else."""
    reason = exc.reason if isinstance(exc, TokenRejected) else "invalid"
    if reason == "session":
        return HttpError(403, "Forbidden", code="session")
    return unauthorized(reason)


def check_identity_headers(meta: RequestMeta, ctx: TenantContext) -> None:
    """A header never overrides the verified token: one that names another tenant, user or tier is refused."""
    claimed: list[tuple[str, str]] = [(IDENTITY_HEADERS[k], v) for k, v in meta.custom.items()
                                      if k in IDENTITY_HEADERS]
    if meta.user_id is not None:
        claimed.append(("user", meta.user_id))
    actual = {"tenant": ctx.tenant_id, "user": ctx.user_id, "tier": ctx.tier}
    for what, value in claimed:
        if value.strip() != actual[what]:
            raise HttpError(403, "Forbidden", code="header-conflict",
                            fields={"details": f"a request header names another {what} than the verified token"})


#: How deeply a request body's arrays and objects may nest, and how many characters one number may have: deeper
#: or longer would cost the parser, the validators and the policies out of proportion (or fail in them).
MAX_JSON_DEPTH = 64
MAX_NUMBER_CHARS = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Unacceptable(ValueError):
    """A JSON value this runtime does not accept, though JSON's grammar allows it."""


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Unacceptable(f"a number has {len(text)} digits; at most {MAX_NUMBER_CHARS} are accepted")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Unacceptable(f"a number has {len(text)} characters; at most {MAX_NUMBER_CHARS} are accepted")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Unacceptable(f"the number {text} is too large for a float")
    return value


def _constant(text: str) -> Any:
    raise _Unacceptable(f"{text} is not JSON")  # Python's parser takes NaN and Infinity; JSON does not


def _check_values(data: Any) -> None:
    """Nesting at most MAX_JSON_DEPTH deep, and no lone surrogate (``"\\ud800"``) in any string or key: it cannot
    be encoded as UTF-8, so no answer, log line, policy or store could carry it."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise _Unacceptable("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text")
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _Unacceptable(f"arrays and objects nest deeper than {MAX_JSON_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                if key is not None:
                    stack.append((key, depth))
                stack.append((item, depth + 1))


def parse_json(raw: bytes) -> Any:
    """A request body as JSON; 400 for anything else, for nesting deeper than MAX_JSON_DEPTH, a number longer than
    MAX_NUMBER_CHARS, NaN or Infinity, and a lone surrogate."""
    if not raw.strip():
        raise HttpError(400, "Invalid JSON", fields={"details": "the request body is empty"})
    try:
        data = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
        _check_values(data)
    except UnicodeDecodeError as exc:
        raise HttpError(400, "Invalid encoding", fields={"details": f"the body is not UTF-8: {exc.reason}"}) from None
    except _Unacceptable as exc:
        raise HttpError(400, "Invalid JSON", fields={"details": str(exc)}) from None
    except RecursionError:  # far deeper than our bound: the parser gives up before _check_values could
        raise HttpError(400, "Invalid JSON", fields={"details": f"arrays and objects nest deeper than "
                                                                f"{MAX_JSON_DEPTH} levels"}) from None
    except json.JSONDecodeError as exc:
        raise HttpError(400, "Invalid JSON", fields={"details": str(exc)}) from None
    return data


def invocation(body: Any, served: str | None) -> tuple[str, Any]:
    """The workflow and its input: ``{"workflow": NAME, "input": {...}}``, or the input alone if one is served."""
    envelope = isinstance(body, dict) and "workflow" in body and set(body) <= {"workflow", "input", "resume"}
    if served is not None and not envelope:
        return served, body
    if not isinstance(body, dict):
        raise HttpError(400, "Invalid request", code="input",
                        fields={"fields": {"(body)": 'expected a JSON object {"workflow": NAME, "input": {...}}'}})
    problems = {k: "unknown field (expected: input, resume, workflow)" for k in body
                if k not in ("workflow", "input", "resume")}
    name = body.get("workflow")
    if not isinstance(name, str) or not name:
        problems["workflow"] = "required field is missing" if name is None else "expected a workflow name"
    if problems:
        raise HttpError(400, "Invalid request", code="input", fields={"fields": problems})
    assert isinstance(name, str)
    if served is not None and name != served:
        raise HttpError(404, "Unknown workflow", code="unknown-workflow",
                        fields={"details": f"this runtime serves workflow '{served}' only"})
    return name, body.get("input", {})


@dataclass(frozen=True)
class Resume:
    """A request that goes on with a run of the session instead of starting one.

    ``{"workflow": W, "resume": {}}`` resumes the session's unfinished run (after a crash);
    ``{"workflow": W, "resume": {"answer": {...}, "user": U}}`` answers the question (an ``ask``
    step) that user U's run (default: the caller's) waits on in this session.
    """

    answer: Any = None
    user: str | None = None
    answers: bool = False


def resume_of(body: Any) -> Resume | None:
    """The body's ``resume``, checked; None for a request that starts a run."""
    if not isinstance(body, dict) or "resume" not in body:
        return None
    value = body["resume"]
    problems: dict[str, str] = {}
    if "input" in body:
        problems["input"] = "a resume goes on with a run: it takes no input"
    if not isinstance(value, dict):
        problems["resume"] = 'expected an object: {} or {"answer": {...}, "user": "<requesting user>"}'
    else:
        problems |= {f"resume.{k}": "unknown field (expected: answer, user)" for k in value
                     if k not in ("answer", "user")}
        if "user" in value and not isinstance(value["user"], str):
            problems["resume.user"] = "expected a user id"
    if problems:
        raise HttpError(400, "Invalid request", code="input", fields={"fields": problems})
    return Resume(value.get("answer"), value.get("user"), "answer" in value)


def run_error(exc: BaseException) -> HttpError | None:
    """The HTTP answer to an error of an authenticated request; None means 500 (logged, never shown)."""
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, BudgetExceeded):
        return HttpError(429, "Monthly budget exhausted", code=exc.code,
                         headers={"Retry-After": str(exc.retry_after_s)},
                         fields={"details": str(exc), "spent_usd": round(exc.spent_usd, 6),
                                 "budget_usd": exc.budget_usd, "retry_after_s": exc.retry_after_s})
    if isinstance(exc, OverLimit):
        return HttpError(429, "Too many requests", code=exc.reason, fields={"retry_after_s": exc.retry_after_s},
                         headers={"Retry-After": str(exc.retry_after_s)})
    if isinstance(exc, LimiterUnavailable):
        return HttpError(503, "Service unavailable", code="limiter", headers={"Retry-After": "1"})
    if isinstance(exc, InputError):
        return HttpError(400, "Input does not match the workflow's input schema", code="input",
                         fields={"workflow": exc.workflow, "fields": exc.fields})
    if isinstance(exc, RunError) and exc.failure.details.get("retryable"):
        # A model provider still throttling or unavailable after the step's retries: the client may retry.
        return HttpError(503, "Service unavailable", code="upstream", headers={"Retry-After": "1"},
                         fields={"details": f"step '{exc.failure.step}': a model provider is throttling or "
                                            "unavailable; retry later"})
    if isinstance(exc, RunError) and exc.failure.details.get("client_input"):
        # A step failed on what the request's input holds (a NUL character memory cannot store): the message
        # names the step and the reason, never the value.
        return HttpError(400, "Bad request", code=str(exc.failure.details["client_input"]),
                         fields={"details": f"step '{exc.failure.step}': {exc.failure.message}"})
    if isinstance(exc, NothingToResume):
        return HttpError(409, "Nothing to resume", code=exc.code, fields={"details": str(exc)})
    if isinstance(exc, UnknownWorkflow):
        return HttpError(404, "Unknown workflow", code="unknown-workflow", fields={"workflow": exc.name})
    if isinstance(exc, (AuthError, PolicyDenied, MemoryAccessDenied)):
        # Raised inside a run: the caller is known but may not do this. Policy texts stay in the log.
        return HttpError(403, "Forbidden", code=exc.code)
    return None


def result_body(result: RunResult, ctx: TenantContext) -> dict[str, Any]:
    """The answer of a run: output, session id, token usage and guardrail records.

    Handled step errors are listed by step and kind only; their messages may
    name internals and go to the log.
    """
    data = result.to_json()
    usage = data["usage"]
    return {
        "workflow": result.workflow,
        "tenant": ctx.tenant_id,
        "session_id": ctx.session_id,
        "request_id": ctx.request_id,
        "output": result.output,
        "blocked": result.blocked,
        "usage": {k: usage[k] for k in ("input_tokens", "output_tokens", "cost_usd", "models")},
        "guardrails": result.guard,
        "errors": [{"step": e.get("step"), "kind": e.get("kind")} for e in result.errors],
        "duration_ms": data["duration_ms"],
    } | ({"status": "waiting", "pending": result.pending} if result.pending is not None else {})


def payload_too_large(limit: int) -> HttpError:
    return HttpError(413, "Payload too large", fields={"max_bytes": limit})


def error_message(error: HttpError, request_id: str) -> dict[str, Any]:
    """An error as one message where there is no status line (WebSocket): the body an HTTP answer would have,
    with ``"type": "error"``, its ``status`` and, where the answer would say ``Retry-After``, ``retry_after_s``."""
    message: dict[str, Any] = {"type": "error", "status": error.status, **error.body(request_id)}
    retry_after = error.headers.get("Retry-After")
    if retry_after is not None and retry_after.isdigit():
        message.setdefault("retry_after_s", int(retry_after))
    return message


def header_bytes(headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The size of a request's header block, as the header limit counts it (ASGI ``scope["headers"]``)."""
    return sum(len(name) + len(value) + 4 for name, value in headers)


def dumps(data: Any) -> bytes:
    """JSON as UTF-8; a lone surrogate (from a skill, a tool or a model) is sent as its JSON escape (``\\ud800``),
    never as an answer or stream that breaks off."""
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")


