"""Store records shaped as Admin GraphQL objects: plain dicts whose keys are field names.

A value that takes arguments (connections, `first:` lists) is a callable; the executor's field
resolver calls it with the field's arguments. Everything is built lazily, so a query pays only
for what it selects.
"""

from __future__ import annotations

import base64
import heapq
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from sandbox.shopify import fulfilment, payments, price_lists, products
from sandbox.shopify.store import (
    Shop,
    Store,
    gid,
    line_net,
    money,
)

MAX_PAGE_SIZE = 250


class OrderCurrency(str):
    """The shop currency of an order, carrying the customer's (presentment) currency and the
    order's exchange rate when they differ: `bag` then shows both, as Shopify does."""

    presentment: str = ""
    rate: Decimal = Decimal(1)


def order_currency(order: dict) -> str:
    presentment = order.get("presentment_currency")
    if not presentment or presentment == order["currency"]:
        return order["currency"]
    currency = OrderCurrency(order["currency"])
    currency.presentment = presentment
    currency.rate = Decimal(str(order.get("exchange_rate") or 1))
    return currency


def bag(amount: Any, currency: str) -> dict:
    value = {"amount": str(money(amount)), "currencyCode": str(currency)}
    presentment = getattr(currency, "presentment", "")
    if not presentment:
        return {"shopMoney": value, "presentmentMoney": dict(value)}
    converted = (money(amount) * currency.rate).quantize(Decimal("0.01"))
    return {
        "shopMoney": value,
        "presentmentMoney": {"amount": str(converted), "currencyCode": presentment},
    }


def _cursor(key: Any) -> str:
    return base64.b64encode(json.dumps(key).encode()).decode()


