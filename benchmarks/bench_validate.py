"""``tenantflow validate`` on a large project, and on a "billion laughs" file.

1. A temporary copy of the demo with 1,000 extra tenant files (tiers basic,
   standard and premium in turn; each runs every workflow but security-alert,
   with the demo's pooled tools) and 10 workflows (the demo's three and seven
   renamed copies of support-triage and summarize): the installed
   ``tenantflow validate`` command, end to end (process start included), and
   ``validate_project`` in process.
2. The same demo with a workflow file of nine levels of nine aliases.

    python benchmarks/bench_validate.py
    python benchmarks/bench_validate.py --tenants 2000
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine.review.validate import validate_project

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("tenantflow.yaml", "workflows", "tenants", "skills", "fixtures", "policies")
EXTRA = [("support-triage", f"triage-copy-{i}") for i in range(4)] + [("summarize", f"summary-copy-{i}")
                                                                     for i in range(3)]


def copy_demo(folder: Path) -> None:
    folder.mkdir(parents=True)
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, folder / part, ignore=shutil.ignore_patterns("__pycache__", ".tenantflow"))
        elif source.exists():
            shutil.copy2(source, folder / part)


def big_project(folder: Path, tenants: int) -> list[str]:
    copy_demo(folder)
    names = ["support-triage", "summarize"]
    for original, name in EXTRA:
        text = (ROOT / "workflows" / f"{original}.yaml").read_text(encoding="utf-8")
        (folder / "workflows" / f"{name}.yaml").write_text(
            text.replace(f"name: {original}", f"name: {name}", 1), encoding="utf-8")
        names.append(name)
    tiers = ("basic", "standard", "premium")
    for i in range(tenants):
        tid = f"t{i:05d}"
        (folder / "tenants" / tid).mkdir(parents=True)
        (folder / "tenants" / tid / "tenant.yaml").write_text(
            f"apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {{id: {tid}, name: Tenant {i}}}\n"
            f"tier: {tiers[i % 3]}\nentitlements: {{tools: [kb.search, billing.get_invoices]}}\n"
            f"workflows: [{', '.join(names)}]\n", encoding="utf-8")
    return names


def laughs() -> str:
    lines = ["apiVersion: tenantflow/v1", "kind: Workflow", "metadata: {name: lol}",
             'x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"x-{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def timed_cli(root: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = Path(sys.executable).parent / "tenantflow"
    started = time.perf_counter()
    done = subprocess.run([str(command), "validate", "-p", str(root)], capture_output=True, text=True)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        names = big_project(root, args.tenants)
        seconds, done = timed_cli(root)
        print(f"tenantflow validate, {args.tenants + 3} tenants x {len(names) + 1} workflows: {seconds:.2f} s "
              f"(exit {done.returncode}): {done.stdout.strip() or done.stderr.strip()[:300]}")
        started = time.perf_counter()
        result = validate_project(root)
        print(f"validate_project in process: {time.perf_counter() - started:.2f} s, {result.pairs} pairs, "
              f"{len(result.problems)} problems")
        lol = Path(tmp) / "lol"
        copy_demo(lol)
        (lol / "workflows" / "lol.yaml").write_text(laughs(), encoding="utf-8")
        seconds, done = timed_cli(lol)
        print(f"tenantflow validate with a billion-laughs file: {seconds:.2f} s (exit {done.returncode}): "
              f"{done.stderr.strip()[:200]}")


if __name__ == "__main__":
    main()
