"""Encryption at rest: per-tenant data keys (local key file, AWS KMS), rotation, refusal of what is not the tenant's."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner
from langgraph.store.memory import InMemoryStore

from engine.context import TenantContext
from engine.engine import Engine
from engine.memory.backends import StoresConfig, open_backends
from engine.memory.key_providers import KMS_CONTEXT_KEY, KmsKeys, LocalKeyFile
from engine.memory.keyring import EncryptionError, Keyring
from engine.memory.scoped import ScopedStore
from engine.memory.sealed_store import SealedStore
from tests.run.memo import memo_provider
from tests.run.test_at_rest import PROJECT as AT_REST_PROJECT
from tests.run.test_at_rest import chat_project_with

__all__ = ["memo_provider"]

#: The at-rest test's project (a memo model, a chat that remembers its answer) on SQLite.
PROJECT = AT_REST_PROJECT + "stores: {checkpointer: sqlite, store: sqlite}\n"


@pytest.fixture
def chat_project(make_project: Any) -> Path:
    return chat_project_with(make_project, "stores: {checkpointer: sqlite, store: sqlite}\n")


async def _say(engine: Engine, tenant: str, user: str, session: str, text: str) -> Any:
    return await engine.run("chat", engine.dev_context(tenant, user, session), {"message": text})


def _files(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (root / ".tenantflow").rglob("*") if p.is_file())


def _db(root: Path, name: str = "checkpoints.sqlite") -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(root / ".tenantflow" / name))


# -- on by default: nothing readable, everything still works --------------------------------------------------

async def test_checkpoints_and_memory_are_sealed_per_tenant_and_sessions_go_on(chat_project: Path) -> None:
    async with Engine.open(chat_project) as engine:
        await _say(engine, "alpha", "u1", "s1", "my dog is called Bartholomew")
        await _say(engine, "beta", "u1", "s1", "my cat is called Ophelia")
        third = await _say(engine, "alpha", "u1", "s1", "what is my dog called?")
        assert "Bartholomew" in third.output["reply"]  # the session's history, read back through the key
        memory = ScopedStore(engine.store, engine.dev_context("alpha", "u1", "s1"), read_levels=["user"])  # type: ignore[arg-type]
        assert (await memory.get("user", "last") or {}).get("value") == {"value": third.output["reply"]}
    stored = _files(chat_project)
    for text in (b"Bartholomew", b"Ophelia", b"what is my dog called"):
        assert text not in stored
    # Each payload names its tenant's key; the key file was made private on first use.
    assert b"+aesgcm:alpha:000001-" in stored and b"+aesgcm:beta:000001-" in stored
    key_file = chat_project / ".tenantflow" / "keys" / "master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_bytes()) == 32


async def test_a_row_copied_into_another_tenants_thread_or_namespace_is_refused(chat_project: Path) -> None:
    async with Engine.open(chat_project) as engine:
        await _say(engine, "alpha", "u1", "s1", "alpha's secret plan")
        await _say(engine, "beta", "u1", "s1", "hello")
    with _db(chat_project) as db:  # beta's newest checkpoint replaced by alpha's, bytes and all
        db.execute("UPDATE checkpoints SET type = (SELECT type FROM checkpoints WHERE thread_id = 'alpha:u1:s1' "
                   "ORDER BY checkpoint_id DESC LIMIT 1), checkpoint = (SELECT checkpoint FROM checkpoints WHERE "
                   "thread_id = 'alpha:u1:s1' ORDER BY checkpoint_id DESC LIMIT 1) WHERE thread_id = 'beta:u1:s1'")
        db.commit()
    with _db(chat_project, "memory.sqlite") as db:
        (value,) = db.execute("SELECT value FROM store WHERE prefix = 'tenant.alpha.user.u1'").fetchone()
        db.execute("UPDATE store SET value = ? WHERE prefix = 'tenant.beta.user.u1'", (value,))
        db.commit()
    async with Engine.open(chat_project) as engine:
        with pytest.raises(EncryptionError, match="of tenant 'alpha' was found in thread 'beta:u1:s1'"):
            await _say(engine, "beta", "u1", "s1", "what did I say?")
        memory = ScopedStore(engine.store, engine.dev_context("beta", "u1", "s1"), read_levels=["user"])  # type: ignore[arg-type]
        with pytest.raises(EncryptionError, match="sealed for tenant 'alpha'; refused"):
            await memory.get("user", "last")
        # Alpha's own session is untouched.
        assert "alpha's secret plan" in (await _say(engine, "alpha", "u1", "s1", "and?")).output["reply"]


async def test_a_forged_tenant_name_or_another_users_row_does_not_decrypt(chat_project: Path) -> None:
    async with Engine.open(chat_project) as engine:
        await _say(engine, "alpha", "u1", "s1", "u1's secret")
        await _say(engine, "alpha", "u2", "s1", "hello")
        await _say(engine, "beta", "u1", "s1", "hello")
    with _db(chat_project) as db:
        newest = "SELECT type, checkpoint FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC LIMIT 1"
        alpha_type, alpha_bytes = db.execute(newest, ("alpha:u1:s1",)).fetchone()
        beta_type, _ = db.execute(newest, ("beta:u1:s1",)).fetchone()
        # Alpha's payload relabelled as beta's, with beta's key id: beta's key does not open it (GCM authenticates).
        forged = alpha_type.split("+")[0] + "+" + beta_type.split("+")[1]
        db.execute("UPDATE checkpoints SET type = ?, checkpoint = ? WHERE thread_id = 'beta:u1:s1'",
                   (forged, alpha_bytes))
        # A checkpoint of user u1 copied into u2's session of the same tenant: bound to its thread.
        db.execute("UPDATE checkpoints SET type = (SELECT type FROM checkpoints WHERE thread_id = 'alpha:u1:s1' "
                   "ORDER BY checkpoint_id DESC LIMIT 1), checkpoint = (SELECT checkpoint FROM checkpoints WHERE "
                   "thread_id = 'alpha:u1:s1' ORDER BY checkpoint_id DESC LIMIT 1) WHERE thread_id = 'alpha:u2:s1'")
        db.commit()
    async with Engine.open(chat_project) as engine:
        for tenant, user in (("beta", "u1"), ("alpha", "u2")):
            with pytest.raises(EncryptionError, match="does not decrypt with key"):
                await _say(engine, tenant, user, "s1", "again")


async def test_a_lost_or_replaced_key_file_is_a_clear_error_never_an_empty_session(chat_project: Path) -> None:
    async with Engine.open(chat_project) as engine:
        await _say(engine, "alpha", "u1", "s1", "remember me")
    key_file = chat_project / ".tenantflow" / "keys" / "master.key"
    key_file.unlink()  # lost: a new one is made on the next start, and it unwraps nothing stored before
    async with Engine.open(chat_project) as engine:
        with pytest.raises(EncryptionError, match="does not unwrap with the key file") as raised:
            await _say(engine, "alpha", "u1", "s1", "who am I?")
        assert raised.value.code == "encryption"
        with pytest.raises(EncryptionError, match="does not unwrap"):
            await engine.sessions("alpha").messages("u1", "s1")
    key_file.chmod(0o644)
    async with Engine.open(chat_project) as engine:
        with pytest.raises(EncryptionError, match="can be read by other users"):
            await _say(engine, "beta", "u1", "s1", "hi")


async def test_checkpoints_written_before_encryption_are_refused_unless_read_plaintext(chat_project: Path) -> None:
    config = chat_project / "tenantflow.yaml"
    plain = PROJECT.replace("store: sqlite}", "store: sqlite, encryption: {provider: none}}")
    config.write_text(plain)
    async with Engine.open(chat_project) as engine:
        await _say(engine, "alpha", "u1", "s1", "written in the clear")
    assert b"written in the clear" in _files(chat_project)
    config.write_text(PROJECT)
    async with Engine.open(chat_project) as engine:
        with pytest.raises(EncryptionError, match="not encrypted while encryption is on"):
            await _say(engine, "alpha", "u1", "s1", "and now?")
    config.write_text(PROJECT.replace("store: sqlite}", "store: sqlite, encryption: {read_plaintext: true}}"))
    async with Engine.open(chat_project) as engine:
        assert "written in the clear" in (await _say(engine, "alpha", "u1", "s1", "and now?")).output["reply"]


# -- rotation ----------------------------------------------------------------------------------------------------

def test_rotation_keeps_old_sessions_and_seals_new_writes_with_the_new_version(chat_project: Path) -> None:
    async def before() -> None:
        async with Engine.open(chat_project) as engine:
            await _say(engine, "alpha", "u1", "s1", "before rotation")

    async def after() -> Any:
        async with Engine.open(chat_project) as engine:
            await _say(engine, "beta", "u1", "s1", "beta is not rotated")
            return await _say(engine, "alpha", "u1", "s1", "after rotation")

    asyncio.run(before())
    rotated = CliRunner().invoke(_cli(), ["keys", "rotate", "--tenant", "alpha", "--project", str(chat_project)])
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output)["rotated_to"].startswith("000002-")
    assert "before rotation | after rotation" in asyncio.run(after()).output["reply"]  # old turns still decrypt
    with _db(chat_project) as db:
        types = [row[0] for row in db.execute("SELECT type FROM checkpoints WHERE thread_id = 'alpha:u1:s1' "
                                              "ORDER BY checkpoint_id")]
        beta = {row[0].split(":")[2][:6] for row in db.execute("SELECT type FROM checkpoints WHERE thread_id = "
                                                                "'beta:u1:s1'")}
    assert ":000001-" in types[0] and ":000002-" in types[-1] and beta == {"000001"}
    status = CliRunner().invoke(_cli(), ["keys", "status", "--project", str(chat_project)])
    assert status.exit_code == 0, status.output
    shown = json.loads(status.output)
    assert shown["provider"] == "local" and "wrapped" not in status.output
    assert [len(t["versions"]) for t in shown["tenants"]] == [2, 1]


async def test_a_key_another_process_rotated_to_is_read_when_a_payload_names_it(tmp_path: Path) -> None:
    raw = InMemoryStore()
    provider = LocalKeyFile(tmp_path / "master.key")
    mine, theirs = Keyring(raw, provider, refresh_s=3600), Keyring(raw, provider, refresh_s=3600)
    ctx = TenantContext(tenant_id="alpha", tier="basic", user_id="u1", session_id="s1")
    reader = ScopedStore(SealedStore(raw, mine), ctx, read_levels=["user"], write_levels=["user"])
    await reader.put("user", "a", {"v": 1})  # mine has loaded version 1
    await theirs.rotate("alpha")
    writer = ScopedStore(SealedStore(raw, theirs), ctx, read_levels=["user"], write_levels=["user"])
    await writer.put("user", "b", {"v": 2})  # sealed with version 2, which mine has not seen
    assert [item["value"] for item in await reader.search("user", filter={"v": 2})] == [{"v": 2}]


def _cli() -> Any:
    from engine.cli import main

    return main


# -- AWS KMS, against the real service model (botocore's Stubber) -----------------------------------------------

KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def kms() -> Any:
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _data_key(tenant: str, stubber: Stubber, plaintext: bytes, wrapped: bytes) -> None:
    stubber.add_response("generate_data_key", {"CiphertextBlob": wrapped, "Plaintext": plaintext, "KeyId": KMS_KEY},
                         {"KeyId": KMS_KEY, "KeySpec": "AES_256", "EncryptionContext": {KMS_CONTEXT_KEY: tenant}})


async def test_kms_makes_a_data_key_per_tenant_and_unwraps_each_once_per_process(kms: Any) -> None:
    client, stubber = kms
    raw = InMemoryStore()
    _data_key("alpha", stubber, b"a" * 32, b"wrapped-for-alpha")
    _data_key("beta", stubber, b"b" * 32, b"wrapped-for-beta")
    first = Keyring(raw, KmsKeys(KMS_KEY, client=client))
    alpha, beta = await first.keys("alpha"), await first.keys("beta")
    assert await first.keys("alpha") is alpha  # cached: no second GenerateDataKey
    sealed = alpha.seal(b"hello", b"aad")
    # Another process: one Decrypt per key, with the tenant as the encryption context, then cached.
    stubber.add_response("decrypt", {"Plaintext": b"a" * 32, "KeyId": KMS_KEY},
                         {"CiphertextBlob": b"wrapped-for-alpha", "KeyId": KMS_KEY,
                          "EncryptionContext": {KMS_CONTEXT_KEY: "alpha"}})
    second = Keyring(raw, KmsKeys(KMS_KEY, client=client))
    opened = await second.keys("alpha")
    assert opened.open(sealed[0], sealed[1], b"aad", "test") == b"hello"
    assert (await second.keys("alpha")).current == alpha.current and beta.current != alpha.current


async def test_kms_refusing_to_unwrap_is_a_clear_error(kms: Any) -> None:
    client, stubber = kms
    raw = InMemoryStore()
    _data_key("alpha", stubber, b"a" * 32, b"wrapped-for-alpha")
    await Keyring(raw, KmsKeys(KMS_KEY, client=client)).keys("alpha")
    stubber.add_client_error("decrypt", service_error_code="InvalidCiphertextException", service_message="context mismatch",
                             http_status_code=400)
    with pytest.raises(EncryptionError, match="KMS Decrypt for tenant 'alpha'.*InvalidCiphertextException.*not "
                                              "this tenant's"):
        await Keyring(raw, KmsKeys(KMS_KEY, client=client)).keys("alpha")
    stubber.add_client_error("generate_data_key", service_error_code="AccessDeniedException", service_message="no",
                             http_status_code=400)
    with pytest.raises(EncryptionError, match="KMS GenerateDataKey for tenant 'beta'.*AccessDeniedException"):
        await Keyring(raw, KmsKeys(KMS_KEY, client=client)).keys("beta")


def test_the_kms_provider_is_chosen_by_config_and_needs_a_key() -> None:
    from pydantic import ValidationError

    from engine.memory.encryption import key_provider

    config = StoresConfig.model_validate({"encryption": {"provider": "kms", "kms": {"key_id": "alias/tf"}}})
    provider = key_provider(config.encryption, Path("."), Path(".tenantflow"))
    assert isinstance(provider, KmsKeys) and provider.key_id == "alias/tf"
    with pytest.raises(ValidationError, match="provider kms needs kms"):
        StoresConfig.model_validate({"encryption": {"provider": "kms"}})


# -- configuration ---------------------------------------------------------------------------------------------

async def test_a_persistent_checkpointer_over_a_memory_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EncryptionError, match="wrapped data keys in the store"):
        async with open_backends(StoresConfig(checkpointer="sqlite", store="memory"), tmp_path):
            pass
    async with open_backends(StoresConfig(checkpointer="sqlite", store="memory",
                                          encryption={"provider": "none"}), tmp_path) as plain:  # type: ignore[arg-type]
        assert plain.keyring is None
    async with open_backends(StoresConfig(checkpointer="memory", store="memory"), tmp_path) as in_process:
        assert in_process.keyring is None  # nothing reaches a disk: nothing to seal, no key file
    assert not (tmp_path / ".tenantflow" / "keys").exists()


def test_the_cli_says_when_encryption_is_off(chat_project: Path) -> None:
    config = chat_project / "tenantflow.yaml"
    config.write_text(PROJECT.replace("store: sqlite}", "store: sqlite, encryption: {provider: none}}"))
    shown = CliRunner().invoke(_cli(), ["keys", "status", "--project", str(chat_project)])
    assert shown.exit_code == 1 and "encryption at rest is off" in shown.output


def test_key_files_are_made_private(tmp_path: Path) -> None:
    provider = LocalKeyFile(tmp_path / "deep" / "master.key")
    plaintext, wrapped = asyncio.run(provider.generate("alpha"))
    assert asyncio.run(provider.unwrap("alpha", wrapped)) == plaintext
    with pytest.raises(EncryptionError, match="does not unwrap"):  # bound to its tenant
        asyncio.run(provider.unwrap("beta", wrapped))
    assert os.stat(tmp_path / "deep" / "master.key").st_mode & 0o777 == 0o600
