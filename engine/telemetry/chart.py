"""``tenantflow costs --chart``: model cost per tenant per day, as a PNG a person reads without explanation."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path
from typing import Any

from engine.errors import TenantflowError
from engine.telemetry.costs import daily_cost_by_tenant
from engine.telemetry.ledger import UsageRow

#: Tenants drawn one by one; the rest are summed into one "other tenants" line.
MAX_LINES = 8


class ChartError(TenantflowError):
    code = "chart"


def draw(rows: list[UsageRow], path: Path, title_suffix: str = "") -> None:
    """One line per tenant (the largest ``MAX_LINES``, the rest summed), cost per UTC day, totals in the legend."""
    try:
        # Untyped for mypy on purpose: it type-checks the same whether matplotlib (an extra) is installed or not.
        matplotlib: Any = importlib.import_module("matplotlib")
        matplotlib.use("Agg")  # no display: a file only
        mdates: Any = importlib.import_module("matplotlib.dates")
        plt: Any = importlib.import_module("matplotlib.pyplot")
        ticker: Any = importlib.import_module("matplotlib.ticker")
    except ImportError:
        raise ChartError("--chart needs matplotlib: pip install 'tenantflow[charts]'") from None
    days, per_tenant = daily_cost_by_tenant(rows)
    if not days:
        raise ChartError("no runs in the usage ledger for this selection: nothing to chart")
    ranked = sorted(per_tenant, key=lambda t: -sum(per_tenant[t]))
    lines = {t: per_tenant[t] for t in ranked[:MAX_LINES]}
    rest = ranked[MAX_LINES:]
    if rest:
        lines[f"{len(rest)} other tenants"] = [sum(per_tenant[t][i] for t in rest) for i in range(len(days))]
    x = mdates.date2num([date.fromisoformat(d) for d in days])
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(12, 5.5), dpi=110, gridspec_kw={"width_ratios": [3, 1]})
    totals = {name: sum(values) for name, values in lines.items()}
    for name, values in lines.items():
        ax.plot(x, values, marker="o", linewidth=2, markersize=4, label=f"{name}  (${totals[name]:,.4f})")
    total = sum(sum(v) for v in per_tenant.values())
    fig.suptitle(f"Model cost per tenant (USD, catalog prices){title_suffix}: {days[0]} to {days[-1]}, "
                 f"{len(per_tenant)} tenants, total ${total:,.4f}", fontsize=12)
    ax.set_title("Cost per day", fontsize=11)
    ax.set_xlabel("Day (UTC)")
    ax.set_ylabel("USD per day")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"${v:,.4f}" if v < 1 else f"${v:,.2f}"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=12))
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(title="Tenant (total in period)", loc="upper left", fontsize=9)
    # The period's totals side by side: a small tenant's line hugs zero next to a large one, its bar still reads.
    names = list(reversed(lines))
    colors = [line.get_color() for line in reversed(ax.get_lines())]
    drawn = bars.barh(names, [totals[n] for n in names], color=colors)
    bars.bar_label(drawn, labels=[f"${totals[n]:,.4f} ({totals[n] / total:.0%})" if total else "$0"
                                  for n in names], padding=3, fontsize=9)
    bars.set_title("Total in period", fontsize=11)
    bars.set_xlim(0, max(totals.values()) * 1.6 or 1)
    bars.set_xticks([])
    for side in ("top", "right", "bottom"):
        bars.spines[side].set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise ChartError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        plt.close(fig)
