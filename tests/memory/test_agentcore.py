"""The ``agentcore`` checkpointer: sessions in AgentCore Memory through langgraph-checkpoint-aws's AgentCoreMemorySaver.

Against a local AgentCore Memory over real HTTP (agentcore_fake.py: botocore's
own service model for the URIs, the ids' patterns and lengths): the saver and
boto3 run unchanged, with ``stores.agentcore.endpoint_url`` pointing at it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from langchain_core.runnables import RunnableConfig

from engine.cli import main
from engine.context import TenantContext
from engine.engine import Engine
from engine.errors import AuthError, MissingExtra, SpecError
from engine.ids import thread_id
from engine.memory.agentcore import (
    SESSION_PREFIX,
    AgentCoreCheckpointer,
    AgentCoreError,
    agentcore_ids,
    open_saver,
    thread_of,
)
from engine.memory.backends import StoresConfig, open_backends
from engine.memory.checkpoints import TenantCheckpointer
from engine.project import load_project
from tests.conftest import tenant_yaml
from tests.kinds.test_ask import APPROVER, REFUND
from tests.memory.agentcore_fake import CONSTRAINTS, FakeAgentCore, serve
from tests.run.memo import memo_provider
from tests.run.test_conversation import CHAT, PROJECT, cli_sessions_round

__all__ = ["memo_provider"]

MEMORY = "tenantflow_sessions-AbCdEf1234"
VAULT_MEMORY = "vault7_sessions-ZyXwVu9876"


@pytest.fixture
def agentcore(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAgentCore]:
    """The local AgentCore Memory with the pool's and the silo tenant's memory resources; fake AWS credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with serve(MEMORY, VAULT_MEMORY) as fake:
        yield fake


def stores_yaml(fake: FakeAgentCore, extra: str = "") -> str:
    return (f"stores:\n  checkpointer: agentcore\n  store: sqlite\n"
            f"  agentcore: {{memory_id: {MEMORY}, region: us-east-1, endpoint_url: '{fake.url}'{extra}}}\n")


def chat_project(make_project: Any, fake: FakeAgentCore, tenants: dict[str, str] | None = None) -> Path:
    project = PROJECT.replace("stores: {checkpointer: STORE, store: STORE}\n", stores_yaml(
        fake, f", silo_memory_ids: {{vault-7: {VAULT_MEMORY}}}"))
    return make_project({"tenantflow.yaml": project,
                         "workflows/hello.yaml": CHAT.replace("KEEP", "100").replace("HISTORY", "true")},
                        tenants=tenants or {"alpha": tenant_yaml("alpha", "basic"),
                                            "beta": tenant_yaml("beta", "premium")})


async def say(engine: Engine, tenant: str, session: str, text: str, user: str = "u1") -> Any:
    return await engine.run("chat", engine.dev_context(tenant, user, session), {"message": text})


# -- ids: tenantflow's threads <-> AgentCore's actors and sessions ---------------------------------

def _fits(name: str, value: str) -> bool:
    regex, low, high = CONSTRAINTS[name]
    return low <= len(value) <= high and bool(regex.fullmatch(value))


@pytest.mark.parametrize(("tenant", "user", "session"), [
    ("acme", "u1", "s1"), ("a", "b", "c"), ("Acme-2_x", "user_9-z", "S-1_b"),
    ("t" * 127, "u" * 127, "s" * 97),  # the longest that fit the service's 255 / 100 characters
])
def test_a_thread_maps_to_its_tenants_actor_and_back(tenant: str, user: str, session: str) -> None:
    thread = thread_id(tenant, user, session)
    actor, session_id = agentcore_ids(thread)
    assert (actor, session_id) == (f"{tenant}:{user}", SESSION_PREFIX + session)
    assert _fits("actorId", actor) and _fits("sessionId", session_id)  # the service model's own rules
    assert thread_of(actor, session_id) == thread


