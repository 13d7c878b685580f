"""Fixture loading: bad shapes are reported with file, line, column and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import SpecError
from engine.models import ScriptedProvider
from engine.models.scripted_fixture import load_fixture, parse_fixture


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_shape_names_file_line_entry_and_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "responses:\n"
        "  - step: classify\n"
        "    text: ok\n"
        "  - stpe: draft\n"
        "    text: x\n"
        "  - match: '(unclosed'\n"
        "    text: y\n"
        "  - error: ThrottlingException\n"
        "    text: z\n"
        "  - times: 2\n"
        "    text: t\n"
        "  - tool_calls: [{name: t, inptu: {}}]\n"
        "  - step: empty\n"
        "default: [1]\n",
    )

    with pytest.raises(SpecError) as caught:
        ScriptedProvider.from_file(path)

    assert str(caught.value).splitlines() == [
        f"{path}:4:5: responses[1].stpe: unknown key 'stpe' (did you mean 'step'? known: "
        "after_tool, break_after, error, json, match, model, step, tenant, text, times, token_delay_ms, tool_calls, "
        "workflow)",
        f"{path}:6:12: responses[2].match: invalid regular expression: missing ), unterminated subpattern at position 0",
        f"{path}:8:5: responses[3]: 'error' cannot be combined with 'text'",
        f"{path}:10:5: responses[4]: 'times' only applies to an 'error' response",
        f"{path}:12:28: responses[5].tool_calls[0].inptu: unknown key 'inptu' (did you mean 'input'? known: input, name)",
        f"{path}:13:5: responses[6]: a response needs 'text', 'json', 'tool_calls' or 'error'",
        f"{path}:14:10: default: Input should be a valid string",
    ]
    assert [p.location for p in caught.value.problems][:2] == ["responses[1].stpe", "responses[2].match"]


def test_text_and_json_together_are_rejected() -> None:
    with pytest.raises(SpecError) as caught:
        parse_fixture({"responses": [{"text": "a", "json": {"b": 1}}]}, source="inline")

    assert str(caught.value) == "inline: responses[0]: give either 'text' or 'json', not both"


def test_json_null_is_an_answer() -> None:
    fixture = parse_fixture({"responses": [{"json": None}]})

    assert fixture.responses[0].has_json


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_fixture(write(tmp_path, "- text: hi\n"))

    assert str(caught.value).endswith(
        "models.yaml:1:1: fixture: Input should be a valid dictionary or instance of ScriptedFixture"
    )


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = write(tmp_path, "responses:\n  - text: 'unterminated\n")

    with pytest.raises(SpecError) as caught:
        load_fixture(path)

    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.message) == (str(path), 3, "invalid YAML: found unexpected end of stream")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(SpecError) as caught:
        load_fixture(path)

    assert str(caught.value) == f"{path}: cannot read scripted model fixture: No such file or directory"


def test_empty_file_is_an_empty_fixture(tmp_path: Path) -> None:
    fixture = load_fixture(write(tmp_path, "# nothing scripted yet\n"))

    assert (fixture.responses, fixture.default) == ([], None)
