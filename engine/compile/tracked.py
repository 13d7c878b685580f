"""Values that remember the file and line that set them, through overlays.

Overlays (project -> tier -> tenant -> per-tenant workflow overrides) merge
trees of :class:`Tracked` values; flattening the result gives plain data
plus a provenance map from document path to :class:`Source`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.spec.source import DocPath, Document, Source


@dataclass(frozen=True)
class Tracked:
    """A value (dict of Tracked, list of Tracked, or a scalar) and its source.

    ``key`` is where the value's own key was written, when it has one: a
    problem about the key itself (an unknown key) points there.
    """

    value: Any
    source: Source
    key: Source | None = None


def track(data: Any, doc: Document, path: DocPath = (), layer: str = "") -> Tracked:
    """Wrap ``data`` (found at ``path`` in ``doc``) and everything inside it."""
    found = doc.source(path)
    src = Source(found.file, found.line, found.col, layer or found.layer, path)
    key = doc.keys.get(path)
    key_src = Source(key.file, key.line, key.col, layer or key.layer, path) if key is not None else None
    if isinstance(data, dict):
        return Tracked({k: track(v, doc, (*path, k), layer) for k, v in data.items()}, src, key_src)
    if isinstance(data, list):
        return Tracked([track(v, doc, (*path, i), layer) for i, v in enumerate(data)], src, key_src)
    return Tracked(data, src, key_src)


def constant(data: Any, source: Source) -> Tracked:
    """Wrap a value every part of which comes from one place (e.g. a built-in profile)."""
    if isinstance(data, dict):
        return Tracked({k: constant(v, source) for k, v in data.items()}, source)
    if isinstance(data, list):
        return Tracked([constant(v, source) for v in data], source)
    return Tracked(data, source)


def merge(base: Tracked, overlay: Tracked) -> Tracked:
    """Overlay wins; mappings merge key by key; anything else is replaced whole."""
    if isinstance(base.value, dict) and isinstance(overlay.value, dict):
        merged = dict(base.value)
        for key, value in overlay.value.items():
            merged[key] = merge(merged[key], value) if key in merged else value
        return Tracked(merged, overlay.source)
    return overlay


def key_provenance(tracked: Tracked, path: DocPath = ()) -> dict[DocPath, Source]:
    """Every path whose key was written somewhere, with where."""
    out = {path: tracked.key} if tracked.key is not None else {}
    value = tracked.value
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(key_provenance(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(key_provenance(v, (*path, i)))
    return out


def plain(tracked: Tracked) -> Any:
    """The data without sources."""
    value = tracked.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def provenance(tracked: Tracked, path: DocPath = ()) -> dict[DocPath, Source]:
    """Every path of the tree with the source that set it."""
    out = {path: tracked.source}
    value = tracked.value
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(provenance(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(provenance(v, (*path, i)))
    return out


class Provenance(Mapping[DocPath, Source]):
    """:func:`provenance` of a tracked tree, built and flattened on first read.

    A tenant's settings keep how to build their tree rather than a path -> source map of their own: the
    map is built for the few tenants ``explain`` or ``diff`` asks about, and loading a tenant never reads
    its file's line and column tables.
    """

    def __init__(self, tree: Callable[[], Tracked]):
        self._tree: Callable[[], Tracked] | None = tree
        self._flat: dict[DocPath, Source] | None = None

    def _map(self) -> dict[DocPath, Source]:
        if self._flat is None:
            assert self._tree is not None
            self._flat, self._tree = provenance(self._tree()), None
        return self._flat

    def __getitem__(self, path: DocPath) -> Source:
        return self._map()[path]

    def __iter__(self) -> Iterator[DocPath]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())


def lookup(prov: Mapping[DocPath, Source], path: DocPath) -> Source:
    """The source of ``path`` or of its nearest ancestor."""
    for end in range(len(path), -1, -1):
        if path[:end] in prov:
            return prov[path[:end]]
    return Source("<unknown>", 0, 0)
