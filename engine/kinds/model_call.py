"""One model call, observed and paid for: the tenant's monthly budget before it, its usage record, cost and span after.

Every model call of a run goes through :func:`observed_call`: ``llm`` steps
(:mod:`engine.kinds.llm`, one per tool-use turn) and prompt skills
(:mod:`engine.run.dispatch`). Before the call the tenant's monthly budget is
checked (:class:`~engine.usage.budget.BudgetExceeded`: the run stops there);
after it the call's cost counts into the month's spend, shared through the
meter, and, while telemetry is on, the call's ``chat {model}`` span and the
GenAI metrics are recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine.context import TenantContext
from engine.guardrails.chain import GuardChain
from engine.models.base import ChatResponse
from engine.spec.project import ModelEntry
from engine.telemetry import logs
from engine.telemetry.content import WITHHELD
from engine.telemetry.instruments import active
from engine.tenancy import TenantSettings
from engine.usage import BudgetExceeded, Meter
from engine.usage.budget import check_budget, warning_crossed


class Spend:
    """The monthly budgets' two checks around each model call, on the meter every replica shares."""

    def __init__(self, meter: Meter, settings: Callable[[str], TenantSettings]):
        self.meter, self.settings = meter, settings

    def check(self, ctx: TenantContext) -> None:
        """Raise BudgetExceeded if the tenant's month's spend has reached its budget."""
        quotas = self.settings(ctx.tenant_id).quotas
        if quotas.cost_per_month_usd is None:
            return
        try:
            check_budget(ctx.tenant_id, self.meter.cost_this_month(ctx.tenant_id), quotas)
        except BudgetExceeded as exc:
            telemetry = active()
            if telemetry is not None:
                telemetry.quota_refused(ctx, exc.reason)
            logs.event("budget.exceeded", logging.WARNING, **{"tenant.id": ctx.tenant_id, "tenant.tier": ctx.tier},
                       spent_usd=round(exc.spent_usd, 6), budget_usd=exc.budget_usd)
            raise

    def spent(self, ctx: TenantContext, usd: float) -> None:
        """Count a call's cost; warn once when the month's spend passes the budget's warning line."""
        before = self.meter.cost_this_month(ctx.tenant_id)
        self.meter.record_cost(ctx.tenant_id, usd)
        quotas = self.settings(ctx.tenant_id).quotas
        if warning_crossed(before, before + usd, quotas):
            logs.event("budget.warning", logging.WARNING, **{"tenant.id": ctx.tenant_id, "tenant.tier": ctx.tier},
                       spent_usd=round(before + usd, 6), budget_usd=quotas.cost_per_month_usd,
                       warning_at=quotas.budget_warning_at)
            telemetry = active()
            if telemetry is not None:
                telemetry.budget_warned(ctx)


@dataclass(frozen=True)
class ModelCall:
    usage: dict[str, Any]
    response: ChatResponse


def usage_record(step: str, alias: str, entry: Any, response: ChatResponse, tenant_id: str,
                 t0: float, *, requested: str = "") -> dict[str, Any]:
    """One model call's usage; ``alias`` is the catalog alias the call resolved to (never ``tier``),
    ``requested`` what the step asked for."""
    price = entry.price_per_1k
    cost = response.input_tokens / 1000 * price.input + response.output_tokens / 1000 * price.output
    return {
        "step": step,
        "tenant": tenant_id,
        "model": response.model_id,
        "model_alias": alias,
        "model_requested": requested or alias,
        "provider": response.provider,
        "input_tokens": response.input_tokens,
        "output_tokens": response.output_tokens,
        "duration_ms": round((time.perf_counter() - t0) * 1000, 3),
        "cost_usd": round(cost, 8),
    }


async def observed_call(spend: Spend, ctx: TenantContext, settings: TenantSettings, entry: ModelEntry, alias: str,
                        step: str, call: Callable[[], Awaitable[ChatResponse]], *, requested: str = "",
                        prompt: str = "", chain: GuardChain | None = None) -> ModelCall:
    """Check the budget, make ``call`` (retries included), then count its cost and record its span.

    ``prompt`` goes on the span, with the completion, only for a tenant whose settings allow it
    (``capture_content``), both passed through the tenant's output rules (``chain``) first.
    """
    spend.check(ctx)
    telemetry = active()
    chat = telemetry.chat_started(ctx, entry.provider, entry.model_id, alias) if telemetry is not None else None
    t0 = time.perf_counter()
    try:
        response = await call()
    except BaseException as exc:
        if telemetry is not None and chat is not None:
            telemetry.chat_failed(chat, ctx, exc)
        raise
    record = usage_record(step, alias, entry, response, ctx.tenant_id, t0, requested=requested)
    spend.spent(ctx, record["cost_usd"])
    if telemetry is not None and chat is not None:
        content = None
        if settings.capture_content and chain is not None:
            content = (checked(chain, ctx, prompt), checked(chain, ctx, response.text))
        telemetry.chat_ended(chat, ctx, record, content)
    return ModelCall(record, response)


def checked(chain: GuardChain, ctx: TenantContext, text: str) -> str:
    """``text`` as the tenant's output rules let it out: redacted, or withheld whole if they block it."""
    result = chain.check_value(text, "output", "telemetry", tenant=ctx.tenant_id)
    if any(r["action"] == "block" for r in result.records):
        return WITHHELD
    return str(result.value)
