"""The sandbox's control API (/_control/...): set up scenarios, inject faults, read state.

No Shopify auth: it answers loopback clients only. Requests and answers are JSON; see
docs/sandbox-shopify.md for every route with examples.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.shopify import (
    fulfilment,
    inventory,
    payments,
    price_lists,
    product_control,
    webhook_delivery,
)
from sandbox.shopify.schema import SUPPORTED_VERSIONS
from sandbox.shopify.store import SandboxError, Shop, Store, gid, mailing_address, money

if TYPE_CHECKING:
    from sandbox.shopify.server import ShopifySandbox

ORDER_ACTION = re.compile(r"^/_control/orders/(?P<id>[^/]+)(?:/(?P<action>\w+))?$")


def order_state(store: Store, order: dict) -> dict[str, Any]:
    totals = {k: str(v) for k, v in store.totals(order).items()}
    return {
        **order,
        "admin_graphql_api_id": gid("Order", order["id"]),
        "financial_status": store.financial_status(order),
        "fulfillment_status": store.fulfillment_status(order),
        "totals": totals,
    }


def handle(sandbox: ShopifySandbox, method: str, path: str, query: dict, body: dict):
    store = sandbox.store
    try:
        with store.lock:
            status, answer = _route(sandbox, store, method, path, query, body)
            if method != "GET":
                store.save()
            return status, answer
    except SandboxError as exc:
        return exc.status, {"error": str(exc)}
    except (KeyError, TypeError, ValueError) as exc:
        return 400, {"error": f"Bad request: {exc!r}"}


def _shop(store: Store, query: dict, body: dict) -> Shop:
    return store.shop(body.get("shop") or query.get("shop"))


def _route(sandbox, store: Store, method, path, query, body):
    if path == "/_control/health":
        return 200, {"ok": True}
    if path == "/_control/reset" and method == "POST":
        sandbox.reset(demo=body.get("demo"))
        return 200, {"ok": True, "shop": store.default_domain}
    if path == "/_control/shops":
        if method == "POST":
            shop = store.add_shop(
                body["domain"],
                body["access_token"],
                body.get("webhook_secret", "secret"),
                name=body.get("name"),
                currency=body.get("currency", "USD"),
                plan=body.get("plan", "plus"),
            )
            if "maximum_available" in body or "restore_rate" in body:
                sandbox.set_throttle(
                    shop.domain,
                    float(body.get("maximum_available", 1000)),
                    float(body.get("restore_rate", 100)),
                )
            return 201, {"domain": shop.domain}
        return 200, {"shops": [s.domain for s in store.shops.values()]}
    if path == "/_control/plan" and method == "POST":
        shop = _shop(store, query, body)
        try:
            payments.set_plan(shop, body.get("plan", ""))
        except ValueError as exc:
            raise SandboxError(str(exc), status=400) from None
        return 200, {"plan": shop.plan}
    if path == "/_control/payouts":
        shop = _shop(store, query, body)
        if method == "POST":
            try:
                return 201, payments.create_payout(store, shop, body)
            except ValueError as exc:
                raise SandboxError(str(exc), status=400) from None
        return 200, {"payouts": shop.payouts}
    if path == "/_control/throttle" and method == "POST":
        shop = _shop(store, query, body)
        sandbox.set_throttle(
            shop.domain, float(body["maximum_available"]), float(body["restore_rate"])
        )
        return 200, {"ok": True}
    if path == "/_control/faults":
        if method == "POST":
            sandbox.faults.configure(**body)
        elif method == "DELETE":
            sandbox.faults.clear()
        return 200, sandbox.faults.to_dict()
    if path == "/_control/stats":
        shop = _shop(store, query, body)
        return 200, {
            "requests": sandbox.requests_seen,
            "faults_injected": sandbox.faults.injected,
            **sandbox.bucket(shop.domain).stats(),
        }
    if path == "/_control/mutations":
        return 200, {"mutations": _shop(store, query, body).mutation_log}
    if path == "/_control/companies" and method == "POST":
        company = store.add_company(
            _shop(store, query, body),
            body["name"],
            body.get("external_id"),
            body.get("locations"),
            body.get("contact_email"),
        )
        return 201, {**company, "admin_graphql_api_id": gid("Company", company["id"])}
    match = re.fullmatch(r"/_control/companies/(\d+)/locations/(\d+)", path)
    if match and method == "POST":
        company = store.update_company_location(
            _shop(store, query, body), int(match[1]), int(match[2]), body
        )
        return 200, {**company, "admin_graphql_api_id": gid("Company", company["id"])}
    if path == "/_control/products" and method == "GET":
        shop = _shop(store, query, body)
        return 200, {
            "products": [product_control.product_state(shop, p) for p in shop.products.values()]
        }
    if path == "/_control/products" and method == "POST" and "products" in body:
        made = product_control.seed_products(store, _shop(store, query, body), body["products"])
        return 201, {"products": made}
    if path == "/_control/price_lists":
        shop = _shop(store, query, body)
        if method == "POST":
            record = price_lists.create_price_list(store, shop, body)
            return 201, price_lists.price_list_state(record)
        return 200, {
            "price_lists": [price_lists.price_list_state(pl) for pl in shop.price_lists.values()]
        }
    if path == "/_control/bulk":
        if method == "POST":
            try:
                sandbox.bulk.configure(
                    rows_per_second=body.get("rows_per_second"),
                    **({"fail_after": body["fail_after"]} if "fail_after" in body else {}),
                )
            except ValueError as exc:
                raise SandboxError(str(exc)) from None
        shop = _shop(store, query, body)
        return 200, {
            **sandbox.bulk.settings(),
            "operations": list(shop.bulk_operations.values()),
        }
    if path == "/_control/products" and method == "POST":
        variant = store.variant_for_sku(
            _shop(store, query, body), body["sku"], body.get("price"), body.get("title")
        )
        return 201, {
            **variant,
            "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
            "inventory_item_gid": gid("InventoryItem", variant["inventory_item_id"]),
        }
    if path.startswith(("/_control/inventory/", "/_control/locations")):
        answer = inventory.handle_control(store, _shop(store, query, body), method, path, body)
        if answer is not None:
            return answer
    if path == "/_control/inventory":
        shop = _shop(store, query, body)
        return 200, {"levels": shop.levels, "locations": list(shop.locations.values())}
    if path == "/_control/webhooks":
        return 200, {"subscriptions": list(_shop(store, query, body).webhooks.values())}
    if path == "/_control/webhooks/deliver" and method == "POST":
        shop = _shop(store, query, body)
        order = store.order(shop, body["order_id"])
        payload, headers = webhook_delivery.build_delivery(
            store, shop, body["topic"], order, body.get("api_version", SUPPORTED_VERSIONS[-1])
        )
        # Deliver outside the lock so the receiver may call back into the sandbox.
        store.lock.release()
        try:
            return 200, webhook_delivery.deliver(body["url"], payload, headers)
        finally:
            store.lock.acquire()
    if path == "/_control/orders":
        shop = _shop(store, query, body)
        if method == "POST":
            return 201, _create_orders(store, shop, body)
        return 200, {"orders": [order_state(store, o) for o in shop.orders.values()]}
    match = ORDER_ACTION.match(path)
    if match:
        shop = _shop(store, query, body)
        order = _find_order(store, shop, match.group("id"))
        action = match.group("action")
        if action is None:
            return 200, order_state(store, order)
        return _order_action(store, shop, order, action, body)
    raise SandboxError(f"No control route {method} {path}", status=404)


def _find_order(store: Store, shop: Shop, ref: str) -> dict:
    if ref.startswith(("#", "%23")):
        name = "#" + ref.lstrip("#").replace("%23", "")
        for order in shop.orders.values():
            if order["name"] == name:
                return order
        raise SandboxError(f"No order named {name} in shop {shop.domain}", status=404)
    return store.order(shop, ref)


def _create_orders(store: Store, shop: Shop, body: dict) -> dict:
    lines = body.get("lines") or [{"sku": "SKU-1", "quantity": 1, "price": "10.00"}]
    company_id = body.get("company_id")
    if body.get("b2b") and company_id is None:
        company = next(iter(shop.companies.values()), None) or store.add_company(
            shop, "Sandbox Company Ltd"
        )
        company_id = company["id"]
    created = []
    for _ in range(int(body.get("count", 1))):
        order = store.create_order(
            shop,
            lines,
            paid=body.get("paid", True),
            email=body.get("email"),
            company_id=company_id,
            location_id=body.get("location_id"),
            tax=body.get("tax", "0"),
            shipping=body.get("shipping", "0"),
            discount=body.get("discount", "0"),
            created_at=body.get("created_at"),
            updated_at=body.get("updated_at"),
            shipping_tax=body.get("shipping_tax"),
            tax_rate=body.get("tax_rate"),
            taxes_included=body.get("taxes_included"),
            presentment_currency=body.get("presentment_currency"),
            exchange_rate=body.get("exchange_rate"),
            shipping_address=body.get("shipping_address"),
        )
        created.append(order)
    if len(created) == 1:
        return order_state(store, created[0])
    return {"count": len(created), "ids": [o["id"] for o in created]}


def _order_action(store: Store, shop: Shop, order: dict, action: str, body: dict):
    errors: list[dict] = []
    if action == "pay":
        errors = store.mark_paid(order)
    elif action == "cancel":
        errors = store.cancel(
            order,
            body.get("reason", "OTHER"),
            body.get("restock", True),
            body.get("refund", True),
            body.get("staff_note"),
        )
    elif action == "refund":
        lines = [
            {
                "lineItemId": li["line_item_id"],
                "quantity": li["quantity"],
                "restockType": li.get("restock_type"),
                "locationId": li.get("location_id"),
            }
            for li in body.get("lines", [])
        ]
        shipping = body.get("shipping")  # {"amount": "5.00"} or {"full_refund": true}
        if isinstance(shipping, dict) and "full_refund" in shipping:
            shipping = {"fullRefund": shipping["full_refund"]}
        if body.get("full"):
            lines = [
                {"lineItemId": li["id"], "quantity": li["quantity"] - li["refunded"]}
                for li in order["line_items"]
                if li["quantity"] > li["refunded"]
            ]
            shipping = {"fullRefund": True}
            amount = store.totals(order)["net"]
        elif body.get("amount") == "suggested":
            amount = store.suggested_refund(order, lines, shipping)
        else:
            amount = money(body.get("amount", "0"))
        transactions = [{"amount": str(amount), "kind": "REFUND"}] if amount > 0 else []
        _, errors = store.refund(
            order, lines, transactions, body.get("note"), shipping, body.get("reason")
        )
    elif action == "update":
        # What orderUpdate does with a new shipping address (an order edit cannot change it).
        if "shipping_address" in body:
            order["shipping_address"] = mailing_address(body["shipping_address"])
            store.touch(order)
    elif action == "edit":
        calc, errors = store.edit_begin(shop, order)
        if calc and "line_item_id" in body:
            _, errors = store.edit_set_quantity(
                shop, calc, body["line_item_id"], int(body["quantity"])
            )
        if calc and not errors and "shipping_price" in body:
            # What orderEditUpdateShippingLine does: the shipping line's new price.
            calc["shipping_price"] = str(money(body["shipping_price"]))
        if calc and not errors and "add_sku" in body:
            variant = store.variant_for_sku(shop, body["add_sku"], body.get("price"))
            _, errors = store.edit_add_variant(
                shop, calc, variant["id"], int(body.get("add_quantity", 1))
            )
        if calc and not errors:
            _, errors = store.edit_commit(shop, calc)
        elif calc:
            shop.calculated_orders.pop(calc["id"], None)
    elif action == "fulfil":
        groups = []
        wanted = {int(li["line_item_id"]): int(li["quantity"]) for li in body.get("lines", [])}
        for fo in order["fulfillment_orders"]:
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                continue
            picks = [
                {"id": li["id"], "quantity": wanted.get(li["line_item_id"], 0)}
                if wanted
                else {"id": li["id"], "quantity": li["remaining"]}
                for li in fo["line_items"]
            ]
            picks = [p for p in picks if p["quantity"]]
            if picks:
                groups.append({"fulfillmentOrderId": fo["id"], "fulfillmentOrderLineItems": picks})
        created, errors = store.fulfil(shop, groups, body.get("tracking"))
        if created:
            fulfilment.remember(store, created, body.get("tracking"), body.get("notify"))
    elif action == "assign":
        fulfilment.assign(store, shop, order, body["locations"])
    elif action == "hold":
        fulfilment.hold(store, order, body.get("reason", "OTHER"), body.get("notes", ""))
    elif action == "release":
        fulfilment.release(store, order)
    else:
        raise SandboxError(f"Unknown order action {action!r}", status=404)
    if errors:
        return 409, {"userErrors": errors, "order": order_state(store, order)}
    return 200, order_state(store, order)
