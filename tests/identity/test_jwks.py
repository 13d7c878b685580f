"""A JWKS endpoint that is slow, failing, then back: one fetch at a time, failures remembered, stale keys served.

Against a real endpoint on 127.0.0.1 (tests/identity/support.py) that a
test makes slow (``delay_s``) or failing (``status``). Before these
fixes, a failed fetch was retried by every token, fetches ran one after
another under a lock held during the network call, and every thread
verifying a token of that issuer waited on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from engine.errors import AuthError
from engine.identity import jwks as jwks_module
from engine.identity.breaker import Breaker
from engine.identity.jwks import FETCHES, JwksUrl, KeysUnavailable, http_get
from tests.identity.support import IDP, JwksServer, jwk, jwks_server, rsa_key


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with jwks_server([jwk(rsa_key("idp"), "k1")]) as server:
        yield server


def _settle(source: JwksUrl, timeout_s: float = 5.0) -> None:
    """Until the source's fetch in flight (if any) has ended."""
    deadline = time.monotonic() + timeout_s
    while source._in_flight is not None and time.monotonic() < deadline:
        time.sleep(0.005)


def test_forty_tokens_against_a_failing_endpoint_cause_one_fetch_not_forty(jwks: JwksServer) -> None:
    jwks.status = 500
    source = JwksUrl(IDP, jwks.url, cache_s=300)
    for n in range(40):
        with pytest.raises(KeysUnavailable) as caught:
            source.key_for(f"forged-{n}", "RS256")
    assert jwks.hits == 1
    assert source.stats.failures == 1 and source.stats.unavailable == 40
    assert source.breaker.state == "open"
    assert str(caught.value) == (f"issuer '{IDP}': no signing keys to check the token with: its last fetch failed "
                                 "(OSError); next fetch in 1 s")


def test_concurrent_lookups_share_one_fetch_and_a_slow_endpoint_holds_no_lock(jwks: JwksServer) -> None:
    jwks.delay_s = 0.5
    source = JwksUrl(IDP, jwks.url, cache_s=300)
    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        keys = list(pool.map(lambda _: source.key_for("k1", "RS256"), range(12)))
    elapsed = time.monotonic() - started
    assert jwks.hits == 1 and all(k is keys[0] for k in keys)
    assert elapsed < 1.5, elapsed  # one 0.5 s fetch shared, not twelve in a row (6 s)


def test_a_lookup_that_must_not_wait_is_answered_at_once_while_the_fetch_runs(jwks: JwksServer) -> None:
    jwks.delay_s = 1.0
    source = JwksUrl(IDP, jwks.url, cache_s=300)
    started = time.monotonic()
    with pytest.raises(KeysUnavailable, match="they are being fetched"):
        source.key_for("k1", "RS256", wait=False)
    assert time.monotonic() - started < 0.2
    pending = source.pending("k1")
    assert pending is not None
    pending.result(timeout=5)
    assert source.key_for("k1", "RS256", wait=False) is not None


def test_stale_keys_are_served_while_refreshes_fail_and_the_backoff_doubles(jwks: JwksServer) -> None:
    now = [1000.0]
    clock = lambda: now[0]  # noqa: E731
    source = JwksUrl(IDP, jwks.url, cache_s=300, clock=clock, breaker=Breaker(clock=clock), max_stale_s=3600)
    key = source.key_for("k1", "RS256")
    jwks.status = 500
    now[0] += 301  # past the cache time: refreshed in the background, the old key still answers
    assert source.key_for("k1", "RS256") is key
    _settle(source)
    assert jwks.hits == 2 and source.breaker.state == "open" and source.breaker.retry_in() == 1.0
    for _ in range(20):
        assert source.key_for("k1", "RS256") is key  # the failure is remembered: no fetch per token
    assert jwks.hits == 2
    now[0] += 1.0
    source.key_for("k1", "RS256")
    _settle(source)
    assert jwks.hits == 3 and source.breaker.retry_in() == 2.0  # the second failure: twice as long
    assert source.stats.stale_served == 22
    jwks.status = 200  # back
    now[0] += 2.0
    source.key_for("k1", "RS256")
    _settle(source)
    assert jwks.hits == 4 and source.breaker.state == "closed"
    jwks.status = 500
    now[0] += 300 + 3600  # stale past max_stale_s with the endpoint down again: the keys are dropped
    with pytest.raises(KeysUnavailable):
        source.key_for("k1", "RS256", wait=False)


def test_a_rotated_key_is_found_once_the_endpoint_is_back(jwks: JwksServer) -> None:
    now = [1000.0]
    clock = lambda: now[0]  # noqa: E731
    source = JwksUrl(IDP, jwks.url, cache_s=300, clock=clock, breaker=Breaker(clock=clock), min_refetch_s=10)
    source.key_for("k1", "RS256")
    jwks.keys = [jwk(rsa_key("idp"), "k1"), jwk(rsa_key("rotated"), "k2")]
    jwks.status = 503
    now[0] += 11
    with pytest.raises(AuthError, match="unknown signing key id 'k2'"):
        source.key_for("k2", "RS256")  # the early refetch fails: k1 still works, k2 is unknown
    assert source.key_for("k1", "RS256") is not None
    jwks.status = 200
    now[0] += 11
    assert source.key_for("k2", "RS256") is not None


def test_a_fetch_that_hangs_times_out() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections and never answers
    try:
        started = time.monotonic()
        with pytest.raises(OSError, match="ReadTimeout"):
            http_get(f"http://127.0.0.1:{listener.getsockname()[1]}/jwks", timeout_s=0.3)
        assert time.monotonic() - started < 2
    finally:
        listener.close()


def test_fetches_are_counted_per_issuer_and_outcome(jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = InMemoryMetricReader()
    counter = MeterProvider(metric_readers=[reader]).get_meter("tenantflow").create_counter(FETCHES)
    monkeypatch.setattr(jwks_module, "_fetch_counter", counter)
    source = JwksUrl(IDP, jwks.url, cache_s=0)
    source.key_for("k1", "RS256")
    jwks.status = 500
    source.key_for("k1", "RS256")  # cache_s=0: always stale, refreshed in the background
    _settle(source)
    data = reader.get_metrics_data()
    points = [(dict(p.attributes), p.value) for rm in data.resource_metrics for sm in rm.scope_metrics
              for m in sm.metrics if m.name == FETCHES for p in m.data.data_points]
    assert sorted(points, key=str) == [({"issuer": IDP, "outcome": "failed"}, 1), ({"issuer": IDP, "outcome": "ok"}, 1)]


def test_a_fetch_thread_that_fails_unexpectedly_still_releases_the_waiters() -> None:
    def broken(url: str) -> str:
        raise RuntimeError("a bug in a custom fetch")

    source = JwksUrl(IDP, "http://unused", cache_s=300, fetch=broken)
    results: list[BaseException] = []

    def look() -> None:
        try:
            source.key_for("k1", "RS256")
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(results) == 4 and all(isinstance(r, KeysUnavailable) for r in results)
