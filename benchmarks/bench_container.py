"""The runtime image: its size, and the time from `docker run` to the first 200.

Starts the image built from the repo's Dockerfile as docs/deployment.md runs
it (no arguments after the image name: the pool runtime on port 8080, the
demo project baked in), ``--runs`` times, one container at a time, and
measures from `docker run` to the first 200 of GET /ping and of POST
/invocations (a pooled demo tenant, support-triage, a token from
`tenantflow token`). Each start is split into Docker's part (creating the
container's file system, from the container's Created to its StartedAt:
with the vfs storage driver a full copy of the image) and the runtime's
own start (its ``runtime.started`` line's ``startup_ms``). Then `docker
stop` (SIGTERM, drain, exit) is timed. Builds nothing; the correctness checks
are tests/runtime/test_container.py.

    docker build -t tenantflow-runtime .
    python benchmarks/bench_container.py                 # 3 starts; about 3 minutes with vfs
    python benchmarks/bench_container.py --runs 1 --image my-tag

Uses the host's network (`--network host`, port 8080, or a free port added as
``--port`` when 8080 is taken) unless ``--network bridge`` (`-p
127.0.0.1:PORT:8080`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = {"workflow": "support-triage",
           "input": {"ticket": "I was charged twice for my last invoice", "customer_id": "cus_1001"}}
TIMEOUT_S = 300.0


def docker(*args: str, timeout: float = 120) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=timeout).stdout


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mint(tenant: str, secret: str) -> str:
    return subprocess.run([sys.executable, "-m", "engine.cli", "token", "--tenant", tenant, "--user", "bench",
                           "--project", str(ROOT)], capture_output=True, text=True, check=True, timeout=60,
                          env={**os.environ, "TENANTFLOW_DEV_SECRET": secret}).stdout.strip()


def docker_time(value: str) -> float:
    """Docker's RFC 3339 time with nanoseconds, as epoch seconds."""
    head, _, frac = value.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + float(f"0.{frac or 0}")


def one_start(image: str, network: str, tenant: str) -> dict[str, float]:
    secret = secrets.token_hex(32)
    probe = {"Authorization": f"Bearer {mint(tenant, secret)}"}
    name = f"tenantflow-bench-{os.getpid()}-{secrets.token_hex(4)}"
    command = ["docker", "run", "-d", "--name", name, "-e", "TENANTFLOW_DEV_SECRET"]
    if network == "host":
        port = 8080 if port_free(8080) else free_port()
        command += ["--network", "host", image] + ([] if port == 8080 else ["--port", str(port)])
    else:
        port = free_port()
        command += ["-p", f"127.0.0.1:{port}:8080", image]
    url = f"http://127.0.0.1:{port}"
    started = time.time()
    subprocess.run(command, capture_output=True, text=True, check=True, timeout=TIMEOUT_S,
                   env={**os.environ, "TENANTFLOW_DEV_SECRET": secret})
    result: dict[str, float] = {}
    try:
        with httpx.Client(timeout=10) as client:
            while "ping_s" not in result or "invoke_s" not in result:
                if time.time() - started > TIMEOUT_S:
                    raise RuntimeError(f"no 200 after {TIMEOUT_S:.0f} s:\n{docker('logs', name)[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if "ping_s" not in result and client.get(f"{url}/ping").status_code == 200:
                        result["ping_s"] = time.time() - started
                    if "ping_s" in result:
                        answer = client.post(f"{url}/invocations", json=PAYLOAD, headers=probe)
                        if answer.status_code == 200:
                            result["invoke_s"] = time.time() - started
                        elif answer.status_code != 503:
                            raise RuntimeError(f"/invocations answered {answer.status_code}: {answer.text}")
                time.sleep(0.02)
        state = json.loads(docker("inspect", "--format", "{{json .}}", name))
        result["docker_s"] = docker_time(state["State"]["StartedAt"]) - docker_time(state["Created"])
        out = subprocess.run(["docker", "logs", name], capture_output=True, text=True, timeout=60)
        logs = out.stdout + out.stderr
        startup = [json.loads(line) for line in logs.splitlines() if '"runtime.started"' in line]
        result["runtime_s"] = startup[0]["startup_ms"] / 1000
        t0 = time.time()
        docker("stop", name)
        result["stop_s"] = time.time() - t0
        result["exit_code"] = float(docker("inspect", "--format", "{{.State.ExitCode}}", name))
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=120)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="tenantflow-runtime")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tenant", default="globex", help="a pooled demo tenant")
    parser.add_argument("--network", choices=["host", "bridge"], default="host")
    args = parser.parse_args()

    info = json.loads(docker("image", "inspect", "--format", "{{json .}}", args.image))
    base = next((line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
                 if line.startswith("FROM ")), "?")
    base_size = 0
    with contextlib.suppress(subprocess.CalledProcessError):
        base_size = int(docker("image", "inspect", "--format", "{{.Size}}", base))
    storage = docker("info", "--format", "{{.Driver}}").strip()
    print(f"machine: {os.cpu_count()} cpu, load average {os.getloadavg()[0]:.2f}, docker storage driver {storage}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"image {args.image} ({info['Id'][7:19]}, {info['Architecture']}): {info['Size'] / 1e6:.0f} MB"
          + (f"; base {base} {base_size / 1e6:.0f} MB, the Dockerfile's layers "
             f"{(info['Size'] - base_size) / 1e6:.0f} MB" if base_size else ""))
    runs = []
    for i in range(args.runs):
        run = one_start(args.image, args.network, args.tenant)
        runs.append(run)
        print(f"start {i + 1}: first 200 of /ping {run['ping_s']:.1f} s, of /invocations {run['invoke_s']:.1f} s "
              f"(Docker creating the container {run['docker_s']:.1f} s, the runtime's own start "
              f"{run['runtime_s']:.2f} s); docker stop {run['stop_s']:.1f} s, exit code {run['exit_code']:.0f}")
    if len(runs) > 1:
        def median(key: str) -> float:
            return statistics.median(r[key] for r in runs)
        print(f"median of {len(runs)}: /ping {median('ping_s'):.1f} s, /invocations {median('invoke_s'):.1f} s, "
              f"Docker {median('docker_s'):.1f} s, runtime {median('runtime_s'):.2f} s, stop {median('stop_s'):.1f} s")


if __name__ == "__main__":
    main()
