"""A tenant's limits, from its effective quotas with the runtime's defaults where none is set."""

from __future__ import annotations

from engine.spec.project import Quotas
from engine.usage.meter import DEFAULT_CONCURRENCY, DEFAULT_REQUESTS_PER_MINUTE, Limits, OverLimit


def test_limits_come_from_the_quotas_with_defaults_where_none_is_set() -> None:
    assert Limits.from_quotas(Quotas(requests_per_minute=600, concurrency=3, tokens_per_day=9)) == Limits(
        rate_per_s=10.0, burst=20, concurrency=3, tokens_per_day=9)
    assert Limits.from_quotas(Quotas()) == Limits(rate_per_s=DEFAULT_REQUESTS_PER_MINUTE / 60, burst=5,
                                                  concurrency=DEFAULT_CONCURRENCY, tokens_per_day=None)
    # A person's few quick messages go through, whatever the rate; the tenant file may say otherwise.
    assert Limits.from_quotas(Quotas(requests_per_minute=1)).burst == 5
    assert Limits.from_quotas(Quotas(requests_per_minute=30)).burst == 5
    assert Limits.from_quotas(Quotas(requests_per_minute=6, burst=1)).burst == 1
    assert Limits.from_quotas(Quotas(requests_per_minute=6000, burst=50)).burst == 50


def test_a_refusal_says_which_limit_and_when_to_retry() -> None:
    assert str(OverLimit("tokens_per_day", 401)) == "over tokens_per_day limit, retry after 401 s"
    assert OverLimit("concurrency", 0).retry_after_s == 1  # never "retry at once"
