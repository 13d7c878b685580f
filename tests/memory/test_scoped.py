from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from langgraph.store.base import BaseStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from engine.context import TenantContext
from engine.errors import MemoryAccessDenied, MemoryValueRefused
from engine.memory.scoped import ScopedStore, seed_global, seed_strategy

ALL_TENANT_LEVELS = ("global", "strategy", "tenant", "user", "session")


def ctx(tenant: str, user: str = "u1", session: str = "s1") -> TenantContext:
    return TenantContext(tenant_id=tenant, tier="basic", user_id=user, session_id=session)


def scoped(
    store: BaseStore,
    tenant: str,
    user: str = "u1",
    session: str = "s1",
    *,
    read: tuple[str, ...] = ALL_TENANT_LEVELS,
    write: tuple[str, ...] = ("tenant", "user", "session"),
    strategy: str | None = "support-agent",
) -> ScopedStore:
    return ScopedStore(store, ctx(tenant, user, session), strategy=strategy, read_levels=read, write_levels=write)


# --- isolation between tenants ------------------------------------------------


async def test_same_user_id_in_another_tenant_sees_nothing(store: BaseStore) -> None:
    alice_at_a = scoped(store, "tenant-a", "alice")
    alice_at_b = scoped(store, "tenant-b", "alice")
    await alice_at_a.put("user", "prefs", {"tone": "formal", "note": "secret of A"})

    assert await alice_at_b.get("user", "prefs") is None
    assert await alice_at_b.search("user") == []
    assert await alice_at_b.search("user", filter={"tone": "formal"}) == []
    assert await alice_at_b.list_keys("user") == []
    assert await alice_at_b.load(["user"]) == {"user": []}
    # ... and the other way round: B writing the same key leaves A's value alone.
    await alice_at_b.put("user", "prefs", {"tone": "casual"})
    got = await alice_at_a.get("user", "prefs")
    assert got is not None and got["value"] == {"tone": "formal", "note": "secret of A"}


async def test_tenant_memory_is_not_shared_between_tenants(store: BaseStore) -> None:
    a, b = scoped(store, "tenant-a"), scoped(store, "tenant-b")
    await a.put("tenant", "policy", {"sla_hours": 4})
    assert await b.get("tenant", "policy") is None
    assert await b.search("tenant") == []
    assert await b.list_keys("tenant") == []
    await b.delete("tenant", "policy")
    assert await a.list_keys("tenant") == ["policy"]


async def test_a_tenant_id_that_prefixes_another_does_not_match_it(store: BaseStore) -> None:
    await scoped(store, "acme-eu").put("tenant", "k", {"v": 1})
    assert await scoped(store, "acme").search("tenant") == []


# --- isolation inside a tenant ------------------------------------------------


async def test_sessions_of_one_user_are_isolated(store: BaseStore) -> None:
    s1, s2 = scoped(store, "tenant-a", "alice", "s1"), scoped(store, "tenant-a", "alice", "s2")
    await s1.put("session", "draft", {"text": "first"})
    assert await s2.get("session", "draft") is None
    assert await s2.search("session") == []
    assert await s2.list_keys("session") == []
    # Both sessions share the user's memory.
    await s1.put("user", "name", {"first": "Alice"})
    assert (await s2.get("user", "name")) is not None


async def test_users_of_one_tenant_are_isolated(store: BaseStore) -> None:
    await scoped(store, "tenant-a", "alice").put("user", "prefs", {"tone": "formal"})
    bob = scoped(store, "tenant-a", "bob")
    assert await bob.get("user", "prefs") is None
    assert await bob.list_keys("user") == []


