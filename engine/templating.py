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
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

import jinja2
from jinja2 import filters, nodes
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
#: Largest text one template or expression may produce, and the longest it may take to render.
#: Every operation that can make a text much longer than what it was given (``*``, ``+``, ``~``,
#: ``%`` and ``format`` widths, ``join``, ``replace``, ``indent``, ``center``, ``ljust``...) is
#: refused before it builds a text past the bound; loops and calls check the clock.
MAX_OUTPUT = 1_000_000
MAX_RENDER_S = 2.0

_DATA = (str, int, float, bool, type(None))

#: When the template being rendered must be done (``time.perf_counter``); unset outside a render.
_DEADLINE: ContextVar[float | None] = ContextVar("tenantflow_template_deadline", default=None)


def _tick() -> None:
    deadline = _DEADLINE.get()
    if deadline is not None and time.perf_counter() > deadline:
        raise SecurityError(f"rendering took longer than {MAX_RENDER_S:g} s")


def _refuse_longer(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise SecurityError(f"{what} would make a text of {size:,} characters (at most {MAX_OUTPUT:,})")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent(fmt: str) -> None:
    """``'%0500000000d' % 1``: a width or precision past the bound (or one given by ``*``) is refused."""
    for match in _PERCENT_SPEC.finditer(fmt):
        for number in match.groups():
            if number == "*" or (number is not None and int(number) > MAX_OUTPUT):
                raise SecurityError(f"the format width or precision '{match.group(0)}' is refused")


_WIDTH = re.compile(r"\d+")


def _check_format(fmt: str) -> None:
    """``'{:0500000000}'.format(1)``: the same for ``str.format`` fields (nested specs included)."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the author's error itself
    for _, _, spec, _ in fields:
        if spec:
            if "{" in spec:
                raise SecurityError("a format width given by another field is refused")
            if any(int(n) > MAX_OUTPUT for n in _WIDTH.findall(spec)):
                raise SecurityError(f"the format width '{spec}' is refused")


def _text_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


def _check_str_method(name: str, text: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``str`` methods a template may call that can build a text much longer than their input."""
    if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
        _refuse_longer(args[0], f"str.{name}")
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            _refuse_longer(len(text) + text.count("\t") * size, "str.expandtabs")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        times = text.count(old) if old else len(text) + 1
        _refuse_longer(len(text) + times * max(0, len(new) - len(old)), "str.replace")
    elif name == "join" and args:
        items = list(args[0]) if not isinstance(args[0], (list, tuple)) else args[0]
        _refuse_longer(sum(_text_len(i) for i in items) + len(text) * max(0, len(items) - 1), "str.join")
    elif name in ("format", "format_map"):
        _check_format(text)


class _DataSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, tuned for data: keys before attributes, bounded arithmetic, text and time."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

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
        elif operator == "+" and isinstance(left, str) and isinstance(right, str):
            _refuse_longer(len(left) + len(right), "'+'")
        elif operator == "%" and isinstance(left, str):
            _check_percent(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (jinja2's own)
        _tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            _check_str_method(getattr(__obj, "__name__", ""), owner, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format(owner)
        return super().wrap_str_format(value)

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        # Every loop checks the clock as it goes, and every `~` is bounded: the two a
        # template can spend time and memory with that no call or operator above sees.
        for loop in source.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_tenantflow_ticking", [], [], None, None, lineno=loop.lineno)
        for concat in list(source.find_all(nodes.Concat)):
            items = nodes.List(concat.nodes, lineno=concat.lineno)
            bounded = nodes.Filter(items, "_tenantflow_concat", [], [], None, None, lineno=concat.lineno)
            concat.nodes = [bounded]
        return super()._generate(source, name, filename, defer_init)


def _ticking(items: Iterable[Any]) -> Iterator[Any]:
    for i, item in enumerate(items):
        if not i & 255:
            _tick()
        yield item


def _concat(items: list[Any]) -> str:
    texts = [i if isinstance(i, str) else str(i) for i in items]
    _refuse_longer(sum(len(t) for t in texts), "'~'")
    return "".join(texts)


def _bounded_filters() -> dict[str, Callable[..., Any]]:
    """Jinja2's filters that can build a text (or list) much longer than their input, bounded first."""

    def center(value: Any, width: int = 80) -> str:
        _refuse_longer(width if isinstance(width, int) else 0, "center")
        return filters.do_center(value, width)

    def indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        pad = width if isinstance(width, int) else len(str(width))
        _refuse_longer(_text_len(s) + (str(s).count("\n") + 1) * pad, "indent")
        return filters.do_indent(s, width, first, blank)

    @wraps(filters.do_replace)
    def replace(eval_ctx: Any, s: Any, old: Any, new: Any, count: int | None = None) -> str:
        _check_str_method("replace", str(s), (str(old), str(new)), {})
        return filters.do_replace(eval_ctx, s, old, new, count)

    @wraps(filters.do_join)
    def join(eval_ctx: Any, value: Iterable[Any], d: str = "", attribute: str | int | None = None) -> str:
        items = list(value)
        if attribute is None:
            _check_str_method("join", str(d), (items,), {})
        return str(filters.do_join(eval_ctx, items, d, attribute))

    @wraps(filters.do_wordwrap)
    def wordwrap(environment: Any, s: str, width: int = 79, break_long_words: bool = True,
                 wrapstring: str | None = None, break_on_hyphens: bool = True) -> str:
        lines = len(s) // max(1, width) + s.count("\n") + 1
        _refuse_longer(len(s) + lines * len(wrapstring or "\n"), "wordwrap")
        return filters.do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)

    def format_(value: Any, *args: Any, **kwargs: Any) -> str:
        _check_percent(str(value))
        return filters.do_format(value, *args, **kwargs)

    def batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterator[list[Any]]:
        if linecount > MAX_REPEAT:
            raise SecurityError(f"batches of more than {MAX_REPEAT} items are refused")
        return filters.do_batch(value, linecount, fill_with)

    def slice_(value: Any, slices: int, fill_with: Any = None) -> Iterator[list[Any]]:
        if slices > MAX_REPEAT:
            raise SecurityError(f"more than {MAX_REPEAT} slices are refused")
        return iter(filters.do_slice(value, slices, fill_with))

    return {"center": center, "indent": indent, "replace": replace, "join": join, "wordwrap": wordwrap,
            "format": format_, "batch": batch, "slice": slice_,
            "_tenantflow_ticking": _ticking, "_tenantflow_concat": _concat}


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
    env.filters.update(_bounded_filters())
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
        token = _DEADLINE.set(time.perf_counter() + MAX_RENDER_S)
        try:
            if self._expression is not None:
                return _defined(self._expression(**variables))
            assert self._template is not None
            return _joined(self._template.generate(**variables))
        except SecurityError as exc:
            raise TemplateError(self.file, self._runtime_line(exc), f"refused by the sandbox: {exc}") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(self.file, self._runtime_line(exc), f"undefined value: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(self.file, self._error_line(exc), str(exc)) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateError(self.file, self._runtime_line(exc), f"{exc.__class__.__name__}: {exc}") from None
        finally:
            _DEADLINE.reset(token)

    def _runtime_line(self, exc: BaseException) -> int:
        """The line of the template an error at render time comes from: Jinja2 rewrites the traceback so
        that a template's frames carry its own line numbers (``<template>`` is a compiled string's name)."""
        inner = 0
        tb = exc.__traceback__ if self._template is not None else None  # an expression is one line
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<template>":
                inner = tb.tb_lineno
            tb = tb.tb_next
        return self.line + inner - 1 if inner > 0 else self.line

    def _error_line(self, exc: jinja2.TemplateError) -> int:
        inner = getattr(exc, "lineno", None)
        return self.line + inner - 1 if isinstance(inner, int) and inner > 0 else self.line


def _joined(chunks: Iterator[str]) -> str:
    """A template's text, refused once it passes :data:`MAX_OUTPUT` (a loop's output grows chunk by chunk)."""
    out: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise SecurityError(f"the template's output passed {MAX_OUTPUT:,} characters")
        out.append(chunk)
    return "".join(out)


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


_SINGLE_EQUALS = re.compile(r"(?<![=!<>])=(?!=)")

#: What an author most likely meant, by Jinja2's message and what the expression holds (Python, SQL and
#: JavaScript habits first).
_HINTS: list[tuple[Callable[[str, str], bool], str]] = [
    (lambda s, m: "===" in s or "!==" in s, "write '==' or '!=': there is no '==='"),
    (lambda s, m: "<>" in s, "write '!=' for 'not equal'"),
    (lambda s, m: "&&" in s, "write 'and' instead of '&&'"),
    (lambda s, m: "||" in s, "write 'or' instead of '||'"),
    (lambda s, m: m.startswith("unexpected char '!'"), "write 'not x' to negate, '!=' to compare"),
    (lambda s, m: s.lstrip().startswith("if "), "a condition is the expression alone: drop 'if'"),
    (lambda s, m: m == "chunk after expression" and bool(_SINGLE_EQUALS.search(s)),
     "to compare, write '==': a single '=' assigns"),
    (lambda s, m: " is " in s and "got 'string'" in m,
     "to compare with a value write '=='; 'is' takes a test: 'is defined', 'is none', 'is number'"),
    (lambda s, m: m.startswith("unexpected char") and ("'\"'" in m or "\"'\"" in m), "a quote is never closed"),
    (lambda s, m: "end of template" in m and "end of print statement" in m, "close the '{{' with '}}'"),
    (lambda s, m: "end of template" in m and "end of statement block" in m, "close the '{%' with '%}'"),
    (lambda s, m: "end of template" in m,
     "the expression stops too early: something is missing after its last operator"),
    (lambda s, m: m == "unexpected ')'", "a parenthesis is closed that was never opened"),
    (lambda s, m: m == "chunk after expression",
     "one expression ends and more follows: a missing operator ('and', 'or', '==') or quote?"),
]


def _plain(message: str | None) -> str:
    """Jinja2's message without its " at 25": an offset into the text Jinja2 was given, not the author's."""
    return re.sub(r" at \d+$", "", message or "")


def syntax_hint(source: str, message: str) -> str:
    """A hint for an author, for Jinja2's syntax error ``message`` about ``source``."""
    return next((hint for matches, hint in _HINTS if matches(source, message)), "")


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
        raise TemplateError(file, at, f"template syntax error: {_plain(exc.message)}",
                            hint=syntax_hint(whole.group("expr") if whole else source, exc.message or "")) from None


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
        raise TemplateError(display, exc.lineno or 0, f"template syntax error: {_plain(exc.message)}",
                            hint=syntax_hint(text, exc.message or "")) from None


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
                                location=format_path(src.path or path), hint=exc.hint)
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
