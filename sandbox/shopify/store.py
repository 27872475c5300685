"""The sandbox store's data and Shopify's business rules over it.

Records are plain JSON-able dicts (money as decimal strings) so the whole state can be saved
to a file and read back. Every public method expects the caller to hold `Store.lock`; the
HTTP server takes it once per request, which makes each request atomic like a database
transaction would.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    return Decimal(str(value or "0")).quantize(CENT)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=100_000)
def parse_time(text: str) -> datetime:
    # Cached: an order search compares every order's timestamp on every page.
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def gid_number(value: str | int | None, kind: str | None = None) -> int | None:
    """The numeric id in a gid (or a bare number); None when it names another kind."""
    if value is None:
        return None
    text = str(value)
    if text.isdigit():
        return int(text)
    match = re.fullmatch(r"gid://shopify/(\w+)/(\d+)", text)
    if not match or (kind and match.group(1) != kind):
        return None
    return int(match.group(2))


class SandboxError(Exception):
    """A control-API request that cannot be served (unknown shop or order, bad input)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def user_error(message: str, field: list[str] | None = None, code: str | None = None) -> dict:
    error: dict[str, Any] = {"field": field, "message": message}
    if code:
        error["code"] = code
    return error


class Shop:
    def __init__(self, domain: str, access_token: str, webhook_secret: str, **extra: Any) -> None:
        self.domain = domain
        self.access_token = access_token
        self.webhook_secret = webhook_secret
        self.name = extra.get("name") or domain.split(".")[0].replace("-", " ").title()
        self.currency = extra.get("currency", "USD")
        # Shop setting "All prices include tax": line prices and shipping include their tax.
        self.taxes_included = bool(extra.get("taxes_included", False))
        self.shop_id = extra.get("shop_id", 1)
        # The shop's plan (sandbox/shopify/payments.py): partial manual payments need "plus".
        self.plan = extra.get("plan", "plus")
        # Shopify Payments payouts with their balance transactions (payments.py).
        self.payouts: list[dict] = extra.get("payouts", [])
        self.next_order_number = extra.get("next_order_number", 1001)
        self.orders: dict[int, dict] = {int(k): v for k, v in extra.get("orders", {}).items()}
        self.variants: dict[int, dict] = {int(k): v for k, v in extra.get("variants", {}).items()}
        self.locations: dict[int, dict] = {int(k): v for k, v in extra.get("locations", {}).items()}
        # "<item id>:<location id>" -> {"available": n, "on_hand": n}
        self.levels: dict[str, dict] = extra.get("levels", {})
        self.customers: dict[int, dict] = {int(k): v for k, v in extra.get("customers", {}).items()}
        self.companies: dict[int, dict] = {int(k): v for k, v in extra.get("companies", {}).items()}
        self.webhooks: dict[int, dict] = {int(k): v for k, v in extra.get("webhooks", {}).items()}
        self.calculated_orders: dict[int, dict] = {
            int(k): v for k, v in extra.get("calculated_orders", {}).items()
        }
        self.idempotency: dict[str, dict] = extra.get("idempotency", {})
        self.mutation_log: list[dict] = extra.get("mutation_log", [])
        # Products (products.py), B2B price lists with their catalogs (price_lists.py),
        # staged uploads and bulk operations (bulk.py).
        self.products: dict[int, dict] = {int(k): v for k, v in extra.get("products", {}).items()}
        self.price_lists: dict[int, dict] = {
            int(k): v for k, v in extra.get("price_lists", {}).items()
        }
        self.staged_uploads: dict[str, dict] = extra.get("staged_uploads", {})
        self.bulk_operations: dict[int, dict] = {
            int(k): v for k, v in extra.get("bulk_operations", {}).items()
        }

    def to_dict(self) -> dict:
        # Attributes starting with "_" are indexes rebuilt on demand, not state.
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class Store:
    def __init__(self, state_path: str | Path | None = None, clock=None) -> None:
        self.lock = threading.RLock()
        self.state_path = Path(state_path) if state_path else None
        self._clock = clock or (lambda: datetime.now(UTC))
        self.shops: dict[str, Shop] = {}
        self.default_domain: str | None = None
        self._next_id = 1
        self._files_dir: Path | None = None
        # The running server's address (set by ShopifySandbox.start): upload targets and
        # bulk result URLs point at it.
        self.base_url = ""
        if self.state_path and self.state_path.exists():
            self._load()

    # -- persistence --------------------------------------------------------------------

    def _load(self) -> None:
        raw = json.loads(self.state_path.read_text(encoding="utf-8"))
        self._next_id = raw["next_id"]
        self.default_domain = raw["default_domain"]
        self.shops = {d: Shop(**s) for d, s in raw["shops"].items()}
        from sandbox.shopify.products import adopt_bare_variants

        for shop in self.shops.values():
            adopt_bare_variants(self, shop)

    def save(self) -> None:
        if not self.state_path:
            return
        raw = {
            "next_id": self._next_id,
            "default_domain": self.default_domain,
            "shops": {d: s.to_dict() for d, s in self.shops.items()},
        }
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(raw), encoding="utf-8")
        tmp.replace(self.state_path)

    def reset(self) -> None:
        self.shops.clear()
        self.default_domain = None
        self._next_id = 1
        if self._files_dir is not None and self._files_dir.exists():
            shutil.rmtree(self._files_dir, ignore_errors=True)

    def files_dir(self) -> Path:
        """Where staged uploads and bulk results live: beside the state file when there is
        one (they survive a restart with it), else a temporary folder."""
        if self._files_dir is None:
            if self.state_path:
                self._files_dir = self.state_path.with_name(self.state_path.name + ".files")
            else:
                self._files_dir = Path(tempfile.mkdtemp(prefix="shopify-sandbox-"))
        self._files_dir.mkdir(parents=True, exist_ok=True)
        return self._files_dir

    # -- ids and time ---------------------------------------------------------------------

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def now(self) -> str:
        return iso(self._clock())

    # -- shops and catalogue --------------------------------------------------------------

    def add_shop(
        self, domain: str, access_token: str, webhook_secret: str, default: bool = False, **kw
    ) -> Shop:
        shop = Shop(domain, access_token, webhook_secret, shop_id=self.new_id(), **kw)
        self.shops[domain] = shop
        if default or self.default_domain is None:
            self.default_domain = domain
        location_id = self.new_id()
        shop.locations[location_id] = {"id": location_id, "name": "Main warehouse"}
        return shop

    def shop(self, domain: str | None) -> Shop:
        shop = self.shops.get(domain or self.default_domain or "")
        if shop is None:
            raise SandboxError(f"No shop {domain!r} in the sandbox", status=404)
        return shop

    def default_location(self, shop: Shop) -> int:
        return next(iter(shop.locations))

    def variant_for_sku(self, shop: Shop, sku: str, price: Any = None, title: str | None = None):
        """The variant with this SKU, else a new one-variant product ("Default Title") with
        100 units at every location."""
        for variant in shop.variants.values():
            if variant["sku"] == sku:
                return variant
        from sandbox.shopify.products import DEFAULT_OPTION, DEFAULT_VALUE, new_product, new_variant

        product = new_product(
            self, shop, title or sku, options=[{"name": DEFAULT_OPTION, "values": [DEFAULT_VALUE]}]
        )
        return new_variant(
            self,
            shop,
            product,
            sku=sku,
            price=price or "10.00",
            title=title or sku,
            stock={location_id: 100 for location_id in shop.locations},
        )

    def _line_item_group(
        self, shop: Shop, groups: dict[str, dict], spec: Any, line_quantity: int
    ) -> dict | None:
        """A bundle on an order: Shopify sells it as its component lines, each pointing at one
        `LineItemGroup` (the bundle's title, variant and quantity). Lines given the same group
        share it. A component's quantity is a whole multiple of the bundle's, as on Shopify."""
        if spec is None:
            return None
        if not isinstance(spec, dict) or not str(spec.get("title") or "").strip():
            raise SandboxError("A line's group needs a title")
        try:
            quantity = int(spec.get("quantity", 1))
        except (TypeError, ValueError):
            raise SandboxError("A line's group quantity must be a whole number") from None
        if quantity < 1:
            raise SandboxError("A line's group quantity must be at least 1")
        if line_quantity % quantity:
            raise SandboxError(
                f"A component line's quantity ({line_quantity}) must be a multiple of its "
                f"group's ({quantity})"
            )
        sku = spec.get("sku") or None
        key = json.dumps([spec["title"], sku, quantity, spec.get("key")])
        if key not in groups:
            variant = None
            if sku:
                variant = self.variant_for_sku(shop, sku, spec.get("price"), spec["title"])
            groups[key] = {
                "id": self.new_id(),
                "title": spec["title"],
                "quantity": quantity,
                "variant_id": variant["id"] if variant else None,
                "sku": sku,
            }
        return dict(groups[key])

    def add_customer(self, shop: Shop, email: str, first_name: str = "", last_name: str = ""):
        customer_id = self.new_id()
        shop.customers[customer_id] = {
            "id": customer_id,
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
        }
        return shop.customers[customer_id]

    def add_company(
        self,
        shop: Shop,
        name: str,
        external_id: str | None = None,
        locations: list | None = None,
        contact_email: str | None = None,
    ) -> dict:
        """A B2B company. A location is a name, or a dict with `name` and optional
        `shipping_address` / `billing_address` (CompanyAddress fields in snake_case:
        address1, address2, city, zip, country_code, zone_code, recipient, phone)."""
        company_id = self.new_id()
        contact_customer = self.add_customer(
            shop, contact_email or f"buyer{company_id}@example.com", "Buyer", name
        )
        now = self.now()
        company = {
            "id": company_id,
            "name": name,
            "external_id": external_id,
            "created_at": now,
            "updated_at": now,
            "locations": [
                self._company_location(name, loc, now) for loc in (locations or [f"{name} HQ"])
            ],
            "contacts": [
                {"id": self.new_id(), "customer_id": contact_customer["id"], "is_main": True}
            ],
        }
        shop.companies[company_id] = company
        return company

    def _company_location(self, company_name: str, loc, now: str) -> dict:
        loc = {"name": loc} if isinstance(loc, str) else dict(loc)
        out = {"id": self.new_id(), "name": loc["name"], "external_id": None, "updated_at": now}
        for kind in ("shipping_address", "billing_address"):
            address = loc.get(kind)
            out[kind] = (
                {"id": self.new_id(), "company_name": company_name, **address} if address else None
            )
        return out

    def update_company_location(
        self, shop: Shop, company_id: int, location_id: int, changes: dict
    ) -> dict:
        """Rename a location or change its addresses; bumps the location's and the
        company's updatedAt (what the company search filters on)."""
        company = shop.companies.get(int(company_id))
        if company is None:
            raise SandboxError(f"No company {company_id} in shop {shop.domain}", status=404)
        location = next((x for x in company["locations"] if x["id"] == int(location_id)), None)
        if location is None:
            raise SandboxError(f"No location {location_id} in company {company_id}", status=404)
        now = self.now()
        if "name" in changes:
            location["name"] = changes["name"]
        for kind in ("shipping_address", "billing_address"):
            if kind in changes:
                address = changes[kind]
                location[kind] = (
                    {"id": self.new_id(), "company_name": company["name"], **address}
                    if address
                    else None
                )
        location["updated_at"] = company["updated_at"] = now
        return company

    # -- orders ---------------------------------------------------------------------------

    def order(self, shop: Shop, order_id: str | int | None) -> dict:
        number = gid_number(order_id, "Order")
        order = shop.orders.get(number) if number is not None else None
        if order is None:
            raise SandboxError(f"No order {order_id!r} in shop {shop.domain}", status=404)
        return order

    def create_order(
        self,
        shop: Shop,
        lines: list[dict],
        *,
        paid: bool = True,
        email: str | None = None,
        customer_id: int | None = None,
        company_id: int | None = None,
        location_id: int | None = None,
        tax: Any = "0",
        shipping: Any = "0",
        discount: Any = "0",
        created_at: str | None = None,
        updated_at: str | None = None,
        gateway: str = "bogus",
        shipping_tax: Any = None,
        tax_rate: Any = None,
        taxes_included: bool | None = None,
        shipping_title: str = "Standard",
        presentment_currency: str | None = None,
        exchange_rate: Any = None,
        shipping_address: dict | None = None,
    ) -> dict:
        if not lines:
            raise SandboxError("An order needs at least one line")
        now = self.now()
        order_id = self.new_id()
        number = shop.next_order_number
        shop.next_order_number += 1
        company = None
        if company_id is not None:
            record = shop.companies.get(int(company_id))
            if record is None:
                raise SandboxError(f"No company {company_id} in shop {shop.domain}", status=404)
            contact = record["contacts"][0]
            company = {
                "company_id": record["id"],
                # The location the order is for (the company's first one unless named).
                "location_id": int(location_id or record["locations"][0]["id"]),
                "contact_id": contact["id"],
            }
            customer_id = contact["customer_id"]
        if customer_id is None:
            customer_id = self.add_customer(shop, email or f"customer{number}@example.com")["id"]
        line_items = []
        groups: dict[str, dict] = {}
        for line in lines:
            variant = self.variant_for_sku(shop, line["sku"], line.get("price"), line.get("title"))
            quantity = int(line.get("quantity", 1))
            group = self._line_item_group(shop, groups, line.get("group"), quantity)
            line_items.append(
                {
                    "id": self.new_id(),
                    "sku": variant["sku"],
                    "title": line.get("title") or variant["title"],
                    "variant_id": variant["id"],
                    "quantity": quantity,
                    "current_quantity": quantity,
                    "price": str(money(line.get("price") or variant["price"])),
                    # Line-level discount (in discountedUnitPriceSet) and this line's share
                    # of the order-level discount, both for the whole quantity.
                    "discount": str(money(line.get("discount", "0"))),
                    "order_discount": "0.00",
                    "tax": None if line.get("tax") is None else str(money(line["tax"])),
                    "tax_rate": None,
                    "fulfilled": 0,
                    "refunded": 0,
                    # The bundle this line is a component of (Shopify's LineItemGroup), or None.
                    "group": group,
                }
            )
        _allocate(line_items, "order_discount", money(discount), _line_net_before_order_discount)
        shipping_price = money(shipping)
        ship_tax = None if shipping_tax is None else money(shipping_tax)
        rate = None if tax_rate in (None, "") else Decimal(str(tax_rate))
        if all(li["tax"] is None for li in line_items):
            if rate is not None and money(tax) == 0:
                for li in line_items:
                    li["tax"] = str(money(line_net(li) * rate))
                    li["tax_rate"] = str(rate)
                if ship_tax is None:
                    ship_tax = money(shipping_price * rate)
            else:
                lines_tax = money(tax) - (ship_tax or Decimal(0))
                for li in line_items:
                    li["tax"] = "0.00"
                _allocate(line_items, "tax", lines_tax, line_net)
        for li in line_items:
            if li["tax"] is None:
                li["tax"] = "0.00"
            if li["tax_rate"] is None and line_net(li) > 0 and money(li["tax"]) > 0:
                li["tax_rate"] = str((money(li["tax"]) / line_net(li)).quantize(Decimal("0.0001")))
        shipping_lines = []
        if shipping_price > 0 or (ship_tax or 0) > 0:
            shipping_lines.append(
                {
                    "id": self.new_id(),
                    "title": shipping_title,
                    "code": shipping_title.upper().replace(" ", "_"),
                    "price": str(shipping_price),
                    "tax": str(ship_tax or Decimal(0)),
                    "tax_rate": None if rate is None else str(rate),
                }
            )
        order = {
            "id": order_id,
            "number": number,
            "name": f"#{number}",
            "email": email or shop.customers[customer_id]["email"],
            "created_at": created_at or now,
            "updated_at": updated_at or created_at or now,
            "cancelled_at": None,
            "cancel_reason": None,
            "closed": False,
            "currency": shop.currency,
            # The customer's currency, when not the shop's: amounts are kept in the shop
            # currency and shown in both (presentment = shop amount × exchange_rate).
            "presentment_currency": presentment_currency or shop.currency,
            "exchange_rate": str(exchange_rate or 1),
            "customer_id": customer_id,
            "company": company,
            "taxes_included": bool(
                shop.taxes_included if taxes_included is None else taxes_included
            ),
            # Summaries of the lines below (kept for the REST-shaped webhook bodies).
            "tax": "0.00",
            "shipping": str(shipping_price),
            # An order-level discount amount, already taken off the total (as Shopify's is),
            # allocated over the lines (``order_discount``).
            "discount": str(money(discount)),
            "line_items": line_items,
            "shipping_lines": shipping_lines,
            "shipping_address": mailing_address(shipping_address),
            "transactions": [],
            "refunds": [],
            "fulfillment_orders": [
                {
                    "id": self.new_id(),
                    "status": "OPEN",
                    "location_id": self.default_location(shop),
                    "line_items": [
                        {
                            "id": self.new_id(),
                            "line_item_id": li["id"],
                            "total": li["quantity"],
                            "remaining": li["quantity"],
                        }
                        for li in line_items
                    ],
                }
            ],
            "fulfillments": [],
        }
        order["tax"] = str(self.totals(order)["tax"])
        shop.orders[order_id] = order
        if paid:
            self._add_transaction(order, "SALE", self.totals(order)["total"], gateway)
        # Explicit timestamps are for tests of delta queries; keep them as given.
        order["updated_at"] = updated_at or created_at or now
        return order

    def _add_transaction(self, order, kind, amount, gateway="bogus", parent_id=None) -> dict:
        transaction = {
            "id": self.new_id(),
            "kind": kind,
            "status": "SUCCESS",
            "amount": str(money(amount)),
            "gateway": gateway,
            "processed_at": self.now(),
            "parent_id": parent_id,
        }
        order["transactions"].append(transaction)
        return transaction

    def totals(self, order: dict) -> dict[str, Decimal]:
        """Shopify's order money. ``subtotal``: line prices after all discounts, before
        returns; ``tax``: line and shipping tax lines; ``total`` = subtotal + shipping + tax
        (tax not added again when the shop's prices include it); ``current_*``: the same
        after returns, refunds and edits."""
        lines = order["line_items"]
        ship_lines = order.get("shipping_lines", [])
        included = order.get("taxes_included", False)
        subtotal = sum((line_net(li) for li in lines), Decimal(0))
        current_subtotal = sum((line_current_net(li) for li in lines), Decimal(0))
        shipping = sum((money(sl["price"]) for sl in ship_lines), Decimal(0))
        ship_tax = sum((money(sl["tax"]) for sl in ship_lines), Decimal(0))
        refunded_shipping = refunded_ship_tax = discrepancy = Decimal(0)
        for refund in order["refunds"]:
            for rsl in refund.get("shipping_lines", []):
                refunded_shipping += money(rsl["subtotal"])
                refunded_ship_tax += money(rsl["tax"])
            for adj in refund.get("adjustments", []):
                discrepancy += money(adj["amount"])
        tax = sum((money(li.get("tax")) for li in lines), Decimal(0)) + ship_tax
        current_tax = (
            sum((line_current_tax(li) for li in lines), Decimal(0)) + ship_tax - refunded_ship_tax
        )
        current_shipping = shipping - refunded_shipping
        # Line and order-level discounts of the units still on the order (edits and refunds
        # take a removed unit's share of the discount with it).
        current_discount = sum(
            (
                _prorate(
                    money(li.get("discount")) + money(li.get("order_discount")),
                    li["current_quantity"],
                    li["quantity"],
                )
                for li in lines
            ),
            Decimal(0),
        )
        if not ship_lines and money(order.get("shipping")) > 0:
            # A record saved before shipping lines existed.
            shipping = current_shipping = money(order["shipping"])
        total = subtotal + shipping + (Decimal(0) if included else tax)
        current_total = (
            current_subtotal + current_shipping + (Decimal(0) if included else current_tax)
        )
        received = sum(
            (
                money(t["amount"])
                for t in order["transactions"]
                if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"
            ),
            Decimal(0),
        )
        refunded = sum(
            (
                money(t["amount"])
                for t in order["transactions"]
                if t["kind"] == "REFUND" and t["status"] == "SUCCESS"
            ),
            Decimal(0),
        )
        return {
            key: value.quantize(CENT)
            for key, value in {
                "subtotal": subtotal,
                "current_subtotal": current_subtotal,
                "tax": tax,
                "current_tax": current_tax,
                "shipping": shipping,
                "current_shipping": current_shipping,
                "refunded_shipping": refunded_shipping,
                "discount": money(order.get("discount", "0")),
                "current_discount": current_discount,
                "total": total,
                "current_total": current_total,
                "received": received,
                "refunded": refunded,
                "net": received - refunded,
                "outstanding": max(Decimal(0), current_total - (received - refunded))
                if not order["cancelled_at"]
                else Decimal(0),
                "discrepancy": discrepancy,
            }.items()
        }

    def financial_status(self, order: dict) -> str:
        t = self.totals(order)
        if t["received"] == 0:
            return "VOIDED" if order["cancelled_at"] else "PENDING"
        if t["refunded"] >= t["received"]:
            return "REFUNDED"
        if t["refunded"] > 0:
            return "PARTIALLY_REFUNDED"
        if t["received"] < t["current_total"]:
            return "PARTIALLY_PAID"
        return "PAID"

    def fulfillment_status(self, order: dict) -> str:
        wanted = sum(li["current_quantity"] for li in order["line_items"])
        done = sum(li["fulfilled"] for li in order["line_items"])
        if done == 0:
            return "UNFULFILLED"
        return "FULFILLED" if done >= wanted else "PARTIALLY_FULFILLED"

    def touch(self, order: dict) -> None:
        order["updated_at"] = self.now()

    # -- Shopify's mutations, returning (result, user errors) -----------------------------

    def mark_paid(self, order: dict) -> list[dict]:
        t = self.totals(order)
        outstanding = t["current_total"] - t["received"]
        if order["cancelled_at"] or outstanding <= 0:
            return [user_error("Order cannot be marked as paid.", ["id"])]
        self._add_transaction(order, "SALE", outstanding, "manual")
        self.touch(order)
        return []

    def cancel(
        self,
        order: dict,
        reason: str,
        restock: bool,
        refund: bool,
        staff_note: str | None = None,
    ) -> list[dict]:
        if order["cancelled_at"]:
            return [user_error("Order has already been cancelled", ["orderId"], "INVALID")]
        if refund:
            net = self.totals(order)["net"]
            if net > 0:
                remaining = [
                    {"lineItemId": li["id"], "quantity": li["quantity"] - li["refunded"]}
                    for li in order["line_items"]
                    if li["quantity"] > li["refunded"]
                ]
                lines, ship, _ = self._refund_parts(order, remaining, {"fullRefund": True})
                transactions = [{"amount": str(net), "kind": "REFUND"}]
                self._refund(order, lines, transactions, "Cancelled", ship)
        for fo in order["fulfillment_orders"]:
            if fo["status"] in ("OPEN", "IN_PROGRESS", "SCHEDULED", "ON_HOLD"):
                fo["status"] = (
                    "CLOSED"
                    if any(li["remaining"] < li["total"] for li in fo["line_items"])
                    else "CANCELLED"
                )
                for li in fo["line_items"]:
                    li["remaining"] = 0
        order["cancelled_at"] = self.now()
        order["cancel_reason"] = reason
        order["closed"] = True
        order["staff_note"] = staff_note
        order["restocked"] = restock
        self.touch(order)
        return []

    def suggested_refund(
        self, order: dict, line_items: list[dict], shipping: dict | None = None
    ) -> Decimal:
        """What Shopify would refund for these lines and this shipping (subtotal + tax)."""
        lines, ship, _errors = self._refund_parts(order, line_items, shipping)
        return _refund_amount(order, lines, ship)

    def _refund_parts(self, order, line_items, shipping):
        """(refund lines, refund shipping lines, user errors) computed as Shopify does."""
        errors: list[dict] = []
        by_id = {li["id"]: li for li in order["line_items"]}
        lines = []
        for index, rli in enumerate(line_items):
            line = by_id.get(gid_number(rli.get("lineItemId"), "LineItem") or -1)
            quantity = int(rli.get("quantity", 0))
            if line is None:
                errors.append(
                    user_error("Line item does not exist", ["refundLineItems", str(index)])
                )
            elif quantity > line["quantity"] - line["refunded"]:
                errors.append(
                    user_error(
                        "Quantity cannot refund more items than were purchased",
                        ["refundLineItems", str(index), "quantity"],
                    )
                )
            elif quantity > 0:
                # The discounted unit price × quantity, and the line's tax prorated by
                # quantity: what Shopify's RefundLineItem subtotalSet / totalTaxSet show.
                lines.append(
                    {
                        "line": line,
                        "quantity": quantity,
                        "restock_type": rli.get("restockType") or "NO_RESTOCK",
                        # Where a restocked line goes back (RefundLineItemInput.locationId).
                        "location_id": gid_number(rli.get("locationId"), "Location"),
                        "subtotal": _prorate(line_net(line), quantity, line["quantity"]),
                        "tax": _prorate(money(line.get("tax")), quantity, line["quantity"]),
                    }
                )
        ship = []
        shipping = shipping or {}
        wanted_full = bool(shipping.get("fullRefund"))
        wanted = None if shipping.get("amount") is None else money(shipping["amount"])
        if wanted_full or (wanted is not None and wanted > 0):
            left_total = Decimal(0)
            for sl in order.get("shipping_lines", []):
                done = sum(
                    (
                        money(r["subtotal"])
                        for refund in order["refunds"]
                        for r in refund.get("shipping_lines", [])
                        if r["shipping_line_id"] == sl["id"]
                    ),
                    Decimal(0),
                )
                left = money(sl["price"]) - done
                left_total += left
                if left <= 0:
                    continue
                take = left if wanted_full else min(left, wanted)
                if not wanted_full:
                    wanted -= take
                tax = _prorate(money(sl["tax"]), take, money(sl["price"]))
                ship.append({"shipping_line_id": sl["id"], "subtotal": take, "tax": tax})
            if wanted is not None and not wanted_full and wanted > 0:
                errors.append(
                    user_error(
                        f"Shipping refund amount {money(shipping['amount'])} is greater than "
                        f"the refundable shipping amount {left_total.quantize(CENT)}",
                        ["shipping", "amount"],
                    )
                )
        return lines, ship, errors

    def refund(
        self,
        order: dict,
        line_items: list[dict],
        transactions: list[dict],
        note: str | None = None,
        shipping: dict | None = None,
        discrepancy_reason: str | None = None,
    ) -> tuple[dict | None, list[dict]]:
        lines, ship, errors = self._refund_parts(order, line_items, shipping)
        requested = sum((money(t.get("amount")) for t in transactions), Decimal(0))
        available = self.totals(order)["net"]
        if any(t.get("kind", "REFUND") != "REFUND" for t in transactions):
            errors.append(user_error("Transactions of a refund must be REFUND", ["transactions"]))
        if any(money(t.get("amount")) < 0 for t in transactions):
            errors.append(user_error("Amount must be greater than 0", ["transactions"]))
        if requested > available:
            errors.append(
                user_error(
                    f"Refund amount {requested} is greater than the refundable amount {available}",
                    ["transactions"],
                )
            )
        if errors:
            return None, errors
        return self._refund(order, lines, transactions, note, ship, discrepancy_reason), []

    def _refund(self, order, lines, transactions, note, ship=(), discrepancy_reason=None) -> dict:
        refund_lines = []
        for part in lines:
            line, quantity = part["line"], part["quantity"]
            line["refunded"] += quantity
            line["current_quantity"] = max(0, line["current_quantity"] - quantity)
            refund_lines.append(
                {
                    "id": self.new_id(),
                    "line_item_id": line["id"],
                    "quantity": quantity,
                    "restock_type": part["restock_type"],
                    "location_id": part.get("location_id"),
                    "subtotal": str(part["subtotal"]),
                    "tax": str(part["tax"]),
                }
            )
        sale = next((t for t in order["transactions"] if t["kind"] in ("SALE", "CAPTURE")), None)
        transaction_ids = []
        for t in transactions:
            if money(t.get("amount")) <= 0:
                continue
            parent = gid_number(t.get("parentId"), "OrderTransaction")
            created = self._add_transaction(
                order,
                "REFUND",
                t["amount"],
                t.get("gateway") or (sale["gateway"] if sale else "manual"),
                parent or (sale["id"] if sale else None),
            )
            transaction_ids.append(created["id"])
        refunded = sum(
            (money(t["amount"]) for t in order["transactions"] if t["id"] in transaction_ids),
            Decimal(0),
        )
        shipping_lines = [
            {
                "id": self.new_id(),
                "shipping_line_id": part["shipping_line_id"],
                "subtotal": str(part["subtotal"]),
                "tax": str(part["tax"]),
            }
            for part in ship
        ]
        # What the items and shipping come to, against what was paid back: the difference is
        # an order adjustment (a refund discrepancy; negative in the customer's favour).
        suggested = _refund_amount(order, lines, ship)
        adjustments = []
        if transactions and refunded != suggested:
            adjustments.append(
                {
                    "id": self.new_id(),
                    "amount": str((suggested - refunded).quantize(CENT)),
                    "tax": "0.00",
                    "reason": discrepancy_reason or "REFUND_DISCREPANCY",
                }
            )
        refund = {
            "id": self.new_id(),
            "created_at": self.now(),
            "note": note,
            "line_items": refund_lines,
            "shipping_lines": shipping_lines,
            "adjustments": adjustments,
            "transaction_ids": transaction_ids,
            "total": str(refunded.quantize(CENT)),
        }
        order["refunds"].append(refund)
        self.touch(order)
        return refund

    def fulfil(
        self, shop: Shop, items: list[dict] | None, tracking: dict | None = None
    ) -> tuple[dict | None, list[dict]]:
        """items: [{fulfillmentOrderId, fulfillmentOrderLineItems: [{id, quantity}] | None}]."""
        picks = []
        for index, group in enumerate(items or []):
            fo_id = gid_number(group.get("fulfillmentOrderId"), "FulfillmentOrder")
            found = None
            for order in shop.orders.values():
                found = next((fo for fo in order["fulfillment_orders"] if fo["id"] == fo_id), None)
                if found:
                    break
            if found is None:
                field = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
                return None, [user_error("Fulfillment order does not exist.", field)]
            if found["status"] not in ("OPEN", "IN_PROGRESS"):
                return None, [user_error("Fulfillment order is not open.", ["fulfillment"])]
            lines = group.get("fulfillmentOrderLineItems")
            if not lines:
                lines = [
                    {"id": li["id"], "quantity": li["remaining"]} for li in found["line_items"]
                ]
            for line in lines:
                fo_line = next(
                    (
                        li
                        for li in found["line_items"]
                        if li["id"] == gid_number(line["id"], "FulfillmentOrderLineItem")
                    ),
                    None,
                )
                if fo_line is None or int(line["quantity"]) > fo_line["remaining"]:
                    return None, [
                        user_error(
                            "Invalid fulfillment order line item quantity requested.",
                            ["fulfillment"],
                        )
                    ]
                if int(line["quantity"]) > 0:
                    picks.append((order, found, fo_line, int(line["quantity"])))
        if not picks:
            return None, [user_error("Nothing to fulfil.", ["fulfillment"])]
        order = picks[0][0]
        for owner, fo, fo_line, quantity in picks:
            fo_line["remaining"] -= quantity
            line = next(li for li in owner["line_items"] if li["id"] == fo_line["line_item_id"])
            line["fulfilled"] += quantity
            fo["status"] = (
                "CLOSED" if all(li["remaining"] == 0 for li in fo["line_items"]) else "IN_PROGRESS"
            )
            self.touch(owner)
        fulfillment = {
            "id": self.new_id(),
            "status": "SUCCESS",
            "tracking": [tracking] if tracking else [],
            "line_items": [{"fo_line_id": p[2]["id"], "quantity": p[3]} for p in picks],
        }
        order["fulfillments"].append(fulfillment)
        return fulfillment, []

    def edit_begin(self, shop: Shop, order: dict) -> tuple[dict | None, list[dict]]:
        if order["cancelled_at"]:
            return None, [user_error("Cannot edit a cancelled order.", ["id"])]
        calc = {
            "id": self.new_id(),
            "order_id": order["id"],
            "changes": {},
            "added": [],
            "created_at": self.now(),
        }
        shop.calculated_orders[calc["id"]] = calc
        return calc, []

    def edit_set_quantity(self, shop, calc, line_id, quantity) -> tuple[dict | None, list]:
        order = shop.orders[calc["order_id"]]
        number = gid_number(line_id, "CalculatedLineItem")
        added = next((a for a in calc["added"] if a["id"] == number), None)
        if added:
            added["quantity"] = quantity
            return {"id": number}, []
        line = next((li for li in order["line_items"] if li["id"] == number), None)
        if line is None:
            return None, [user_error("Line item does not exist.", ["lineItemId"])]
        if line["fulfilled"] > 0 and quantity < line["current_quantity"]:
            return None, [user_error("Fulfilled line items cannot be edited.", ["lineItemId"])]
        if quantity < 0:
            return None, [user_error("Quantity must be positive.", ["quantity"])]
        calc["changes"][str(number)] = quantity
        return {"id": number}, []

    def edit_add_variant(self, shop, calc, variant_id, quantity) -> tuple[dict | None, list]:
        variant = shop.variants.get(gid_number(variant_id, "ProductVariant") or -1)
        if variant is None:
            return None, [user_error("Variant does not exist.", ["variantId"])]
        added = {"id": self.new_id(), "variant_id": variant["id"], "quantity": quantity}
        calc["added"].append(added)
        return {"id": added["id"]}, []

    def edit_commit(self, shop, calc) -> tuple[dict | None, list]:
        order = shop.orders[calc["order_id"]]
        open_fo = next(
            (fo for fo in order["fulfillment_orders"] if fo["status"] in ("OPEN", "IN_PROGRESS")),
            None,
        )
        # What the orders/edited webhook announces: each line's change, by line item id.
        additions, removals = [], []
        for line_id, quantity in calc["changes"].items():
            line = next(li for li in order["line_items"] if li["id"] == int(line_id))
            delta = quantity - line["current_quantity"]
            if delta:
                (additions if delta > 0 else removals).append(
                    {"id": line["id"], "delta": abs(delta)}
                )
            line["current_quantity"] = quantity
            for fo in order["fulfillment_orders"]:
                for fo_line in fo["line_items"]:
                    if fo_line["line_item_id"] == line["id"]:
                        fo_line["remaining"] = max(0, fo_line["remaining"] + delta)
                        fo_line["total"] = max(0, fo_line["total"] + delta)
        # Shopify taxes an added line as the order's other lines are taxed.
        rate = next((li["tax_rate"] for li in order["line_items"] if li.get("tax_rate")), None)
        for added in calc["added"]:
            variant = shop.variants[added["variant_id"]]
            line_tax = (
                money(money(variant["price"]) * added["quantity"] * Decimal(rate))
                if rate
                else Decimal(0)
            )
            line = {
                "id": added["id"],
                "sku": variant["sku"],
                "title": variant["title"],
                "variant_id": variant["id"],
                "quantity": added["quantity"],
                "current_quantity": added["quantity"],
                "price": variant["price"],
                "discount": "0.00",
                "order_discount": "0.00",
                "tax": str(line_tax),
                "tax_rate": rate,
                "fulfilled": 0,
                "refunded": 0,
            }
            order["line_items"].append(line)
            additions.append({"id": line["id"], "delta": line["quantity"]})
            if open_fo is None:
                open_fo = {
                    "id": self.new_id(),
                    "status": "OPEN",
                    "location_id": self.default_location(shop),
                    "line_items": [],
                }
                order["fulfillment_orders"].append(open_fo)
            open_fo["line_items"].append(
                {
                    "id": self.new_id(),
                    "line_item_id": line["id"],
                    "total": line["quantity"],
                    "remaining": line["quantity"],
                }
            )
        if calc.get("shipping_price") is not None:
            self._edit_shipping(order, money(calc["shipping_price"]), rate)
        shop.calculated_orders.pop(calc["id"], None)
        order["edited"] = True
        order["tax"] = str(self.totals(order)["tax"])
        order.setdefault("edits", []).append(
            {
                "id": calc["id"],
                "created_at": calc.get("created_at") or self.now(),
                "committed_at": self.now(),
                "additions": additions,
                "removals": removals,
            }
        )
        self.touch(order)
        return order, []

    def _edit_shipping(self, order: dict, price: Decimal, rate) -> None:
        """An edit's new shipping price, taxed as the order's lines are."""
        tax = money(price * Decimal(rate)) if rate else Decimal(0)
        if order.get("shipping_lines"):
            line = order["shipping_lines"][0]
            line["price"], line["tax"] = str(price), str(tax)
        else:
            order["shipping_lines"] = [
                {
                    "id": self.new_id(),
                    "title": "Standard",
                    "code": "STANDARD",
                    "price": str(price),
                    "tax": str(tax),
                    "tax_rate": rate,
                }
            ]
        order["shipping"] = str(price)

    def set_inventory(self, shop: Shop, name: str, quantities: list[dict]):
        if name not in ("available", "on_hand"):
            return None, [user_error("Invalid quantity name.", ["input", "name"], "INVALID_NAME")]
        changes, errors = [], []
        for index, q in enumerate(quantities):
            item = gid_number(q["inventoryItemId"], "InventoryItem")
            location = gid_number(q["locationId"], "Location")
            level = shop.levels.get(f"{item}:{location}")
            field = ["input", "quantities", str(index)]
            if level is None:
                errors.append(
                    user_error(
                        "The inventory item could not be found.", field, "INVALID_INVENTORY_ITEM"
                    )
                )
                continue
            # Since 2026-04 changeFromQuantity must be passed for every quantity; null (not
            # absent) skips the check. A stale value fails the whole call.
            if "changeFromQuantity" not in q:
                errors.append(
                    user_error(
                        "changeFromQuantity must be passed (null skips the check).",
                        [*field, "changeFromQuantity"],
                        "COMPARE_QUANTITY_REQUIRED",
                    )
                )
                continue
            expected = q["changeFromQuantity"]
            if expected is not None and int(expected) != level[name]:
                errors.append(
                    user_error(
                        "The specified compare quantity does not match the current quantity.",
                        [*field, "changeFromQuantity"],
                        "CHANGE_FROM_QUANTITY_STALE",
                    )
                )
                continue
            changes.append((level, item, location, int(q["quantity"])))
        if errors:
            return None, errors
        result = []
        for level, item, location, quantity in changes:
            delta = quantity - level[name]
            level[name] = quantity
            level["updated_at"] = self.now()
            if name == "available":
                level["on_hand"] += delta
            result.append(
                {
                    "name": name,
                    "delta": delta,
                    "quantity_after": quantity,
                    "item_id": item,
                    "location_id": location,
                }
            )
        return {"id": self.new_id(), "changes": result}, []

    def add_webhook(self, shop: Shop, topic: str, uri: str | None, fmt: str = "JSON"):
        if not uri:
            return None, [user_error("Address can't be blank", ["webhookSubscription", "uri"])]
        for existing in shop.webhooks.values():
            if existing["topic"] == topic and existing["uri"] == uri:
                return None, [
                    user_error(
                        "Address for this topic has already been taken",
                        ["webhookSubscription", "callbackUrl"],
                    )
                ]
        webhook = {"id": self.new_id(), "topic": topic, "uri": uri, "format": fmt or "JSON"}
        shop.webhooks[webhook["id"]] = webhook
        return webhook, []


