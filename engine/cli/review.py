"""Review commands: snapshot, diff, git-diff-driver, explain, test.

They compile through the pure passes (no LangGraph import) except ``test``,
which runs workflows.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.cli.common import fail, open_project, project_option, telemetry_on, user_errors
from engine.cli.group import main
from engine.project import find_root

if TYPE_CHECKING:
    from rich.console import Console

    from engine.project import Project
    from engine.review.runner import CaseResult
    from engine.review.testfiles import CaseRun


def _shown(folder: Path, root: Path) -> str:
    try:
        return folder.resolve().relative_to(root).as_posix() + "/"
    except ValueError:
        return folder.as_posix() + "/"


@main.command()
@click.option("--check", is_flag=True, help="Compare instead of writing; exit 1 listing the pairs that drifted.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Snapshot folder (default: snapshots/ in the project).")
@project_option
def snapshot(check: bool, folder: Path | None, project_dir: Path) -> None:
    """Write the compiled graph (canonical JSON and Mermaid) of every workflow x tenant pair.

    Files are snapshots/<workflow>/<tenant>.json and .mmd, byte for byte what
    `tenantflow graph` prints. With --check, nothing is written.
    """
    from engine.review.snapshot import SNAPSHOT_DIR, check_snapshots, pairs_of, project_snapshots, write_snapshots

    with user_errors():
        project = open_project(project_dir)
        target = folder if folder is not None else project.root / SNAPSHOT_DIR
        shown = _shown(target, project.root)
        expected, pairs = project_snapshots(project)
        noun = f"{pairs} workflow x tenant pair{'s' if pairs != 1 else ''}"
        if check:
            drifts = check_snapshots(expected, target)
            if drifts:
                total = len({(d.workflow, d.tenant) for d in drifts} | pairs_of(expected))
                fail("\n".join([f"{shown} drifted for {len(drifts)} of {total} workflow x tenant pairs:",
                                *[f"  {d}" for d in drifts],
                                "review the change with `tenantflow diff`, then run `tenantflow snapshot` "
                                "to accept it"]))
            click.echo(f"{shown} matches: {noun}")
            return
        result = write_snapshots(expected, target)
        for name in result.written:
            click.echo(f"wrote {shown}{name}")
        for name in result.removed:
            click.echo(f"removed {shown}{name}")
        if result.written or result.removed:
            click.echo(f"{shown}: {noun}, {len(result.written)} files written, {len(result.removed)} removed")
        else:
            click.echo(f"{shown} is up to date: {noun}")


_FORMATS = click.Choice(["text", "markdown", "json"])


@main.command()
@click.argument("rev_a")
@click.argument("rev_b", required=False)
@click.option("--tenant", "-t", default=None, help="Only what affects this tenant.")
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True,
              help="text for a terminal, markdown for a pull-request comment, json for tools.")
@click.option("--exit-code", is_flag=True, help="Exit 1 if there is a semantic change (like git diff --exit-code).")
@project_option
def diff(rev_a: str, rev_b: str | None, tenant: str | None, fmt: str, exit_code: bool, project_dir: Path) -> None:
    """Semantic diff of two revisions (or folders): what changed in the compiled graphs, and for which tenants.

    REV_A and REV_B are git revisions of the repository holding the project,
    read from git's objects (the work tree is never touched), or folders.
    Without REV_B the second side is the work tree.
    """
    from engine.review.diff import semantic_diff
    from engine.review.report import RENDERERS
    from engine.review.revisions import open_sides

    with user_errors():
        root = find_root(project_dir)
        with open_sides(root, rev_a, rev_b) as (a, b):
            result = semantic_diff(a, b, tenant)
        click.echo(RENDERERS[fmt](result), nl=False)
        if exit_code and result.semantic:
            raise SystemExit(1)


@main.command("git-diff-driver", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def git_diff_driver(args: tuple[str, ...]) -> None:
    """Semantic diff of one file, as git's external diff driver (see docs/review.md).

    git calls it with PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE NEW-HEX NEW-MODE;
    the rest of the project is taken from the work tree.
    """
    from engine.review.diff import semantic_diff
    from engine.review.report import to_text
    from engine.review.revisions import driver_sides

    if len(args) < 7:
        fail("error: git-diff-driver expects the 7 arguments git passes to an external diff driver: "
             "PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE NEW-HEX NEW-MODE (see docs/review.md)")
    path, old_file, _old_hex, _old_mode, new_file = args[:5]
    with user_errors():
        with driver_sides(path, old_file, new_file, Path.cwd()) as (a, b):
            result = semantic_diff(a, b)
        click.echo(f"tenantflow semantic diff of {path}")
        click.echo(to_text(result).split("\n", 2)[2], nl=False)


@main.command()
@click.argument("workflow")
@click.argument("path", required=False)
@click.option("--tenant", "-t", required=True, help="Tenant id.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_option
def explain(workflow: str, path: str | None, tenant: str, fmt: str, project_dir: Path) -> None:
    """Print the effective configuration of WORKFLOW for a tenant, each value with the file:line and layer
    that set it (project, tier, tenant, override, workflow, default).

    PATH narrows it: `steps.draft`, `steps.draft.llm.model`, `guardrails.pii`, `model`.
    """
    from engine.review.explain import explain as explain_pair
    from engine.review.explain import to_json, to_text

    with user_errors():
        result = explain_pair(open_project(project_dir), workflow, tenant)
        click.echo((to_json if fmt == "json" else to_text)(result, path), nl=False)


#: Exit status when no test case was found (as pytest).
NO_TESTS = 5


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--tenant", "-t", default=None, help="Only the cases of this tenant.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write JUnit XML results to this file (for CI).")
@project_option
def test_command(paths: tuple[Path, ...], tenant: str | None, junit: Path | None, project_dir: Path) -> None:
    """Run workflow test cases (kind: WorkflowTest) with scripted models and tool mocks.

    PATHs are test files or folders (default: workflows/tests/). Exit 1 if a
    case fails, 5 if there is none.
    """
    from rich.console import Console

    from engine.review.junit import junit_xml
    from engine.review.testfiles import default_folder, load_tests

    with user_errors():
        start = paths[0] if paths else project_dir
        project = open_project(start if start.is_dir() else start.parent)
        runs = load_tests(project, list(paths), tenant)
        if not runs:
            where = ", ".join(str(p) for p in paths) or _shown(default_folder(project), project.root)
            fail(f"no workflow test cases in {where}" + (f" for tenant {tenant}" if tenant else ""), NO_TESTS)
        console = Console(highlight=False, soft_wrap=True)
        started = time.perf_counter()
        with telemetry_on(project):
            results = _run_with_progress(console, project, runs)
        elapsed = time.perf_counter() - started
        failed = [r for r in results if r.failures and not r.error]
        errors = [r for r in results if r.error]
        passed = len(results) - len(failed) - len(errors)
        parts = [f"{passed} passed"] + ([f"{len(failed)} failed"] if failed else []) + (
            [f"{len(errors)} error{'s' if len(errors) != 1 else ''}"] if errors else [])
        click.echo(f"{', '.join(parts)} in {elapsed:.2f} s")
        if junit is not None:
            junit.parent.mkdir(parents=True, exist_ok=True)
            junit.write_text(junit_xml(results, elapsed), encoding="utf-8")
            click.echo(f"wrote JUnit XML to {junit}")
        if failed or errors:
            raise SystemExit(1)


def _result_lines(result: CaseResult) -> list[str]:
    status = "PASS" if result.passed else ("ERROR" if result.error else "FAIL")
    lines = [f"{status} {result.run}"]
    lines += [f"    {line}" for line in ([result.error] if result.error else result.failures)]
    return lines


def _run_with_progress(console: Console, project: Project, runs: list[CaseRun]) -> list[CaseResult]:
    """On a terminal: a progress bar, results printed above it; elsewhere (CI, pipes): one line per case."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from engine.review.runner import run_all

    if not console.is_terminal:
        return asyncio.run(run_all(project, runs, lambda r: click.echo("\n".join(_result_lines(r)))))
    with Progress(SpinnerColumn(), TextColumn("[bold]workflow tests"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.description}"), console=console, transient=True) as progress:
        task = progress.add_task("", total=len(runs))

        def report(result: CaseResult) -> None:
            lines = _result_lines(result)
            style = "green" if result.passed else "red"
            status, _, rest = lines[0].partition(" ")
            progress.console.print(f"[{style}]{status}[/{style}] {escape(rest)}")
            for line in lines[1:]:
                progress.console.print(line, markup=False)
            progress.update(task, advance=1, description=str(result.run))

        return asyncio.run(run_all(project, runs, report))
