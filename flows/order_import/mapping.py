"""Pure functions from a Shopify order (GraphQL dict) to the NetSuite customers and sales
order the import writes. No I/O here.

Money is copied from Shopify's own figures, never recomputed: item lines at
Shopify's unit price, Shopify's discount as a line of the connector's discount item, Shopify's
tax as a line of its tax item (a real account computes `taxTotal` and refuses a written one),
and Shopify's shipping as `shippingCost`. So the total NetSuite computes is Shopify's total,
which the import then checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from connector import external_ids, gids
from flows import addresses, bundles
from flows.charges import ChargeItems
from flows.sync import NeedsPerson as MappingError

__all__ = ["ChargeItems", "MappingError"]

NO_CHARGE_ITEMS = ChargeItems()


def charge_line(item_id: str, amount: Decimal, description: str, *, what: str, setting: str):
    if not item_id:
        raise MappingError(
            f"{what} of {abs(amount)} that cannot be written: set the NetSuite {setting} in "
            "Settings › Orders, then Retry."
        )
    return {
        "item_internal_id": item_id,
        "quantity": None,
        "rate": None,
        "amount": amount,
        "description": description,
    }


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
    # B2B: the company location's Shopify id. When the company sync has bound it, the order
    # goes to that customer and the import writes no customer itself.
    location_shopify_id: str | None = None


def customers_for_order(order: dict, *, b2b_sync: bool) -> CustomerPlan:
    """B2C: the buyer as a person. B2B (with B2B sync on): the company as the parent customer
    and the company location, with its buying contact's e-mail, as its sub-customer.
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
        return CustomerPlan(
            (parent,),
            (child,),
            child.external_id,
            location_shopify_id=gids.legacy_id(location["id"]),
        )
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
    # {"item_internal_id", "quantity", "rate", "amount" (charge lines), "description"}
    lines: tuple[dict, ...]
    tran_date: str | None
    other_ref_num: str
    memo: str
    shipping_cost: Decimal | None
    tax_total: Decimal | None
    discount: Decimal | None
    total: Decimal | None
    currency: str | None
    extra: dict = field(default_factory=dict)
    ship_address: dict | None = None  # flows.addresses' shape


def skus_of(order: dict, components: Mapping[str, tuple] | None = None) -> set[str]:
    """The SKUs the sales order needs: the order's, a bundle's replaced by its components'."""
    skus = {(line.get("sku") or "").strip() for line in _lines(order)} - {""}
    for bundle in skus & set(components or ()):
        skus.discard(bundle)
        skus |= {part.sku for part in components[bundle]}
    return skus


def sales_order_for_order(
    order: dict,
    item_ids: dict[str, str],
    charges: ChargeItems = NO_CHARGE_ITEMS,
    components: Mapping[str, tuple] | None = None,
) -> SalesOrderFields:
    """The sales order for a Shopify order; `item_ids` maps SKU -> NetSuite internal id;
    `components` maps a bundle SKU to its components (flows.bundles): such a line becomes
    its component lines, the bundle's amount allocated across them to the cent."""
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
        if components and sku in components:
            lines += _component_lines(line, number, components[sku], item_ids)
            continue
        if sku not in item_ids:
            raise MappingError(
                f"SKU {sku} on line {number} is not an item in NetSuite: create it or map it, "
                "then Retry."
            )
        lines.append(
            {
                # The Shopify line this sales order line is (order edits address it by this).
                "key": gids.legacy_id(line["id"]) if line.get("id") else "",
                "item_internal_id": item_ids[sku],
                "quantity": int(line["quantity"]),
                "rate": money(line["originalUnitPriceSet"]),
                "amount": None,
                "description": title,
            }
        )
    total_bag = order.get("totalPriceSet") or {}
    discount = money(order.get("totalDiscountsSet"))
    tax = money(order.get("totalTaxSet"))
    if discount:
        lines.append(
            charge_line(
                charges.discount,
                -discount,
                f"Shopify discounts of order {name}",
                what=f"Order {name} has discounts",
                setting="discount item",
            )
        )
    if tax and not order.get("taxesIncluded"):
        lines.append(
            charge_line(
                charges.tax,
                tax,
                f"Shopify tax of order {name}",
                what=f"Order {name} has tax",
                setting="tax item",
            )
        )
    return SalesOrderFields(
        external_id=external_ids.sales_order(order["id"]),
        lines=tuple(lines),
        tran_date=order.get("createdAt"),
        other_ref_num=name,
        memo=f"Shopify order {name}",
        shipping_cost=money(order.get("totalShippingPriceSet")),
        tax_total=tax,
        discount=discount if discount else None,
        total=money(total_bag),
        currency=(total_bag.get("shopMoney") or {}).get("currencyCode"),
        ship_address=addresses.from_shopify(order.get("shippingAddress")),
    )


def _component_lines(line: dict, number: int, parts: tuple, item_ids: dict[str, str]) -> list:
    quantity = int(line["quantity"])
    rate = money(line["originalUnitPriceSet"]) or Decimal(0)
    out = []
    for part in bundles.explode(
        {
            "key": gids.legacy_id(line["id"]) if line.get("id") else str(number),
            "sku": (line.get("sku") or "").strip(),
            "quantity": quantity,
            "amount": rate * quantity,
            "tax": Decimal(0),  # Shopify's tax travels as one line of the tax item
            "description": line.get("title") or "",
        },
        parts,
    ):
        if part["sku"] not in item_ids:
            raise MappingError(
                f"SKU {part['sku']}, a component of bundle {line.get('sku')} on line {number}, "
                "is not an item in NetSuite: create it or map it, then Retry."
            )
        out.append(
            {
                "key": part["key"],
                "item_internal_id": item_ids[part["sku"]],
                "quantity": int(part["quantity"]),
                "rate": None,
                "amount": Decimal(part["amount"]),
                "description": part["description"],
            }
        )
    return out


def _lines(order: dict) -> list[dict]:
    return list((order.get("lineItems") or {}).get("nodes") or [])


def has_more_lines(order: dict) -> bool:
    return bool(((order.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"))
