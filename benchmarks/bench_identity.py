"""Identity and policy on the hot path: token verification, Cedar decisions, a tool step's authorization.

1. Token verification (``TokenVerifier.verify`` and the whole ``Engine.authenticate``):
   RS256 against a PEM key, RS256 against a cached JWKS, HS256 against the
   development secret.
2. Cedar decisions: raw ``cedarpy.is_authorized`` with pre-parsed handles
   (the REFERENCE.md baseline), ``Authorizer.decide`` for one call, and
   ``Authorizer.decide`` for a batch of 10 (a tool list), per decision.
3. A tool step's authorization overhead, part by part: ``Engine._authorize``
   (argument rewrite, input validation, context, Cedar), the token exchange
   (cache miss: actor token + built-in service; hit: cached), the gateway's
   request and response interceptors; then ``Engine.run`` of a one-tool-step
   workflow with the user's credential, against the same run with the
   policy decision and exchange short-circuited (interleaved rounds).

    python benchmarks/bench_identity.py          # ~1 min
    python benchmarks/bench_identity.py -n 5000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cedarpy
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from engine.context import TenantContext
from engine.engine import Engine
from engine.identity.credentials import DelegatedToken
from engine.policy.authorizer import AccessItem, Decision
from engine.project import load_project
from engine.skills.bridge import SkillCall
from engine.tools.gateway import ToolRequest

SECRET_ENV = "BENCH_DEV_SECRET"
os.environ.setdefault(SECRET_ENV, "bench-only-development-secret-0123456789")
AUD = "agents"

PROJECT = """\
apiVersion: tenantflow/v1
kind: Project
metadata: {name: bench}
models:
  catalog:
    small: {provider: scripted, model_id: small-v1}
  providers:
    scripted: {fixtures: fixtures/scripted.yaml}
tiers:
  basic: {model: small}
  premium: {model: small, features: [exports]}
stores: {checkpointer: memory, store: memory}
identity:
  issuers:
    - {issuer: https://pem.bench, audience: agents, public_key_file: keys/idp.pem, algorithms: [RS256],
       claims: {tenant: "custom:tenant_id"}}
    - {issuer: https://jwks.bench, audience: agents, jwks_file: keys/jwks.json, algorithms: [RS256],
       claims: {tenant: "custom:tenant_id"}}
    - {issuer: dev, audience: agents, secret_env: BENCH_DEV_SECRET, development: true, algorithms: [HS256],
       claims: {tenant: "custom:tenant_id"}}
  exchange: {service: builtin, ttl_s: 600}
gateway:
  tools:
    notes.fetch: {audience: "https://notes.bench", scopes: ["notes:read"]}
"""

TOOLS = '''\
from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


@tool("notes.fetch")
async def fetch(*, key: str, limit: int = 5, ctx: SkillContext) -> dict:
    return {"key": key, "limit": limit}
'''

for _i in range(9):
    TOOLS += f'''

@tool("extra.t{_i}")
async def t{_i}(*, key: str, ctx: SkillContext) -> dict:
    return {{"key": key}}
'''

POLICIES = """\
@id("entitled")
permit (principal, action in [Tenantflow::Action::"skills", Tenantflow::Action::"tools"], resource)
when { context.entitled };

@id("exports-premium")
forbid (principal, action in Tenantflow::Action::"tools", resource in Tenantflow::Group::"extra")
unless { context.features.contains("exports") };

@id("budget")
forbid (principal, action in Tenantflow::Action::"tools", resource)
when { context.quota has tokens_per_day && context.quota.tokens_today >= context.quota.tokens_per_day };

@id("own-or-shared")
forbid (principal, action, resource)
when { resource.scope != "shared" && resource.scope != context.tenant };

@id("page-size")
forbid (principal, action == Tenantflow::Action::"tool:notes.fetch", resource)
when { context.input has limit && context.input.limit > 50 };
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: fetch}
input:
  key: {type: string}
steps:
  - id: call
    tool: notes.fetch
    with: {key: "{{ input.key }}"}
  - return: {key: "{{ steps.call.key }}"}
