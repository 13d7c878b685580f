"""Providers: built by name, cached per relevant settings, shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import SpecError
from engine.models import BedrockProvider, Providers, ScriptedProvider


@pytest.fixture
def fixture_file(tmp_path: Path) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text("default: hi\n", encoding="utf-8")
    return path


def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(ValueError) as caught:
        Providers().get("openai")

    assert str(caught.value) == "unknown model provider 'openai'; known: bedrock, langchain, scripted"


def test_bedrock_is_cached_per_region_and_needs_no_aws_to_build() -> None:
    providers = Providers()

    east = providers.get("bedrock", region_name="us-east-1")

    assert isinstance(east, BedrockProvider)
    assert providers.get("bedrock", region_name="us-east-1", fixtures="ignored.yaml") is east
    assert providers.get("bedrock", region_name="eu-west-1") is not east


def test_scripted_is_cached_per_fixture_file(fixture_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    providers = Providers()
    monkeypatch.chdir(fixture_file.parent)

    scripted = providers.get("scripted", fixtures=fixture_file)

    assert isinstance(scripted, ScriptedProvider)
    assert providers.get("scripted", fixtures="models.yaml") is scripted
    providers.clear()
    assert providers.get("scripted", fixtures=fixture_file) is not scripted


def test_scripted_needs_fixtures_and_reports_bad_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a fixtures file"):
        Providers().get("scripted")
    with pytest.raises(SpecError, match="cannot read scripted model fixture"):
        Providers().get("scripted", fixtures=tmp_path / "absent.yaml")