ADDRESS_FIELDS = (
    "name", "company", "address1", "address2", "city", "province", "provinceCode", "zip",
    "country", "countryCodeV2", "phone",
)  # fmt: skip


def mailing_address(address: dict | None) -> dict | None:
    """A MailingAddress as Shopify keeps it (only the fields the sandbox serves)."""
    if not address:
        return None
    return {name: address.get(name) for name in ADDRESS_FIELDS}


# -- order money ------------------------------------------------------------------------


def _line_net_before_order_discount(line: dict) -> Decimal:
    return money(line["price"]) * line["quantity"] - money(line.get("discount"))


def line_net(line: dict) -> Decimal:
    """The line's price × quantity after line and order-level discounts."""
    return _line_net_before_order_discount(line) - money(line.get("order_discount"))


def line_current_net(line: dict) -> Decimal:
    return _prorate(line_net(line), line["current_quantity"], line["quantity"])


def line_current_tax(line: dict) -> Decimal:
    return _prorate(money(line.get("tax")), line["current_quantity"], line["quantity"])


def _prorate(amount: Decimal, part, whole) -> Decimal:
    if not whole:
        return Decimal(0).quantize(CENT)
    return (Decimal(amount) * Decimal(part) / Decimal(whole)).quantize(CENT)


def _allocate(lines: list[dict], key: str, amount: Decimal, weight) -> None:
    """Spread ``amount`` over the lines in proportion to ``weight(line)``, to the cent (the
    last line takes the rounding remainder), adding to ``line[key]``."""
    if not amount:
        return
    weights = [max(Decimal(0), weight(li)) for li in lines]
    total = sum(weights, Decimal(0))
    left = amount
    for index, (li, w) in enumerate(zip(lines, weights, strict=True)):
        if index == len(lines) - 1:
            share = left
        else:
            share = (amount * w / total).quantize(CENT) if total else Decimal(0)
        left -= share
        li[key] = str(money(li.get(key)) + share)