"""


def machine() -> str:
    import platform
    from importlib.metadata import version

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cpu ({cpu}), Python {platform.python_version()}, PyJWT {version('pyjwt')}, "
            f"cedarpy {version('cedarpy')}, {time.strftime('%Y-%m-%d %H:%M %Z')}")


def build(root: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "alg": "RS256"}
    files = {"tenantflow.yaml": PROJECT, "keys/idp.pem": pem.decode(), "keys/jwks.json": json.dumps({"keys": [jwk]}),
             "skills/tools.py": TOOLS, "policies/platform.cedar": POLICIES, "workflows/fetch.yaml": WORKFLOW,
             "fixtures/scripted.yaml": "default: ok\n",
             "tenants/alpha/tenant.yaml": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: alpha}\n"
                                          "tier: premium\nentitlements: {tools: ['*']}\n"
                                          "quotas: {tokens_per_day: 1000000}\n",
             "tenants/beta/tenant.yaml": "apiVersion: tenantflow/v1\nkind: Tenant\nmetadata: {id: beta}\n"
                                         "tier: basic\nentitlements: {tools: ['notes.*']}\n"}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    bridge = Path(__file__).resolve().parent.parent / "skills" / "bridge"
    (root / "skills" / "bridge").mkdir(parents=True, exist_ok=True)
    for name in ("auth", "logging", "errors"):
        (root / "skills" / "bridge" / f"{name}.py").write_text((bridge / f"{name}.py").read_text())


def per_call_us(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    """Median and p90 of ``n`` timed calls, in µs (after 50 warm-up calls)."""
    for _ in range(50):
        fn()
    samples = []
    gc.disable()
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1e6)
    finally:
        gc.enable()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9)]


def interleaved(variants: dict[str, tuple[Callable[[], Any], int]], n: int,
                block: int = 25) -> dict[str, tuple[float, float]]:
    """Median and p90 per call of each variant, timed in alternating blocks (order rotated every round),
    so load from other processes on the machine falls on every variant alike. ``int``: decisions per call."""
    samples: dict[str, list[float]] = {label: [] for label in variants}
    labels = list(variants)
    for fn, _ in variants.values():
        for _ in range(20):
            fn()
    gc.disable()
    try:
        for r in range(max(1, n // block)):
            order = labels[r % len(labels):] + labels[:r % len(labels)]
            for label in order:
                fn, per = variants[label]
                for _ in range(block):
                    t0 = time.perf_counter()
                    fn()
                    samples[label].append((time.perf_counter() - t0) * 1e6 / per)
    finally:
        gc.enable()
    found = {}
    for label, values in samples.items():
        values.sort()
        found[label] = (statistics.median(values), values[int(len(values) * 0.9)])
    return found


def row(label: str, result: tuple[float, float], per: int = 1) -> str:
    median, p90 = result
    return f"| {label} | {median / per:.1f} | {p90 / per:.1f} |"


def claims(iss: str, tenant: str = "alpha") -> dict[str, Any]:
    now = int(time.time())
    return {"iss": iss, "aud": AUD, "sub": "u1", "iat": now, "exp": now + 3600, "custom:tenant_id": tenant,
            "scope": "notes:read"}


async def run_pairs(engine: Engine, caller: Any, rounds: int) -> tuple[list[float], list[float]]:
    """Interleaved blocks of 5 runs: full authorization vs decision and exchange short-circuited."""
    full: list[float] = []
    bare: list[float] = []
    authorize, delegated = engine._authorize, engine._delegated_token
    access = engine.project.tools.access("notes.fetch")
    assert engine.delegation is not None and access is not None
    cached = await engine.delegation.token_for(caller.credential, "fetch", "notes.fetch", access)

    def no_policy(call: SkillCall) -> None:
        call.authorized = True

    async def no_exchange(call: SkillCall, definition: Any) -> DelegatedToken | None:
        return cached

    async def block(target: list[float]) -> None:
        for _ in range(5):
            t0 = time.perf_counter()
            await engine.run("fetch", caller.context, {"key": "k"}, credential=caller.credential)
            target.append((time.perf_counter() - t0) * 1e3)

    for i in range(rounds):
        for variant in (("full", "bare") if i % 2 == 0 else ("bare", "full")):
            if variant == "full":
                engine._authorize, engine._delegated_token = authorize, delegated  # type: ignore[method-assign]
                await block(full)
            else:
                engine._authorize, engine._delegated_token = no_policy, no_exchange  # type: ignore[method-assign]
                await block(bare)
    engine._authorize, engine._delegated_token = authorize, delegated  # type: ignore[method-assign]
    return full, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=3000, help="timed calls per micro benchmark")
    parser.add_argument("--rounds", type=int, default=60, help="interleaved rounds of 5 runs per variant")
    args = parser.parse_args()
    print(f"machine: {machine()}\n")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, key)
        engine = Engine(load_project(root))
        assert engine.verifier is not None and engine.delegation is not None
        verifier = engine.verifier
        rs_pem = jwt.encode(claims("https://pem.bench"), key, algorithm="RS256", headers={"kid": "k1"})
        rs_jwks = jwt.encode(claims("https://jwks.bench"), key, algorithm="RS256", headers={"kid": "k1"})
        hs = jwt.encode(claims("dev"), os.environ[SECRET_ENV], algorithm="HS256")
        print("## 1. Token verification (µs per token, interleaved)\n\n| what | median | p90 |\n|---|---:|---:|")
        for label, result in interleaved({
            "PyJWT jwt.decode RS256 alone (signature + exp + aud)": (
                lambda: jwt.decode(rs_pem, key.public_key(), algorithms=["RS256"], audience=AUD), 1),
            "verify RS256, PEM key": (lambda: verifier.verify(rs_pem), 1),
            "verify RS256, JWKS (cached, by kid)": (lambda: verifier.verify(rs_jwks), 1),
            "verify HS256, dev secret": (lambda: verifier.verify(hs), 1),
            "Engine.authenticate RS256 (verify + claims + tenant + context)": (
                lambda: engine.authenticate(rs_pem, session_id="s1"), 1),
        }, args.n).items():
            print(row(label, result))

        ctx = TenantContext(tenant_id="alpha", tier="premium", user_id="u1", session_id="s1")
        facts = engine.facts("alpha")
        authorizer = engine.authorizer
        fetch = engine.project.registry.resolve("tool", "notes.fetch", "alpha")
        assert fetch is not None
        one = [AccessItem.of(fetch, {"key": "k", "limit": 5})]
        ten = [AccessItem.of(d, {"key": "k"}) for d in engine.project.registry.all() if d.kind == "tool"]
        assert len(ten) == 10 and all(d.allowed for d in authorizer.decide(ctx, facts, ten, stage="list",
                                                                            workflow="", step=""))
        policy_set, entities = authorizer.bundle.policy_set("alpha"), authorizer._entities_for(ctx)
        raw = authorizer._request(ctx, facts, one[0], authorizer.usage.snapshot("alpha", facts.quotas), "call",
                                  "fetch", "call")
        assert cedarpy.is_authorized(raw, policy_set, entities).allowed
        print("\n## 2. Cedar decisions (µs per decision, interleaved)\n\n| what | median | p90 |\n|---|---:|---:|")
        for label, result in interleaved({
            "cedarpy.is_authorized, pre-parsed policies and entities, dict uids": (
                lambda: cedarpy.is_authorized(raw, policy_set, entities), 1),
            "Authorizer.decide, 1 call (context + quota snapshot + Cedar)": (
                lambda: authorizer.decide(ctx, facts, one, stage="call", workflow="fetch", step="call"), 1),
            "cedarpy.is_authorized_batch of 10, per decision": (
                lambda: cedarpy.is_authorized_batch([raw] * 10, policy_set, entities), 10),
            "Authorizer.decide, batch of 10 (a tool list), per decision": (
                lambda: authorizer.decide(ctx, facts, ten, stage="list", workflow="", step=""), 10),
        }, args.n).items():
            print(row(label, result))

        caller = engine.authenticate(rs_pem, session_id="s1")
        print("\n## 3. A tool step's authorization, part by part (µs per call)\n\n"
              "| what | median | p90 |\n|---|---:|---:|")

        def authorize_once() -> None:
            call = SkillCall(kind="tool", name="notes.fetch", step="call", workflow="fetch", ctx=caller.context,
                             inputs={"key": "k"}, implementation=fetch)
            engine._authorize(call)

        print(row("Engine._authorize (rewrite + validate + Cedar + quota count)", per_call_us(authorize_once, args.n)))
        delegation = engine.delegation
        access = engine.project.tools.access("notes.fetch")
        assert access is not None
        loop = asyncio.new_event_loop()

        def exchange_miss() -> None:
            delegation._cache.clear()
            loop.run_until_complete(delegation.token_for(caller.credential, "fetch", "notes.fetch", access))

        def exchange_hit() -> None:
            loop.run_until_complete(delegation.token_for(caller.credential, "fetch", "notes.fetch", access))

        print(row("token exchange, cache miss (built-in service: verify user token, sign ES256)",
                  per_call_us(exchange_miss, args.n // 5)))
        print(row("token exchange, cache hit (+ event loop round trip)", per_call_us(exchange_hit, args.n)))
        token = loop.run_until_complete(delegation.token_for(caller.credential, "fetch", "notes.fetch", access))
        request = ToolRequest("notes.fetch", caller.context, {"key": "k", "limit": 5}, token)
        print(row("gateway request interceptors (validate_claims)",
                  per_call_us(lambda: engine.gateway.before(request), args.n)))
        print(row("gateway response interceptors (sanitize_results)",
                  per_call_us(lambda: engine.gateway.after(request, {"key": "k", "limit": 5}), args.n)))
        loop.close()
        decision: Decision = authorizer.decide(ctx, facts, one, stage="call", workflow="fetch", step="call")[0]
        assert decision.allowed

        full, bare = asyncio.run(run_pairs(engine, caller, args.rounds))
        print(f"\n## 4. Engine.run, one tool step, {len(full)} runs per variant (ms)\n\n"
              "| variant | median | p90 |\n|---|---:|---:|")
        for label, values in (("policy decision + exchange (cache hit) + interceptors", full),
                              ("decision and exchange short-circuited", bare)):
            values.sort()
            print(f"| {label} | {statistics.median(values):.3f} | {values[int(len(values) * 0.9)]:.3f} |")
        print(f"\ndifference of medians: {(statistics.median(full) - statistics.median(bare)) * 1000:.0f} µs")


if __name__ == "__main__":
    main()
