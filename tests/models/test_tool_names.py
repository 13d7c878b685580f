"""Tool names <-> Bedrock wire names."""

from __future__ import annotations

import pytest

from engine.models.tool_names import ToolNameCollision, ToolNames, wire_name


def test_valid_names_are_unchanged_and_others_are_sanitized() -> None:
    assert wire_name("get_invoices-v2") == "get_invoices-v2"
    assert wire_name("billing.get_invoices") == "billing_get_invoices"
    assert wire_name("x" * 70) == "x" * 64


def test_round_trip_and_unknown_names_pass_through() -> None:
    names = ToolNames(["billing.get_invoices", "search"])

    assert names.to_wire("billing.get_invoices") == "billing_get_invoices"
    assert names.from_wire("billing_get_invoices") == "billing.get_invoices"
    assert names.from_wire("search") == "search"
    assert names.from_wire("invented_tool") == "invented_tool"


def test_collision_is_reported() -> None:
    with pytest.raises(ToolNameCollision, match="'a.b' and 'a_b' both become 'a_b'"):
        ToolNames(["a.b", "a_b"])