def test_ids_that_cannot_map_safely_are_refused_before_any_call() -> None:
    # A crafted id cannot name another tenant's actor: a thread is exactly three ids, none with ':'.
    for crafted in ("beta:alpha:u1:s1", "beta:alpha:u1", "alpha:u1", "alpha:u1:s1:x", "alpha::s1", "alpha:u1:s.1"):
        if crafted.count(":") == 2 and all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", p) for p in crafted.split(":")):
            assert agentcore_ids(crafted)[0] == ":".join(crafted.split(":")[:2])  # beta:alpha:u1 is beta's
            continue
        with pytest.raises(AgentCoreError, match="not tenant:user:session"):
            agentcore_ids(crafted)
    assert agentcore_ids("beta:alpha:u1") == ("beta:alpha", "tf-u1")  # beta's user 'alpha': still beta's actor
    with pytest.raises(AgentCoreError, match="longer than 97"):
        agentcore_ids(thread_id("acme", "u1", "s" * 98))
    with pytest.raises(AgentCoreError, match="254"):
        agentcore_ids(thread_id("t" * 128, "u" * 127, "s1"))
    # What AgentCore holds that is not a tenantflow session is never read back as one: a subgraph's hashed
    # session, another application's actor, a three-part actor.
    assert thread_of("acme:u1", "a" * 64) is None
    assert thread_of("someone-else", "tf-s1") is None
    assert thread_of("acme:u1:x", "tf-s1") is None


# -- configuration ----------------------------------------------------------------------------------

def test_store_agentcore_is_refused_saying_why(make_project: Any) -> None:
    root = make_project({"tenantflow.yaml": PROJECT.replace(
        "stores: {checkpointer: STORE, store: STORE}", f"stores: {{checkpointer: agentcore, store: agentcore, "
        f"agentcore: {{memory_id: {MEMORY}}}}}")})
    with pytest.raises(SpecError, match="store: agentcore is not offered: .*AgentCoreMemoryStore keeps only chat "
                                        "messages"):
        load_project(root)
    result = CliRunner().invoke(main, ["validate", "--project", str(root)])
    assert result.exit_code != 0 and "store: agentcore is not offered" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("agentcore", "message"), [
    ("{region: us-east-1}", "checkpointer: agentcore needs agentcore: {memory_id: ...}"),
    ("{memory_id: 'my memory'}", "is not an AgentCore Memory id"),
    (f"{{memory_id: {MEMORY}, silo_memory_ids: {{vault: nope}}}}", "silo tenant 'vault': 'nope' is not"),
])
def test_the_agentcore_section_is_checked(make_project: Any, agentcore: str, message: str) -> None:
    root = make_project({"tenantflow.yaml": PROJECT.replace(
        "stores: {checkpointer: STORE, store: STORE}", f"stores: {{checkpointer: agentcore, agentcore: {agentcore}}}")})
    with pytest.raises(SpecError, match=re.escape(message)):
        load_project(root)


async def test_without_the_extra_it_is_a_clear_missing_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "langgraph_checkpoint_aws", None)  # as if not installed
    config = StoresConfig.model_validate({"checkpointer": "agentcore", "store": "sqlite",
                                          "agentcore": {"memory_id": MEMORY}})
    with pytest.raises(MissingExtra) as caught:
        async with open_backends(config, tmp_path):
            pass
    assert str(caught.value) == ("stores: checkpointer: agentcore needs the [agentcore] extra "
                                 "(langgraph_checkpoint_aws is not installed): pip install 'tenantflow[agentcore]'")


# -- conversations, two tenants ------------------------------------------------------------------------

async def test_three_turns_for_two_tenants_kept_in_their_own_actors_and_sealed(make_project: Any,
                                                                               agentcore: FakeAgentCore) -> None:
    async with Engine.open(chat_project(make_project, agentcore)) as engine:
        for tenant in ("alpha", "beta"):
            await say(engine, tenant, "s1", f"my name is Ada of {tenant}")
            await say(engine, tenant, "s1", "I live in Oslo")
        third = {t: await say(engine, t, "s1", "where do I live?") for t in ("alpha", "beta")}
        for tenant in ("alpha", "beta"):
            assert third[tenant].output == {"reply": f"heard: my name is Ada of {tenant} | I live in Oslo | "
                                                     "where do I live?"}
            kept = await engine.sessions(tenant).messages("u1", "s1")
            assert [m["text"] for m in kept][::2] == [f"my name is Ada of {tenant}", "I live in Oslo",
                                                      "where do I live?"]
    # Each tenant's user is an actor of its own; AgentCore saw nothing else.
    assert agentcore.sessions(MEMORY) == {("alpha:u1", "tf-s1"), ("beta:u1", "tf-s1")}
    assert {ids["actorId"] for _, ids in agentcore.calls} == {"alpha:u1", "beta:u1"}
    # Encryption at rest (on by default) sealed what tenantflow sent: no conversation text reached AgentCore.
    # Every value (checkpoint, channel values, writes, metadata) is sealed with its own tenant's key.
    for tenant in ("alpha", "beta"):
        values = agentcore.values(f"{tenant}:u1")
        assert values and not [data for _, data in values if b"Oslo" in data or b"Ada" in data]
        assert [tag for tag, _ in values if not re.fullmatch(rf"[^+]+\+aesgcm:{tenant}:[^:]+", tag)] == []


