"""YAML loading that keeps where every value came from.

``load_document`` parses one YAML file into plain Python data plus a map from
document path (``("steps", 2, "skill")``) to the line and column of that
value and of its key, so later phases can point a user at the exact spot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from engine.errors import Problem

DocPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Source:
    """Where a value was set: file, 1-based line and column, and the layer."""

    file: str
    line: int
    col: int
    layer: str = ""
    #: The value's path inside ``file`` (which may differ from its path after overlays).
    path: DocPath = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Document:
    """One parsed YAML file: its data and the source of every value in it.

    The tables of sources (``values``, ``keys``) are built the first time
    something asks for them, by parsing the file's text again: a runtime
    loading 10,000 tenant files that are all sound never needs them.
    Building them with the data took half of the load time, and keeping the
    parsed nodes instead of the text held about 8 KB per tenant file (80 MB
    of YAML nodes and marks at 10,000 tenants).
    """

    def __init__(self, file: str, data: Any, values: dict[DocPath, Source] | None = None,
                 keys: dict[DocPath, Source] | None = None, *, text: str | None = None, layer: str = ""):
        self.file, self.data = file, data
        self._values, self._keys = values, keys
        self._text, self._layer = text, layer

    @property
    def values(self) -> dict[DocPath, Source]:
        """Document path -> where its value starts."""
        if self._values is None:
            self._index()
        assert self._values is not None
        return self._values

    @property
    def keys(self) -> dict[DocPath, Source]:
        """Document path -> where its key is written (mapping entries only)."""
        if self._keys is None:
            self._index()
        assert self._keys is not None
        return self._keys

    def _index(self) -> None:
        self._values, self._keys = {}, {}
        if self._text is not None:
            # The same text parsed by the same parser: the nodes match the data built from them at load.
            root, loader = compose(self._text)
            if root is not None:
                _index(root, (), self.data, self, self._layer, loader)
        self._text = None  # the tables replace it

    def source(self, path: DocPath, *, key: bool = False) -> Source:
        """The source of ``path``, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in table:
                return table[prefix]
            if key and prefix in self.values:
                return self.values[prefix]
        return Source(self.file, 1, 1)

    def problem(self, path: DocPath, message: str, *, hint: str = "", key: bool = False, code: str = "") -> Problem:
        src = self.source(path, key=key)
        return Problem(self.file, src.line, src.col, format_path(path), message, hint, code)


def format_path(path: DocPath) -> str:
    """``("steps", 2, "with", "text")`` -> ``steps[2].with.text``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


#: Bounds on one YAML file. A few lines of nested aliases (the "billion laughs" shape: nine
#: levels of nine) expand to billions of values; a file past these bounds is refused before
#: any value is built. The demo's largest file holds about 600 values, 9 levels deep.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_VALUES = 100_000
MAX_DEPTH = 64


class YAMLLimitError(yaml.YAMLError):
    """A YAML file past one of the bounds above; ``problem`` says which, and where."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.line}:{problem.col}: {problem.message}")
        self.problem = problem


class _Loader(yaml.SafeLoader):
    """SafeLoader: no Python object tags, ever."""


#: libyaml's parser with SafeLoader's constructors, where PyYAML has it: it parses
#: about 20 times faster (a runtime with 1,000 tenant files starts in 0.6 s, not 7).
#: Its error messages differ, so a file it refuses is parsed again by _Loader.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None


def load_plain(text: str, display: str = "<text>", *, max_bytes: int = MAX_FILE_BYTES,
               max_values: int = MAX_VALUES) -> Any:
    """The data of a YAML text, without sources (libyaml's parser where PyYAML has it); raises yaml.YAMLError
    (:class:`YAMLLimitError` for a text past the bounds on size, depth and alias expansion)."""
    if len(text) > max_bytes:
        raise YAMLLimitError(_too_large(text, display, max_bytes))
    try:
        node, loader = compose(text)
    except RecursionError:
        raise YAMLLimitError(_too_deep_text(display)) from None
    if node is None:
        return None
    bound = expansion_problem(node, text, display, max_values)
    if bound is not None:
        raise YAMLLimitError(bound)
    return loader.construct_document(node)


def compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree of a YAML text and the loader that made it (its ``construct_document`` gives the data).

    libyaml's parser where PyYAML has it; a text it refuses is parsed again by PyYAML, so a
    ``yaml.MarkedYAMLError`` carries PyYAML's own message and marks.
    """
    if _FAST_LOADER is not None:
        fast = _FAST_LOADER(text)
        try:
            return fast.get_single_node(), fast
        except yaml.YAMLError:
            pass  # reported below, in PyYAML's own words and marks
        finally:
            fast.dispose()
    loader = _Loader(text)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()


def load_document(path: Path, display: str, layer: str = "") -> tuple[Document | None, list[Problem]]:
    """Parse ``path``; return the document or the problems that stopped it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(display, 0, 0, "", f"cannot read file: {exc.__class__.__name__}: {exc}")]
    return parse_document(text, display, layer)


def parse_document(text: str, display: str, layer: str = "") -> tuple[Document | None, list[Problem]]:
    if len(text) > MAX_FILE_BYTES:
        return None, [_too_large(text, display)]
    try:
        node, loader = compose(text)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, display)]
    except yaml.YAMLError as exc:
        return None, [Problem(display, 0, 0, "", f"YAML syntax error: {exc}", code="yaml-syntax")]
    except RecursionError:
        return None, [_too_deep_text(display)]
    problems: list[Problem] = []
    if node is None:
        return Document(display, {}, {}, {}), problems
    bound = expansion_problem(node, text, display)
    if bound is not None:
        return None, [bound]
    doc = Document(display, None, text=text, layer=layer)
    doc.data = _build(node, (), doc, loader, problems)
    return doc, problems


def expansion_problem(root: yaml.Node, text: str, display: str, max_values: int = MAX_VALUES) -> Problem | None:
    """A problem if aliases make ``root`` expand past ``max_values`` values or :data:`MAX_DEPTH` levels,
    or an alias stands inside the value it names; ``None`` for a text with no anchor (no alias can expand).

    Sizes are counted on the node graph (an alias is the anchored node itself, shared), once per node,
    so the count costs as much as the file is long, whatever it would expand to.
    """
    if "&" not in text:
        return None
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Bound(node, "a YAML alias stands inside the value its anchor names (an endless value)",
                         "an alias may name only a value written before it, outside it")
        if depth > MAX_DEPTH:
            raise _Bound(node, f"the YAML is nested more than {MAX_DEPTH} levels deep",
                         "a tenantflow file is a few levels deep: check the aliases and the indentation")
        total = 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            open_nodes.add(key)
            for child in _children(node):
                total += size(child, depth + 1)
            open_nodes.discard(key)
        sizes[key] = total
        return total

    try:
        total = size(root, 0)
    except _Bound as bound:
        return _node_limit(display, bound.node, bound.message, bound.hint)
    if total <= max_values:
        return None
    # Blame the innermost value that expands past the bound: the anchor whose aliases blow up.
    node, path = root, cast(DocPath, ())
    while True:
        bigger = next(((part, c) for part, c in _entries(node) if sizes.get(id(c), 1) > max_values), None)
        if bigger is None:
            break
        path, node = (*path, bigger[0]), bigger[1]
    line = text.splitlines()[node.start_mark.line][node.start_mark.column:]
    anchor = re.match(r"&([^\s,\[\]{}]+)", line)
    what = f"the value of anchor '&{anchor.group(1)}'" if anchor else "this value"
    return _node_limit(display, node, f"YAML aliases expand {what} to {sizes[id(node)]:,} values "
                       f"(a file may hold at most {max_values:,})",
                       "write the values out instead of nesting aliases of aliases", path)


