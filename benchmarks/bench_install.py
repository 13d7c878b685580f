"""Install size and time: the base install and ``[dev]``, of two git revisions, each in a fresh virtualenv.

Each revision is exported (``git archive``) to a temporary folder and installed
the README's way, ``pip install -e DIR`` and ``pip install -e "DIR[dev]"``, into
a new virtualenv with pip's cache off (``--no-cache-dir``), so every install
downloads and unpacks everything it needs. The installs alternate between the
revisions, and each round reverses the order, so both see the same network and
the same load. For each install the table gives the wall time of ``pip install``,
the size of ``site-packages`` and the number of distributions in it (pip,
setuptools and tenantflow itself left out). The first line says the machine and
the time.

    python benchmarks/bench_install.py                      # main against the work tree's HEAD, 1 round
    python benchmarks/bench_install.py --before main --after HEAD --rounds 2
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"base": "", "dev": "[dev]"}
LEFT_OUT = {"pip", "setuptools", "tenantflow"}


def export(revision: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def install(tree: Path, extra: str, venv: Path) -> tuple[float, int, int]:
    """Seconds of ``pip install -e``, MB of site-packages, distributions installed."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-cache-dir", "-e", f"{tree}{extra}"], check=True,
                   capture_output=True)
    seconds = time.perf_counter() - started
    site = next((venv / "lib").glob("python3*/site-packages"))
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    frozen = subprocess.run([python, "-m", "pip", "list", "--format=freeze"], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    count = sum(1 for line in frozen if line.split("==")[0].lower() not in LEFT_OUT)
    return seconds, size // 2**20, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main")
    parser.add_argument("--after", default="HEAD")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {load:.1f}")
    results: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {rev: export(rev, Path(scratch) / f"tree-{i}") for i, rev in enumerate((args.before, args.after))}
        for round_ in range(args.rounds):
            order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
            for target, extra in TARGETS.items():
                for revision in order:
                    venv = Path(scratch) / f"venv-{revision}-{target}-{round_}"
                    results.setdefault((revision, target), []).append(install(trees[revision], extra, venv))
                    shutil.rmtree(venv)
    print(f"{'revision':<10} {'install':<6} {'time s (median)':>16} {'site-packages MB':>17} {'distributions':>14}")
    for (revision, target), runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        print(f"{revision:<10} {target:<6} {seconds:>16.1f} {runs[0][1]:>17} {runs[0][2]:>14}")


if __name__ == "__main__":
    main()