async def test_a_paused_run_resumes_in_a_new_engine_for_each_tenant(make_project: Any,
                                                                   agentcore: FakeAgentCore) -> None:
    project = PROJECT.replace("stores: {checkpointer: STORE, store: STORE}\n", stores_yaml(agentcore))
    root = make_project({"tenantflow.yaml": project, "workflows/refund.yaml": REFUND.replace("DURABILITY", "exit")},
                        tenants={"alpha": tenant_yaml("alpha", "basic"), "beta": tenant_yaml("beta", "basic")})
    amount = {"alpha": 500, "beta": 700}
    async with Engine.open(root) as engine:
        for tenant in ("alpha", "beta"):
            paused = await engine.run("refund", engine.dev_context(tenant, "u1", "s1"),
                                      {"amount": amount[tenant], "customer_id": f"cus_{tenant}"})
            assert paused.pending is not None and paused.pending["question"] == \
                f"Refund {amount[tenant]} to cus_{tenant}?"
    # A new engine (a restarted process): the pauses are read back from AgentCore and answered.
    async with Engine.open(root) as engine:
        waiting = {t: [r.status for r in await engine.sessions(t).runs(pending=True)] for t in ("alpha", "beta")}
        assert waiting == {"alpha": ["waiting"], "beta": ["waiting"]}
        answers = {"alpha": True, "beta": False}
        for tenant, approved in answers.items():
            boss = TenantContext(tenant_id=tenant, tier="basic", user_id="boss", session_id="s1", scopes=APPROVER)
            done = await engine.answer("refund", boss, "u1", {"approved": approved})
            assert done.output == {"status": "refunded" if approved else "denied"}
    assert {a for a, _ in agentcore.sessions(MEMORY)} == {"alpha:u1", "beta:u1"}


# -- tenants cannot cross ---------------------------------------------------------------------------

class _Runtime:
    """What LangGraph puts in a run's config: only its ``context`` matters to the checkpointer."""

    def __init__(self, context: TenantContext):
        self.context = context


async def test_a_run_naming_another_tenants_thread_is_refused_before_any_agentcore_call(
        make_project: Any, agentcore: FakeAgentCore) -> None:
    async with Engine.open(chat_project(make_project, agentcore)) as engine:
        await say(engine, "alpha", "s1", "alpha's secret")
        assert isinstance(engine.checkpointer, TenantCheckpointer)
        before = len(agentcore.calls)
        graph = engine.compile("chat", "beta").graph
        with pytest.raises(AuthError, match="thread 'alpha:u1:s1' does not belong to tenant 'beta'"):
            await graph.ainvoke({"input": {"message": "hi"}}, config={"configurable": {"thread_id": "alpha:u1:s1"}},
                                context=engine.dev_context("beta", "u1", "s1"))
        beta_run: RunnableConfig = {"configurable": {"thread_id": "alpha:u1:s1",
                                                     "__pregel_runtime": _Runtime(engine.dev_context("beta", "u1",
                                                                                                     "s1"))}}
        with pytest.raises(AuthError):
            await engine.checkpointer.aget_tuple(beta_run)
        with pytest.raises(AuthError):
            [c async for c in engine.checkpointer.alist(beta_run)]
        assert agentcore.calls[before:] == []  # refused before AgentCore was asked anything
        # beta's own user named 'alpha' is beta's actor 'beta:alpha', never alpha's.
        await say(engine, "beta", "u1", "hello", user="alpha")
        assert ("beta:alpha", "tf-u1") in agentcore.sessions(MEMORY)
        assert len(await engine.sessions("alpha").messages("u1", "s1")) == 2
        # Listing across every thread is something AgentCore cannot do: a clear error, not an empty answer.
        with pytest.raises(AgentCoreError, match="cannot list them across sessions"):
            [c async for c in engine.checkpointer.alist(None)]


