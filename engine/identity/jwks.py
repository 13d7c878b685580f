"""An issuer's JWKS endpoint: its keys fetched off the request path, and what happens when it fails.

A token is checked against the keys fetched last; the network is never on
the way of a token whose key is known:

- one fetch at a time per issuer (single-flight), in a thread of its own,
  bounded by :data:`FETCH_TIMEOUT_S`;
- keys past their cache time are still used while the refresh runs or fails
  (stale-while-revalidate), for at most :data:`MAX_STALE_S` beyond it;
- a failed fetch opens the issuer's circuit breaker (:mod:`engine.identity.breaker`):
  no fetch until a backoff that doubles with each consecutive failure
  (1 s ... 60 s) has passed, so a flood of tokens against a failing endpoint
  causes one fetch per backoff, not one per token (negative caching);
- an unknown ``kid`` asks for an early refetch (the issuer may have rotated
  its keys) at most every ``min_refetch_s``, so made-up ``kid`` values cannot
  turn into a flood of fetches either.

Only a caller with nothing to go on (no keys yet, or a ``kid`` unknown while
a fetch that may bring it is in flight) waits, at most ``wait_s``. The
runtime awaits that fetch on its event loop (:meth:`JwksUrl.pending`) and
then verifies without waiting (``wait=False``): a forged token holds no
thread. Fetches and failures are counted (:class:`JwksStats`, and the
OpenTelemetry counter ``tenantflow.jwks.fetches`` tagged ``issuer`` and
``outcome``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from jwt import PyJWK
from opentelemetry import metrics

from engine.errors import AuthError
from engine.identity.breaker import Breaker
from engine.identity.keys import key_from_set, parse_jwks

#: An unknown kid refetches a JWKS URL at most this often.
MIN_REFETCH_S = 10.0
#: One fetch may take this long (connect, send, read) before it counts as failed.
FETCH_TIMEOUT_S = 3.0
#: The longest a caller with no key to go on waits for the fetch in flight.
WAIT_S = 3.0
#: Keys go on verifying tokens this long past their cache time while every refresh fails; then they are dropped
#: (a key the issuer withdrew must stop working some time, even while its endpoint is down).
MAX_STALE_S = 6 * 3600.0
FETCHES = "tenantflow.jwks.fetches"

Fetch = Callable[[str], str]


class KeysUnavailable(AuthError):
    """No key to check the token with: the issuer's JWKS has not been fetched, or not for too long."""


_client: Any = None
_client_lock = threading.Lock()


def http_get(url: str, timeout_s: float = FETCH_TIMEOUT_S) -> str:
    """GET ``url``; raise OSError on any transport or HTTP failure.

    One HTTP client for every fetch of the process: a client of its own per fetch would build a TLS context
    (loading the CA bundle) each time, tens of milliseconds of CPU taken from every tenant's requests."""
    global _client
    import httpx  # only projects that fetch a JWKS pay for importing an HTTP client

    with _client_lock:
        if _client is None:
            _client = httpx.Client(follow_redirects=False)
        client = _client
    try:
        response = client.get(url, timeout=timeout_s)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise OSError(f"{exc.__class__.__name__}") from None
    text: str = response.text
    return text


@dataclass
class JwksStats:
    """What one issuer's key source did (read under its lock, or as a snapshot)."""

    fetches: int = 0
    failures: int = 0
    #: Lookups answered from keys past their cache time (while a refresh ran or failed).
    stale_served: int = 0
    #: Lookups refused because no usable key set was there (never fetched, or stale too long).
    unavailable: int = 0


_fetch_counter: metrics.Counter | None = None


def _count_fetch(issuer: str, outcome: str) -> None:
    global _fetch_counter
    if _fetch_counter is None:
        _fetch_counter = metrics.get_meter("tenantflow").create_counter(
            FETCHES, unit="{fetch}", description="JWKS fetches per issuer, by outcome (ok, failed)")
    _fetch_counter.add(1, {"issuer": issuer, "outcome": outcome})


