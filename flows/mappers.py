"""Pure functions between Shopify's shapes (GraphQL dicts) and what we write to NetSuite.

No I/O here: the flows fetch, these decide, the flows write. Money is copied from Shopify's
own figures (tax, shipping, discounts, prices), never recomputed (seed 004).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from connector import external_ids


class MappingError(Exception):
    """The record cannot be posted as it is; the message tells a person what to fix."""


def money(bag: dict | None) -> Decimal | None:
    if not bag:
        return None
    return Decimal(str(bag["shopMoney"]["amount"]))


def is_b2b(order: dict) -> bool:
    entity = order.get("purchasingEntity") or {}
    return entity.get("__typename") == "PurchasingCompany"


@dataclass(frozen=True)
class CustomerFields:
    external_id: str
    company_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    is_person: bool | None = None
    parent_external_id: str | None = None


@dataclass(frozen=True)
class CustomerPlan:
    """Customers to upsert, parents before children, and which one the order belongs to."""

    parents: tuple[CustomerFields, ...]
    customers: tuple[CustomerFields, ...]
    entity_external_id: str


def customers_for_order(order: dict, *, b2b_sync: bool) -> CustomerPlan:
    """B2C: the buyer as a person. B2B (with B2B sync on): the company as the parent customer
    and the company location, with its buying contact's e-mail, as its sub-customer (seed 002).
    """
    name = order.get("name") or order.get("id")
    if is_b2b(order):
        if not b2b_sync:
            raise MappingError(
                f"Order {name} was placed by a B2B company, and B2B sync is off: switch on "
                "“Sync B2B orders” in Settings › B2B, then Retry."
            )
        entity = order["purchasingEntity"]
        company, location = entity["company"], entity["location"]
        contact_customer = ((entity.get("contact") or {}).get("customer")) or {}
        parent = CustomerFields(
            external_id=external_ids.company(company["id"]),
            company_name=company["name"],
            is_person=False,
        )
        child = CustomerFields(
            external_id=external_ids.company_location(location["id"]),
            company_name=f"{company['name']} : {location['name']}",
            email=contact_customer.get("email") or order.get("email"),
            is_person=False,
            parent_external_id=parent.external_id,
        )
        return CustomerPlan((parent,), (child,), child.external_id)
    customer = order.get("customer")
    if not customer:
        raise MappingError(
            f"Order {name} has no customer in Shopify: add a customer to the order, then Retry."
        )
    email = customer.get("email") or order.get("email")
    first, last = customer.get("firstName"), customer.get("lastName")
    if not (email or first or last):
        raise MappingError(
            f"The customer of order {name} has no name and no e-mail: add one in Shopify, "
            "then Retry."
        )
    person = CustomerFields(
        external_id=external_ids.customer(customer["id"]),
        first_name=first or (email or "").split("@")[0] or "Shopify",
        last_name=last or "Customer",
        email=email,
        is_person=True,
    )
    return CustomerPlan((), (person,), person.external_id)


@dataclass(frozen=True)
class SalesOrderFields:
    external_id: str
    lines: tuple[dict, ...]  # {"item_internal_id", "quantity", "rate", "description"}
    tran_date: str | None
    other_ref_num: str
    memo: str
    shipping_cost: Decimal | None
    tax_total: Decimal | None
    discount: Decimal | None
    total: Decimal | None
    currency: str | None
    extra: dict = field(default_factory=dict)


def skus_of(order: dict) -> set[str]:
    return {(line.get("sku") or "").strip() for line in _lines(order)} - {""}


def sales_order_for_order(order: dict, item_ids: dict[str, str]) -> SalesOrderFields:
    """The sales order for a Shopify order; `item_ids` maps SKU -> NetSuite internal id."""
    name = order["name"]
    lines = []
    for number, line in enumerate(_lines(order), start=1):
        sku = (line.get("sku") or "").strip()
        title = line.get("title") or ""
        if not sku:
            raise MappingError(
                f"Line {number} of order {name} (“{title}”) has no SKU in Shopify: give the "
                "product variant a SKU that exists in NetSuite, then Retry."
            )
        if sku not in item_ids:
            raise MappingError(
                f"SKU {sku} on line {number} is not an item in NetSuite: create it or map it, "
                "then Retry."
            )
        lines.append(
            {
                "item_internal_id": item_ids[sku],
                "quantity": int(line["quantity"]),
                "rate": money(line["originalUnitPriceSet"]),
                "description": title,
            }
        )
    total_bag = order.get("totalPriceSet") or {}
    discount = money(order.get("totalDiscountsSet"))
    return SalesOrderFields(
        external_id=external_ids.sales_order(order["id"]),
        lines=tuple(lines),
        tran_date=order.get("createdAt"),
        other_ref_num=name,
        memo=f"Shopify order {name}",
        shipping_cost=money(order.get("totalShippingPriceSet")),
        tax_total=money(order.get("totalTaxSet")),
        discount=discount if discount else None,
        total=money(total_bag),
        currency=(total_bag.get("shopMoney") or {}).get("currencyCode"),
    )


def _lines(order: dict) -> list[dict]:
    return list((order.get("lineItems") or {}).get("nodes") or [])


def has_more_lines(order: dict) -> bool:
    return bool(((order.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"))


# -- cancellations ------------------------------------------------------------------------

# Shopify statuses that mean part of the order already happened: not a full cancellation.
PARTLY_FULFILLED = {"PARTIALLY_FULFILLED", "FULFILLED", "PARTIALLY_RETURNED", "RETURNED"}
PARTLY_REFUNDED = {"PARTIALLY_REFUNDED"}


def shopify_cancellation_skip_reason(order: dict) -> str | None:
    """Why a cancelled Shopify order is not a full cancellation we may copy, or None.

    Only full cancellations go to NetSuite (seed 000): partly fulfilled or partly refunded
    orders are left to a person.
    """
    fulfilment = order.get("displayFulfillmentStatus")
    if fulfilment in PARTLY_FULFILLED:
        return "Partly fulfilled in Shopify: only full cancellations are synced."
    refunds = order.get("refunds") or []
    cancelled_at = order.get("cancelledAt") or ""
    # A cancellation makes at most one refund, at the time of cancelling; any other refund
    # means part of the order was refunded before.
    refunded_before = len(refunds) > 1 or any(
        cancelled_at and (r.get("createdAt") or "") < cancelled_at for r in refunds
    )
    if order.get("displayFinancialStatus") in PARTLY_REFUNDED or refunded_before:
        return "Partly refunded in Shopify: only full cancellations are synced."
    return None


CANCEL_IN_NETSUITE = {
    # NetSuite status -> (the status we set, what a person calls it)
    "_pendingApproval": ("_cancelled", "cancelled"),
    "_pendingFulfillment": ("_closed", "closed"),
}


def netsuite_cancellation_for_status(status: str | None) -> tuple[str | None, str | None]:
    """(new status, None) for an order we may cancel or close; (None, skip reason) otherwise."""
    if status in CANCEL_IN_NETSUITE:
        return CANCEL_IN_NETSUITE[status][0], None
    if status in ("_cancelled", "_closed"):
        return None, "Already cancelled or closed in NetSuite."
    return None, (
        f"The NetSuite sales order is {status or 'in an unknown status'}: only orders pending "
        "approval or pending fulfilment can be cancelled."
    )