def _uncursor(cursor: str) -> Any:
    try:
        return _freeze(json.loads(base64.b64decode(cursor)))
    except (ValueError, TypeError) as exc:
        raise GraphQLError("Invalid cursor for current pagination sort.") from exc


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def connection(
    entries: Iterable[tuple[Any, Callable[[], dict]]],
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    **_ignored: Any,
) -> dict:
    """entries: (sort key, node factory). Cursors encode the sort key, as Shopify's do."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    if (first or 0) > MAX_PAGE_SIZE or (last or 0) > MAX_PAGE_SIZE:
        raise GraphQLError(f"The maximum number of records per page is {MAX_PAGE_SIZE}.")
    frozen = ((_freeze(k), f) for k, f in entries)
    if after:
        mark = _uncursor(after)
        frozen = (e for e in frozen if (e[0] < mark if reverse else e[0] > mark))
    if first is not None and last is None and not before:
        # One page of a large store: the first+1 entries, not a sort of every record (the
        # sandbox answers a page in time independent of where it is in the list).
        pick = heapq.nlargest if reverse else heapq.nsmallest
        ordered = pick(first + 1, frozen, key=lambda e: e[0])
    else:
        ordered = sorted(frozen, key=lambda e: e[0], reverse=reverse)
    if before:
        mark = _uncursor(before)
        ordered = [e for e in ordered if (e[0] > mark if reverse else e[0] < mark)]
    has_next = has_previous = False
    if first is not None:
        has_next = len(ordered) > first
        ordered = ordered[:first]
    if last is not None:
        has_previous = len(ordered) > last
        ordered = ordered[-last:] if last else []
    edges = [{"cursor": _cursor(k), "node": f()} for k, f in ordered]
    return {
        "edges": edges,
        "nodes": [e["node"] for e in edges],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous or bool(after),
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _order_rate(order: dict):
    rates = {li.get("tax_rate") for li in order["line_items"] if money(li.get("tax")) > 0}
    return next(iter(rates)) if len(rates) == 1 else None


def _limited(items: list, first: int | None = None, **_ignored: Any) -> list:
    return items[:first] if first is not None else items


class Presenter:
    def __init__(self, store: Store, shop: Shop) -> None:
        self.store = store
        self.shop = shop

    def shop_node(self) -> dict:
        shop = self.shop
        return {
            "__typename": "Shop",
            "id": gid("Shop", shop.shop_id),
            "name": shop.name,
            "myshopifyDomain": shop.domain,
            "email": f"owner@{shop.domain}",
            "currencyCode": shop.currency,
            "plan": payments.plan_node(shop),
        }

    def customer(self, customer_id: int | None) -> dict | None:
        record = self.shop.customers.get(customer_id) if customer_id else None
        if record is None:
            return None
        display = f"{record['first_name']} {record['last_name']}".strip() or record["email"]
        return {
            "__typename": "Customer",
            "id": gid("Customer", record["id"]),
            "email": record["email"],
            "firstName": record["first_name"],
            "lastName": record["last_name"],
            "displayName": display,
        }

    def company(self, record: dict) -> dict:
        def location(loc: dict) -> dict:
            return {
                "__typename": "CompanyLocation",
                "id": gid("CompanyLocation", loc["id"]),
                "name": loc["name"],
                "externalId": loc.get("external_id"),
                "updatedAt": loc.get("updated_at"),
                "shippingAddress": company_address(loc.get("shipping_address")),
                "billingAddress": company_address(loc.get("billing_address")),
            }

        def company_address(address: dict | None) -> dict | None:
            if not address:
                return None
            return {
                "__typename": "CompanyAddress",
                "id": gid("CompanyAddress", address["id"]),
                "companyName": address.get("company_name") or record["name"],
                "recipient": address.get("recipient"),
                "address1": address.get("address1") or "",
                "address2": address.get("address2"),
                "city": address.get("city"),
                "zip": address.get("zip"),
                "countryCode": address.get("country_code") or "US",
                "zoneCode": address.get("zone_code"),
                "phone": address.get("phone"),
            }

        def contact(c: dict) -> dict:
            return {
                "__typename": "CompanyContact",
                "id": gid("CompanyContact", c["id"]),
                "isMainContact": c["is_main"],
                "customer": self.customer(c["customer_id"]),
            }

        main = next((c for c in record["contacts"] if c["is_main"]), None)
        return {
            "__typename": "Company",
            "id": gid("Company", record["id"]),
            "name": record["name"],
            "externalId": record.get("external_id"),
            "updatedAt": record.get("updated_at"),
            "mainContact": contact(main) if main else None,
            "locations": lambda **kw: connection(
                ((loc["id"], lambda loc=loc: location(loc)) for loc in record["locations"]), **kw
            ),
            "contacts": lambda **kw: connection(
                ((c["id"], lambda c=c: contact(c)) for c in record["contacts"]), **kw
            ),
            "_location": location,
            "_contact": contact,
        }

    def purchasing_entity(self, order: dict) -> dict | None:
        link = order.get("company")
        if not link:
            return self.customer(order["customer_id"])
        company = self.shop.companies[link["company_id"]]
        node = self.company(company)
        location = next(x for x in company["locations"] if x["id"] == link["location_id"])
        contact = next((c for c in company["contacts"] if c["id"] == link["contact_id"]), None)
        return {
            "__typename": "PurchasingCompany",
            "company": node,
            "location": node["_location"](location),
            "contact": node["_contact"](contact) if contact else None,
        }

    def variant(self, variant_id: int | None) -> dict | None:
        record = self.shop.variants.get(variant_id) if variant_id else None
        return self.product_variant(record) if record else None

    def product_variant(self, record: dict) -> dict:
        """A ProductVariant: price as a decimal string, compareAtPrice null when absent,
        its product and inventory item (SKU, weight) built only when selected."""
        product = self.shop.products.get(record.get("product_id"))
        title = products.variant_title(record)
        weight = record.get("weight")
        item_id = record["inventory_item_id"]

        def selected_options() -> list[dict]:
            out = []
            for option in record.get("options") or []:
                value_id = None
                for product_option in (product or {}).get("options", []):
                    if product_option["name"] == option["name"]:
                        value_id = next(
                            (
                                v["id"]
                                for v in product_option["values"]
                                if v["name"] == option["value"]
                            ),
                            None,
                        )
                out.append(
                    {
                        "name": option["name"],
                        "value": option["value"],
                        "optionValue": {
                            "__typename": "ProductOptionValue",
                            "id": gid("ProductOptionValue", value_id or 0),
                            "name": option["value"],
                            "hasVariants": True,
                            "linkedMetafieldValue": None,
                        },
                    }
                )
            return out

        def quantity() -> int:
            return sum(
                level["available"]
                for key, level in self.shop.levels.items()
                if key.startswith(f"{item_id}:")
            )

        def inventory_item() -> dict:
            # The inventory module's item (levels, quantities), with what a variant adds.
            from sandbox.shopify import inventory

            node = inventory.item_node(self.store, self.shop, record)
            node.update(
                {
                    "requiresShipping": True,
                    "createdAt": record.get("created_at"),
                    "updatedAt": record.get("updated_at"),
                    "measurement": {
                        "__typename": "InventoryItemMeasurement",
                        "id": gid("InventoryItemMeasurement", item_id),
                        "weight": {"value": weight["value"], "unit": weight["unit"]}
                        if weight
                        else None,
                    },
                    "variant": lambda: self.product_variant(record),
                }
            )
            return node

        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", record["id"]),
            "legacyResourceId": str(record["id"]),
            "sku": record["sku"],
            "title": title,
            "displayName": f"{product['title'] if product else record['title']} - {title}",
            "price": record["price"],
            "compareAtPrice": record.get("compare_at_price"),
            "barcode": record.get("barcode"),
            "position": products.position(self.shop, record),
            "taxable": record.get("taxable", True),
            "inventoryPolicy": record.get("inventory_policy", "DENY"),
            "availableForSale": product is None or product["status"] == "ACTIVE",
            "createdAt": record.get("created_at"),
            "updatedAt": record.get("updated_at"),
            "selectedOptions": selected_options,
            "inventoryQuantity": quantity,
            "inventoryItem": inventory_item,
            "product": (lambda: self.product(product)) if product else None,
        }

    def product(self, record: dict) -> dict:
        variants = products.variants_of(self.shop, record)

        def options(first: int | None = None, **_kw) -> list[dict]:
            used = {(o["name"], o["value"]) for v in variants for o in v.get("options") or []}
            out = [
                {
                    "__typename": "ProductOption",
                    "id": gid("ProductOption", option["id"]),
                    "name": option["name"],
                    "position": index + 1,
                    "values": [v["name"] for v in option["values"]],
                    "optionValues": [
                        {
                            "__typename": "ProductOptionValue",
                            "id": gid("ProductOptionValue", v["id"]),
                            "name": v["name"],
                            "hasVariants": (option["name"], v["name"]) in used,
                            "linkedMetafieldValue": None,
                        }
                        for v in option["values"]
                    ],
                    "linkedMetafield": None,
                }
                for index, option in enumerate(record["options"])
            ]
            return out[:first] if first is not None else out

        def variant_connection(**kw) -> dict:
            kw.pop("sortKey", None)
            return connection(
                ((index, lambda v=v: self.product_variant(v)) for index, v in enumerate(variants)),
                **kw,
            )

        plain = re.sub(r"<[^>]+>", "", record.get("description_html") or "")
        return {
            "__typename": "Product",
            "id": gid("Product", record["id"]),
            "legacyResourceId": str(record["id"]),
            "title": record["title"],
            "handle": record["handle"],
            "status": record["status"],
            "descriptionHtml": record.get("description_html") or "",
            "description": lambda truncateAt=None: plain[:truncateAt] if truncateAt else plain,
            "vendor": record.get("vendor") or "",
            "productType": record.get("product_type") or "",
            "tags": list(record.get("tags") or []),
            "createdAt": record["created_at"],
            "updatedAt": record["updated_at"],
            "options": options,
            "variants": variant_connection,
            "variantsCount": {"count": len(variants), "precision": "EXACT"},
            "hasOnlyDefaultVariant": products.has_only_default_variant(self.shop, record),
            "tracksInventory": True,
            "totalInventory": lambda: sum(
                level["available"]
                for v in variants
                for key, level in self.shop.levels.items()
                if key.startswith(f"{v['inventory_item_id']}:")
            ),
        }

    def money_v2(self, amount: Any, currency: str) -> dict:
        return {"amount": str(money(amount)), "currencyCode": currency}

    def price_list(self, record: dict) -> dict:
        currency = record["currency"]

        def prices(originType: str | None = None, query: str | None = None, **kw) -> dict:
            if query:
                raise GraphQLError(
                    "The sandbox does not simulate price list price searches.",
                    extensions={"code": "NOT_SIMULATED"},
                )
            entries = []
            for variant_id, variant in sorted(self.shop.variants.items()):
                fixed = record["prices"].get(str(variant_id))
                if originType == "FIXED" and not fixed:
                    continue
                if originType == "RELATIVE" and fixed:
                    continue
                entries.append((variant_id, lambda v=variant: self.price_list_price(record, v)))
            return connection(entries, **kw)

        return {
            "__typename": "PriceList",
            "id": gid("PriceList", record["id"]),
            "name": record["name"],
            "currency": currency,
            "fixedPricesCount": len(record["prices"]),
            "parent": {
                "adjustment": {
                    "type": record["adjustment"]["type"],
                    "value": record["adjustment"]["value"],
                },
                "settings": {"compareAtMode": "ADJUSTED"},
            },
            "prices": prices,
            "catalog": lambda: self.catalog(record),
        }

    def price_list_price(self, price_list: dict, variant: dict) -> dict:
        """The variant's price on the list: its fixed price, else the parent adjustment's."""
        currency = price_list["currency"]
        fixed = price_list["prices"].get(str(variant["id"]))
        if fixed:
            price, compare = fixed["price"], fixed.get("compare_at_price")
        else:
            price, compare = price_lists.relative_price(price_list, variant), None
        return {
            "__typename": "PriceListPrice",
            "originType": "FIXED" if fixed else "RELATIVE",
            "price": self.money_v2(price, currency),
            "compareAtPrice": self.money_v2(compare, currency) if compare else None,
            "variant": self.product_variant(variant),
        }

    def catalog(self, price_list: dict) -> dict:
        catalog = price_list["catalog"]

        def company_locations(**kw) -> dict:
            kw.pop("sortKey", None)
            kw.pop("query", None)
            found = []
            for company in self.shop.companies.values():
                node = self.company(company)
                for loc in company["locations"]:
                    if loc["id"] in catalog["company_location_ids"]:
                        found.append((loc["id"], lambda n=node, loc=loc: n["_location"](loc)))
            return connection(found, **kw)

        return {
            "__typename": "CompanyLocationCatalog",
            "id": gid("CompanyLocationCatalog", catalog["id"]),
            "title": catalog["title"],
            "status": catalog["status"],
            "priceList": lambda: self.price_list(price_list),
            "publication": None,
            "operations": [],
            "companyLocations": company_locations,
            "companyLocationsCount": {
                "count": len(catalog["company_location_ids"]),
                "precision": "EXACT",
            },
        }

    def bulk_operation(self, record: dict) -> dict:
        return {
            "__typename": "BulkOperation",
            "id": gid("BulkOperation", record["id"]),
            "type": record["type"],
            "status": record["status"],
            "errorCode": record.get("error_code"),
            "createdAt": record["created_at"],
            "completedAt": record.get("completed_at"),
            "objectCount": str(record.get("object_count", 0)),
            "rootObjectCount": str(record.get("root_object_count", 0)),
            "fileSize": str(record["file_size"]) if record.get("file_size") is not None else None,
            "url": record.get("url"),
            "partialDataUrl": record.get("partial_data_url"),
            "query": record["query"],
        }

    def staged_target(self, record: dict) -> dict:
        return {
            "__typename": "StagedMediaUploadTarget",
            "url": record["url"],
            "resourceUrl": record["resource_url"],
            "parameters": [
                {"__typename": "StagedUploadParameter", "name": name, "value": value}
                for name, value in record["parameters"]
            ],
        }

    def tax_lines(self, currency: str, amount, rate, title: str = "Tax") -> list[dict]:
        if money(amount) == 0 and rate is None:
            return []
        rate_value = None if rate is None else float(rate)
        return [
            {
                "title": title,
                "priceSet": bag(amount, currency),
                "price": str(money(amount)),
                "rate": rate_value,
                "ratePercentage": None if rate_value is None else round(rate_value * 100, 4),
                "source": "Shopify",
                "channelLiable": False,
            }
        ]

    def shipping_line(self, order: dict, record: dict) -> dict:
        currency = order_currency(order)
        refunded = sum(
            (
                money(r["subtotal"])
                for refund in order["refunds"]
                for r in refund.get("shipping_lines", [])
                if r["shipping_line_id"] == record["id"]
            ),
            money(0),
        )
        return {
            "__typename": "ShippingLine",
            "id": gid("ShippingLine", record["id"]),
            "title": record["title"],
            "code": record["code"],
            "source": "shopify",
            "custom": False,
            "isRemoved": False,
            "carrierIdentifier": None,
            "deliveryCategory": None,
            "phone": None,
            "shippingRateHandle": None,
            "price": record["price"],
            "originalPriceSet": bag(record["price"], currency),
            "discountedPriceSet": bag(record["price"], currency),
            "currentDiscountedPriceSet": bag(money(record["price"]) - refunded, currency),
            "discountAllocations": [],
            "taxLines": self.tax_lines(currency, record["tax"], record.get("tax_rate")),
        }

    def line_item(self, order: dict, line: dict) -> dict:
        currency = order_currency(order)
        quantity = line["quantity"]
        original_total = money(line["price"]) * quantity
        line_discount = money(line.get("discount"))
        discounted_total = original_total - line_discount
        after_all = line_net(line)
        unit = (discounted_total / quantity) if quantity else money(0)
        unit_after_all = (after_all / quantity) if quantity else money(0)
        unfulfilled = max(0, line["current_quantity"] - line["fulfilled"])
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", line["id"]),
            "name": line["title"],
            "title": line["title"],
            "sku": line["sku"],
            "quantity": line["quantity"],
            "currentQuantity": line["current_quantity"],
            "refundableQuantity": line["quantity"] - line["refunded"],
            "unfulfilledQuantity": max(0, line["current_quantity"] - line["fulfilled"]),
            "originalUnitPriceSet": bag(line["price"], currency),
            "originalTotalSet": bag(original_total, currency),
            "discountedUnitPriceSet": bag(unit, currency),
            "discountedTotalSet": bag(discounted_total, currency),
            "discountedUnitPriceAfterAllDiscountsSet": bag(unit_after_all, currency),
            "priceAfterAllDiscountsBeforeTaxesSet": bag(after_all, currency),
            "totalDiscountSet": bag(line_discount, currency),
            "unfulfilledDiscountedTotalSet": bag(unit * unfulfilled, currency),
            "unfulfilledOriginalTotalSet": bag(money(line["price"]) * unfulfilled, currency),
            "discountAllocations": [],
            "taxable": money(line.get("tax")) > 0,
            # Tax for the whole quantity, refunded and removed units included (as Shopify's).
            "taxLines": lambda first=None, **_kw: _limited(
                self.tax_lines(currency, line.get("tax") or "0", line.get("tax_rate")), first
            ),
            "variant": self.variant(line["variant_id"]),
            "lineItemGroup": self.line_item_group(line.get("group")),
        }

    def line_item_group(self, group: dict | None) -> dict | None:
        """The bundle a component line belongs to (null on other lines). The sandbox has no
        bundle's product is its variant's (null without a bundle SKU)."""
        if group is None:
            return None
        variant_id = group["variant_id"]
        return {
            "__typename": "LineItemGroup",
            "id": gid("LineItemGroup", group["id"]),
            "title": group["title"],
            "quantity": group["quantity"],
            "variantId": gid("ProductVariant", variant_id) if variant_id else None,
            "variantSku": group["sku"],
            "productId": self._product_gid(variant_id),
            "customAttributes": [],
        }

    def _product_gid(self, variant_id: int | None) -> str | None:
        variant = self.shop.variants.get(variant_id) if variant_id else None
        product_id = variant.get("product_id") if variant else None
        return gid("Product", product_id) if product_id else None

    def transaction(self, order: dict, record: dict) -> dict:
        parent = next(
            (t for t in order["transactions"] if t["id"] == record.get("parent_id")), None
        )
        return {
            "__typename": "OrderTransaction",
            "id": gid("OrderTransaction", record["id"]),
            "kind": record["kind"],
            "status": record["status"],
            "gateway": record["gateway"],
            "processedAt": record["processed_at"],
            "amountSet": bag(record["amount"], order_currency(order)),
            "parentTransaction": self.transaction(order, parent) if parent else None,
        }

    def _restock_location(self, location_id) -> dict | None:
        """RefundLineItem.location: where a restocked line went back (None: not restocked)."""
        location = self.shop.locations.get(location_id) if location_id else None
        if location is None:
            return None
        return {
            "__typename": "Location",
            "id": gid("Location", location["id"]),
            "name": location["name"],
        }

    def refund(self, order: dict, record: dict) -> dict:
        lines = {li["id"]: li for li in order["line_items"]}
        ship_lines = {sl["id"]: sl for sl in order.get("shipping_lines", [])}
        currency = order_currency(order)

        def refund_line(r: dict) -> dict:
            line = lines[r["line_item_id"]]
            unit = money(r["subtotal"]) / r["quantity"] if r["quantity"] else money(0)
            return {
                "id": gid("RefundLineItem", r["id"]),
                "quantity": r["quantity"],
                "restockType": r["restock_type"],
                "restocked": r["restock_type"] != "NO_RESTOCK",
                "price": str(money(unit)),
                "priceSet": bag(unit, currency),
                "subtotal": r["subtotal"],
                "subtotalSet": bag(r["subtotal"], currency),
                "totalTax": str(money(r.get("tax"))),
                "totalTaxSet": bag(r.get("tax") or "0", currency),
                "lineItem": self.line_item(order, line),
                "location": self._restock_location(r.get("location_id")),
            }

        def refund_shipping_line(r: dict) -> dict:
            return {
                "id": gid("RefundShippingLine", r["id"]),
                "shippingLine": self.shipping_line(order, ship_lines[r["shipping_line_id"]]),
                "subtotalAmountSet": bag(r["subtotal"], currency),
                "taxAmountSet": bag(r["tax"], currency),
            }

        def adjustment(a: dict) -> dict:
            return {
                "id": gid("OrderAdjustment", a["id"]),
                "amountSet": bag(a["amount"], currency),
                "taxAmountSet": bag(a["tax"], currency),
                "reason": a["reason"],
            }

        transactions = [t for t in order["transactions"] if t["id"] in record["transaction_ids"]]
        return {
            "__typename": "Refund",
            "id": gid("Refund", record["id"]),
            "legacyResourceId": str(record["id"]),
            "createdAt": record["created_at"],
            "processedAt": record["created_at"],
            "updatedAt": record["created_at"],
            "note": record["note"],
            "totalRefunded": {"amount": str(money(record["total"])), "currencyCode": currency},
            "totalRefundedSet": bag(record["total"], currency),
            "duties": [],
            "return": None,
            "staffMember": None,
            "refundLineItems": lambda **kw: connection(
                ((r["id"], lambda r=r: refund_line(r)) for r in record["line_items"]), **kw
            ),
            "refundShippingLines": lambda **kw: connection(
                (
                    (r["id"], lambda r=r: refund_shipping_line(r))
                    for r in record.get("shipping_lines", [])
                ),
                **kw,
            ),
            "orderAdjustments": lambda **kw: connection(
                ((a["id"], lambda a=a: adjustment(a)) for a in record.get("adjustments", [])),
                **kw,
            ),
            "transactions": lambda **kw: connection(
                ((t["id"], lambda t=t: self.transaction(order, t)) for t in transactions), **kw
            ),
        }

    def fulfillment_order(self, order: dict, record: dict) -> dict:
        lines = {li["id"]: li for li in order["line_items"]}

        def fo_line(r: dict) -> dict:
            line = lines[r["line_item_id"]]
            return {
                "id": gid("FulfillmentOrderLineItem", r["id"]),
                "sku": line["sku"],
                "totalQuantity": r["total"],
                "remainingQuantity": r["remaining"],
                "lineItem": self.line_item(order, line),
            }

        location = self.shop.locations.get(record["location_id"])
        return {
            "__typename": "FulfillmentOrder",
            "id": gid("FulfillmentOrder", record["id"]),
            "status": record["status"],
            "fulfillmentHolds": fulfilment.present_holds(gid, record),
            "assignedLocation": {
                "name": location["name"] if location else "",
                "location": {"id": gid("Location", location["id"]), "name": location["name"]}
                if location
                else None,
            },
            "lineItems": lambda **kw: connection(
                ((r["id"], lambda r=r: fo_line(r)) for r in record["line_items"]), **kw
            ),
        }

    def fulfillment(self, record: dict) -> dict:
        order = fulfilment.order_of(self.shop, record)
        return {
            "__typename": "Fulfillment",
            "id": gid("Fulfillment", record["id"]),
            "legacyResourceId": str(record["id"]),
            # Fulfilments made before the sandbox kept their times carry the order's.
            "createdAt": record.get("created_at") or (order or {}).get("updated_at"),
            "updatedAt": record.get("updated_at")
            or record.get("created_at")
            or (order or {}).get("updated_at"),
            "fulfillmentLineItems": lambda **kw: connection(
                fulfilment.present_line_items(order, record, self.line_item) if order else [],
                **kw,
            ),
            "status": record["status"],
            "trackingInfo": lambda **kw: [
                {"number": t.get("number"), "url": t.get("url"), "company": t.get("company")}
                for t in _limited(record["tracking"], **kw)
            ],
        }

    def order(self, order: dict) -> dict:
        store, currency = self.store, order_currency(order)
        totals = store.totals(order)
        return {
            "__typename": "Order",
            "id": gid("Order", order["id"]),
            "legacyResourceId": str(order["id"]),
            "name": order["name"],
            "email": order["email"],
            "createdAt": order["created_at"],
            "updatedAt": order["updated_at"],
            "cancelledAt": order["cancelled_at"],
            "cancelReason": order["cancel_reason"],
            "closed": order["closed"],
            "test": False,
            "currencyCode": currency,
            "displayFinancialStatus": store.financial_status(order),
            "displayFulfillmentStatus": store.fulfillment_status(order),
            "taxesIncluded": order.get("taxes_included", False),
            "subtotalPriceSet": bag(totals["subtotal"], currency),
            "currentSubtotalPriceSet": bag(totals["current_subtotal"], currency),
            "totalTaxSet": bag(totals["tax"], currency),
            "currentTotalTaxSet": bag(totals["current_tax"], currency),
            "taxLines": lambda first=None, **_kw: _limited(
                self.tax_lines(currency, totals["tax"], _order_rate(order)), first
            ),
            "currentTaxLines": lambda first=None, **_kw: _limited(
                self.tax_lines(currency, totals["current_tax"], _order_rate(order)), first
            ),
            "totalShippingPriceSet": bag(totals["shipping"], currency),
            "currentShippingPriceSet": bag(totals["current_shipping"], currency),
            "totalRefundedShippingSet": bag(totals["refunded_shipping"], currency),
            "shippingLine": self.shipping_line(order, order["shipping_lines"][0])
            if order.get("shipping_lines")
            else None,
            "shippingLines": lambda **kw: connection(
                (
                    (sl["id"], lambda sl=sl: self.shipping_line(order, sl))
                    for sl in order.get("shipping_lines", [])
                ),
                **{k: v for k, v in kw.items() if k != "includeRemovals"},
            ),
            "totalDiscountsSet": bag(
                totals["discount"]
                + sum((money(li.get("discount")) for li in order["line_items"]), money(0)),
                currency,
            ),
            "cartDiscountAmountSet": bag(totals["discount"], currency),
            "totalPriceSet": bag(totals["total"], currency),
            "originalTotalPriceSet": bag(totals["total"], currency),
            "currentTotalPriceSet": bag(totals["current_total"], currency),
            "currentTotalDiscountsSet": bag(totals["current_discount"], currency),
            "edited": bool(order.get("edited")),
            "totalOutstandingSet": bag(totals["outstanding"], currency),
            "refundDiscrepancySet": bag(totals["discrepancy"], currency),
            "totalReceivedSet": bag(totals["received"], currency),
            "totalRefundedSet": bag(totals["refunded"], currency),
            "netPaymentSet": bag(totals["net"], currency),
            "customer": self.customer(order["customer_id"]),
            "shippingAddress": dict(order["shipping_address"])
            if order.get("shipping_address")
            else None,
            "purchasingEntity": self.purchasing_entity(order),
            "lineItems": lambda **kw: connection(
                ((li["id"], lambda li=li: self.line_item(order, li)) for li in order["line_items"]),
                **kw,
            ),
            "transactions": lambda **kw: [
                self.transaction(order, t) for t in _limited(order["transactions"], **kw)
            ],
            "refunds": lambda **kw: [
                self.refund(order, r) for r in _limited(order["refunds"], **kw)
            ],
            "fulfillmentOrders": lambda **kw: connection(
                (
                    (fo["id"], lambda fo=fo: self.fulfillment_order(order, fo))
                    for fo in order["fulfillment_orders"]
                ),
                **kw,
            ),
            "fulfillments": lambda **kw: [
                self.fulfillment(f) for f in _limited(order["fulfillments"], **kw)
            ],
        }

    def calculated_order(self, calc: dict) -> dict:
        order = self.shop.orders[calc["order_id"]]

        def calc_line(line_id: int, sku: str, quantity: int) -> dict:
            return {
                "__typename": "CalculatedLineItem",
                "id": gid("CalculatedLineItem", line_id),
                "sku": sku,
                "quantity": quantity,
            }

        lines = [
            calc_line(
                li["id"], li["sku"], calc["changes"].get(str(li["id"]), li["current_quantity"])
            )
            for li in order["line_items"]
        ]
        added = [
            calc_line(a["id"], self.shop.variants[a["variant_id"]]["sku"], a["quantity"])
            for a in calc["added"]
        ]
        return {
            "__typename": "CalculatedOrder",
            "id": gid("CalculatedOrder", calc["id"]),
            "originalOrder": self.order(order),
            "lineItems": lambda **kw: connection(
                ((i, lambda n=n: n) for i, n in enumerate(lines + added)), **kw
            ),
            "addedLineItems": lambda **kw: connection(
                ((i, lambda n=n: n) for i, n in enumerate(added)), **kw
            ),
            "_lines": {n["id"]: n for n in lines + added},
        }