async def test_sessions_are_listed_and_deleted_one_tenant_at_a_time(make_project: Any,
                                                                    agentcore: FakeAgentCore) -> None:
    async with Engine.open(chat_project(make_project, agentcore)) as engine:
        for tenant, user, session in (("alpha", "u1", "s1"), ("alpha", "u1", "s2"), ("alpha", "u2", "s1"),
                                      ("alpha", "u3", "s1"), ("beta", "u1", "s1"), ("beta", "u1", "s2")):
            await say(engine, tenant, session, "hello", user=user)
        listed = {(s.user_id, s.session_id) for s in await engine.sessions("alpha").list()}
        assert listed == {("u1", "s1"), ("u1", "s2"), ("u2", "s1"), ("u3", "s1")}
        assert {s.session_id for s in await engine.sessions("beta").list("u1")} == {"s1", "s2"}
        # alpha's handle deletes alpha's session; beta's, with the same user and session ids, stays.
        assert await engine.sessions("alpha").delete("u1", "s1") is True
        assert ("alpha:u1", "tf-s1") not in agentcore.sessions(MEMORY)  # every event of it, over several pages
        assert {(s.user_id, s.session_id) for s in await engine.sessions("alpha").list()} == {
            ("u1", "s2"), ("u2", "s1"), ("u3", "s1")}
        assert await engine.sessions("alpha").delete("u1", "s1") is False
        assert len(await engine.sessions("beta").messages("u1", "s1")) == 2


def test_the_cli_lists_shows_and_deletes_sessions_on_agentcore(make_project: Any, agentcore: FakeAgentCore) -> None:
    cli_sessions_round(str(chat_project(make_project, agentcore)))
    assert agentcore.sessions(MEMORY) == {("beta:u1", "tf-s1")}


# -- a silo tenant ------------------------------------------------------------------------------------

async def test_a_silo_tenants_sessions_live_in_its_own_memory_resource(make_project: Any,
                                                                        agentcore: FakeAgentCore) -> None:
    tenants = {"alpha": tenant_yaml("alpha", "basic"),
               "vault-7": tenant_yaml("vault-7", "premium", "isolation: {memory: silo}\n"),
               "keep-9": tenant_yaml("keep-9", "premium", "isolation: {memory: silo}\n")}
    async with Engine.open(chat_project(make_project, agentcore, tenants)) as engine:
        await say(engine, "alpha", "s1", "pool")
        await say(engine, "vault-7", "s1", "silo")
        assert await say(engine, "vault-7", "s1", "again") is not None
        assert [s.session_id for s in await engine.sessions("vault-7").list()] == ["s1"]
        # A silo tenant without a memory resource of its own is refused, saying what to configure.
        with pytest.raises(AgentCoreError, match=r"tenant 'keep-9' keeps its memory apart .*silo_memory_ids"):
            await say(engine, "keep-9", "s1", "x")
    assert agentcore.actors(MEMORY) == {"alpha:u1"}
    assert agentcore.actors(VAULT_MEMORY) == {"vault-7:u1"}


async def test_the_saver_under_the_engine_is_langgraph_checkpoint_aws(tmp_path: Path,
                                                                      agentcore: FakeAgentCore) -> None:
    from langgraph_checkpoint_aws import AgentCoreMemorySaver

    config = StoresConfig.model_validate({"checkpointer": "agentcore", "store": "sqlite", "encryption": {
        "provider": "none"}, "agentcore": {"memory_id": MEMORY, "region": "us-east-1", "endpoint_url": agentcore.url}})
    async with open_backends(config, tmp_path) as backends:
        assert isinstance(backends.checkpointer, AgentCoreCheckpointer)
        assert isinstance(backends.checkpointer.saver, AgentCoreMemorySaver)
        assert backends.checkpointer.saver.memory_id == MEMORY


CALLER = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: caller}
input:
  message: {type: string}