async def test_a_level_never_returns_items_of_the_levels_below_it(store: BaseStore) -> None:
    # A store search matches a prefix and all its descendants: ("tenant", t)
    # also covers every user and session of t. Enough user items to need
    # more than one page of results.
    alice = scoped(store, "tenant-a", "alice")
    for i in range(120):
        await alice.put("user", f"u{i:03d}", {"i": i})
    await alice.put("session", "draft", {"text": "x"})
    await alice.put("tenant", "policy", {"sla_hours": 4})
    bob = scoped(store, "tenant-a", "bob")

    assert [item["key"] for item in await bob.search("tenant", limit=50)] == ["policy"]
    assert await bob.list_keys("tenant") == ["policy"]
    assert await alice.list_keys("tenant") == ["policy"]
    assert await alice.list_keys("user") == [f"u{i:03d}" for i in range(120)]
    loaded = await alice.load(["tenant", "user", "session"])
    assert [item["key"] for item in loaded["tenant"]] == ["policy"]
    assert len(loaded["user"]) == 50 and all(item["namespace_level"] == "user" for item in loaded["user"])
    assert [item["key"] for item in loaded["session"]] == ["draft"]


# --- shared levels --------------------------------------------------------------


async def test_global_and_strategy_are_readable_by_every_tenant(store: BaseStore) -> None:
    await seed_global(store, "disclaimer", {"text": "not legal advice"})
    await seed_strategy(store, "support-agent", "tone", {"text": "be kind"})
    await seed_strategy(store, "secops", "tone", {"text": "be terse"})
    for tenant in ("tenant-a", "tenant-b"):
        memory = scoped(store, tenant)
        got = await memory.get("global", "disclaimer")
        assert got is not None and got["value"] == {"text": "not legal advice"}
        tone = await memory.get("strategy", "tone")
        assert tone is not None and tone["value"] == {"text": "be kind"}
    secops = scoped(store, "tenant-a", strategy="secops")
    assert [item["value"] for item in await secops.search("strategy")] == [{"text": "be terse"}]


@pytest.mark.parametrize("level", ["global", "strategy"])
async def test_tenants_cannot_write_shared_levels(store: BaseStore, level: str) -> None:
    await seed_global(store, "k", {"v": "platform"})
    await seed_strategy(store, "support-agent", "k", {"v": "platform"})
    memory = scoped(store, "tenant-a")
    message = f"memory level '{level}' is read-only to tenants; the platform writes it with seed_{level}()"
    with pytest.raises(MemoryAccessDenied) as err:
        await memory.put(level, "k", {"v": "tenant"})  # type: ignore[arg-type]
    assert str(err.value) == message
    with pytest.raises(MemoryAccessDenied) as err:
        await memory.delete(level, "k")  # type: ignore[arg-type]
    assert str(err.value) == message
    got = await memory.get(level, "k")  # type: ignore[arg-type]
    assert got is not None and got["value"] == {"v": "platform"}


@pytest.mark.parametrize("level", ["global", "strategy"])
def test_declaring_a_shared_level_writable_is_refused(store: BaseStore, level: str) -> None:
    with pytest.raises(MemoryAccessDenied, match=f"memory level '{level}' is read-only to tenants"):
        scoped(store, "tenant-a", write=(level,))


# --- declared levels ----------------------------------------------------------


async def test_undeclared_read_level_is_refused(store: BaseStore) -> None:
    await scoped(store, "tenant-a").put("tenant", "policy", {"sla_hours": 4})
    memory = scoped(store, "tenant-a", read=("user", "session"), write=("user",))
    message = (
        "memory level 'tenant' is not declared for read: declared read levels are user, session "
        "(add it to the workflow's memory.read)"
    )
    for attempt in (
        memory.get("tenant", "policy"),
        memory.search("tenant"),
        memory.list_keys("tenant"),
        memory.load(["tenant", "user"]),
    ):
        with pytest.raises(MemoryAccessDenied) as err:
            await attempt
        assert str(err.value) == message
    with pytest.raises(MemoryAccessDenied) as err:
        memory.check_namespace(("tenant", "tenant-a"), write=False)
    assert str(err.value) == message


