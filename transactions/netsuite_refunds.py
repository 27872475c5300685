"""Refunds on the NetSuite side: find the cash refunds and credit memos created from an order's
billed record (seed 003), and write a Shopify refund as one (money copied, seed 004).

Every call here is a NetSuite call: never run these inside `transaction.atomic()` (the
concurrency budget refuses).
"""

from __future__ import annotations

from decimal import Decimal

from connector import external_ids
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteRecordError

from .errors import PostError

BILL_TYPES = ("cashSale", "invoice")
REFUND_TYPES = ("cashRefund", "creditMemo")
# A cash sale is refunded by a cash refund, an invoice by a credit memo.
REFUND_TYPE_FOR_BILL = {"cashSale": "cashRefund", "invoice": "creditMemo"}


def record_type(record) -> str:
    return records.record_type_of(record)


def billed_records(client, sales_order_id: str) -> list:
    """The cash sales and invoices billed from the sales order."""
    return client.find_created_from([sales_order_id], BILL_TYPES)


def refunds_of(client, bills: list) -> list:
    """Cash refunds and credit memos generated from the billed records."""
    return client.find_created_from([b.internalId for b in bills], REFUND_TYPES)


def item_skus(client, item_ids: set[str]) -> dict[str, str]:
    """internalId -> SKU (the item's itemId), to match lines with Shopify's."""
    ids = sorted(i for i in item_ids if i)
    if not ids:
        return {}
    found = client.get_list([records.ref(i, record_type="inventoryItem") for i in ids])
    return {i: item.itemId for i, item in zip(ids, found, strict=True) if item is not None}


def _money(value) -> str | None:
    # zeep gives xsd:double as float (repr keeps the digits NetSuite sent); rate is a string.
    if value is None:
        return None
    return str(Decimal(value if isinstance(value, str) else repr(value)))


def refund_payload(refund, bill, skus: dict[str, str]) -> dict:
    """What the panel keeps of a NetSuite cash refund / credit memo (ids, lines, money)."""
    lines = []
    for line in getattr(refund.itemList, "item", None) or []:
        item_id = line.item.internalId if line.item is not None else None
        lines.append(
            {
                "item": item_id,
                "sku": skus.get(item_id, ""),
                "quantity": line.quantity,
                "rate": _money(line.rate),
                "amount": _money(line.amount),
            }
        )
    return {
        "record_type": record_type(refund),
        "internal_id": refund.internalId,
        "tran_id": getattr(refund, "tranId", None),
        "total": _money(refund.total),
        "created_from": {"type": record_type(bill), "internal_id": bill.internalId},
        "lines": lines,
    }


def find_posted(client, shopify_refund_id: str):
    """A cash refund or credit memo already written for this Shopify refund, or None.

    Looked up before every write: a post that died after NetSuite committed (worker killed,
    answer lost) must find its record instead of writing a second one.
    """
    external_id = external_ids.refund(shopify_refund_id)
    for target in REFUND_TYPES:
        found = client.find(target, external_id)
        if found is not None:
            return found
    return None


def post_shopify_refund(client, txn, order, attempt: dict) -> str:
    """Write the Shopify refund `txn` as a cash refund / credit memo; returns its internalId.

    `attempt` collects the request summary and the answer for the timeline.
    """
    external_id = external_ids.refund(txn.source_id)
    attempt["request"] = {"operation": "lookup", "externalId": external_id}
    existing = find_posted(client, txn.source_id)
    if existing is not None:
        attempt["answer"] = {
            "found_existing": True,
            "type": record_type(existing),
            "internalId": existing.internalId,
        }
        return existing.internalId

    bills = billed_records(client, order.netsuite_sales_order_id)
    if not bills:
        raise PostError(
            f"Order {order.shopify_order_name} is not billed in NetSuite yet: bill it as a cash "
            "sale or an invoice, then post the refund again."
        )
    bill = bills[0]
    bill_type = record_type(bill)
    target = REFUND_TYPE_FOR_BILL[bill_type]
    refund = client.initialize(target, bill_type, internal_id=bill.internalId)
    refund.externalId = external_id
    _copy_shopify_lines(client, refund, txn)
    # `total` is computed by NetSuite (read-only there): the line amounts carry the money.
    refund.total = None
    refund.memo = f"Shopify refund {txn.source_id} of order {order.shopify_order_name}"
    attempt["request"] = {
        "operation": "add",
        "type": target,
        "externalId": external_id,
        "createdFrom": {"type": bill_type, "internalId": bill.internalId},
        "lines": [
            {"item": line.item.internalId, "quantity": line.quantity, "amount": _money(line.amount)}
            for line in refund.itemList.item
        ],
    }
    try:
        ref = client.add(refund)
    except NetSuiteRecordError as exc:
        if exc.code != "DUP_RCRD":
            raise
        # Another post of this row wrote it between our lookup and our add: use that one.
        existing = find_posted(client, txn.source_id)
        if existing is None:
            raise
        ref_id = existing.internalId
    else:
        ref_id = ref.internal_id
    attempt["answer"] = {"type": target, "internalId": ref_id}
    return ref_id


def _copy_shopify_lines(client, refund, txn) -> None:
    """Keep the initialized lines Shopify refunded (by SKU), with Shopify's quantities and
    amounts copied as they are (seed 004: never recomputed from NetSuite's prices)."""
    shopify_lines = (txn.payload or {}).get("lines") or []
    if not shopify_lines:
        raise PostError(
            "This Shopify refund has no refunded items, so there is nothing to match with the "
            "order's NetSuite lines. Record it in NetSuite by hand, then ignore it here."
        )
    init_lines = list(refund.itemList.item or [])
    skus = item_skus(client, {line.item.internalId for line in init_lines if line.item})
    by_sku = {skus.get(line.item.internalId): line for line in init_lines if line.item}
    kept = []
    for wanted in shopify_lines:
        line = by_sku.get(wanted.get("sku"))
        if line is None:
            raise PostError(
                f"SKU {wanted.get('sku') or '(none)'} of the Shopify refund is not on the "
                "NetSuite billed record; fix the item in NetSuite and retry."
            )
        line.quantity = float(wanted["quantity"])
        line.rate = None
        line.amount = float(Decimal(wanted["amount"]))
        kept.append(line)
    refund.itemList.item = kept
