"""Keys, a JWKS endpoint on 127.0.0.1, token minting and a project that trusts four issuers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from tests.conftest import PROJECT_YAML, tenant_yaml
from tests.http_fakes import answer_json

DEV_SECRET_ENV = "TF_TEST_DEV_SECRET"
DEV_SECRET = "dev-secret-for-tests-only-0123456789abcdef"
IDP = "https://idp.example.test/pool-1"
PEM_ISSUER = "https://pem.example.test"
FILE_ISSUER = "https://file.example.test"
DEV_ISSUER = "tenantflow-dev"
AUDIENCE = "agents"

_KEYS: dict[str, Any] = {}


def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make on this CPU: one per name per test session."""
    if name not in _KEYS:
        _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key: rsa.RSAPrivateKey = _KEYS[name]
    return key


def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    if name not in _KEYS:
        _KEYS[name] = ec.generate_private_key(ec.SECP256R1())
    key: ec.EllipticCurvePrivateKey = _KEYS[name]
    return key


def public_pem(key: Any) -> bytes:
    pem: bytes = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**data, "kid": kid, "alg": "RS256", "use": "sig"}


@dataclass
class JwksServer:
    """A JWKS endpoint on 127.0.0.1 whose key set a test can rotate, and make slow or failing."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0
    url: str = ""
    #: The status it answers with (500: failing) and how long it takes to (slow).
    status: int = 200
    delay_s: float = 0.0


@contextmanager
def jwks_server(keys: list[dict[str, Any]]) -> Iterator[JwksServer]:
    state = JwksServer(list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            state.hits += 1
            if state.delay_s:
                time.sleep(state.delay_s)
            if state.status != 200:
                self.send_error(state.status)
                return
            answer_json(self, 200, {"keys": state.keys})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def claims(tenant: str | None = "alpha", user: str = "u1", *, iss: str = IDP, aud: str = AUDIENCE,
           scopes: str = "billing:read notes:read", ttl: int = 600, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    data: dict[str, Any] = {"iss": iss, "aud": aud, "sub": user, "iat": now, "exp": now + ttl,
                            "jti": uuid.uuid4().hex, "scope": scopes}
    if tenant is not None:
        data["custom:tenant_id"] = tenant
    data.update(extra)
    return data


def sign(data: dict[str, Any], key: Any = None, *, kid: str = "k1", alg: str = "RS256") -> str:
    return jwt.encode(data, key if key is not None else rsa_key("idp"), algorithm=alg, headers={"kid": kid})


def identity_yaml(jwks_url: str, exchange: str = "  exchange: {service: builtin, ttl_s: 120}\n") -> str:
    return f"""\
identity:
  issuers:
    - issuer: {IDP}
      audience: {AUDIENCE}
      jwks_url: {jwks_url}
      algorithms: [RS256]
      leeway_s: 5
      claims: {{tenant: "custom:tenant_id", tier: "custom:tier", scopes: scope, attributes: {{department: "custom:department"}}}}
    - issuer: {PEM_ISSUER}
      audience: [{AUDIENCE}]
      public_key_file: keys/idp.pem
      algorithms: [RS256]
      claims: {{tenant: "custom:tenant_id"}}
    - issuer: {FILE_ISSUER}
      audience: [{AUDIENCE}]
      jwks_file: keys/jwks.json
      algorithms: [RS256]
      claims: {{tenant: "custom:tenant_id"}}
    - issuer: {DEV_ISSUER}
      audience: [{AUDIENCE}]
      secret_env: {DEV_SECRET_ENV}
      development: true
      algorithms: [HS256]
      claims: {{tenant: "custom:tenant_id"}}
{exchange}"""


PROBES = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import skill, tool

CALLS = []


@skill("probe")
def probe(*, text: str, ctx: SkillContext) -> dict:
    CALLS.append(("skill", ctx.tenant.tenant_id, text))
    return {"ran": True}


@tool("notes.read")
def read(*, key: str, ctx: SkillContext) -> dict:
    CALLS.append(("tool", ctx.tenant.tenant_id, key))
    return {"key": key, "tenant": ctx.tenant.tenant_id}
'''

PROBE_WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: probe}
input:
  text: {type: string}
steps:
  - id: first
    skill: probe
    with: {text: "{{ input.text }}"}
  - return: {ran: "{{ steps.first.ran }}"}
"""

TENANTS = {
    "alpha": tenant_yaml("alpha", "basic", "entitlements: {tools: ['notes.*']}\n"),
    "beta": tenant_yaml("beta", "premium", "entitlements: {tools: ['notes.*']}\n"),
}


def project_files(jwks_url: str, extra_yaml: str = "", exchange: str | None = None) -> dict[str, str]:
    jwks_file = json.dumps({"keys": [jwk(rsa_key("idp"), "file-1")]})
    project = PROJECT_YAML + (identity_yaml(jwks_url) if exchange is None else identity_yaml(jwks_url, exchange))
    return {"tenantflow.yaml": project + extra_yaml, "keys/idp.pem": public_pem(rsa_key("idp")).decode(),
            "keys/jwks.json": jwks_file, "skills/probes.py": PROBES, "workflows/probe.yaml": PROBE_WORKFLOW}


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
