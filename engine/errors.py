"""One exception class per phase, all under :class:`TenantflowError`.

Every error carries structured fields (not only a message) so the CLI, the
runtime server and tests can read them without parsing strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_REPORTED_PROBLEMS = 25


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a user's file: where, what, and how to fix it.

    Rendered as ``file:line:col: location: message (hint)``. ``line`` and
    ``col`` are 1-based; 0 means the position is unknown (the whole file).
    """

    file: str
    line: int
    col: int
    location: str
    message: str
    hint: str = ""
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        parts = [p for p in (where, self.location, self.message) if p]
        text = ": ".join(parts)
        return f"{text} ({self.hint})" if self.hint else text


def render_problems(problems: Sequence[Problem], limit: int = MAX_REPORTED_PROBLEMS) -> str:
    """All problems, one per line, sorted by place, capped at ``limit``."""
    ordered = sorted(set(problems))
    lines = [str(p) for p in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"... and {len(ordered) - limit} more")
    return "\n".join(lines)


class TenantflowError(Exception):
    """Base of every error tenantflow raises on purpose."""

    code = "tenantflow"
    #: Set where a run step failed on what the request's own input holds: the runtime answers 400, not 500.
    client_input = False


class _ProblemsError(TenantflowError):
    def __init__(self, problems: Sequence[Problem]):
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__(render_problems(self.problems))


class SpecError(_ProblemsError):
    """Problems found while loading YAML files (syntax, schema, references)."""

    code = "spec"


class CompileError(_ProblemsError):
    """Problems found while compiling a workflow for a tenant."""

    code = "compile"


class TemplateError(TenantflowError):
    """A Jinja2 template or expression failed to parse or render."""

    code = "template"

    def __init__(self, file: str, line: int, message: str, *, col: int = 0, location: str = "", hint: str = ""):
        self.file, self.line, self.message, self.col, self.location = file, line, message, col, location
        self.hint = hint
        where = f"{file}:{line}:{col}" if line and col else (f"{file}:{line}" if line else file)
        text = f"{where}: {location}: {message}" if location else f"{where}: {message}"
        super().__init__(f"{text} ({hint})" if hint else text)

    def problem(self) -> Problem:
        return Problem(self.file, self.line, (self.col or 1) if self.line else 0, self.location, self.message,
                       self.hint, code="template-syntax")


class AuthError(TenantflowError):
    """The caller's tenant context is missing, invalid or not entitled."""

    code = "auth"


class PolicyDenied(TenantflowError):
    """A policy decided against an action (closed by default)."""

    code = "policy"


class MemoryAccessDenied(TenantflowError):
    """A memory operation addressed a namespace outside the principal's prefixes."""

    code = "memory"


class MemoryValueRefused(TenantflowError):
    """A memory key or value holds a NUL character (U+0000): PostgreSQL cannot store it in text or JSON, so no
    backend takes it (a workflow behaves the same on every store). The message never quotes the value."""

    code = "memory-value"


class GuardrailBlocked(TenantflowError):
    """A guard node blocked the run; the message is safe to show a user."""

    code = "guardrail"

    def __init__(self, stage: str, message: str, records: Sequence[object] = ()):
        self.stage, self.records = stage, list(records)
        super().__init__(message)


class ModelError(TenantflowError):
    """A model provider failed; ``retryable`` says whether a retry may help."""

    code = "model"

    def __init__(self, message: str, *, retryable: bool = False, provider: str = "", error_code: str = ""):
        self.retryable, self.provider, self.error_code = retryable, provider, error_code
        super().__init__(message)


class MissingExtra(TenantflowError):
    """The configuration needs an optional part of tenantflow that is not installed; the message names
    the extra to install (``pip install 'tenantflow[EXTRA]'``)."""

    code = "missing-extra"

    def __init__(self, extra: str, needed_for: str, missing: str):
        self.extra, self.needed_for, self.missing = extra, needed_for, missing
        super().__init__(f"{needed_for} needs the [{extra}] extra ({missing} is not installed): "
                         f"pip install 'tenantflow[{extra}]'")


def require_extra(extra: str, module: str, needed_for: str) -> None:
    """Raise :class:`MissingExtra` unless ``module`` can be imported (it is not imported here).

    >>> require_extra("langchain", "no_such_module", "provider: langchain")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    engine.errors.MissingExtra: provider: langchain needs the [langchain] extra ...: pip install 'tenantflow[langchain]'
    """
    from importlib.util import find_spec

    try:
        found = find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        found = False
    if not found:
        raise MissingExtra(extra, needed_for, module)


class SkillError(TenantflowError):
    """A skill or tool failed after its retry policy ran out."""

    code = "skill"

    def __init__(self, step: str, message: str, *, retryable: bool = False):
        self.step, self.retryable = step, retryable
        super().__init__(message)


@dataclass
class RunFailure:
    """What a failed run tells the caller: which step, what kind, a safe message."""

    step: str
    kind: str
    message: str
    details: dict[str, object] = field(default_factory=dict)


class RunError(TenantflowError):
    """A workflow run failed; ``failure`` names the step and the reason."""

    code = "run"

    def __init__(self, failure: RunFailure):
        self.failure = failure
        super().__init__(f"step {failure.step!r} failed: {failure.message}")


#: Packages whose errors quote the data they failed on (a row's key, a column's text, the JSON that did not parse).
_DATA_QUOTING_PACKAGES = frozenset({"psycopg", "psycopg2", "psycopg_pool", "sqlite3", "aiosqlite", "redis"})


def quotes_data(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a storage driver, whose messages may quote stored values."""
    return any(cls.__module__.split(".")[0] in _DATA_QUOTING_PACKAGES for cls in type(exc).__mro__)


#: What some of the drivers' codes mean, in words that quote nothing.
_CODE_MEANINGS = {
    "SQLITE_FULL": "the disk (or the database's size limit) is full",
    "SQLITE_BUSY": "the database is locked by another writer",
    "22P05": "a value holds a NUL character or an escape PostgreSQL cannot store as text",
    "57P01": "the PostgreSQL server is shutting down",
}


def _told(exc: BaseException) -> str:
    """A driver error's class and code (PostgreSQL's SQLSTATE, SQLite's result code), and what the code means."""
    sqlstate = getattr(exc, "sqlstate", None)
    code = sqlstate or getattr(exc, "sqlite_errorname", None)
    if not code:
        return type(exc).__name__
    meaning = _CODE_MEANINGS.get(code)
    return f"{type(exc).__name__} ({'SQLSTATE ' if sqlstate else ''}{code}{f': {meaning}' if meaning else ''})"


def safe_message(exc: BaseException) -> str:
    """The text of ``exc`` that may go into a log line, a run's state or an error: a storage driver's error is
    told by its class and code only (PostgreSQL's ``DataError`` for a NUL byte quotes the value's first bytes,
    a unique violation quotes the key), and by the driver error it followed, if any (SQLite's "cannot commit"
    after the SQLITE_FULL that caused it).

    >>> import sqlite3
    >>> safe_message(sqlite3.IntegrityError("UNIQUE constraint failed: t.k, value 'secret'"))
    'IntegrityError: details withheld, they may quote stored data'
    >>> safe_message(ValueError("no such step"))
    'no such step'
    """
    if not quotes_data(exc):
        return str(exc)
    told = _told(exc)
    before = exc.__cause__ or exc.__context__
    if before is not None and quotes_data(before):
        told += f", after {_told(before)}"
    return f"{told}: details withheld, they may quote stored data"
