"""Small display helpers for the panel pages: times people read, links to the remote records."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

register = template.Library()


@register.filter
def ago(value) -> str:
    """ "just now" for the last minute, else "5 minutes ago"."""
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def from_now(value) -> str:
    """ "in 5 minutes", "now" when due."""
    if not value:
        return ""
    if value - timezone.now() < timedelta(minutes=1):
        return "within a minute"
    return f"in {timeuntil(value)}"


@register.filter
def duration(run) -> str:
    """How long a run took (or has taken so far)."""
    if not run.started_at:
        return ""
    seconds = int(((run.finished_at or timezone.now()) - run.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _shopify_admin(connector) -> str:
    return f"https://{connector.shopify_shop_domain}/admin"


def _netsuite_app(connector) -> str:
    host = connector.netsuite_account_id.lower().replace("_", "-")
    return f"https://{host}.app.netsuite.com/app"


@register.simple_tag
def shopify_order_url(connector, order_id) -> str:
    if not order_id:
        return ""
    return f"{_shopify_admin(connector)}/orders/{order_id}"


@register.simple_tag
def netsuite_record_url(connector, internal_id) -> str:
    if not internal_id:
        return ""
    return f"{_netsuite_app(connector)}/accounting/transactions/transaction.nl?id={internal_id}"


@register.simple_tag
def netsuite_item_search_url(connector, sku) -> str:
    return f"{_netsuite_app(connector)}/common/item/itemlist.nl?search={sku}"


RECORD_TYPES = {
    "cashRefund": "Cash refund",
    "creditMemo": "Credit memo",
    "salesOrder": "Sales order",
    "cashSale": "Cash sale",
    "invoice": "Invoice",
    "refund": "Shopify refund",
    "order": "Shopify order",
}


@register.filter
def record_type(value: str) -> str:
    """NetSuite and Shopify record names as people say them ("Cash refund", not cashRefund)."""
    return RECORD_TYPES.get(value, value)


@register.filter
def remote_links(txn) -> list[tuple[str, str]]:
    """(label, address) of the records behind a transaction, in Shopify and in NetSuite."""
    connector = txn.connector
    links = []
    if txn.shopify_order_id:
        name = txn.shopify_order_name or txn.shopify_order_id
        links.append(
            (f"Order {name} in Shopify", shopify_order_url(connector, txn.shopify_order_id))
        )
    netsuite_ids = []
    if txn.source_channel == "netsuite" and txn.source_id:
        netsuite_ids.append((record_type(txn.source_type) or "Record", txn.source_id))
    if txn.netsuite_sales_order_id:
        netsuite_ids.append(("Sales order", txn.netsuite_sales_order_id))
    if txn.target_channel == "netsuite" and txn.target_id:
        label = "Sales order" if txn.kind == "order" else "Record"
        netsuite_ids.append((label, txn.target_id))
    seen = set()
    for label, internal_id in netsuite_ids:
        if internal_id in seen:
            continue
        seen.add(internal_id)
        links.append(
            (f"{label} {internal_id} in NetSuite", netsuite_record_url(connector, internal_id))
        )
    return links


_UNKNOWN_SKU = re.compile(r"SKU (\S+) on line \d+ is not an item in NetSuite")


@register.filter
def fix_links(txn) -> list[tuple[str, str]]:
    """Where a person fixes what stops this record (display only: the error's own words say
    what to do; this adds the place to do it)."""
    links = []
    match = _UNKNOWN_SKU.search(txn.last_error or "")
    if match:
        sku = match.group(1)
        links.append(
            (f"Find or create item {sku} in NetSuite", netsuite_item_search_url(txn.connector, sku))
        )
    return links + remote_links(txn)


HIDDEN_DETAIL = ("idempotency", "key_generation", "idempotency_key")
DETAIL_LABELS = {
    "request": "What was sent",
    "answer": "What came back",
    "attempt": "Attempt",
    "error": "Error",
    "status": "Status",
    "netsuite_total": "NetSuite total",
}


def _visible(value):
    """The value without idempotency keys (machinery, not something a person acts on)."""
    if isinstance(value, dict):
        return {
            k: _visible(v)
            for k, v in value.items()
            if not any(h in str(k).lower() for h in HIDDEN_DETAIL)
        }
    if isinstance(value, list):
        return [_visible(v) for v in value]
    return value


@register.filter
def detail_rows(detail) -> list[tuple[str, str]]:
    """An event's request and answer as (label, readable text): JSON for nested values, never a
    Python repr, never an idempotency key."""
    if not isinstance(detail, dict):
        return []
    rows = []
    for key, value in _visible(detail).items():
        if key in ("status", "error"):
            continue  # the sentence already says it
        label = DETAIL_LABELS.get(key, str(key).replace("_", " ").capitalize())
        text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str)
        rows.append((label, text))
    return rows


# One spelling everywhere on screen ("cancelled", as in the settings and the flows).
STATUS_LABELS = {"canceled": "Cancelled"}


@register.filter
def status_label(txn) -> str:
    return STATUS_LABELS.get(txn.status, txn.get_status_display())
