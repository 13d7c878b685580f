"""Templates and expressions in Jinja2's sandboxed environment.

Workflow authors write ``"{{ input.ticket }}"`` in values and
``"steps.classify.category == 'billing'"`` in conditions. Everything is
compiled once (at compile time, not per run) and rendered in a
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no ``eval``, no
attribute starting with ``_``, no mutation of the data it is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.errors import TemplateError
from engine.spec.source import DocPath, Source, format_path

_WHOLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.S)


def _tojson(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


#: Largest string or list a template may build with ``*``, and largest exponent of ``**``.
MAX_REPEAT = 100_000
MAX_EXPONENT = 64

_DATA = (str, int, float, bool, type(None))


class _DataSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, tuned for data: keys before attributes, bounded arithmetic."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        # `steps.recall.items` is the step's `items` key, not dict.items.
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is above the limit of {MAX_EXPONENT}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise SecurityError(f"repeating a sequence beyond {MAX_REPEAT} items is refused")
        return super().call_binop(context, operator, left, right)


def _finalize(value: Any) -> Any:
    """Text templates print data only: a function or class never becomes text."""
    if isinstance(value, jinja2.Undefined) or isinstance(value, _DATA) or isinstance(value, (list, dict, tuple)):
        return value
    raise SecurityError(f"a template may only output data, not a {type(value).__name__}")


def _make_env() -> ImmutableSandboxedEnvironment:
    env = _DataSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["tojson"] = _tojson
    return env


ENV = _make_env()


@dataclass(frozen=True)
class Template:
    """A compiled string template; whole-expression templates keep their type.

    ``"{{ steps.fetch.items }}"`` renders to the list itself, not its text,
    so values flow between steps with their types.
    """

    source: str
    file: str
    line: int
    _template: jinja2.Template | None
    _expression: Any | None
    #: For a plain dotted path (``{{ input.ticket }}``): its names, looked up
    #: directly in the data; anything else goes through the sandbox.
    _path: tuple[str, ...] = ()

    def render(self, variables: Mapping[str, Any]) -> Any:
        if self._path:
            found = _lookup(variables, self._path)
            if found is not _MISSING:
                return found
        try:
            if self._expression is not None:
                return _defined(self._expression(**variables))
            assert self._template is not None
            return self._template.render(**variables)
        except SecurityError as exc:
            raise TemplateError(self.file, self.line, f"refused by the sandbox: {exc}") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(self.file, self.line, f"undefined value: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(self.file, self._error_line(exc), str(exc)) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateError(self.file, self.line, f"{exc.__class__.__name__}: {exc}") from None

    def _error_line(self, exc: jinja2.TemplateError) -> int:
        inner = getattr(exc, "lineno", None)
        return self.line + inner - 1 if isinstance(inner, int) and inner > 0 else self.line


_MISSING = object()
_DOTTED_PATH = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*")


def _lookup(variables: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """Walk plain dicts by key; _MISSING sends the caller to the sandbox for the
    exact error (undefined name) or semantics (anything that is not a dict)."""
    value: Any = variables
    for name in path:
        if not isinstance(value, dict) or name not in value:
            return _MISSING
        value = value[name]
    return value if isinstance(value, _DATA) else _MISSING


def _defined(value: Any) -> Any:
    """Check what an expression hands back: data only, and no Undefined.

    Expressions return Undefined objects instead of raising (for an unsafe
    attribute or a missing name) and may return functions or classes; a value
    leaving the sandbox must be plain data, so either raises here.
    """
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    elif isinstance(value, dict):
        for key, item in value.items():
            _defined(key)
            _defined(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _defined(item)
    elif not isinstance(value, _DATA):
        raise SecurityError(f"an expression may only return data, not a {type(value).__name__}")
    return value


def compile_template(source: str, *, file: str = "<inline>", line: int = 0) -> Template:
    """Compile a template string; syntax errors name ``file`` and its line."""
    return _compile_cached(source, file, line)


@lru_cache(maxsize=4096)
def _compile_cached(source: str, file: str, line: int) -> Template:
    whole = _WHOLE_EXPRESSION.match(source)
    try:
        if whole and "{%" not in source:
            expression = ENV.compile_expression(whole.group("expr"), undefined_to_none=False)
            dotted = _DOTTED_PATH.fullmatch(whole.group("expr"))
            path = tuple(dotted.group(1).split(".")) if dotted else ()
            return Template(source, file, line, None, expression, path)
        return Template(source, file, line, ENV.from_string(source), None)
    except jinja2.TemplateSyntaxError as exc:
        at = line + exc.lineno - 1 if line and exc.lineno else (exc.lineno or line)
        raise TemplateError(file, at, f"template syntax error: {exc.message}") from None


def compile_expression(source: str, *, file: str = "<inline>", line: int = 0) -> Template:
    """Compile a condition such as ``steps.a.score > 0.5`` (no braces)."""
    return compile_template("{{ " + source + " }}", file=file, line=line)


@lru_cache(maxsize=1024)
def compile_file(text: str, display: str) -> Template:
    """Compile the text of a template file; errors point at ``display:LINE``."""
    # Keyed by content: an edited file compiles anew, an unchanged one once per process.
    try:
        return Template(text, display, 1, ENV.from_string(text), None)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(display, exc.lineno or 0, f"template syntax error: {exc.message}") from None


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """Render every template string inside a JSON-like value."""
    if isinstance(value, Template):
        return value.render(variables)
    if isinstance(value, dict):
        return {k: render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, variables) for v in value]
    return value


def compile_tree(value: Any, locate: Callable[[DocPath], Source], path: DocPath, *, expression: bool = False,
                 errors: list[TemplateError] | None = None) -> Any:
    """Compile the templates in ``value`` (written at ``path``), each leaf with its own file:line:col.

    With ``errors`` given, every syntax error is appended there and compiling
    goes on (the check pass reports them all); otherwise the first is raised.
    """
    if isinstance(value, dict):
        return {k: compile_tree(v, locate, (*path, k), errors=errors) for k, v in value.items()}
    if isinstance(value, list):
        return [compile_tree(v, locate, (*path, i), errors=errors) for i, v in enumerate(value)]
    if not isinstance(value, str) or not (expression or "{{" in value or "{%" in value):
        return value
    src = locate(path)
    try:
        if expression:
            return compile_expression(value, file=src.file, line=src.line)
        return compile_template(value, file=src.file, line=src.line)
    except TemplateError as exc:
        located = TemplateError(exc.file, exc.line, exc.message, col=src.col if exc.line == src.line else 1,
                                location=format_path(src.path or path))
        if errors is None:
            raise located from None
        errors.append(located)
        return value


def compile_value(value: Any, *, file: str, line: int) -> Any:
    """Compile every string containing ``{{`` or ``{%`` inside a JSON-like value."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return compile_template(value, file=file, line=line)
    if isinstance(value, dict):
        return {k: compile_value(v, file=file, line=line) for k, v in value.items()}
    if isinstance(value, list):
        return [compile_value(v, file=file, line=line) for v in value]
    return value
