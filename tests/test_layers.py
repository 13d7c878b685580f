"""The layer contracts of engine/ (pyproject.toml, [tool.importlinter]) hold, and would catch a back import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is a dev dependency: pip install -e '.[dev]'")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          capture_output=True, text=True, timeout=120)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "engine", root / "engine", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_engine_keeps_its_layers(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "back_import", "broken"), [
    # The spec, the bottom layer, reaching up to the Engine.
    ("engine/spec/common.py", "from engine.engine import Engine", "engine.spec.common -> engine.engine"),
    # A service reaching into the compiler, hidden in a function.
    ("engine/tools/gateway.py", "def _later() -> None:\n    from engine.compile.pipeline import compile_workflow",
     "engine.tools.gateway -> engine.compile.pipeline"),
    # A step kind closing over the Engine, the coupling the run context replaced.
    ("engine/kinds/llm.py", "from engine.engine import Engine", "engine.kinds.llm -> engine.engine"),
])
def test_a_back_import_breaks_the_contracts(tmp_path: Path, module: str, back_import: str, broken: str) -> None:
    root = _copy(tmp_path)
    path = root / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{back_import}\n", encoding="utf-8")
    result = _lint(root)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and broken in result.stdout, result.stdout
