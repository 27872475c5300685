"""Shopify Admin GraphQL client.

The only code that speaks HTTP to Shopify. It turns throttling, 5xx, connection failures and
time-outs into retryable errors (after its own bounded retries), and rejected documents,
bad credentials and mutation userErrors into permanent ones. The same code talks to the
bundled sandbox; only `endpoint` differs.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from connector.shopify.documents import Operation, load_operation
from connector.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyGraphQLError,
    ShopifyNotFound,
    ShopifyServerError,
    ShopifyThrottled,
    ShopifyUserError,
)
from connector.shopify.pacing import CostBudget

logger = logging.getLogger(__name__)
# Orders read by id in one call (ordersForImportByIds): about 50 requested points each.
IMPORT_IDS_PER_CALL = 20
EDIT_IDS_PER_CALL = 10  # ordersForEditByIds: ~75 points an order at its sizes
EDIT_BATCH_SIZES = {"lines": 30, "refunds": 3}  # the operation's defaults

DEFAULT_API_VERSION = "2026-10"


class ShopifyClient:
    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        api_version: str = DEFAULT_API_VERSION,
        endpoint: str | None = None,
        session: requests.Session | None = None,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_retries: int = 4,
        max_throttle_waits: int = 8,
        backoff_base: float = 0.5,
        backoff_cap: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_throttle: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.shop_domain = shop_domain
        self.api_version = api_version
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self._token = access_token
        self._session = session or requests.Session()
        self._timeout = (connect_timeout, read_timeout)
        self.max_retries = max_retries
        self.max_throttle_waits = max_throttle_waits
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self.budget = CostBudget(clock=clock)
        # Told every throttleStatus Shopify reports (flows keep the last one for the dashboard).
        self._on_throttle = on_throttle

    def __repr__(self) -> str:  # never shows the token
        return f"<ShopifyClient {self.shop_domain} {self.api_version}>"

    @property
    def url(self) -> str:
        base = self.endpoint or f"https://{self.shop_domain}"
        return f"{base}/admin/api/{self.api_version}/graphql.json"

    def _headers(self) -> dict[str, str]:
        headers = {
            "X-Shopify-Access-Token": self._token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if self.endpoint:
            # A sandbox or proxy serves many shops on one address; like Shopify, it picks the
            # shop from the Host header.
            headers["Host"] = self.shop_domain
        return headers

    def close(self) -> None:
        self._session.close()

    # -- the one seam that sends requests ------------------------------------------------

    def execute(self, operation_name: str, variables: dict[str, Any] | None = None) -> dict:
        """Send operations/<operation_name>.graphql and return its `data`."""
        op = load_operation(operation_name)
        safe_to_resend = not op.is_mutation or (
            op.idempotent and bool((variables or {}).get("idempotencyKey"))
        )
        failures = 0
        throttle_waits = 0
        while True:
            wait = self.budget.wait_before(op.name)
            if wait > 0:
                logger.debug("Pacing %s: waiting %.2fs for cost points", op.name, wait)
                self._sleep(wait)
            try:
                return self._send_once(op, variables or {})
            except ShopifyThrottled as exc:
                throttle_waits += 1
                if throttle_waits > self.max_throttle_waits:
                    raise
                wait = self.budget.wait_after_throttle(exc.details)
                logger.info("Shopify throttled %s on %s; waiting %.2fs", op.name, self, wait)
                self._sleep(wait)
            except _AmbiguousOutcome as exc:
                if not safe_to_resend:
                    # The mutation may have been applied; only the caller can check first.
                    raise exc.error from exc
                failures += 1
                if failures > self.max_retries:
                    raise exc.error from exc
                self._sleep(self._backoff(failures))
            except _NotSent as exc:
                failures += 1
                if failures > self.max_retries:
                    raise exc.error from exc
                self._sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        # Full jitter: spreads the retries of many workers over the whole window.
        return random.uniform(0, min(self._backoff_cap, self._backoff_base * 2 ** (failures - 1)))

    def _send_once(self, op: Operation, variables: dict[str, Any]) -> dict:
        payload = {"query": op.text, "variables": variables, "operationName": op.name}
        where = f"{self.shop_domain} ({op.name})"
        try:
            # Never follow a redirect: it would carry the access token to another address.
            response = self._session.post(
                self.url,
                json=payload,
                headers=self._headers(),
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.ConnectTimeout as exc:
            raise _NotSent(
                ShopifyServerError(f"Could not connect to Shopify for {where}: connect timed out")
            ) from exc
        except requests.ReadTimeout as exc:
            raise _AmbiguousOutcome(
                ShopifyServerError(
                    f"Shopify did not answer {where} within {self._timeout[1]}s; "
                    "the request may or may not have been applied",
                    code="TIMEOUT",
                )
            ) from exc
        except requests.ConnectionError as exc:
            error = ShopifyServerError(f"Could not reach Shopify for {where}: {exc}")
            if _never_connected(exc):
                raise _NotSent(error) from exc
            raise _AmbiguousOutcome(error) from exc

        status = response.status_code
        logger.debug("Shopify %s -> HTTP %s", where, status)
        if 300 <= status < 400:
            raise ShopifyGraphQLError(
                f"Shopify answered {where} with a redirect (HTTP {status}); redirects are not "
                "followed. Check the shop domain and the endpoint.",
                code=str(status),
            )
        if status in (401, 403):
            raise ShopifyAuthError(
                f"Shopify rejected the access token for {self.shop_domain} (HTTP {status}): "
                f"{_error_text(response)}. Check the token and its scopes in the connector "
                "settings.",
                code=str(status),
            )
        if status == 404:
            raise ShopifyNotFound(
                f"Shopify has no shop at {self.shop_domain} for API version {self.api_version} "
                f"(HTTP 404): {_error_text(response)}. Check the shop domain.",
                code="404",
            )
        if status == 429:
            retry_after = _float(response.headers.get("Retry-After"), 1.0)
            raise ShopifyThrottled(
                f"Shopify throttled {where} (HTTP 429)",
                details={"throttleStatus": {}, "retryAfter": retry_after},
            )
        if status >= 500:
            raise _AmbiguousOutcome(
                ShopifyServerError(
                    f"Shopify answered HTTP {status} for {where}: {_error_text(response)}",
                    code=str(status),
                )
            )
        if status >= 400:
            raise ShopifyGraphQLError(
                f"Shopify refused {where} (HTTP {status}): {_error_text(response)}",
                code=str(status),
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise _AmbiguousOutcome(
                ShopifyServerError(f"Shopify sent a response that is not JSON for {where}")
            ) from exc

        cost = (body.get("extensions") or {}).get("cost")
        self.budget.record(op.name, cost)
        self._report_throttle(cost)
        errors = body.get("errors") or []
        if errors:
            codes = [((e.get("extensions") or {}).get("code")) for e in errors]
            if "THROTTLED" in codes:
                raise ShopifyThrottled(f"Shopify throttled {where}", details=cost)
            messages = "; ".join(str(e.get("message")) for e in errors)
            if "INTERNAL_SERVER_ERROR" in codes:
                raise _AmbiguousOutcome(
                    ShopifyServerError(
                        f"Shopify had an internal error for {where}: {messages}",
                        code="INTERNAL_SERVER_ERROR",
                        details=errors,
                    )
                )
            raise ShopifyGraphQLError(
                f"Shopify rejected {where}: {messages}",
                code=next((c for c in codes if c), None),
                details=errors,
            )
        return body.get("data") or {}

    def _report_throttle(self, cost: dict[str, Any] | None) -> None:
        status = (cost or {}).get("throttleStatus")
        if not status or self._on_throttle is None:
            return
        try:
            self._on_throttle(status)
        except Exception:  # an observer must never fail a call that succeeded
            logger.exception("throttle observer failed for %s", self)

    def mutate(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run a mutation and raise ShopifyUserError when Shopify refused the change."""
        data = self.execute(name, variables)
        payload = data.get(name) or {}
        user_errors = [
            *(payload.get("userErrors") or []),
            *(payload.get("orderCancelUserErrors") or []),
        ]
        if user_errors:
            messages = "; ".join(str(e.get("message")) for e in user_errors)
            raise ShopifyUserError(
                f"Shopify refused {name} on {self.shop_domain}: {messages}",
                user_errors=user_errors,
                code=next((e.get("code") for e in user_errors if e.get("code")), None),
            )
        return payload

    # -- queries ------------------------------------------------------------------------

    def shop(self) -> dict[str, Any]:
        return self.execute("shop")["shop"]

    def iter_pages(
        self, operation: str, root: str, query: str | None, page_size: int
    ) -> Iterator[dict[str, Any]]:
        after = None
        while True:
            data = self.execute(operation, {"first": page_size, "after": after, "query": query})
            connection = data[root]
            yield from connection["nodes"]
            page_info = connection["pageInfo"]
            if not page_info["hasNextPage"]:
                return
            after = page_info["endCursor"]

    def iter_orders_for_import(
        self, updated_since: Any = None, page_size: int = 20
    ) -> Iterator[dict[str, Any]]:
        """Orders updated at or after `updated_since`, oldest update first, in the import's
        shape. At, not only after: timestamps have whole seconds, and an order updated in the
        second the cursor was taken must not be missed (the import skips what it has posted)."""
        query = f"updated_at:>='{_iso(updated_since)}'" if updated_since is not None else None
        yield from self.iter_pages("ordersForImport", "orders", query, page_size)

    def count_orders_for_import(self, updated_since: Any = None) -> int:
        """How many orders `iter_orders_for_import` will read now (orders may still arrive)."""
        query = f"updated_at:>='{_iso(updated_since)}'" if updated_since is not None else None
        return int(self.execute("ordersCount", {"query": query})["ordersCount"]["count"])

    def iter_orders_updated_since(
        self, updated_since: Any = None, page_size: int = 50
    ) -> Iterator[dict[str, Any]]:
        """Order summaries (with totalRefundedSet) updated at or after `updated_since`, oldest
        update first: the refund flow's safety net under its webhook."""
        query = f"updated_at:>='{_iso(updated_since)}'" if updated_since is not None else None
        yield from self.iter_pages("ordersUpdatedSince", "orders", query, page_size)

    def iter_orders_edited_since(
        self, updated_since: Any = None, page_size: int = 50
    ) -> Iterator[dict[str, Any]]:
        """Orders updated at or after `updated_since` with whether they were ever edited,
        oldest update first: the order-edit flow's safety net under its webhook."""
        query = f"updated_at:>='{_iso(updated_since)}'" if updated_since is not None else None
        yield from self.iter_pages("ordersEditedSince", "orders", query, page_size)

    def get_order_for_edit(self, order_gid: str) -> dict[str, Any] | None:
        return self.execute("orderForEdit", {"id": order_gid})["order"]

    def get_orders_for_edit(self, order_gids: list[str]) -> dict[str, dict | None]:
        """Order gid -> the order in the order-edit flow's shape (None: Shopify has no such
        order), EDIT_IDS_PER_CALL ids a call; an order with more lines or refunds than the
        batch reads is read again in full."""
        out: dict[str, dict | None] = dict.fromkeys(order_gids)
        for start in range(0, len(order_gids), EDIT_IDS_PER_CALL):
            ids = order_gids[start : start + EDIT_IDS_PER_CALL]
            for node in self.execute("ordersForEditByIds", {"ids": ids})["nodes"] or []:
                if node and node.get("__typename") == "Order":
                    out[node["id"]] = node
        for gid, order in out.items():
            if order is not None and _truncated_edit(order):
                out[gid] = self.get_order_for_edit(gid)
        return out

    def get_order_for_import(self, order_gid: str) -> dict[str, Any] | None:
        return self.execute("orderForImport", {"id": order_gid})["order"]

    def get_orders_for_import(self, order_gids: list[str]) -> Iterator[dict[str, Any]]:
        """The orders of these ids that Shopify has, in the import's shape, 20 ids a call."""
        for start in range(0, len(order_gids), IMPORT_IDS_PER_CALL):
            ids = order_gids[start : start + IMPORT_IDS_PER_CALL]
            nodes = self.execute("ordersForImportByIds", {"ids": ids})["nodes"] or []
            yield from (n for n in nodes if n and n.get("__typename") == "Order")

    def iter_cancelled_orders(
        self, cancelled_since: Any = None, page_size: int = 50
    ) -> Iterator[dict[str, Any]]:
        # Shopify's order search has no cancelled_at filter; a cancellation bumps updated_at.
        terms = ["status:cancelled"]
        if cancelled_since is not None:
            terms.insert(0, f"updated_at:>='{_iso(cancelled_since)}'")
        query = " AND ".join(terms)
        yield from self.iter_pages("ordersCancelledSince", "orders", query, page_size)

    def iter_companies(
        self, updated_since: Any = None, page_size: int = 5
    ) -> Iterator[dict[str, Any]]:
        """B2B companies updated at or after `updated_since`, oldest update first, with their
        locations (addresses included) and contacts. A location's change bumps its company's
        updatedAt, so the company search finds it."""
        query = f"updated_at:>='{_iso(updated_since)}'" if updated_since is not None else None
        for company in self.iter_pages("companies", "companies", query, page_size):
            yield self._all_locations(company)

    def get_company(self, company_gid: str) -> dict[str, Any] | None:
        """One company in `iter_companies`' shape, or None if Shopify has no such company."""
        company = self.execute("company", {"id": company_gid})["company"]
        return self._all_locations(company) if company else None

    def _all_locations(self, company: dict[str, Any], page_size: int = 100) -> dict[str, Any]:
        """The company with every location: those past the first page read page by page."""
        locations = company.get("locations") or {}
        page_info = locations.get("pageInfo") or {}
        while page_info.get("hasNextPage"):
            data = self.execute(
                "companyLocations",
                {"id": company["id"], "first": page_size, "after": page_info["endCursor"]},
            )
            more = ((data.get("company") or {}).get("locations")) or {}
            locations["nodes"] = [*locations.get("nodes", []), *more.get("nodes", [])]
            page_info = more.get("pageInfo") or {}
        locations["pageInfo"] = {"hasNextPage": False, "endCursor": page_info.get("endCursor")}
        return company

    def get_order(self, order_gid: str) -> dict[str, Any] | None:
        return self.execute("order", {"id": order_gid})["order"]

    def get_order_fulfilment(self, order_gid: str) -> dict[str, Any] | None:
        """The order's lines, fulfillment orders (per location, holds, what is left) and
        fulfilments (tracking, lines): what a fulfilment is checked against before it is
        written."""
        return self.execute("orderFulfilment", {"id": order_gid})["order"]

    def get_order_payments(self, order_gid: str) -> dict[str, Any] | None:
        """The order's outstanding balance, totals and transactions (OrderPayments)."""
        return self.execute("orderPayments", {"id": order_gid})["order"]

    def _account_pages(self, operation: str, root: str, query: str | None, page_size: int):
        after = None
        while True:
            data = self.execute(operation, {"first": page_size, "after": after, "query": query})
            account = data.get("shopifyPaymentsAccount")
            if account is None:
                return  # Shopify Payments not set up for this store: no payouts
            connection = account[root]
            yield from connection["nodes"]
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]

    def iter_payouts(self, issued_since: Any = None, page_size: int = 50):
        """Shopify Payments payouts issued on or after `issued_since` (a date), oldest first."""
        query = f"issued_at:>={_iso(issued_since)[:10]}" if issued_since is not None else None
        yield from self._account_pages("payouts", "payouts", query, page_size)

    def payout_transactions(self, payout_id: str | int, page_size: int = 100) -> list[dict]:
        """The balance transactions of one payout (by its legacy id)."""
        query = f"payments_transfer_id:{payout_id}"
        return list(
            self._account_pages(
                "payoutBalanceTransactions", "balanceTransactions", query, page_size
            )
        )

    # -- mutations -----------------------------------------------------------------------

    def cancel_order(
        self,
        order_gid: str,
        reason: str = "OTHER",
        restock: bool = True,
        notify_customer: bool = False,
        staff_note: str | None = None,
        refund: bool = True,
    ) -> dict[str, Any]:
        """Cancel; refund=False keeps a paid order paid (no refund to the payment method)."""
        return self.mutate(
            "orderCancel",
            {
                "orderId": order_gid,
                "reason": reason,
                "restock": restock,
                "notifyCustomer": notify_customer,
                "staffNote": staff_note,
                "refundMethod": {"originalPaymentMethodsRefund": bool(refund)},
            },
        )

    def create_refund(
        self,
        order_gid: str,
        *,
        idempotency_key: str,
        refund_line_items: list[dict[str, Any]] | None = None,
        transactions: list[dict[str, Any]] | None = None,
        refund_methods: list[dict[str, Any]] | None = None,
        shipping: dict[str, Any] | None = None,
        note: str | None = None,
        notify: bool = False,
    ) -> dict[str, Any]:
        if not idempotency_key:
            raise ValueError("create_refund needs an idempotency key derived from our row")
        refund_input: dict[str, Any] = {"orderId": order_gid, "notify": notify}
        if refund_line_items:
            refund_input["refundLineItems"] = refund_line_items
        if transactions:
            refund_input["transactions"] = transactions
        if refund_methods:
            refund_input["refundMethods"] = refund_methods
        if shipping:
            refund_input["shipping"] = shipping
        if note:
            refund_input["note"] = note
        return self.mutate(
            "refundCreate", {"input": refund_input, "idempotencyKey": idempotency_key}
        )

    def mark_order_paid(self, order_gid: str) -> dict[str, Any]:
        """orderMarkAsPaid: the whole outstanding balance; returns the order afterwards."""
        return self.mutate("orderMarkAsPaid", {"input": {"id": order_gid}})["order"]

    def create_manual_payment(
        self, order_gid: str, amount, currency: str, method: str | None = None
    ) -> dict[str, Any]:
        """orderCreateManualPayment for a part of the balance (Shopify Plus only); returns
        the order afterwards."""
        variables = {
            "id": order_gid,
            "amount": {"amount": str(amount), "currencyCode": currency},
            "paymentMethodName": method,
        }
        return self.mutate("orderCreateManualPayment", variables)["order"]

    def create_fulfillment(
        self,
        line_items_by_fulfillment_order: list[dict[str, Any]],
        *,
        tracking: dict[str, Any] | None = None,
        notify_customer: bool = False,
    ) -> dict[str, Any]:
        """fulfillmentCreate. No idempotency key exists for it, so an ambiguous answer is not
        resent here: the caller reads the order's fulfilments before trying again."""
        fulfillment: dict[str, Any] = {
            "lineItemsByFulfillmentOrder": line_items_by_fulfillment_order,
            "notifyCustomer": notify_customer,
        }
        if tracking:
            fulfillment["trackingInfo"] = tracking
        return self.mutate("fulfillmentCreate", {"fulfillment": fulfillment})["fulfillment"]

    def update_fulfillment_tracking(
        self, fulfillment_gid: str, tracking: dict[str, Any], *, notify_customer: bool = False
    ) -> dict[str, Any]:
        """fulfillmentTrackingInfoUpdate: replaces the fulfilment's tracking (safe to repeat)."""
        return self.mutate(
            "fulfillmentTrackingInfoUpdate",
            {
                "fulfillmentId": fulfillment_gid,
                "trackingInfoInput": tracking,
                "notifyCustomer": notify_customer,
            },
        )["fulfillment"]

    def locations(self) -> list[dict[str, Any]]:
        """The shop's locations (id, legacyResourceId, name)."""
        out = []
        after = None
        while True:
            data = self.execute("locations", {"first": 250, "after": after})["locations"]
            out.extend(data["nodes"])
            if not data["pageInfo"]["hasNextPage"]:
                return out
            after = data["pageInfo"]["endCursor"]

    def iter_inventory_items(
        self, query: str | None, *, levels: int, page_size: int
    ) -> Iterator[dict[str, Any]]:
        """Inventory items matching `query` (e.g. "sku:'A' OR id:12"), each with its variant
        and `inventoryLevels` (the first `levels`) with the available quantity."""
        after = None
        while True:
            variables = {"first": page_size, "after": after, "query": query, "levels": levels}
            data = self.execute("inventoryItemsWithLevels", variables)["inventoryItems"]
            yield from data["nodes"]
            if not data["pageInfo"]["hasNextPage"]:
                return
            after = data["pageInfo"]["endCursor"]

    def set_inventory_quantities(
        self,
        quantities: list[dict[str, Any]],
        *,
        idempotency_key: str,
        name: str = "available",
        reason: str = "correction",
    ) -> dict[str, Any]:
        """inventorySetQuantities: each quantity carries `changeFromQuantity` (what we last
        read; None skips the check). Shopify refuses the whole call on any userError."""
        if not idempotency_key:
            raise ValueError("inventorySetQuantities needs an idempotency key")
        if any("changeFromQuantity" not in q for q in quantities):
            raise ValueError("every quantity needs changeFromQuantity (None skips the check)")
        return self.mutate(
            "inventorySetQuantities",
            {
                "input": {"name": name, "reason": reason, "quantities": quantities},
                "idempotencyKey": idempotency_key,
            },
        )

    def create_webhook_subscription(self, topic: str, callback_url: str) -> dict[str, Any]:
        return self.mutate(
            "webhookSubscriptionCreate",
            {"topic": topic, "webhookSubscription": {"uri": callback_url, "format": "JSON"}},
        )


