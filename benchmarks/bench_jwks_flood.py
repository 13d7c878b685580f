"""Tenant B's latency while tenant A sends 50 forged tokens a second against a failing JWKS endpoint.

Real `tenantflow serve` processes on 127.0.0.1 (the demo project, its Cognito
issuer's `jwks_url` pointed at an endpoint this script serves and makes
fail). Tenant B ("quiet", development issuer) sends 8 requests/s of
support-triage, each with a fresh token (so each is verified in full, never
answered from the verified-token cache); tenant A sends 50 RS256 tokens/s
signed by an unknown key, each with a made-up ``kid``, claiming the Cognito
issuer, from a process of its own. Phases, in turns per round: B alone; B
with A sending 50 malformed tokens/s (refused before any key is looked up:
the cost of A's requests themselves, "control"); B with A while the JWKS
endpoint answers 500 at once ("failing"); B with A while it answers only
after 5 s ("slow", longer than the fetch timeout).

``--code DIR`` runs one more server on another checkout of the engine (e.g.
main's, to compare), in the same rounds.

    python benchmarks/bench_jwks_flood.py                       # 2 rounds of 15 s phases
    python benchmarks/bench_jwks_flood.py --code /tmp/main --rounds 1 --phase 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from bench_server import PAYLOAD, Run, machine, merge, percentile, server
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
COGNITO = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_HeLpDsK1y"
AUDIENCE = "helpdeskly-agents"
QUIET_RATE, FORGED_RATE = 8.0, 50.0
MODES = ("alone", "control", "failing", "slow")
#: A request of B not answered within this long counts as lost.
REQUEST_TIMEOUT_S = 15.0


class Jwks:
    """The issuer's JWKS endpoint: ``mode`` is ok (never used here), failing (500) or slow (500 after 5 s)."""

    def __init__(self) -> None:
        self.mode, self.hits = "failing", 0
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                state.hits += 1
                if state.mode == "slow":
                    time.sleep(5)
                self.send_error(500)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients that left
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def project(folder: Path, jwks_url: str) -> Path:
    from bench_server import bench_project

    root = bench_project(folder)
    config = root / "tenantflow.yaml"
    text = config.read_text()
    assert f"jwks_url: {COGNITO}/.well-known/jwks.json" in text
    config.write_text(text.replace(f"jwks_url: {COGNITO}/.well-known/jwks.json", f"jwks_url: {jwks_url}"))
    return root


def forged_tokens(count: int) -> list[str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    return [jwt.encode({"iss": COGNITO, "aud": AUDIENCE, "sub": "mallory", "exp": now + 3600, "iat": now,
                        "custom:tenant_id": "noisy"}, key, algorithm="RS256",
                       headers={"kid": uuid.uuid4().hex}) for _ in range(count)]


def quiet_tokens(root: Path, count: int) -> list[str]:
    from engine.identity.dev import mint_dev_token
    from engine.project import load_project

    spec = load_project(root).spec.identity
    os.environ.setdefault("TENANTFLOW_DEV_SECRET", "bench-secret-0123456789abcdef0123456789")
    return [mint_dev_token(spec, tenant="quiet", user="u1", ttl_s=3600) for _ in range(count)]


async def send(client: httpx.AsyncClient, url: str, tokens: list[str], rate: float, duration_s: float) -> Run:
    """Open loop: one request every 1/rate s, each with the next token, whatever the answers."""
    run = Run()

    async def one(token: str) -> None:
        t0 = time.perf_counter()
        try:
            response = await client.post(f"{url}/invocations", json=PAYLOAD, timeout=REQUEST_TIMEOUT_S,
                                         headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError:
            run.errors += 1
            return
        run.add(response.status_code, (time.perf_counter() - t0) * 1000)

    tasks = []
    t0 = time.perf_counter()
    for i in range(int(rate * duration_s)):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(tokens[i % len(tokens)])))
    await asyncio.gather(*tasks)
    run.elapsed_s = time.perf_counter() - t0
    return run