class _Bound(Exception):
    def __init__(self, node: yaml.Node, message: str, hint: str):
        self.node, self.message, self.hint = node, message, hint


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _entries(node: yaml.Node) -> Iterator[tuple[str | int, yaml.Node]]:
    """A collection's values with the key or index each sits at (a key that is itself a collection: '?')."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield (str(key.value) if isinstance(key, yaml.ScalarNode) else "?"), value
            yield "?", key
    elif isinstance(node, yaml.SequenceNode):
        yield from enumerate(node.value)


def _node_limit(display: str, node: yaml.Node, message: str, hint: str, path: DocPath = ()) -> Problem:
    return Problem(display, node.start_mark.line + 1, node.start_mark.column + 1, format_path(path), message, hint,
                   code="yaml-limit")


def _too_large(text: str, display: str, limit: int = MAX_FILE_BYTES) -> Problem:
    return Problem(display, 1, 1, "", f"the file is {len(text):,} characters long (at most {limit:,})",
                   "split it, or keep large data out of workflow and tenant files", code="yaml-limit")


def _too_deep_text(display: str) -> Problem:
    return Problem(display, 1, 1, "", "the YAML is nested too deeply to read",
                   "a tenantflow file is a few levels deep: check the brackets and the indentation",
                   code="yaml-limit")


def _syntax_problem(exc: yaml.MarkedYAMLError, display: str) -> Problem:
    """PyYAML's error, said plainly, at the spot a user has to change."""
    problem, context, opened = exc.problem or "", exc.context or "", exc.context_mark
    mark = exc.problem_mark or opened
    # "while parsing a flow mapping" -> "flow mapping"
    opened_what = context.split(" a ", 1)[1] if " a " in context else ""
    hint = ""
    if problem.startswith("but "):
        # "expected a single document in the stream" / "but found another document"
        problem = f"{context}, {problem}"
    elif not problem:
        problem = context or "invalid YAML"
    elif "'\\t'" in problem:
        hint = "indent with spaces: YAML does not allow tabs"
    elif problem == "mapping values are not allowed here":
        hint = "put quotes around a value that contains ': '"
        under = _indented_under_a_value(mark)
        if under is not None:
            return _under_a_value(display, *under)
    elif opened is not None and context == "while scanning a simple key":
        # The missing ':' belongs after the key that starts the context, not where PyYAML gave up.
        mark, hint = opened, "a key needs ':' after it, on the same line"
    elif opened is not None and "end of stream" in problem:
        mark, hint = opened, f"the {opened_what} that starts here is never closed"
    elif "<block end>" in problem and "<scalar>" not in problem:
        hint = "check the indentation: the keys of one mapping and the items of one list must line up"
        under = _indented_under_a_value(mark) if "block mapping start" in problem else None
        if under is not None:
            return _under_a_value(display, *under)
    elif opened is not None and opened_what:
        hint = f"in the {opened_what} that starts at line {opened.line + 1}, column {opened.column + 1}"
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return Problem(display, line, col, "", f"YAML syntax error: {problem}", hint, code="yaml-syntax")


def _under_a_value(display: str, line: int, col: int, key: str) -> Problem:
    return Problem(display, line, col, "", f"YAML syntax error: '{key}:' has a value, yet the next line is indented "
                   "under it", "check the indentation of these two lines: a key sits level with its siblings",
                   code="yaml-syntax")


def _indented_under_a_value(mark: Any) -> tuple[int, int, str] | None:
    """(line, column, key) of the ``key: value`` line that the line of ``mark`` is indented under, if any: a
    key moved out of its mapping (``prompt:`` one level too far left) leaves the next key indented under it."""
    buffer = getattr(mark, "buffer", None)
    if not isinstance(buffer, str) or mark is None:
        return None
    rows = buffer.rstrip("\0").split("\n")
    here = rows[mark.line] if mark.line < len(rows) else ""
    indent = len(here) - len(here.lstrip(" "))
    if not re.fullmatch(r"(?:(?:- )?[A-Za-z0-9_.-]+)?", here[indent:mark.column]):
        return None  # the ':' is not the line's first key's: a value with ': ' in it
    for number in range(mark.line - 1, -1, -1):
        row = rows[number]
        if not row.strip() or row.lstrip().startswith("#"):
            continue
        found = re.match(r"^( *)(?:- )?([A-Za-z0-9_.-]+):[ ]+([^#\s].*)$", row)
        if found is None or len(found.group(1)) >= indent or found.group(3).startswith(("|", ">", "&")):
            return None
        return number + 1, row.index(found.group(2)) + 1, found.group(2)
    return None


def _construct(node: yaml.Node, path: DocPath, doc: Document, loader: _Loader, problems: list[Problem]) -> Any:
    """A scalar's Python value, or a problem for a tag tenantflow does not read (``!foo``, ``<<``)."""
    try:
        return loader.construct_object(node)
    except yaml.constructor.ConstructorError as exc:
        if node.tag == "tag:yaml.org,2002:merge":
            problems.append(_node_problem(doc, node, path, "YAML merge keys ('<<') are not supported",
                                          "write the keys out in full"))
        elif "could not determine a constructor" in (exc.problem or ""):
            problems.append(_unsupported_tag(doc, node, path))
        else:
            problems.append(_node_problem(doc, node, path, f"YAML error: {exc.problem}", ""))
        return _INVALID


