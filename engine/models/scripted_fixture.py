"""The YAML fixture format of the scripted double, and its loader.

A fixture file::

    responses:
      - step: classify              # filters, all optional; all given must match
        workflow: support-triage
        tenant: acme
        model: amazon.nova-pro-v1:0
        match: "(?i)refund"         # regex searched in the latest user text
        after_tool: false           # true: only right after a toolResult
        json: {category: billing}   # or text: "...", and/or tool_calls: [...]
      - step: lookup
        tool_calls: [{name: billing.get_invoices, input: {customer_id: c1}}]
      - step: draft
        error: ThrottlingException  # raise ModelError as Bedrock would
        times: 2                    # only the first 2 matching calls fail
      - step: reply
        text: "A long answer. In sentences."
        token_delay_ms: 5           # streamed (converse_stream): 5 ms before each token
        break_after: 3              # streamed: the stream breaks after 3 tokens
    default: "I can help with that."

Each entry of ``responses`` is a :class:`engine.spec.scripted.ScriptedResponse`
(workflow test files embed the same entries). Bad shapes raise
:class:`engine.errors.SpecError` with one problem per mistake, each naming
the file, line, column and entry (``responses[2].stpe``).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from engine.errors import Problem, SpecError
from engine.spec.scripted import ScriptedResponse, ScriptedToolCall
from engine.spec.source import compose, expansion_problem


class ScriptedFixture(BaseModel):
    """A whole fixture: responses tried in order, then the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    responses: list[ScriptedResponse] = Field(default_factory=list)
    default: str | None = None


# Keys allowed at each level, for did-you-mean hints; keyed by the error
# location with list indexes removed.
_KNOWN_KEYS: dict[tuple[str, ...], list[str]] = {
    (): ["default", "responses"],
    ("responses",): sorted(f.alias or name for name, f in ScriptedResponse.model_fields.items()),
    ("responses", "tool_calls"): sorted(ScriptedToolCall.model_fields),
}


def load_fixture(path: str | Path) -> ScriptedFixture:
    """Load and validate a fixture file; problems raise SpecError with file:line:col."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([Problem(file, 0, 0, "", f"cannot read scripted model fixture: {exc.strerror}")]) from exc
    try:
        root, loader = compose(text)
        bound = expansion_problem(root, text, file) if root is not None else None
        if bound is not None:
            raise SpecError([bound])
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise SpecError([Problem(file, line, col, "", f"invalid YAML: {exc.problem}")]) from exc
    return parse_fixture(data, source=file, root=root)


def parse_fixture(data: Any, *, source: str = "<dict>", root: yaml.Node | None = None) -> ScriptedFixture:
    """Validate already-parsed fixture data; ``root`` (the composed YAML node)
    lets problems carry line and column."""
    if data is None:
        data = {}
    try:
        return ScriptedFixture.model_validate(data)
    except ValidationError as exc:
        raise SpecError([_problem(source, root, error) for error in exc.errors()]) from exc


def _problem(source: str, root: yaml.Node | None, error: ErrorDetails) -> Problem:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    unknown_key = error["type"] == "extra_forbidden"
    line, col = _position(root, loc, point_at_key=unknown_key)
    location = _render_loc(loc)
    if unknown_key:
        key = str(loc[-1])
        known = _KNOWN_KEYS.get(tuple(p for p in loc[:-1] if isinstance(p, str)), [])
        close = difflib.get_close_matches(key, known, n=1)
        hint = (f"did you mean {close[0]!r}? " if close else "") + f"known: {', '.join(known)}"
        return Problem(source, line, col, location, f"unknown key {key!r}", hint)
    message = str(error["msg"]).removeprefix("Value error, ")
    return Problem(source, line, col, location or "fixture", message)


def _render_loc(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _position(root: yaml.Node | None, loc: tuple[str | int, ...], *, point_at_key: bool) -> tuple[int, int]:
    """1-based line and column of the deepest node of ``loc`` found in the YAML."""
    if root is None:
        return 0, 0
    node = root
    for depth, part in enumerate(loc):
        found: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    last = depth == len(loc) - 1
                    found = key_node if last and point_at_key else value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            found = node.value[part]
        if found is None:
            break
        node = found
    return node.start_mark.line + 1, node.start_mark.column + 1
