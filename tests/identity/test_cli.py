"""`tenantflow token` mints a development token the development issuer accepts; `whoami` shows its context."""

from __future__ import annotations

import json

import jwt
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import REPO
from tests.identity.support import DEV_SECRET, DEV_SECRET_ENV, TENANTS, project_files


@pytest.fixture
def project(make_project, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(DEV_SECRET_ENV, DEV_SECRET)
    return make_project(project_files("http://127.0.0.1:9/unused"), tenants=TENANTS)


def test_token_then_whoami_for_two_tenants(project) -> None:
    runner = CliRunner()
    for tenant, tier in (("alpha", "basic"), ("beta", "premium")):
        minted = runner.invoke(main, ["token", "--tenant", tenant, "--user", "u9", "--scope", "notes:read",
                                      "--scope", "billing:read", "-p", str(project)])
        assert minted.exit_code == 0, minted.output
        token = minted.output.strip()
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["iss"], claims["custom:tenant_id"], claims["sub"], claims["scope"]) == (
            "tenantflow-dev", tenant, "u9", "billing:read notes:read")
        assert claims["exp"] - claims["iat"] == 3600
        shown = runner.invoke(main, ["whoami", token, "--session", "s2", "-p", str(project)])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.output) == {
            "tenant": tenant, "tier": tier, "user": "u9", "session": "s2", "thread": f"{tenant}:u9:s2",
            "issuer": "tenantflow-dev", "scopes": ["billing:read", "notes:read"], "attributes": {}}


def test_token_refuses_an_unknown_tenant_and_whoami_a_bad_token(project) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["token", "--tenant", "alpah", "--user", "u1", "-p", str(project)])
    assert unknown.exit_code == 1 and unknown.output == "error: unknown tenant 'alpah' (did you mean 'alpha'?)\n"
    forged = jwt.encode({"iss": "tenantflow-dev", "aud": "agents", "sub": "u1", "exp": 9999999999,
                         "custom:tenant_id": "alpha"}, "not-the-dev-secret-but-long-enough-000000", algorithm="HS256")
    refused = runner.invoke(main, ["whoami", forged, "-p", str(project)])
    assert refused.exit_code == 1
    assert refused.output == ("error: token rejected: signature does not verify (tampered, or signed with another "
                              "key)\n")


def test_token_needs_the_dev_secret(project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEV_SECRET_ENV)
    result = CliRunner().invoke(main, ["token", "--tenant", "alpha", "--user", "u1", "-p", str(project)])
    assert result.exit_code == 1
    assert result.output == (f"error: issuer 'tenantflow-dev': environment variable {DEV_SECRET_ENV} is not set "
                             "(it holds the development signing secret)\n")


def test_the_demo_mints_a_token_its_dev_issuer_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTFLOW_DEV_SECRET", DEV_SECRET)
    runner = CliRunner()
    minted = runner.invoke(main, ["token", "-t", "initech", "-u", "jane", "-p", str(REPO)])
    assert minted.exit_code == 0, minted.output
    shown = runner.invoke(main, ["whoami", minted.output.strip(), "-p", str(REPO)])
    assert json.loads(shown.output)["tier"] == "standard"
