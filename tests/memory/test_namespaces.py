from __future__ import annotations

import pytest

from engine.context import TenantContext
from engine.memory.namespaces import LEVELS, namespace_for


def ctx(tenant: str) -> TenantContext:
    return TenantContext(tenant_id=tenant, tier="basic", user_id="u1", session_id="s1")


def test_levels_broadest_first() -> None:
    assert LEVELS == ("global", "strategy", "tenant", "user", "session")


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("global", ("global",)),
        ("strategy", ("strategy", "support-agent")),
        ("tenant", ("tenant", "acme")),
        ("user", ("tenant", "acme", "user", "u1")),
        ("session", ("tenant", "acme", "user", "u1", "session", "s1")),
    ],
)
def test_namespace_of_each_level(level: str, expected: tuple[str, ...]) -> None:
    assert namespace_for(level, ctx("acme"), "support-agent") == expected  # type: ignore[arg-type]


def test_strategy_level_needs_a_strategy_name() -> None:
    with pytest.raises(ValueError) as err:
        namespace_for("strategy", ctx("acme"), None)
    assert str(err.value) == "memory level 'strategy' needs a strategy name (the workflow's metadata.strategy)"


def test_unknown_level_lists_the_known_ones() -> None:
    with pytest.raises(ValueError) as err:
        namespace_for("tenants", ctx("acme"))  # type: ignore[arg-type]
    assert str(err.value) == "unknown memory level 'tenants': expected one of global, strategy, tenant, user, session"


@pytest.mark.parametrize("bad", ["support:agent", "support.agent", "support/agent", "", "-x", "a b", "a@b"])
def test_crafted_strategy_names_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"invalid strategy name .*must match \[A-Za-z0-9\]\[A-Za-z0-9_-\]\*"):
        namespace_for("strategy", ctx("acme"), bad)


@pytest.mark.parametrize(
    ("field", "bad", "level"),
    [
        ("tenant_id", "acme:evil", "tenant"),
        ("tenant_id", "acme.evil", "user"),
        ("tenant_id", "acme/evil", "session"),
        ("user_id", "u1:evil", "user"),
        ("user_id", "u1.evil", "session"),
        ("session_id", "s1/evil", "session"),
    ],
)
def test_crafted_context_ids_are_rejected_even_past_the_context_check(field: str, bad: str, level: str) -> None:
    # TenantContext validates on construction; a context mutated afterwards
    # (or built around that check) must still not become a namespace.
    crafted = ctx("acme")
    object.__setattr__(crafted, field, bad)
    with pytest.raises(ValueError, match=rf"invalid (tenant|user|session) id {bad!r}"):
        namespace_for(level, crafted)  # type: ignore[arg-type]
