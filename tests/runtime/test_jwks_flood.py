"""Forged tokens against an issuer whose JWKS endpoint is slow or failing do not stall another tenant.

Over real HTTP: tenant alpha's issuer fetches its keys from a JWKS endpoint
on 127.0.0.1 that a test makes slow (it answers after 2 s) or failing (500);
tenant beta's tokens come from the development issuer. Before the fix, each
forged token fetched the JWKS in turn under one lock, in the worker threads
every verification used: 12 forged tokens took 48.6 s and beta's valid
request 27.4 s (issue 18).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from engine.runtime.config import RuntimeConfig
from tests.identity.support import IDP, JwksServer, claims, jwk, jwks_server, rsa_key, sign
from tests.runtime.support import SESSION, Tokens, dev_secret, running, write_project

JWKS_ISSUER_YAML = """\
    - issuer: {issuer}
      audience: [agents]
      jwks_url: {url}
      algorithms: [RS256]
      claims: {{tenant: "custom:tenant_id"}}
"""


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with jwks_server([jwk(rsa_key("idp"), "k1")]) as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, jwks: JwksServer) -> Iterator[Path]:
    root = write_project(tmp_path / "proj")
    path = root / "tenantflow.yaml"
    path.write_text(path.read_text() + JWKS_ISSUER_YAML.format(issuer=IDP, url=jwks.url))
    with dev_secret():
        yield root


def _forged(n: int) -> str:
    return sign(claims("alpha"), rsa_key("attacker"), kid=f"forged-{n}")


def _post(base: str, token: str, session: str) -> tuple[int, float]:
    body = json.dumps({"workflow": "hello", "input": {"text": "hi"}})
    started = time.perf_counter()
    response = httpx.post(f"{base}/invocations", content=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}", SESSION: session})
    return response.status_code, time.perf_counter() - started


@pytest.mark.parametrize("failure", ["slow", "failing"])
def test_forged_tokens_against_a_bad_jwks_endpoint_do_not_stall_another_tenant(
        project: Path, jwks: JwksServer, failure: str) -> None:
    if failure == "slow":
        jwks.delay_s = 2.0
    else:
        jwks.status = 500
    beta = Tokens(project)("beta")
    with running(RuntimeConfig(root=project, watch_interval_s=0, access_log=False)) as base:
        hits_at_start = jwks.hits  # startup asked once (and waited at most its bound)
        started = time.perf_counter()
        with ThreadPoolExecutor(13) as pool:
            forged = [pool.submit(_post, base, _forged(n), f"s-{n}") for n in range(12)]
            time.sleep(0.05)  # the forged tokens are in flight
            status, beta_s = _post(base, beta, "s-beta")
            results = [f.result() for f in forged]
        total_s = time.perf_counter() - started
    assert status == 200
    assert beta_s < 1.0, beta_s
    assert {code for code, _ in results} == {401}
    assert total_s < 5.0, total_s  # each forged token waits at most for one fetch, never for twelve
    assert jwks.hits - hits_at_start <= 1  # single flight, then the failure is remembered


def test_a_valid_token_of_the_jwks_issuer_works_once_the_endpoint_is_back(project: Path, jwks: JwksServer) -> None:
    jwks.status = 500
    token = sign(claims("alpha"), rsa_key("idp"), kid="k1")
    with running(RuntimeConfig(root=project, watch_interval_s=0, access_log=False)) as base:
        refused = httpx.post(f"{base}/invocations", json={"workflow": "hello", "input": {"text": "hi"}},
                             headers={"Authorization": f"Bearer {token}", SESSION: "s-1"}, timeout=30)
        assert refused.status_code == 401 and refused.json()["code"] == "jwks-unavailable"
        jwks.status = 200
        time.sleep(1.1)  # the breaker's first backoff
        status, _ = _post(base, token, "s-1")
    assert status == 200