class JwksUrl:
    """A JWKS endpoint: cached for ``cache_s``, refreshed in the background, refetched early for an unknown ``kid``."""

    def __init__(self, issuer: str, url: str, cache_s: float, *, fetch: Fetch = http_get,
                 clock: Callable[[], float] = time.monotonic, min_refetch_s: float = MIN_REFETCH_S,
                 wait_s: float = WAIT_S, max_stale_s: float = MAX_STALE_S, breaker: Breaker | None = None):
        self.issuer, self.url, self.cache_s = issuer, url, cache_s
        self._fetch, self._clock = fetch, clock
        self.min_refetch_s, self.wait_s, self.max_stale_s = min_refetch_s, wait_s, max_stale_s
        self.breaker = breaker if breaker is not None else Breaker(clock=clock)
        self.stats = JwksStats()
        self._keys: dict[str, tuple[PyJWK, str | None]] = {}
        self._fetched_at: float | None = None
        self._asked_at: float | None = None
        self._in_flight: Future[None] | None = None
        self._last_error = ""
        self._lock = threading.Lock()  # guards the state above; never held during a fetch

    def key_for(self, kid: str | None, alg: str, *, wait: bool = True) -> Any:
        """The key for ``kid``; with ``wait``, wait (at most ``wait_s``) for a fetch that may bring it."""
        pending = self.pending(kid)
        if pending is not None and wait:
            try:
                pending.result(timeout=self.wait_s)
            except TimeoutError:
                pass
        return self._lookup(kid, alg)

    def pending(self, kid: str | None) -> Future[None] | None:
        """Start a fetch if one is due; return the fetch in flight that a lookup of ``kid`` should wait for, or
        None when the lookup can be answered now (the key is known, or no fetch will bring it soon)."""
        with self._lock:
            now = self._clock()
            known = self._has(kid, now)
            due = self._fetched_at is None or now - self._fetched_at >= self.cache_s
            if not known and (self._asked_at is None or now - self._asked_at >= self.min_refetch_s):
                due = True  # the issuer may have rotated its keys since the last fetch
            if due:
                self._start()
            return None if known else self._in_flight

    def prefetch(self) -> Future[None] | None:
        """Fetch now unless the keys are fresh (startup, reload); the fetch in flight, if any."""
        return self.pending(None) if self._fetched_at is None else None

    def _usable(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self.cache_s + self.max_stale_s

    def _has(self, kid: str | None, now: float) -> bool:
        if not self._usable(now):
            return False
        return len(self._keys) == 1 if kid is None else kid in self._keys

    def _start(self) -> None:
        """Start a fetch (under the lock), unless one is in flight or the breaker says not yet."""
        if self._in_flight is not None or not self.breaker.allows():
            return
        self._asked_at = self._clock()
        future: Future[None] = Future()
        self._in_flight = future
        threading.Thread(target=self._refresh, args=(future,), name=f"jwks-{self.issuer}", daemon=True).start()

    def _refresh(self, future: Future[None]) -> None:
        try:
            keys = parse_jwks(self.issuer, self._fetch(self.url), "the JWKS endpoint's answer")
        except Exception as exc:  # OSError, an unusable document, or a bug in a fetch: the breaker opens alike
            with self._lock:
                self.breaker.failed()
                self.stats.failures += 1
                self._last_error = exc.__class__.__name__
                self._in_flight = None
            _count_fetch(self.issuer, "failed")
        else:
            with self._lock:
                self._keys, self._fetched_at = keys, self._clock()
                self.breaker.succeeded()
                self.stats.fetches += 1
                self._in_flight = None
            _count_fetch(self.issuer, "ok")
        future.set_result(None)

    def _lookup(self, kid: str | None, alg: str) -> Any:
        with self._lock:
            now = self._clock()
            if not self._usable(now):
                self.stats.unavailable += 1
                raise KeysUnavailable(self._unavailable(now))
            key = key_from_set(self.issuer, self._keys, kid, alg)
            if key is not None and self._fetched_at is not None and now - self._fetched_at >= self.cache_s:
                self.stats.stale_served += 1
        if key is None:
            raise AuthError(f"unknown signing key id '{kid}' for issuer '{self.issuer}'")
        return key

    def _unavailable(self, now: float) -> str:
        why = f"its last fetch failed ({self._last_error})" if self._last_error else "they are being fetched"
        retry = self.breaker.retry_in()
        return (f"issuer '{self.issuer}': no signing keys to check the token with: {why}"
                + (f"; next fetch in {retry:.0f} s" if retry else ""))
