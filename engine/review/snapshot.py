"""Golden snapshots of every compiled pair: ``snapshots/<workflow>/<tenant>.json`` and ``.mmd``.

The files are exactly what ``tenantflow graph WORKFLOW --tenant T --format
json|mermaid`` prints, so a snapshot can be regenerated or inspected one
pair at a time. They hold no timestamp and no absolute path, and nothing in
them depends on dict or set iteration order: the same project gives the
same bytes in every process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.compile.render import to_json, to_mermaid
from engine.errors import CompileError
from engine.project import Project
from engine.review.pairs import ProjectPairs, compile_pairs

SNAPSHOT_DIR = "snapshots"
#: Rendering suffix -> format name, in the order drift is reported.
FORMATS = {".json": "json", ".mmd": "mermaid"}

DriftKind = Literal["changed", "missing", "stale"]


@dataclass(frozen=True, order=True)
class Drift:
    """A pair whose snapshot no longer matches what the project compiles to."""

    workflow: str
    tenant: str
    kind: DriftKind
    #: The formats that differ ("json", "mermaid").
    formats: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = {"changed": f"changed ({', '.join(self.formats)})",
                "missing": "missing (no snapshot yet)",
                "stale": "stale (the pair no longer exists)"}[self.kind]
        return f"{self.workflow} / {self.tenant}: {what}"


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    removed: tuple[str, ...]


def render_snapshots(pairs: ProjectPairs) -> dict[str, str]:
    """Relative file name -> content, for every pair that compiled (sorted by name)."""
    files: dict[str, str] = {}
    for (workflow, tenant), pair in sorted(pairs.pairs.items()):
        files[f"{workflow}/{tenant}.json"] = to_json(pair.description)
        files[f"{workflow}/{tenant}.mmd"] = to_mermaid(pair.description)
    return files


def project_snapshots(project: Project) -> tuple[dict[str, str], int]:
    """The snapshot files of every pair; CompileError listing every problem if any pair fails."""
    pairs = compile_pairs(project)
    if pairs.problems:
        raise CompileError(pairs.problems)
    return render_snapshots(pairs), len(pairs.pairs)


def pairs_of(files: dict[str, str]) -> set[tuple[str, str]]:
    """The (workflow, tenant) pairs snapshot file names stand for."""
    return {(name.split("/", 1)[0], name.split("/", 1)[1].rsplit(".", 1)[0]) for name in files}


def existing_snapshots(folder: Path) -> dict[str, str]:
    """The snapshot files under ``folder`` (``<workflow>/<tenant>.<json|mmd>``), by relative name."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for suffix in FORMATS:
        for path in folder.glob(f"*/*{suffix}"):
            found[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return dict(sorted(found.items()))


def check_snapshots(expected: dict[str, str], folder: Path) -> list[Drift]:
    """Every pair whose files under ``folder`` differ from ``expected``, sorted."""
    actual = existing_snapshots(folder)
    by_pair: dict[tuple[str, str], dict[str, tuple[bool, bool, bool]]] = {}
    for name in sorted(set(expected) | set(actual)):
        stem, suffix = name.rsplit(".", 1)
        workflow, tenant = stem.split("/", 1)
        want, have = expected.get(name), actual.get(name)
        by_pair.setdefault((workflow, tenant), {})[FORMATS["." + suffix]] = (
            want is not None, have is not None, want == have)
    drifts: list[Drift] = []
    for (workflow, tenant), formats in sorted(by_pair.items()):
        if not any(want for want, _, _ in formats.values()):
            drifts.append(Drift(workflow, tenant, "stale"))
        elif not any(have for _, have, _ in formats.values()):
            drifts.append(Drift(workflow, tenant, "missing"))
        else:
            differ = tuple(fmt for fmt in FORMATS.values() if fmt in formats and not formats[fmt][2])
            if differ:
                drifts.append(Drift(workflow, tenant, "changed", differ))
    return drifts


def write_snapshots(expected: dict[str, str], folder: Path) -> WriteResult:
    """Write every snapshot that differs and delete stale ones; untouched files keep their mtime."""
    actual = existing_snapshots(folder)
    written: list[str] = []
    for name, text in expected.items():
        if actual.get(name) != text:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            # newline="" keeps "\n" on every platform: the bytes are the snapshot.
            with path.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            written.append(name)
    removed = sorted(set(actual) - set(expected))
    for name in removed:
        (folder / name).unlink()
        parent = (folder / name).parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
    return WriteResult(tuple(written), tuple(removed))
