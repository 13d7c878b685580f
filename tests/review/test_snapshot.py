"""``tenantflow snapshot``: golden renderings of every pair, written, checked, and identical across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from engine.cli import main
from tests.review.conftest import tenant

PAIRS = [("notes", "alpha"), ("notes", "beta"), ("notes", "delta"), ("notes", "gamma"),
         ("triage", "alpha"), ("triage", "beta"), ("triage", "delta"), ("triage", "gamma")]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_snapshot_writes_what_graph_prints_for_every_pair(project: Path) -> None:
    result = _cli("snapshot", "-p", str(project))
    assert result.exit_code == 0, result.output
    files = [f"{w}/{t}.{ext}" for w, t in PAIRS for ext in ("json", "mmd")]
    assert result.stdout == "".join(f"wrote snapshots/{f}\n" for f in files) + (
        "snapshots/: 8 workflow x tenant pairs, 16 files written, 0 removed\n")
    for workflow, tenant_id in PAIRS:
        for fmt, ext in (("json", "json"), ("mermaid", "mmd")):
            graph = _cli("graph", workflow, "--tenant", tenant_id, "--format", fmt, "-p", str(project))
            assert (project / "snapshots" / workflow / f"{tenant_id}.{ext}").read_bytes() == graph.stdout_bytes
    again = _cli("snapshot", "-p", str(project))
    assert again.stdout == "snapshots/ is up to date: 8 workflow x tenant pairs\n"
    check = _cli("snapshot", "--check", "-p", str(project))
    assert (check.exit_code, check.stdout) == (0, "snapshots/ matches: 8 workflow x tenant pairs\n")


def test_check_lists_the_pairs_that_drifted_and_writes_nothing(project: Path) -> None:
    assert _cli("snapshot", "-p", str(project)).exit_code == 0
    before = {p: p.read_bytes() for p in (project / "snapshots").rglob("*.*")}
    settings = project / "tenantflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("premium: {model: large",
                                                                     "premium: {model: medium"), encoding="utf-8")
    (project / "tenants" / "epsilon").mkdir()
    (project / "tenants" / "epsilon" / "tenant.yaml").write_text(tenant("epsilon", "basic"), encoding="utf-8")
    (project / "tenants" / "alpha" / "tenant.yaml").unlink()
    (project / "tenants" / "alpha").rmdir()
    result = _cli("snapshot", "--check", "-p", str(project))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == """\
snapshots/ drifted for 6 of 10 workflow x tenant pairs:
  notes / alpha: stale (the pair no longer exists)
  notes / epsilon: missing (no snapshot yet)
  triage / alpha: stale (the pair no longer exists)
  triage / beta: changed (json, mermaid)
  triage / epsilon: missing (no snapshot yet)
  triage / gamma: changed (json, mermaid)
review the change with `tenantflow diff`, then run `tenantflow snapshot` to accept it
"""
    assert {p: p.read_bytes() for p in (project / "snapshots").rglob("*.*")} == before
    update = _cli("snapshot", "-p", str(project))
    assert update.stdout.splitlines()[-3:] == [
        "removed snapshots/triage/alpha.json", "removed snapshots/triage/alpha.mmd",
        "snapshots/: 8 workflow x tenant pairs, 8 files written, 4 removed"]
    assert _cli("snapshot", "--check", "-p", str(project)).exit_code == 0


def test_a_project_that_does_not_compile_reports_its_problems(project: Path) -> None:
    workflow = project / "workflows" / "notes.yaml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace("tool: notes.lookup", "tool: notes.lokup"),
                        encoding="utf-8")
    result = _cli("snapshot", "--check", "-p", str(project))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "workflows/notes.yaml:8:11: steps[0].tool: unknown tool 'notes.lokup' for tenant 'alpha' "
        "(did you mean 'notes.lookup'?)")
    assert result.stderr.splitlines()[-1] == "4 problems found"


SNAPSHOT_AND_GRAPH = """\
import sys
from engine.cli import main
main(["snapshot", "--dir", sys.argv[2], "-p", sys.argv[1]], standalone_mode=False)
main(["graph", "triage", "--tenant", "delta", "--format", "json", "-p", sys.argv[1]], standalone_mode=False)
"""


def test_snapshots_are_byte_identical_across_hash_seeds_and_processes(project: Path, tmp_path: Path) -> None:
    procs = {seed: subprocess.Popen([sys.executable, "-c", SNAPSHOT_AND_GRAPH, str(project), str(tmp_path / seed)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env={**os.environ, "PYTHONHASHSEED": seed})
             for seed in ("1", "4242")}
    graphs = {}
    for seed, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr.decode()
        graphs[seed] = stdout.split(b"0 removed\n", 1)[1]
    files = {seed: {p.relative_to(tmp_path / seed).as_posix(): p.read_bytes()
                    for p in sorted((tmp_path / seed).rglob("*.*"))} for seed in procs}
    assert len(files["1"]) == 16
    assert files["1"] == files["4242"]
    assert graphs["1"] == graphs["4242"] == files["1"]["triage/delta.json"]
    # And the same bytes in this process.
    assert _cli("snapshot", "-p", str(project)).exit_code == 0
    assert {p.relative_to(project / "snapshots").as_posix(): p.read_bytes()
            for p in sorted((project / "snapshots").rglob("*.*"))} == files["1"]
    assert str(project).encode() not in b"".join(files["1"].values())