def flood_main(url: str, tokens_file: str, duration_s: float) -> None:
    """Tenant A, in a process of its own: forged tokens at FORGED_RATE ("-": malformed ones)."""
    tokens = ["not-a-jwt"] if tokens_file == "-" else json.loads(Path(tokens_file).read_text())

    async def flood() -> Run:
        limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
        async with httpx.AsyncClient(limits=limits) as client:
            print("ready", flush=True)
            sys.stdin.readline()
            return await send(client, url, tokens, FORGED_RATE, duration_s)

    run = asyncio.run(flood())
    print(json.dumps({"statuses": run.statuses, "errors": run.errors}), flush=True)


async def phase(url: str, quiet: list[str], tokens_file: str | None, duration_s: float) -> tuple[Run, dict[str, Any]]:
    attacker = None
    if tokens_file is not None:
        attacker = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--flood", url, tokens_file, str(duration_s),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        assert attacker.stdout is not None and attacker.stdin is not None
        assert (await attacker.stdout.readline()).strip() == b"ready"
        attacker.stdin.write(b"go\n")
        await attacker.stdin.drain()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:
        run = await send(client, url, quiet, QUIET_RATE, duration_s)
    flood: dict[str, Any] = {}
    if attacker is not None:
        assert attacker.stdout is not None
        flood = json.loads(await attacker.stdout.readline())
        await attacker.wait()
    return run, flood


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--flood":
        flood_main(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--phase", type=float, default=15.0)
    parser.add_argument("--code", type=Path, help="another checkout of the engine to compare (its PYTHONPATH)")
    args = parser.parse_args()
    print(machine())
    jwks = Jwks()
    with tempfile.TemporaryDirectory() as tmp:
        root = project(Path(tmp) / "proj", jwks.url)
        quiet = quiet_tokens(root, int(QUIET_RATE * args.phase) + 1)
        tokens_file = Path(tmp) / "forged.json"
        tokens_file.write_text(json.dumps(forged_tokens(int(FORGED_RATE * args.phase) + 1)))
        codes = {"this branch": str(ROOT)} | ({f"{args.code}": str(args.code)} if args.code else {})
        results: dict[tuple[str, str], Run] = {}
        floods: dict[tuple[str, str], dict[int, int]] = {}
        hits: dict[tuple[str, str], int] = {}
        for _ in range(args.rounds):
            for name, code in codes.items():
                # `python -m` puts its working directory first on sys.path: the server imports the engine there.
                os.environ["PYTHONPATH"] = code
                os.chdir(code)
                with server(root, extra=()) as running:
                    for mode in MODES:
                        jwks.mode = "slow" if mode == "slow" else "failing"
                        before = jwks.hits
                        attack = {"alone": None, "control": "-"}.get(mode, str(tokens_file))
                        run, flood = asyncio.run(phase(running.url, quiet, attack, args.phase))
                        merge(results.setdefault((name, mode), Run()), run)
                        hits[(name, mode)] = hits.get((name, mode), 0) + jwks.hits - before
                        for status, count in flood.get("statuses", {}).items():
                            into = floods.setdefault((name, mode), {})
                            into[int(status)] = into.get(int(status), 0) + count
                        if flood.get("errors"):
                            into = floods.setdefault((name, mode), {})
                            into[0] = into.get(0, 0) + flood["errors"]
        print(f"\n{args.rounds} rounds of {args.phase:g} s phases; B at {QUIET_RATE:g}/s (fresh token each), "
              f"A at {FORGED_RATE:g} forged/s\n")
        print("| code | JWKS endpoint | B sent | B p50 ms | B p99 ms | B p99 / alone | B lost | A's answers | "
              "JWKS fetches |")
        print("|---|---|---:|---:|---:|---:|---:|---|---:|")
        for name in codes:
            alone = percentile(results[(name, "alone")].latencies_ms, 99)
            for mode in MODES:
                run = results[(name, mode)]
                sent = run.ok + sum(v for k, v in run.statuses.items() if k != 200) + run.errors
                lost = sent - run.ok
                p99 = percentile(run.latencies_ms, 99)
                label = {"alone": "(no attack)", "control": "(A: malformed tokens)"}.get(mode, mode)
                print(f"| {name} | {label} | {sent} | "
                      f"{percentile(run.latencies_ms, 50):.1f} | {p99:.1f} | {p99 / alone:.2f} | {lost} | "
                      f"{floods.get((name, mode), '-')} | {hits[(name, mode)]} |")


if __name__ == "__main__":
    main()
