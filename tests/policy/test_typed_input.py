"""Cedar policies on a tool's structured input: numbers as ``decimal``, nested records, sets of records.

A refund tool takes an amount, an order (a nested model) and line items (a
list of models). The platform's policies forbid refunds over 100, refunds
of EU orders for the basic tier, and gift-card lines; the input the policy
sees is the call's own, typed from the tool's signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.engine import Engine
from engine.policy.authorizer import AccessDenied
from engine.policy.schema import Record, SetOf, cedar_type, project_input
from engine.project import load_project
from tests.conftest import PROJECT_YAML, tenant_yaml

TOOLS = '''\
from pydantic import BaseModel

from engine.skills.bridge import SkillContext
from engine.skills.decorators import tool

REFUNDS = []


class Order(BaseModel):
    id: str
    region: str
    total: float


class Line(BaseModel):
    sku: str
    qty: int


@tool("payments.refund")
def refund(*, amount: float, order: Order, lines: list[Line] = [], ctx: SkillContext) -> dict:
    assert isinstance(order, Order) and all(isinstance(line, Line) for line in lines)  # as the signature types them
    REFUNDS.append((ctx.tenant.tenant_id, amount, order.region))
    return {"refunded": amount}
'''

POLICIES = """\
@id("entitled")
permit (principal, action in [Tenantflow::Action::"tools"], resource) when { context.entitled };

@id("refund-limit")
forbid (principal, action == Tenantflow::Action::"tool:payments.refund", resource)
unless { context.input has amount && context.input.amount.lessThanOrEqual(decimal("100.0")) };

@id("eu-orders-need-a-plan")
forbid (principal, action == Tenantflow::Action::"tool:payments.refund", resource)
when { context.tier == "basic" && context.input has order && context.input.order has region &&
       context.input.order.region == "eu" };

@id("no-gift-cards")
forbid (principal, action == Tenantflow::Action::"tool:payments.refund", resource)
when { context.input has lines && context.input.lines.contains({"sku": "GIFT", "qty": 1}) };
"""

WORKFLOW = """\
apiVersion: tenantflow/v1
kind: Workflow
metadata: {name: refund}
input:
  amount: {type: number}
  region: {type: string}
  gift: {type: boolean, required: false, default: false}
steps:
  - id: call
    tool: payments.refund
    with:
      amount: "{{ input.amount }}"
      order: {id: o-1, region: "{{ input.region }}", total: 120.0}
      lines: "{{ [{'sku': 'GIFT', 'qty': 1}] if input.gift else [{'sku': 'MUG', 'qty': 2}] }}"
  - return: {refunded: "{{ steps.call.refunded }}"}
"""

TENANTS = {
    "alpha": tenant_yaml("alpha", "basic", "entitlements: {tools: ['payments.*']}\n"),
    "beta": tenant_yaml("beta", "premium", "entitlements: {tools: ['payments.*']}\n"),
}


@pytest.fixture
def engine(make_project) -> Engine:
    root: Path = make_project({"tenantflow.yaml": PROJECT_YAML + "policy: {mode: enforce}\n",
                               "skills/payments.py": TOOLS, "workflows/refund.yaml": WORKFLOW,
                               "policies/platform.cedar": POLICIES}, tenants=TENANTS)
    return Engine(load_project(root))


async def _refund(engine: Engine, tenant: str, **payload: Any) -> Any:
    return await engine.run("refund", engine.dev_context(tenant, "u1", "s1"), payload)


def test_the_schema_types_numbers_records_and_sets_of_records(engine: Engine) -> None:
    schema = engine.authorizer.bundle.schema_text
    assert ('"input": { "amount"?: decimal, "lines"?: Set<{ "qty": Long, "sku": String }>, '
            '"order"?: { "id": String, "region": String, "total": decimal } } } };') in schema


async def test_a_decimal_limit_on_the_amount(engine: Engine) -> None:
    assert (await _refund(engine, "beta", amount=99.5, region="us")).output == {"refunded": 99.5}
    with pytest.raises(AccessDenied) as caught:
        await _refund(engine, "beta", amount=150.25, region="us")
    assert caught.value.reasons == ("policies/platform.cedar:4",)
    # More digits than Cedar's decimal keeps are rounded away from zero: just over the limit stays over it.
    with pytest.raises(AccessDenied):
        await _refund(engine, "beta", amount=100.00001, region="us")


async def test_a_nested_attribute_decides_per_tier(engine: Engine) -> None:
    assert (await _refund(engine, "beta", amount=10, region="eu")).output == {"refunded": 10}
    with pytest.raises(AccessDenied) as caught:
        await _refund(engine, "alpha", amount=10, region="eu")
    assert caught.value.reasons == ("policies/platform.cedar:8",)
    assert (await _refund(engine, "alpha", amount=10, region="us")).output == {"refunded": 10}


async def test_a_set_of_records_is_searched(engine: Engine) -> None:
    with pytest.raises(AccessDenied) as caught:
        await _refund(engine, "beta", amount=10, region="us", gift=True)
    assert caught.value.reasons == ("policies/platform.cedar:13",)


def test_types_from_json_schema() -> None:
    assert cedar_type({"type": "number"}) == "decimal"
    assert cedar_type({"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}}) \
        == SetOf(Record((("a", "Long"),), frozenset()))
    assert cedar_type({"type": "object"}) is None  # no properties: nothing a policy could name
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(8):
        deep = {"type": "object", "properties": {"x": deep}}
    assert cedar_type(deep) is None  # nested beyond MAX_DEPTH: left out of the schema


@pytest.mark.parametrize(("value", "expected"), [
    (40.5, "40.5000"), (100.00001, "100.0001"), (-0.00001, "-0.0001"), (7, "7.0000"),
    (1e20, "922337203685477.5807"), (float("inf"), "922337203685477.5807"), (-1e20, "-922337203685477.5807"),
])
def test_numbers_become_cedar_decimals_that_keep_limits(value: float, expected: str) -> None:
    assert project_input(value, "decimal") == {"__extn": {"fn": "decimal", "arg": expected}}


@pytest.mark.parametrize("value", [float("nan"), "12.5", True, None])
def test_what_is_not_a_number_is_left_out(value: Any) -> None:
    assert project_input(value, "decimal") is None
