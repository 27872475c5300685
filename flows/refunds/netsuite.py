"""Refunds on the NetSuite side: find the cash refunds and credit memos created from an order's
billed record, and write a Shopify refund as one, with Shopify's money copied.

Every call here is a NetSuite call: never run these inside `transaction.atomic()` (the
concurrency budget refuses).
"""

from __future__ import annotations

from decimal import Decimal

from connector import external_ids, items
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteRecordError
from flows.sync import NeedsPerson, Wait, Written, check_total, money

from . import restock
from .restock import DEFAULTS, ReturnOptions

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


def item_skus(client, item_ids: set[str], connector=None, skip=()) -> dict[str, str]:
    """internalId -> SKU (the item's itemId), to match lines with Shopify's: from the
    connector's stored SKU bindings first (the order import bound every SKU it wrote), and
    only the items none names read from NetSuite (one getList; `skip`: items whose SKU no
    line needs, e.g. the charge items)."""
    ids = sorted(i for i in item_ids if i and i not in skip)
    if not ids:
        return {}
    known = items.skus_for(connector, ids) if connector is not None else {}
    rest = [i for i in ids if i not in known]
    if rest:
        found = client.get_list([records.ref(i, record_type="inventoryItem") for i in rest])
        known.update(
            {i: item.itemId for i, item in zip(rest, found, strict=True) if item is not None}
        )
    return known


def _money(value) -> str | None:
    amount = money(value)
    return None if amount is None else str(amount)


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
        "shipping": _money(getattr(refund, "shippingCost", None)),
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


def post_shopify_refund(
    client,
    txn,
    order,
    charges,
    bind=lambda ns_id, ns_type: None,
    *,
    returns: ReturnOptions = DEFAULTS,
    bind_return=lambda ns_id: None,
) -> Written:
    """Write the Shopify refund `txn` as a cash refund / credit memo, then check its total.

    Each item line goes back to stock where `restock.place` says (the timeline shows why).
    With the Return Authorization option on and a refund of a return, the Return
    Authorization is written first (from the sales order, keyed by its own externalId) and
    the credit is created from it."""
    payload = txn.payload or {}
    external_id = external_ids.refund(txn.source_id)
    detail: dict = {"request": {"operation": "lookup", "externalId": external_id}}
    notes: list[str] = []
    bills = billed_records(client, order.netsuite_sales_order_id)
    if not bills:
        # No bill, no refund of ours either (one is only ever created from a bill).
        raise Wait(
            f"Order {order.shopify_order_name} is not billed in NetSuite yet: the refund "
            "goes to NetSuite by itself once the order is billed."
        )
    bill = bills[0]
    bill_type = record_type(bill)
    target = REFUND_TYPE_FOR_BILL[bill_type]
    # Looked up before every write (a post that died after NetSuite committed must find its
    # record, not write a second one); the bill says which of the two types it would be.
    record = client.find(target, external_id)
    if record is None:
        mapped = restock.mapped_elsewhere(returns)
        if mapped:
            raise NeedsPerson(
                f"The “not restocked” NetSuite location {returns.no_restock_location} is mapped "
                f"to Shopify location {mapped}: stock credited there would be sent to Shopify. "
                "Choose another location in Settings › Refunds or remove the mapping, then "
                "Retry; nothing was written."
            )
        source_type, source_id = bill_type, bill.internalId
        if returns.return_authorization and restock.is_return(payload):
            authorization = _return_authorization(
                client, txn, order, payload, returns, notes, bind_return
            )
            if authorization is not None:
                source_type, source_id = "returnAuthorization", authorization.internalId
        refund = client.initialize(target, source_type, internal_id=source_id)
        refund.externalId = external_id
        notes += _copy_shopify_money(client, refund, payload, charges, returns, txn.connector)
        # Totals are computed by NetSuite (read-only there): the lines carry the money.
        for computed in ("total", "subTotal", "discountTotal", "taxTotal"):
            if hasattr(refund, computed):
                setattr(refund, computed, None)
        refund.memo = f"Shopify refund {txn.source_id} of order {order.shopify_order_name}"
        detail["request"] = {
            "operation": "add",
            "type": target,
            "externalId": external_id,
            "createdFrom": {"type": source_type, "internalId": source_id},
            "shippingCost": _money(getattr(refund, "shippingCost", None)),
            "lines": [
                {
                    "item": line.item.internalId,
                    "quantity": line.quantity,
                    "amount": _money(line.amount),
                    "location": _location_of(line),
                }
                for line in refund.itemList.item
            ],
        }
        if notes:
            detail["restock"] = notes
        try:
            ref_id = client.add(refund).internal_id
        except NetSuiteRecordError as exc:
            if exc.code != "DUP_RCRD":
                raise
            # Another post of this row wrote it between our lookup and our add: use that one.
            existing = find_posted(client, txn.source_id)
            if existing is None:
                raise
            ref_id = existing.internalId
        record = client.get(target, internal_id=ref_id)
    bind(str(record.internalId), record_type(record))
    return _verified(record, payload, detail, txn, notes)


