"""Which tenant ids label metrics: a bound on the number of series, whatever the number of tenants.

A metric series exists per distinct set of attribute values, and a backend
stores and bills each one. With a tenant id on every series, 10,000 tenants
times models times token types is hundreds of thousands of series per
process. So a tenant's own id labels its metrics only if it is on the
``always`` list or among the first ``max_distinct`` other tenants this
process has seen; every later tenant's metrics carry ``_other``. The tier
label is kept on every series, so totals per tier stay exact. Traces and
the usage ledger always carry the real tenant id: per-tenant cost comes
from the ledger (``tenantflow costs``), not from metrics.

>>> labels = TenantLabels(always=["acme"], max_distinct=1)
>>> [labels.label(t) for t in ("globex", "initech", "acme", "globex")]
['globex', '_other', 'acme', 'globex']
"""

from __future__ import annotations

from collections.abc import Iterable

#: The tenant label of every tenant past the bound.
OTHER = "_other"


class TenantLabels:
    def __init__(self, always: Iterable[str] = (), max_distinct: int = 100):
        self.always = frozenset(always)
        self.max_distinct = max_distinct
        self._seen: set[str] = set()

    def label(self, tenant: str) -> str:
        """``tenant`` itself while the bound allows, else ``_other``; a tenant once labelled keeps its label."""
        if tenant in self.always or tenant in self._seen:
            return tenant
        if len(self._seen) < self.max_distinct:
            self._seen.add(tenant)
            return tenant
        return OTHER
