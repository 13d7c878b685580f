"""Cost per tenant from the usage ledger: the tables of ``tenantflow costs`` and the data of its chart.

>>> from engine.telemetry.ledger import UsageRow
>>> rows = [UsageRow("r1", "acme", "basic", "triage", 0.0, "completed", "m1", 100, 20, 0.5, 1),
...         UsageRow("r1", "acme", "basic", "triage", 0.0, "completed", "m2", 10, 2, 0.25, 0),
...         UsageRow("r2", "globex", "premium", "triage", 86400.0, "completed", "m1", 50, 5, 1.0, 0)]
>>> [(g.key, g.runs, g.input_tokens, g.cost_usd) for g in summarize(rows, "tenant")]
[('acme', 1, 110, 0.75), ('globex', 1, 50, 1.0)]
>>> [(g.key, g.runs) for g in summarize(rows, "day")]
[('1970-01-01', 1), ('1970-01-02', 1)]
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from engine.telemetry.ledger import UsageRow

GROUPINGS = ("tenant", "model", "workflow", "day")


def day_of(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


@dataclass
class Group:
    key: str
    runs: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    cost_usd: float = 0.0
    _run_ids: set[str] = field(default_factory=set, repr=False)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["_run_ids"]
        data["cost_usd"] = round(self.cost_usd, 8)
        return data


def _key(row: UsageRow, by: str) -> str:
    if by == "day":
        return day_of(row.started_at)
    return str(getattr(row, by)) or "(no model call)"


def summarize(rows: Iterable[UsageRow], by: str) -> list[Group]:
    """Runs, tokens, tool calls and cost per ``by`` (tenant, model, workflow or day), sorted by key."""
    groups: dict[str, Group] = {}
    for row in rows:
        key = _key(row, by)
        group = groups.setdefault(key, Group(key))
        if row.run_id not in group._run_ids:
            group._run_ids.add(row.run_id)
            group.runs += 1
        group.input_tokens += row.input_tokens
        group.output_tokens += row.output_tokens
        group.tool_calls += row.tool_calls
        group.cost_usd = round(group.cost_usd + row.cost_usd, 8)
    return [groups[k] for k in sorted(groups)]


_COLUMNS = ("runs", "input_tokens", "output_tokens", "tool_calls", "cost_usd")


def render(groups: list[Group], by: str, fmt: str) -> str:
    """``groups`` as a text table (with a total line), JSON or CSV."""
    if fmt == "json":
        return json.dumps([{by: g.key, **{k: v for k, v in g.to_json().items() if k != "key"}} for g in groups],
                          indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([by, *_COLUMNS])
        for g in groups:
            writer.writerow([g.key, g.runs, g.input_tokens, g.output_tokens, g.tool_calls, f"{g.cost_usd:.8f}"])
        return out.getvalue()
    total = Group("total", sum(g.runs for g in groups), sum(g.input_tokens for g in groups),
                  sum(g.output_tokens for g in groups), sum(g.tool_calls for g in groups),
                  round(sum(g.cost_usd for g in groups), 8))
    lines = [[by, "runs", "tokens in", "tokens out", "tool calls", "cost (USD)"]]
    for g in [*groups, total]:
        lines.append([g.key, str(g.runs), f"{g.input_tokens:,}", f"{g.output_tokens:,}", f"{g.tool_calls:,}",
                      f"{g.cost_usd:.6f}"])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    rendered = []
    for n, line in enumerate(lines):
        if n == len(lines) - 1:
            rendered.append("  ".join("-" * w for w in widths))
        rendered.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                                  enumerate(zip(line, widths, strict=True))).rstrip())
    return "\n".join(rendered) + "\n"


def daily_cost_by_tenant(rows: Iterable[UsageRow]) -> tuple[list[str], dict[str, list[float]]]:
    """Every day from the first to the last run (gaps filled with 0), and each tenant's cost on each."""
    per: dict[str, dict[str, float]] = {}
    for row in rows:
        day = day_of(row.started_at)
        tenant = per.setdefault(row.tenant, {})
        tenant[day] = tenant.get(day, 0.0) + row.cost_usd
    found = sorted({d for days in per.values() for d in days})
    if not found:
        return [], {}
    first = calendar.timegm(time.strptime(found[0], "%Y-%m-%d"))
    last = calendar.timegm(time.strptime(found[-1], "%Y-%m-%d"))
    days = [day_of(first + i * 86400) for i in range((last - first) // 86400 + 1)]
    return days, {t: [round(per[t].get(d, 0.0), 8) for d in days] for t in sorted(per)}