def _location_of(line) -> str | None:
    location = getattr(line, "location", None)
    return None if location is None else location.internalId


def _return_authorization(client, txn, order, payload: dict, returns, notes: list[str], bind):
    """The Return Authorization of this Shopify return: found by its externalId (written by
    an earlier attempt), else created from the sales order with Shopify's returned items,
    quantities and amounts, approved (`_pendingReceipt`) so the credit can be made from it.
    None when the refund carries no item to authorise."""
    external_id = external_ids.return_authorization(txn.source_id)
    found = client.find("returnAuthorization", external_id)
    if found is not None:
        bind(str(found.internalId))
        notes.append(f"Return authorization {found.internalId}, written by an earlier attempt.")
        return found
    if not payload.get("lines"):
        notes.append("No Return Authorization: the refund of this return carries no items.")
        return None
    authorization = client.initialize(
        "returnAuthorization", "salesOrder", internal_id=order.netsuite_sales_order_id
    )
    authorization.externalId = external_id
    authorization.orderStatus = "_pendingReceipt"  # approved: NetSuite credits approved ones
    init_lines = list(authorization.itemList.item or [])
    by_sku = _lines_by_sku(client, init_lines, txn.connector)
    kept = []
    for wanted in payload["lines"]:
        line = _line_for(by_sku, wanted)
        placement = restock.place(wanted, _location_of(line), returns)
        line.quantity = float(wanted["quantity"])
        line.rate = None
        line.amount = float(Decimal(wanted["amount"]))
        if placement.location:
            line.location = records.ref(placement.location)
        kept.append(line)
    authorization.itemList.item = kept
    # Shopify's line amounts are already discounted; NetSuite computes the totals.
    for computed in ("total", "subTotal", "discountTotal", "taxTotal", "discountItem"):
        if hasattr(authorization, computed):
            setattr(authorization, computed, None)
    authorization.discountRate = None
    authorization.memo = (
        f"Shopify return (refund {txn.source_id}) of order {order.shopify_order_name}"
    )
    try:
        ra_id = client.add(authorization).internal_id
    except NetSuiteRecordError as exc:
        existing = None
        if exc.code == "DUP_RCRD":  # another attempt wrote it between our lookup and add
            existing = client.find("returnAuthorization", external_id)
        if existing is None:
            raise
        ra_id = existing.internalId
    authorization = client.get("returnAuthorization", internal_id=ra_id)
    bind(str(authorization.internalId))  # ours from now on, whatever the check finds
    check_total(
        f"Return authorization of refund {txn.source_id}",
        "Shopify (returned items)",
        sum((Decimal(w["amount"]) for w in payload["lines"]), Decimal(0)),
        "NetSuite",
        authorization.subTotal,
        currency=payload.get("currency", ""),
    )
    notes.append(f"Return authorization {authorization.internalId} written first.")
    return authorization


def _lines_by_sku(client, init_lines: list, connector=None, skip=()) -> dict:
    ids = {line.item.internalId for line in init_lines if line.item}
    skus = item_skus(client, ids, connector, skip)
    return {skus.get(line.item.internalId): line for line in init_lines if line.item}


def _line_for(by_sku: dict, wanted: dict):
    line = by_sku.get(wanted.get("sku"))
    if line is None:
        raise NeedsPerson(
            f"SKU {wanted.get('sku') or '(none)'} of the Shopify refund is not on the "
            "NetSuite billed record; fix the item in NetSuite and retry."
        )
    return line


def _verified(record, payload: dict, detail: dict, txn, notes=()) -> Written:
    target = record_type(record)
    detail["answer"] = {
        "type": target,
        "internalId": record.internalId,
        "total": _money(record.total),
    }
    check_total(
        f"Refund {txn.source_id} of order {txn.shopify_order_name}",
        "Shopify",
        payload.get("total"),
        "NetSuite",
        record.total,
        currency=payload.get("currency", ""),
    )
    label = {"cashRefund": "cash refund", "creditMemo": "credit memo"}[target]
    # Which location each item went back to, and why, is part of what the row shows.
    where = "".join(f" {note}" for note in notes)
    return Written(
        target_id=str(record.internalId),
        message=f"Posted to NetSuite as {label} {record.internalId} of {_money(record.total)} "
        f"{payload.get('currency', '')}; totals agree.{where}",
        detail=detail,
    )