class _NotSent(Exception):
    """The request never reached Shopify: always safe to send again."""

    def __init__(self, error: ShopifyError) -> None:
        super().__init__(error.message)
        self.error = error


class _AmbiguousOutcome(_NotSent):
    """The request may have been applied: safe to resend only queries and keyed mutations."""


def _never_connected(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    text = f"{type(reason).__name__} {getattr(reason, 'reason', '')}"
    return "NewConnectionError" in text or "NameResolution" in text


def _error_text(response: requests.Response) -> str:
    """Shopify's own error messages from a JSON body; never the raw body, which could be any
    server's page (and is shown to the person testing the connection)."""
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, str):
        messages = [errors]
    elif isinstance(errors, list):
        messages = [str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in errors]
    elif isinstance(errors, dict):
        messages = [f"{key}: {value}" for key, value in errors.items()]
    else:
        return "no error details"
    return "; ".join(m for m in messages if m)[:300] or "no error details"


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default


def _iso(value: Any) -> str:
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    return str(value)


def _truncated_edit(order: dict) -> bool:
    """Whether a batch read of an order stopped at one of its sizes."""
    if ((order.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"):
        return True
    refunds = order.get("refunds") or []
    if len(refunds) >= EDIT_BATCH_SIZES["refunds"]:
        return True
    return any(
        ((r.get("refundLineItems") or {}).get("pageInfo") or {}).get("hasNextPage") for r in refunds
    )