async def test_undeclared_write_level_is_refused(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a", write=("user",))
    with pytest.raises(MemoryAccessDenied) as err:
        await memory.put("session", "draft", {"text": "x"})
    assert str(err.value) == (
        "memory level 'session' is not declared for write: declared write levels are user "
        "(add it to the workflow's memory.write)"
    )
    with pytest.raises(MemoryAccessDenied, match="declared write levels are none"):
        await scoped(store, "tenant-a", write=()).delete("user", "x")


def test_declared_levels_are_validated(store: BaseStore) -> None:
    with pytest.raises(ValueError, match="unknown memory level 'users'"):
        scoped(store, "tenant-a", read=("users",))
    with pytest.raises(ValueError, match="memory level 'strategy' is declared but no strategy name was given"):
        scoped(store, "tenant-a", read=("strategy",), strategy=None)
    with pytest.raises(ValueError, match="invalid strategy name 'support.agent'"):
        scoped(store, "tenant-a", strategy="support.agent")
    # A lone level name is one level, not its letters.
    assert ScopedStore(store, ctx("tenant-a"), read_levels="user").read_levels == ("user",)


# --- check_namespace ------------------------------------------------------------


@pytest.mark.parametrize(
    "namespace",
    [
        ("tenant",),  # would span every tenant
        (),
        ("tenant", "tenant-b"),
        ("tenant", "tenant-b", "user", "u1"),
        ("tenant", "tenant-b", "user", "u1", "session", "s1"),
        ("tenant", "tenant-a", "user"),
        ("tenant", "tenant-a", "user", "u2"),  # another user of the same tenant
        ("tenant", "tenant-a", "user", "u1", "session", "s2"),  # another session of the same user
        ("tenant", "tenant-a", "user", "u1", "session", "s1", "x"),  # below the deepest level
        ("strategy", "secops"),  # another strategy
        ("strategy",),
        ("global", "x"),
        ("langgraph",),
    ],
)
@pytest.mark.parametrize("write", [False, True])
def test_check_namespace_refuses_foreign_prefixes(store: BaseStore, namespace: tuple[str, ...], write: bool) -> None:
    memory = scoped(store, "tenant-a")
    with pytest.raises(MemoryAccessDenied) as err:
        memory.check_namespace(namespace, write)
    assert str(err.value) == (
        f"memory namespace {namespace!r} is outside the memory of tenant 'tenant-a' "
        "(user 'u1', session 's1'); address memory by level, not by namespace"
    )


def test_check_namespace_accepts_own_declared_levels(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a")
    assert memory.check_namespace(("global",), False) == "global"
    assert memory.check_namespace(("strategy", "support-agent"), False) == "strategy"
    assert memory.check_namespace(("tenant", "tenant-a"), True) == "tenant"
    assert memory.check_namespace(["tenant", "tenant-a", "user", "u1"], True) == "user"
    assert memory.check_namespace(("tenant", "tenant-a", "user", "u1", "session", "s1"), False) == "session"
    with pytest.raises(MemoryAccessDenied, match="'global' is read-only to tenants"):
        memory.check_namespace(("global",), True)


# --- items ----------------------------------------------------------------------


async def test_items_are_plain_dicts_without_namespaces(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a")
    await memory.put("user", "prefs", {"tone": "formal"})
    got = await memory.get("user", "prefs")
    assert got is not None
    assert set(got) == {"key", "value", "namespace_level", "updated_at"}
    assert (got["key"], got["value"], got["namespace_level"]) == ("prefs", {"tone": "formal"}, "user")
    assert datetime.fromisoformat(got["updated_at"]).utcoffset() is not None
    assert "tenant-a" not in repr(got)
    assert await memory.search("user") == [got]


async def test_mutating_a_returned_value_does_not_change_memory(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a")
    await memory.put("user", "prefs", {"tags": ["a"]})
    got = await memory.get("user", "prefs")
    assert got is not None
    got["value"]["tags"].append("injected")
    again = await memory.get("user", "prefs")
    assert again is not None and again["value"] == {"tags": ["a"]}


async def test_search_filters_and_limits(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a")
    for i in range(6):
        await memory.put("user", f"k{i}", {"kind": "even" if i % 2 == 0 else "odd"})
    even = await memory.search("user", filter={"kind": "even"})
    assert sorted(item["key"] for item in even) == ["k0", "k2", "k4"]
    assert len(await memory.search("user", limit=2)) == 2
    assert await memory.search("user", limit=0) == []
    with pytest.raises(ValueError, match="limit must be a non-negative integer, got -1"):
        await memory.search("user", limit=-1)


async def test_put_delete_roundtrip_and_bad_input(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a")
    await memory.put("session", "draft", {"text": "x"})
    await memory.delete("session", "draft")
    assert await memory.get("session", "draft") is None
    await memory.delete("session", "never-written")
    with pytest.raises(TypeError, match="memory value must be a dict, got list"):
        await memory.put("session", "draft", ["x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="memory key must be a non-empty string"):
        await memory.put("session", "", {"text": "x"})


# --- load -------------------------------------------------------------------------


async def test_load_reads_declared_levels_newest_first_and_bounded(store: BaseStore) -> None:
    await seed_global(store, "disclaimer", {"text": "g"})
    writer = scoped(store, "tenant-a")
    await writer.put("tenant", "policy", {"v": 1})
    for key in ("old0", "old1", "old2"):
        await writer.put("user", key, {"v": key})
    if isinstance(getattr(store, "inner", store), AsyncSqliteStore):
        await asyncio.sleep(1.05)  # SQLite's CURRENT_TIMESTAMP has whole seconds
    for key in ("new0", "new1"):
        await writer.put("user", key, {"v": key})
    await writer.put("user", "old0", {"v": "old0, updated"})
    await writer.put("session", "draft", {"text": "x"})

    reader = scoped(store, "tenant-a", read=("global", "user"), write=())
    loaded = await reader.load(limit=3)
    assert list(loaded) == ["global", "user"]
    assert [item["key"] for item in loaded["global"]] == ["disclaimer"]
    assert [item["key"] for item in loaded["user"]] == ["old0", "new1", "new0"]
    assert loaded["user"][0]["value"] == {"v": "old0, updated"}
    stamps = [item["updated_at"] for item in loaded["user"]]
    assert stamps == sorted(stamps, reverse=True)

    assert list(await reader.load(["user"])) == ["user"]
    with pytest.raises(MemoryAccessDenied, match="memory level 'session' is not declared for read"):
        await reader.load(["session"])


async def test_load_caps_each_level_at_50_by_default(store: BaseStore) -> None:
    memory = scoped(store, "tenant-a")
    for i in range(55):
        await memory.put("session", f"turn{i:02d}", {"i": i})
    loaded = await memory.load(["session"])
    assert len(loaded["session"]) == 50


# --- values memory cannot store --------------------------------------------------


@pytest.mark.parametrize("key, value", [
    ("k", {"text": "a\x00secret-9"}), ("k", {"nested": [{"deep": "x\x00secret-9"}]}), ("k", {"a\x00secret-9": 1}),
    ("k\x00secret-9", {"text": "fine"})])
async def test_a_nul_character_in_a_key_or_value_is_refused_without_quoting_it(
        store: BaseStore, key: str, value: dict[str, object]) -> None:
    a, b = scoped(store, "tenant-a"), scoped(store, "tenant-b")
    await b.put("user", "k", {"text": "b keeps this"})
    with pytest.raises(MemoryValueRefused, match=r"NUL character \(U\+0000\)") as refused:
        await a.put("user", key, value)
    assert "secret-9" not in str(refused.value) and refused.value.code == "memory-value"
    assert await a.list_keys("user") == []  # nothing written
    got = await b.get("user", "k")
    assert got is not None and got["value"] == {"text": "b keeps this"}