def _copy_shopify_money(
    client, refund, payload: dict, charges, returns=DEFAULTS, connector=None
) -> list:
    """Keep the billed lines Shopify refunded (matched by SKU) with Shopify's quantities and
    amounts, each at the location `restock.place` decides (a line not restocked and with no
    "not restocked" location goes on the adjustment item instead); add Shopify's refunded
    tax, shipping and adjustments. Nothing is recomputed from NetSuite's prices. Returns the
    placement reasons, for the timeline."""
    init_lines = list(refund.itemList.item or [])
    charge_ids = {charges.tax, charges.discount, charges.adjustment} - {""}
    by_sku = _lines_by_sku(client, init_lines, connector, skip=charge_ids)
    template = init_lines[0] if init_lines else None
    parts = refund_parts(payload)
    kept, notes = [], []
    for wanted in payload.get("lines") or []:
        line = _line_for(by_sku, wanted)
        placement = restock.place(wanted, _location_of(line), returns)
        notes.append(placement.reason)
        if placement.as_adjustment:
            kept.append(_not_restocked(template, charges, wanted))
            continue
        line.quantity = float(wanted["quantity"])
        line.rate = None
        line.amount = float(Decimal(wanted["amount"]))
        if placement.location:
            line.location = records.ref(placement.location)
        kept.append(line)
    if parts["tax"]:
        kept.append(
            _charge(template, charges.tax, parts["tax"], "tax item", "Shopify tax refunded")
        )
    if parts["adjustment"]:
        kept.append(
            _charge(
                template,
                charges.adjustment,
                parts["adjustment"],
                "refund adjustment item",
                "Shopify refund adjustment",
            )
        )
    if not kept and not parts["shipping"]:
        raise NeedsPerson("The Shopify refund carries no amount to write to NetSuite.")
    refund.itemList.item = kept
    refund.shippingCost = float(parts["shipping"])
    return notes


def _not_restocked(template, charges, wanted: dict):
    """A line Shopify did not restock, as an amount on the adjustment item: no stock moves."""
    sku, quantity = wanted.get("sku") or "(no SKU)", wanted.get("quantity")
    if not charges.adjustment:
        raise NeedsPerson(
            f"{sku} was refunded without restocking in Shopify: set the “not restocked” "
            "location (Settings › Refunds) or the refund adjustment item (Settings › Orders), "
            "then Retry; nothing was written."
        )
    return _charge(
        template,
        charges.adjustment,
        Decimal(wanted["amount"]),
        "refund adjustment item",
        f"{sku} ×{quantity} refunded, not restocked",
    )


def refund_parts(payload: dict) -> dict[str, Decimal]:
    """Shopify's refund split the way NetSuite holds it, all copied from Shopify's figures:
    item lines, tax (of lines and shipping), shipping, and Shopify's own order adjustments
    (amount-only refunds, refund discrepancies; negative in the customer's favour)."""
    lines, tax, shipping, adjustment = (Decimal(0),) * 4
    try:
        for line in payload.get("lines") or []:
            lines += Decimal(line["amount"])
            tax += Decimal(line.get("tax") or 0)
        for ship in payload.get("shipping") or []:
            shipping += Decimal(ship.get("amount") or 0)
            tax += Decimal(ship.get("tax") or 0)
        for adj in payload.get("adjustments") or []:
            adjustment -= Decimal(adj.get("amount") or 0) + Decimal(adj.get("tax") or 0)
        total = Decimal(payload["total"])
    except (KeyError, TypeError, ArithmeticError) as exc:
        message = f"Shopify's refund is missing an amount ({exc}); check it in Shopify."
        raise NeedsPerson(message) from exc
    copied = lines + tax + shipping + adjustment
    if copied != total:
        raise NeedsPerson(
            f"Shopify's refund lines, tax, shipping and adjustments come to {copied}, but its "
            f"total is {total}: check the refund in Shopify; nothing was written."
        )
    return {"lines": lines, "tax": tax, "shipping": shipping, "adjustment": adjustment}


def _charge(template, item_id: str, amount: Decimal, setting: str, description: str):
    if not item_id:
        raise NeedsPerson(
            f"The refund includes {description.lower()} of {amount}: set the NetSuite "
            f"{setting} in Settings › Orders, then Retry."
        )
    if template is None:
        raise NeedsPerson("The NetSuite billed record has no lines to refund against.")
    line = type(template)(item=records.ref(item_id), amount=float(amount), description=description)
    return line