def _unsupported_tag(doc: Document, node: yaml.Node, path: DocPath) -> Problem:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
    return _node_problem(doc, node, path, f"unsupported YAML tag '{tag}'",
                         "tenantflow reads plain YAML: remove the tag")


def _node_problem(doc: Document, node: yaml.Node, path: DocPath, message: str, hint: str) -> Problem:
    return Problem(doc.file, node.start_mark.line + 1, node.start_mark.column + 1, format_path(path), message, hint,
                   code="yaml-tag")


#: Stands for a value whose tag could not be read; its problem is already reported.
_INVALID = object()

_PLAIN_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


_STR_TAG = "tag:yaml.org,2002:str"


def _key(node: yaml.Node, path: DocPath, doc: Document, loader: _Loader, problems: list[Problem] | None) -> Any:
    """A mapping key as the string it stands for, or ``_INVALID`` (reported to ``problems`` when given)."""
    if node.tag == _STR_TAG:
        return node.value
    if not isinstance(node, yaml.ScalarNode):
        key = None
    else:
        key = _construct(node, path, doc, loader, problems if problems is not None else [])
        if key is _INVALID:
            return _INVALID
    if not isinstance(key, (str, int, bool, float)) or isinstance(key, bool):
        if problems is not None:
            problems.append(Problem(doc.file, node.start_mark.line + 1, node.start_mark.column + 1,
                                    format_path(path), "mapping keys must be plain strings", code="yaml-key"))
        return _INVALID
    return str(key)


def _build(node: yaml.Node, path: DocPath, doc: Document, loader: _Loader, problems: list[Problem]) -> Any:
    """The plain data of ``node``; problems for what a spec file cannot hold (tags, odd or repeated keys)."""
    if node.tag == _STR_TAG:  # most values: no constructor needed
        return node.value
    if len(path) > MAX_DEPTH:
        problems.append(Problem(doc.file, node.start_mark.line + 1, node.start_mark.column + 1, format_path(path),
                                f"the YAML is nested more than {MAX_DEPTH} levels deep",
                                "a tenantflow file is a few levels deep: check the indentation", code="yaml-limit"))
        return None
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_COLLECTION_TAGS:
        # !!set, !!omap, !!python/...: none has a place in a spec file.
        problems.append(_unsupported_tag(doc, node, path))
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node, path, doc, loader, problems)
            if key is _INVALID:
                continue
            if key in out:
                first = next(k for k, _ in node.value if _key(k, path, doc, loader, None) == key)
                problems.append(Problem(doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                        format_path((*path, key)),
                                        f"duplicate key '{key}' (first set at line {first.start_mark.line + 1})",
                                        code="yaml-duplicate-key"))
                continue
            out[key] = _build(value_node, (*path, key), doc, loader, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, loader, problems) for i, item in enumerate(node.value)]
    value = _construct(node, path, doc, loader, problems)
    if value is _INVALID:
        return None
    # Dates and timestamps become strings: the spec has no date fields and
    # strings keep digests and JSON output stable.
    if not isinstance(value, (str, int, float, bool, type(None))):
        return str(node.value)
    return value


def _index(node: yaml.Node, path: DocPath, data: Any, doc: Document, layer: str, loader: _Loader) -> None:
    """Fill ``doc``'s source tables for ``node`` (whose plain data is ``data``), the way :func:`_build` walked it."""
    assert doc._values is not None and doc._keys is not None
    doc._values[path] = Source(doc.file, node.start_mark.line + 1, node.start_mark.column + 1, layer)
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = _key(key_node, path, doc, loader, None)
            if key is _INVALID or key in seen or key not in data:
                continue  # left out of the data, with a problem
            seen.add(key)
            child = (*path, key)
            doc._keys[child] = Source(doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1, layer)
            _index(value_node, child, data[key], doc, layer, loader)
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for i, (item, item_data) in enumerate(zip(node.value, data, strict=False)):
            _index(item, (*path, i), item_data, doc, layer, loader)


def walk(data: Any, path: DocPath = ()) -> Iterator[tuple[DocPath, Any]]:
    """Every (path, value) pair of a JSON-like tree, parents first."""
    yield path, data
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk(value, (*path, i))
