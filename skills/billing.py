"""Invoices, from a billing table partitioned by tenant.

The partition is chosen from the caller's verified tenant context, never
from an input, so a tenant cannot read another tenant's invoices even by
guessing a customer id (Globex and Initech both have a ``cus_1001``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict  # pydantic needs this one on Python 3.11

from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool


class Invoice(TypedDict):
    number: str
    issued: str
    amount: float
    currency: str
    status: Literal["paid", "open", "overdue", "refunded"]


class InvoiceList(TypedDict):
    customer_id: str
    invoices: list[Invoice]


def _inv(number: str, issued: str, amount: float, status: Literal["paid", "open", "overdue", "refunded"],
         currency: str = "USD") -> Invoice:
    return Invoice(number=number, issued=issued, amount=amount, currency=currency, status=status)


#: tenant id -> customer id -> invoices.
INVOICES: dict[str, dict[str, list[Invoice]]] = {
    "globex": {
        "cus_1001": [_inv("GX-2024-0931", "2024-09-01", 49.0, "paid"),
                     _inv("GX-2024-1031", "2024-10-01", 49.0, "paid"),
                     _inv("GX-2024-1130", "2024-11-01", 98.0, "open")],
    },
    "initech": {
        "cus_1001": [_inv("IN-7781", "2024-10-01", 1250.0, "paid"),
                     _inv("IN-7922", "2024-11-01", 1250.0, "overdue")],
        "cus_1002": [_inv("IN-7923", "2024-11-01", 310.0, "refunded")],
    },
    "acme": {
        "mem_20417": [_inv("AH-STM-55102", "2024-10-15", 35.0, "paid"),
                      _inv("AH-STM-56988", "2024-11-15", 120.0, "open")],
    },
}


@tool("billing.get_invoices")
async def get_invoices(*, customer_id: str, limit: Annotated[int, Field(ge=1, le=24)] = 5,
                 ctx: SkillContext) -> InvoiceList:
    """The most recent invoices of one customer of the calling tenant."""
    book = INVOICES.get(ctx.tenant.tenant_id, {})
    invoices = sorted(book.get(customer_id, []), key=lambda i: i["issued"], reverse=True)
    return InvoiceList(customer_id=customer_id, invoices=invoices[:limit])
