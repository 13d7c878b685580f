"""Read Cedar policy files, validate them against the project's schema, keep where each policy was written.

Every policy gets the id ``<file>:<line>`` (its first line), so a decision's
reasons point straight at the policy that made it. Parse and validation
errors become problems at ``file:line:col``, reported with every other
problem of the project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cedarpy

from engine.errors import Problem
from engine.spec.hints import did_you_mean


@dataclass(frozen=True)
class Statement:
    """One policy as written: its text and the 1-based line and column where it starts."""

    text: str
    line: int
    col: int


def split_statements(text: str) -> tuple[list[Statement], Statement | None]:
    """Split Cedar text into policies at top-level ``;``; also return unterminated trailing text."""
    statements: list[Statement] = []
    start: int | None = None
    start_line = start_col = 0
    line, col, i, n = 1, 1, 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\" and i + 1 < n:
                i, col = i + 2, col + 2
                continue
            if ch == '"':
                in_string = False
        elif ch == "/" and text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif not ch.isspace():
            if start is None:
                start, start_line, start_col = i, line, col
            if ch == '"':
                in_string = True
            elif ch == ";":
                statements.append(Statement(text[start:i + 1], start_line, start_col))
                start = None
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    rest = Statement(text[start:], start_line, start_col) if start is not None else None
    return statements, rest


@dataclass
class PolicyFile:
    """A parsed policy file: policies in Cedar's JSON form, keyed by ``file:line``."""

    display: str
    policies: dict[str, Any]
    annotations: dict[str, str]


_ATTR = re.compile(r"attribute `([^`]+)`")


def _locate(statement: Statement, message: str) -> tuple[int, int]:
    """The line and column of the attribute an error names, else the policy's start."""
    match = _ATTR.search(message)
    if match:
        offset = statement.text.find(match.group(1))
        if offset >= 0:
            before = statement.text[:offset]
            line = statement.line + before.count("\n")
            col = (offset - before.rfind("\n")) if "\n" in before else statement.col + offset
            return line, col
    return statement.line, statement.col


def read_policy_file(path: Path, display: str, schema: cedarpy.Schema | None,
                     actions: Collection[str] = ()) -> tuple[PolicyFile | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(display, 0, 0, "", f"cannot read policy file: {exc}", code="policy-read")]
    return read_policy_text(text, display, schema, actions)


_ACTION = re.compile(r'Action::"((?:[^"\\]|\\.)*)"')


def _unknown_actions(statement: Statement, actions: Collection[str], display: str) -> list[Problem]:
    """Cedar says only that no action applies; say which name is unknown, and what was meant."""
    problems = []
    for match in _ACTION.finditer(statement.text):
        name = match.group(1)
        if name in actions or name in ("skills", "tools"):
            continue
        before = statement.text[:match.start()]
        line = statement.line + before.count("\n")
        col = (match.start() - before.rfind("\n")) if "\n" in before else statement.col + match.start()
        problems.append(Problem(display, line, col, "", f"unknown action '{name}'",
                                hint=did_you_mean(name, [*actions, "skills", "tools"]), code="policy-invalid"))
    return problems


def read_policy_text(text: str, display: str, schema: cedarpy.Schema | None,
                     actions: Collection[str] = ()) -> tuple[PolicyFile | None, list[Problem]]:
    """Parse and validate the policies in ``text`` (the contents of ``display``)."""
    statements, rest = split_statements(text)
    problems: list[Problem] = []
    if rest is not None:
        problems.append(Problem(display, rest.line, rest.col, "", "policy is not terminated by ';'",
                                hint="every Cedar policy ends with a semicolon", code="policy-syntax"))
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        # Cedar names what is wrong but not where: find the policy that fails alone.
        for statement in statements:
            try:
                cedarpy.policies_to_json_str(statement.text)
            except ValueError as inner:
                problems.append(Problem(display, statement.line, statement.col, "", f"Cedar syntax error: {inner}",
                                        code="policy-syntax"))
                break
        else:
            if rest is None:
                problems.append(Problem(display, 1, 1, "", f"Cedar syntax error: {exc}", code="policy-syntax"))
        return None, problems
    if problems:
        return None, problems
    if parsed.get("templates"):
        return None, [Problem(display, 1, 1, "", "policy templates (?principal, ?resource) are not supported",
                              hint="write static policies", code="policy-template")]
    static: dict[str, Any] = parsed.get("staticPolicies", {})
    if len(static) != len(statements):
        return None, [Problem(display, 1, 1, "", f"found {len(statements)} policies but Cedar parsed {len(static)}",
                              code="policy-syntax")]
    local_ids = [f"policy{i}" for i in range(len(statements))]
    if schema is not None:
        result = cedarpy.validate_policies(text, schema)
        explained: set[str] = set()
        for error in result.errors:
            index = local_ids.index(error.policy_id) if error.policy_id in local_ids else -1
            statement = statements[index] if index >= 0 else Statement("", 1, 1)
            unknown = _unknown_actions(statement, actions, display) if actions else []
            if unknown:
                if error.policy_id not in explained:
                    problems += unknown
                    explained.add(error.policy_id)
                continue
            line, col = _locate(statement, error.error)
            problems.append(Problem(display, line, col, "", f"Cedar validation: {error.error}",
                                    code="policy-invalid"))
    if problems:
        return None, problems
    policies: dict[str, Any] = {}
    annotations: dict[str, str] = {}
    for local, statement in zip(local_ids, statements, strict=True):
        pid = f"{display}:{statement.line}"
        policies[pid] = static[local]
        note = static[local].get("annotations", {}).get("id")
        if isinstance(note, str) and note:
            annotations[pid] = note
    return PolicyFile(display, policies, annotations), []
