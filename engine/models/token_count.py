"""Deterministic token counts for the scripted double.

The approximation: every run of word characters (``\\w+``) is one token and
every other non-space character (punctuation, a brace, a quote) is one token,
i.e. the regex ``\\w+|[^\\w\\s]``. Real BPE tokenizers split rare or long
words into several tokens, so real counts run somewhat higher; what matters
here is that the count grows with the text, is the same on every machine and
in every run, and can be asserted exactly in tests.

>>> count_tokens("Hello, world!")
4
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from engine.models.base import ChatRequest, ToolCall

TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Tokens in ``text``: words and punctuation marks, one each."""
    return sum(1 for _ in TOKEN.finditer(text))


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys, so the same value always counts the same."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def request_tokens(request: ChatRequest) -> int:
    """Input tokens of a request: the system prompt, every message's text,
    tool use and tool result blocks, and the tool definitions (a real model
    reads those too)."""
    total = count_tokens(request.system or "")
    for message in request.messages:
        total += sum(_block_tokens(block) for block in message["content"])
    for tool in request.tools:
        total += count_tokens(tool.name) + count_tokens(tool.description)
        total += count_tokens(canonical_json(tool.input_schema))
    return total


def response_tokens(text: str, tool_calls: Iterable[ToolCall]) -> int:
    """Output tokens of a response: its text plus each tool call's name and input."""
    calls = sum(count_tokens(call.name) + count_tokens(canonical_json(call.input)) for call in tool_calls)
    return count_tokens(text) + calls


def _block_tokens(block: dict[str, Any]) -> int:
    if "text" in block:
        return count_tokens(block["text"])
    if "toolUse" in block:
        use = block["toolUse"]
        return count_tokens(use["name"]) + count_tokens(canonical_json(use["input"]))
    if "toolResult" in block:
        return sum(_block_tokens(part) for part in block["toolResult"]["content"])
    if "json" in block:
        # A toolResult content part carrying structured output.
        return count_tokens(canonical_json(block["json"]))
    # Images, documents and other media: no text to count.
    return 0