def _refund_amount(order: dict, lines: list[dict], ship: list[dict]) -> Decimal:
    included = order.get("taxes_included", False)
    amount = Decimal(0)
    for part in [*lines, *ship]:
        amount += part["subtotal"] + (Decimal(0) if included else part["tax"])
    return amount.quantize(CENT)


# -- order search ("updated_at:>'2026-01-01T00:00:00Z' AND status:cancelled") ----------------

_TERM = re.compile(r"""(\w+):(>=|<=|>|<)?('[^']*'|"[^"]*"|\S+)""")


def _compare(actual, op: str, wanted) -> bool:
    """A search term's comparison: `>`, `>=`, `<`, `<=`, or none (equal)."""
    return {
        ">": actual > wanted,
        ">=": actual >= wanted,
        "<": actual < wanted,
        "<=": actual <= wanted,
        "": actual == wanted,
    }[op]


@lru_cache(maxsize=256)
def _terms(query: str) -> tuple:
    # Parsed once per search, not once per order of the store.
    return tuple(_TERM.findall(query))


def order_matches(store: Store, order: dict, query: str | None) -> bool:
    if not query:
        return True
    for field, op, raw in _terms(query):
        value = raw.strip("'\"")
        if field in ("updated_at", "created_at", "processed_at"):
            actual = parse_time(order["updated_at" if field == "updated_at" else "created_at"])
            if not _compare(actual, op, parse_time(value)):
                return False
        elif field == "id":
            # Shopify's order search takes id ranges (`id:>=1000 id:<2000`).
            if not _compare(order["id"], op, int(value)):
                return False
        elif field == "name":
            if order["name"].lstrip("#") != value.lstrip("#"):
                return False
        elif field == "status":
            status = value.lower()
            if status == "cancelled" and not order["cancelled_at"]:
                return False
            if status == "open" and order["closed"]:
                return False
            if status == "closed" and not order["closed"]:
                return False
        elif field == "financial_status" and store.financial_status(order).lower() != value.lower():
            return False
    return True


def company_matches(company: dict, query: str | None) -> bool:
    """Shopify's company search, the part the connector uses: `updated_at` / `created_at`
    comparisons and `name` (a bare word searches the name too)."""
    if not query:
        return True
    terms = _terms(query)
    if not terms:
        return query.strip("'\" ").lower() in company["name"].lower()
    for field, op, raw in terms:
        value = raw.strip("'\"")
        if field in ("updated_at", "created_at"):
            actual = company.get(field) or company.get("created_at")
            if actual is None or not _compare(parse_time(actual), op, parse_time(value)):
                return False
        elif field == "name" and value.lower() not in company["name"].lower():
            return False
    return True