steps:
  - id: sub
    call: chat
    with: {message: "{{ input.message }}"}
  - return: {reply: "{{ steps.sub.reply }}"}
"""


async def test_a_called_sub_workflow_keeps_no_session_of_its_own_so_deleting_leaves_nothing(
        make_project: Any, agentcore: FakeAgentCore) -> None:
    # The saver keeps a subgraph namespace's checkpoints in a session named by a hash, which deleting the thread
    # would not reach: tenantflow's call: sub-runs must not write any.
    root = chat_project(make_project, agentcore)
    (root / "workflows" / "caller.yaml").write_text(CALLER)
    async with Engine.open(root) as engine:
        for tenant in ("alpha", "beta"):
            result = await engine.run("caller", engine.dev_context(tenant, "u1", "s1"), {"message": "hi"})
            assert result.output == {"reply": "heard: hi"}
        assert agentcore.sessions(MEMORY) == {("alpha:u1", "tf-s1"), ("beta:u1", "tf-s1")}
        assert await engine.sessions("alpha").delete("u1", "s1") is True
    assert agentcore.sessions(MEMORY) == {("beta:u1", "tf-s1")}


def test_aws_refusing_is_one_clear_error_not_a_traceback(make_project: Any, agentcore: FakeAgentCore) -> None:
    root = chat_project(make_project, agentcore)
    config = root / "tenantflow.yaml"
    config.write_text(config.read_text().replace(f"memory_id: {MEMORY}", "memory_id: deleted_memory-AbCdEf1234"))
    result = CliRunner().invoke(main, ["run", "chat", "--tenant", "alpha", "--user", "u1", "--session", "s1",
                                       "--input", '{"message": "hi"}', "--project", str(root)])
    assert result.exit_code == 1
    assert result.output.startswith("error: AgentCore Memory 'deleted_memory-AbCdEf1234' refused a read of "
                                    "alpha:u1:s1: ResourceNotFoundException: memory deleted_memory-AbCdEf1234 "
                                    "not found")
    assert "Traceback" not in result.output


async def test_the_listing_and_deleting_requests_are_the_service_models_under_stubber(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The calls the adapter makes itself (the saver's are exercised above), checked by botocore's Stubber."""
    from botocore.stub import Stubber

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    config = StoresConfig.model_validate({"checkpointer": "agentcore", "store": "sqlite",
                                          "agentcore": {"memory_id": MEMORY, "region": "us-east-1"}})
    saver = open_saver(config.agentcore, MEMORY)
    with Stubber(saver.saver.checkpoint_event_client.client._client) as stub:
        stub.add_response("list_actors", {"actorSummaries": [{"actorId": "alpha:u1"}, {"actorId": "beta:u1"}],
                                          "nextToken": "n1"}, {"memoryId": MEMORY, "maxResults": 100})
        stub.add_response("list_actors", {"actorSummaries": [{"actorId": "alpha:u2"}, {"actorId": "other-app"}]},
                          {"memoryId": MEMORY, "maxResults": 100, "nextToken": "n1"})
        for actor, sessions in (("alpha:u1", ["tf-s1", "a" * 64]), ("alpha:u2", ["tf-s9"])):
            stub.add_response("list_sessions", {"sessionSummaries": [
                {"sessionId": s, "actorId": actor, "createdAt": 0} for s in sessions]},
                {"memoryId": MEMORY, "actorId": actor, "maxResults": 100})
        assert await saver.athread_ids("alpha") == ["alpha:u1:s1", "alpha:u2:s9"]
        stub.add_response("list_events", {"events": [
            {"memoryId": MEMORY, "actorId": "alpha:u1", "sessionId": "tf-s1", "eventId": f"1700000000000#{i:08x}",
             "eventTimestamp": 0, "payload": []} for i in (1, 2)]},
            {"memoryId": MEMORY, "actorId": "alpha:u1", "sessionId": "tf-s1", "includePayloads": False,
             "maxResults": 100})
        for i in (1, 2):
            stub.add_response("delete_event", {"eventId": f"1700000000000#{i:08x}"}, {
                "memoryId": MEMORY, "actorId": "alpha:u1", "sessionId": "tf-s1", "eventId": f"1700000000000#{i:08x}"})
        await saver.adelete_thread("alpha:u1:s1")
        stub.assert_no_pending_responses()
