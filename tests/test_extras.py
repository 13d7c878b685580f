"""A configuration that needs an extra this install lacks fails with MissingExtra naming the extra, never an
ImportError traceback (the packages are hidden here as if not installed)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import MissingExtra, TenantflowError
from tests.conftest import PROJECT_YAML


def _without(monkeypatch: pytest.MonkeyPatch, *packages: str, reload: str) -> None:
    """Hide ``packages`` (import raises ImportError) and forget ``reload`` so it is imported again."""
    for name in packages:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, reload, raising=False)


@pytest.mark.parametrize(("module", "packages", "extra", "needed_for"), [
    ("engine.memory.postgres", ("psycopg",), "postgres", "stores: postgres"),
    ("engine.usage.redis", ("redis",), "redis", "--redis (limits shared in Redis)"),
    ("engine.tools.mcp", ("mcp",), "mcp", "gateway: mcp"),
])
def test_each_optional_part_names_its_extra(monkeypatch: pytest.MonkeyPatch, module: str, packages: tuple[str, ...],
                                            extra: str, needed_for: str) -> None:
    _without(monkeypatch, *packages, reload=module)
    with pytest.raises(MissingExtra) as missing:
        importlib.import_module(module)
    assert missing.value.extra == extra
    assert str(missing.value) == (f"{needed_for} needs the [{extra}] extra ({packages[0]} is not installed): "
                                  f"pip install 'tenantflow[{extra}]'")
    assert isinstance(missing.value, TenantflowError) and missing.value.code == "missing-extra"


def test_run_with_postgres_stores_without_the_extra_is_one_clear_error(
        make_project, monkeypatch: pytest.MonkeyPatch) -> None:
    root: Path = make_project({"tenantflow.yaml": PROJECT_YAML.replace(
        "stores: {checkpointer: memory, store: memory}", "stores: {checkpointer: postgres, store: postgres}")})
    monkeypatch.setenv("TENANTFLOW_DATABASE_URL", "postgresql://127.0.0.1:1/none")
    _without(monkeypatch, "psycopg", reload="engine.memory.postgres")
    result = CliRunner().invoke(main, ["run", "hello", "--tenant", "alpha", "--input", '{"text": "hi"}',
                                       "-p", str(root)])
    assert result.exit_code == 1, result.output
    assert "stores: postgres needs the [postgres] extra (psycopg is not installed): " \
           "pip install 'tenantflow[postgres]'" in result.output
    assert "Traceback" not in result.output


def test_validate_names_the_langchain_extra_for_a_langchain_model(
        make_project, monkeypatch: pytest.MonkeyPatch) -> None:
    project = PROJECT_YAML.replace(
        "    small: {provider: scripted, model_id: small-v1, price_per_1k: {input: 0.001, output: 0.002}}\n",
        "    small: {provider: langchain, model_id: small-v1, options: {class: langchain_openai.ChatOpenAI}}\n")
    root: Path = make_project({"tenantflow.yaml": project})
    monkeypatch.setitem(sys.modules, "langchain_openai", None)
    result = CliRunner().invoke(main, ["validate", "-p", str(root)])
    assert result.exit_code == 1, result.output
    assert ("models.catalog.small: provider: langchain with langchain_openai.ChatOpenAI needs the [langchain] "
            "extra (langchain_openai is not installed): pip install 'tenantflow[langchain]'") in result.output
