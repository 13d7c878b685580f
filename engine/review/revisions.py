"""A git revision or a folder, as a project folder the diff can load.

A revision is read from git's objects (``git ls-tree`` and ``git archive``)
into a temporary folder: the work tree, the index and HEAD are never touched,
so a diff is safe while someone is editing. Only the files the loader reads
are extracted (the project file and the workflow, tenant and skill folders).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from engine.errors import TenantflowError
from engine.project import PROJECT_FILE
from engine.spec.source import load_plain

#: Folders the loader reads, by key in the project file's ``paths`` (defaults as in PathsSpec).
_DEFAULT_PATHS = {"workflows": "workflows", "tenants": "tenants", "skills": "skills"}
#: Never copied from a work tree: data, caches and environments.
_IGNORE = shutil.ignore_patterns(".git", ".tenantflow", "__pycache__", "*.pyc", ".venv", "node_modules")
#: Git's name for "no file" on one side of a diff.
DEV_NULL = "/dev/null"


class RevisionError(TenantflowError):
    """A revision or folder to compare cannot be read (not a git repository, unknown revision, ...)."""

    code = "revision"


@dataclass(frozen=True)
class Side:
    """One side of a diff: what the user named, and the project folder to load."""

    label: str
    root: Path


def project_paths(project_file_text: str) -> list[str]:
    """The project-relative folders the loader reads, from the project file's ``paths``."""
    try:
        data = load_plain(project_file_text)
    except yaml.YAMLError:
        data = None  # the loader reports the syntax error with its line
    paths = data.get("paths") if isinstance(data, dict) else None
    found = dict(_DEFAULT_PATHS)
    if isinstance(paths, dict):
        found.update({k: str(v) for k, v in paths.items() if k in found and isinstance(v, str)})
    return sorted({PurePosixPath(p).as_posix().strip("/") for p in found.values()} - {"", "."})


def _git(cwd: Path, *args: str, binary: bool = False) -> Any:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise RevisionError("git is not installed (needed to read revisions; or compare two folders)") from None
    if done.returncode != 0:
        raise _GitFailed(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout if binary else done.stdout.decode("utf-8")


class _GitFailed(Exception):
    pass


@dataclass(frozen=True)
class Repository:
    """The git work tree a project folder sits in."""

    top: Path
    #: The project folder relative to ``top`` ("" at the top), POSIX style.
    prefix: str

    @classmethod
    def of(cls, project_dir: Path) -> Repository:
        project_dir = project_dir.resolve()
        try:
            top = Path(_git(project_dir, "rev-parse", "--show-toplevel").strip()).resolve()
        except _GitFailed:
            raise RevisionError(f"{project_dir} is not in a git repository: name two folders to compare "
                                "instead of revisions") from None
        rel = project_dir.relative_to(top).as_posix()
        return cls(top, "" if rel == "." else rel)

    def commit(self, revision: str) -> str:
        """The full commit id ``revision`` names; RevisionError if none."""
        if revision.startswith("-"):
            raise RevisionError(f"unknown revision '{revision}'")
        try:
            return str(_git(self.top, "rev-parse", "--verify", "--quiet", "--end-of-options",
                            f"{revision}^{{commit}}").strip())
        except _GitFailed:
            raise RevisionError(f"unknown revision '{revision}' in {self.top} "
                                "(a branch, tag, commit id or expression such as HEAD~1)") from None

    def _path(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def extract(self, revision: str, target: Path) -> Path:
        """Write the project files of ``revision`` under ``target``; return the project folder in it."""
        commit = self.commit(revision)
        project_file = self._path(PROJECT_FILE)
        try:
            text = _git(self.top, "show", f"{commit}:{project_file}")
        except _GitFailed:
            where = f"in {self.prefix}/" if self.prefix else "at the top of the repository"
            raise RevisionError(f"revision '{revision}' has no {PROJECT_FILE} {where}") from None
        wanted = [project_file, *(self._path(p) for p in project_paths(text))]
        listed = _git(self.top, "ls-tree", "--name-only", commit, "--", *wanted).splitlines()
        archive = _git(self.top, "archive", "--format=tar", commit, "--", *sorted(listed), binary=True)
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            # The "data" filter refuses absolute paths, links out of the folder and device files.
            tar.extractall(target, filter="data")
        return target / self.prefix if self.prefix else target


def short(commit: str) -> str:
    return commit[:7]


@contextmanager
def open_sides(project_dir: Path, rev_a: str, rev_b: str | None) -> Iterator[tuple[Side, Side]]:
    """Both sides of a diff as project folders; temporary ones are removed afterwards.

    Each of ``rev_a`` / ``rev_b`` is a folder if one exists by that name, else
    a git revision of the repository holding ``project_dir``. Without
    ``rev_b`` the second side is the work tree of ``project_dir``.
    """
    with ExitStack() as stack:
        repo: list[Repository] = []

        def side(name: str) -> Side:
            folder = Path(name)
            if folder.is_dir():
                return Side(name, folder.resolve())
            if not repo:
                repo.append(Repository.of(project_dir))
            commit = repo[0].commit(name)
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tenantflow-diff-")))
            root = repo[0].extract(name, tmp)
            label = name if name == short(commit) else f"{name} ({short(commit)})"
            return Side(label, root)

        first = side(rev_a)
        second = side(rev_b) if rev_b is not None else Side("work tree", project_dir.resolve())
        yield first, second


def copy_project(root: Path, target: Path) -> Path:
    """Copy the files the loader reads from the project at ``root`` into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    project_file = root / PROJECT_FILE
    if project_file.is_file():
        shutil.copy2(project_file, target / PROJECT_FILE)
        for rel in project_paths(project_file.read_text(encoding="utf-8", errors="replace")):
            if (root / rel).is_dir():
                shutil.copytree(root / rel, target / rel, ignore=_IGNORE, dirs_exist_ok=True)
    return target


@contextmanager
def driver_sides(path: str, old_file: str, new_file: str, cwd: Path) -> Iterator[tuple[Side, Side]]:
    """The two sides git hands an external diff driver: the work tree's project with ``path``
    as ``old_file`` on one side and as ``new_file`` on the other (``/dev/null``: absent).
    """
    from engine.project import find_root

    changed = (cwd / path).resolve()
    root = find_root(changed.parent if changed.parent.is_dir() else cwd)
    rel = changed.relative_to(root) if changed.is_relative_to(root) else None
    if rel is None:
        raise RevisionError(f"{path} is not inside the tenantflow project at {root}")
    with tempfile.TemporaryDirectory(prefix="tenantflow-driver-") as tmp:
        sides = []
        for name, source in (("old", old_file), ("new", new_file)):
            folder = copy_project(root, Path(tmp) / name)
            dest = folder / rel
            if dest.exists():
                dest.unlink()
            if source != DEV_NULL:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(cwd / source, dest)
            sides.append(Side(f"{name} {rel.as_posix()}", folder))
        yield sides[0], sides[1]
