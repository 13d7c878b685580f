"""`tenantflow serve` as a process, pointed at an OTLP/HTTP receiver by OTEL_EXPORTER_OTLP_ENDPOINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from engine.telemetry.users import use_key, user_hash
from tests.conftest import tenant_yaml
from tests.runtime.support import (
    DEV_SECRET,
    DEV_SECRET_ENV,
    SESSION,
    Tokens,
    dev_secret,
    wait_until_serving,
    write_project,
)
from tests.runtime.test_process import free_port
from tests.telemetry.otlp_receiver import attributes, otlp_receiver

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


def test_serve_exports_spans_and_metrics_over_otlp_continuing_the_callers_trace(tmp_path: Path) -> None:
    with dev_secret():
        root = write_project(tmp_path / "proj", tenants={
            "alpha": tenant_yaml("alpha", "basic", "quotas: {requests_per_minute: 6000}\n"),
            "beta": tenant_yaml("beta", "premium", "quotas: {requests_per_minute: 6000}\n")})
        tokens = Tokens(root)
        alpha_token, beta_token = tokens("alpha", "u1"), tokens("beta", "u2")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with otlp_receiver() as (endpoint, received):
        env = {**os.environ, DEV_SECRET_ENV: DEV_SECRET, "PYTHONUNBUFFERED": "1",
               "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "obs-test",
               "OTEL_METRIC_EXPORT_INTERVAL": "300", "OTEL_BSP_SCHEDULE_DELAY": "100",
               "TENANTFLOW_USER_HASH_KEY": "k-test"}
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "serve", "--port", str(port), "--watch-interval", "0",
             "--project", str(root)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until_serving(process, base)
            body = {"workflow": "hello", "input": {"text": "hi"}}
            continued = httpx.post(f"{base}/invocations", json=body, timeout=30, headers={
                "Authorization": f"Bearer {alpha_token}", SESSION: "s-alpha",
                "traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "baggage": "plan=gold"})
            fresh = httpx.post(f"{base}/invocations", json=body, timeout=30, headers={
                "Authorization": f"Bearer {beta_token}", SESSION: "s-beta"})
            assert (continued.status_code, fresh.status_code) == (200, 200), (continued.text, fresh.text)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                    len([s for _, s in received.spans() if s.name.startswith("invoke_agent")]) >= 2
                    and received.metric_points("gen_ai.client.token.usage")):
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        assert process.returncode in (0, -signal.SIGTERM), stderr[-3000:]

    spans = received.spans()
    assert {resource["service.name"] for resource, _ in spans} == {"obs-test"}
    runs = {attributes(s.attributes)["tenant.id"]: s for _, s in spans if s.name == "invoke_agent hello"}
    assert set(runs) == {"alpha", "beta"}
    # alpha's run continues the caller's trace, under the caller's span; beta's starts a trace of its own.
    assert runs["alpha"].trace_id.hex() == CLIENT_TRACE and runs["alpha"].parent_span_id.hex() == CLIENT_SPAN
    assert runs["beta"].trace_id.hex() != CLIENT_TRACE and runs["beta"].parent_span_id == b""
    alpha = [s for _, s in spans if s.trace_id.hex() == CLIENT_TRACE]
    assert {"invoke_agent hello", "step first", "skill echo", "step answer", "chat small-v1"} <= {s.name for s in alpha}
    use_key(b"k-test")
    for span in alpha:
        attrs = attributes(span.attributes)
        assert (attrs["tenant.id"], attrs["tenant.tier"], attrs["user.hash"]) == ("alpha", "basic",
                                                                                  user_hash("alpha", "u1"))
    chat = next(attributes(s.attributes) for s in alpha if s.name == "chat small-v1")
    assert chat["gen_ai.operation.name"] == "chat" and chat["gen_ai.usage.input_tokens"] > 0
    beta_chat = next(attributes(s.attributes) for _, s in spans if s.name == "chat large-v1")
    assert beta_chat["tenant.id"] == "beta" and beta_chat["tenant.tier"] == "premium"
    tokens_by = {(a["tenant.id"], a["gen_ai.token.type"]) for a, _ in received.metric_points("gen_ai.client.token.usage")}
    assert tokens_by == {(t, kind) for t in ("alpha", "beta") for kind in ("input", "output")}
    assert {a["tenant.id"] for a, _ in received.metric_points("tenantflow.runs")} == {"alpha", "beta"}
