"""Monthly cost budgets: what a tenant may spend on models per calendar month (UTC), and the warning before.

The spend is the meter's (:meth:`Meter.record_cost`, after every model call,
from the catalog's prices), so with the Redis meter every replica checks
the same total. A tenant whose month's spend has reached its
``quotas.cost_per_month_usd`` (its own, else its tier's) is refused before
its next model call, and at the runtime's door: the run stops there with
:class:`BudgetExceeded` (429 at the server). A call in flight when the
budget is reached finishes: the budget can be overshot by at most the calls
already running. Once the spend passes ``budget_warning_at`` (default 0.8)
of the budget, a warning is logged (and counted) once per tenant and month.
"""

from __future__ import annotations

import calendar
import time

from engine.spec.project import Quotas
from engine.usage.meter import OverLimit

#: The warning fraction where a budget is set and ``budget_warning_at`` is not.
DEFAULT_WARNING_AT = 0.8


def month_of(now: float) -> int:
    """Months since January of year 0, UTC: the key of a month's spend.

    >>> month_of(0.0), month_of(86400 * 31) - month_of(0.0)
    (23640, 1)
    """
    t = time.gmtime(now)
    return t.tm_year * 12 + t.tm_mon - 1


def seconds_to_next_month(now: float) -> int:
    t = time.gmtime(now)
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    return int(calendar.timegm((year, month, 1, 0, 0, 0)) - now) + 1


def usd(value: float) -> str:
    """Dollars with cents, and with the digits a small amount needs.

    >>> usd(5), usd(1234.5), usd(0.0001), usd(0.00012345678)
    ('$5.00', '$1,234.50', '$0.0001', '$0.000123')
    """
    if value >= 1 or value == 0:
        return f"${value:,.2f}"
    return "$" + f"{value:.6f}".rstrip("0")


class BudgetExceeded(OverLimit):
    """A tenant's month's model spend has reached its monthly budget."""

    code = "budget"

    def __init__(self, tenant: str, spent_usd: float, budget_usd: float, retry_after_s: int):
        self.tenant, self.spent_usd, self.budget_usd = tenant, spent_usd, budget_usd
        super().__init__("cost_per_month", retry_after_s)
        self.args = (f"tenant '{tenant}' has used its monthly model budget: {usd(spent_usd)} spent of "
                     f"{usd(budget_usd)} this month (UTC); no model call runs until the month ends or "
                     "quotas.cost_per_month_usd is raised",)

    def __str__(self) -> str:
        return str(self.args[0])


def check_budget(tenant: str, spent_usd: float, quotas: Quotas, now: float | None = None) -> None:
    """Raise BudgetExceeded if ``spent_usd`` has reached the tenant's monthly budget."""
    budget = quotas.cost_per_month_usd
    if budget is not None and spent_usd >= budget:
        raise BudgetExceeded(tenant, spent_usd, budget, seconds_to_next_month(time.time() if now is None else now))


def warning_crossed(before_usd: float, after_usd: float, quotas: Quotas) -> bool:
    """Whether a call that took the spend from ``before_usd`` to ``after_usd`` crossed the warning line.

    >>> ten = Quotas(cost_per_month_usd=10)
    >>> warning_crossed(7.9, 8.1, ten), warning_crossed(8.1, 8.2, ten)
    (True, False)
    """
    budget = quotas.cost_per_month_usd
    if budget is None:
        return False
    line = budget * (quotas.budget_warning_at or DEFAULT_WARNING_AT)
    return before_usd < line <= after_usd
