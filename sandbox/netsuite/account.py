"""What NetSuite users do in the UI, done to the sandbox's records: approve, cancel, bill, ..."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from . import money, returns, soap
from .soap import CORE, q
from .store import Record, Store, field_order, sort_children

CANCELLED_ORDERS_SEARCH_ID = "customsearch_nsc_cancelled_orders"
CANCELLED_ORDERS_SEARCH_INTERNAL_ID = "501"
DEFAULT_EXPORTED_FIELD = "custbody_etail_cancelled_exported"

# initialize: (target, source) record types -> (target type name, list type, line type)
INITIALIZE_FROM = {
    ("cashRefund", "cashSale"): ("CashRefund", "CashRefundItemList", "CashRefundItem"),
    ("creditMemo", "invoice"): ("CreditMemo", "CreditMemoItemList", "CreditMemoItem"),
    ("cashSale", "salesOrder"): ("CashSale", "CashSaleItemList", "CashSaleItem"),
    ("invoice", "salesOrder"): ("Invoice", "InvoiceItemList", "InvoiceItem"),
    ("returnAuthorization", "salesOrder"): (
        "ReturnAuthorization",
        "ReturnAuthorizationItemList",
        "ReturnAuthorizationItem",
    ),
    # The "Refund" / "Credit" buttons of an approved Return Authorization.
    ("cashRefund", "returnAuthorization"): ("CashRefund", "CashRefundItemList", "CashRefundItem"),
    ("creditMemo", "returnAuthorization"): ("CreditMemo", "CreditMemoItemList", "CreditMemoItem"),
}


# Transactions whose saves NetSuite stamps with lastModifiedDate (item fulfillments stamp
# themselves in fulfilments.py, with the warehouse's times).
STAMPED = {"SalesOrder", "CashSale", "Invoice", "CashRefund", "CreditMemo", "ReturnAuthorization"}


class ActionError(Exception):
    """A UI action that NetSuite would refuse (e.g. cancel an approved order)."""


@dataclass
class SavedSearch:
    internal_id: str
    script_id: str
    run: Callable[[object], list[Record]]


def cancelled_orders_search(exported_field: str) -> SavedSearch:
    """Sales orders synced from Shopify (with an externalId) that were cancelled while pending
    approval or closed while pending fulfilment, and not yet marked exported."""

    def run(account) -> list[Record]:
        return [
            so
            for so in account.store.of_type("SalesOrder")
            if so.external_id
            and so.text("orderStatus") in {"_cancelled", "_closed"}
            and not so.checkbox(account.exported_field)
        ]

    return SavedSearch(CANCELLED_ORDERS_SEARCH_INTERNAL_ID, CANCELLED_ORDERS_SEARCH_ID, run)


def copy_lines(source: Record, target: Record, item_type: str, lines=None, store=None) -> None:
    """Copy the item lines of ``source`` onto ``target`` as ``initialize`` does: every line
    with its quantity, rate and amount. With ``lines`` (``[{"item": internalId, "quantity"?,
    "rate"?, "amount"?}]``) only those: a line whose quantity is given gets amount = rate ×
    quantity unless an amount is given too; an item not on the source needs an amount (or a
    rate) and must exist in ``store`` (an amount-only line, e.g. an adjustment item)."""
    src_list = source.fields.get("itemList")
    src_lines = [] if src_list is None else list(src_list)
    by_item = {}
    for line in src_lines:
        ref = line.find(q(source.ns, "item"))
        if ref is not None:
            by_item.setdefault(ref.get("internalId"), line)
    if lines is None:
        picks = [(line, {}) for line in src_lines]
    else:
        picks = []
        for wanted in lines:
            item_id = str(wanted["item"])
            line = by_item.get(item_id)
            if line is None:
                if store is None or store.item(internal_id=item_id) is None:
                    raise ActionError(f"item {item_id} is neither on the record nor an item")
                if wanted.get("amount") is None and wanted.get("rate") is None:
                    raise ActionError(f"item {item_id} is not on the record: give an amount")
            picks.append((line, {**wanted, "item": item_id}))
    item_list = etree.Element(q(target.ns, "itemList"))
    for line, wanted in picks:
        item_ref = None if line is None else line.find(q(source.ns, "item"))
        item_id = wanted.get("item") or (item_ref.get("internalId") if item_ref is not None else "")
        values = {}
        for name in ("quantity", "rate", "amount", "description"):
            text = None if line is None else line.findtext(q(source.ns, name))
            if text is not None:
                values[name] = text
        if wanted.get("quantity") is not None:
            values["quantity"] = _num(float(wanted["quantity"]))
            values.pop("amount", None)  # recomputed from the rate
        if wanted.get("rate") is not None:
            values["rate"] = str(wanted["rate"])
            values.pop("amount", None)
        if wanted.get("amount") is not None:
            values["amount"] = str(wanted["amount"])
        out = etree.SubElement(item_list, q(target.ns, "item"))
        ref = etree.SubElement(out, q(target.ns, "item"), internalId=item_id or "")
        name = item_ref.findtext(q(CORE, "name")) if item_ref is not None else None
        if name:
            etree.SubElement(ref, q(CORE, "name")).text = name
        for field_name, text in values.items():
            etree.SubElement(out, q(target.ns, field_name)).text = text
        # The line's location travels with it (sales order -> bill -> refund), as in NetSuite.
        location = None if line is None else line.find(q(source.ns, "location"))
        if wanted.get("location") is not None:
            etree.SubElement(out, q(target.ns, "location"), internalId=str(wanted["location"]))
        elif location is not None:
            out.append(_renamespaced(location, target.ns))
        sort_children(out, target.ns, item_type)
    target.fields["itemList"] = item_list


# Body fields initialize copies from the billed record / sales order, besides the lines.
COPIED_BODY_FIELDS = ("shippingCost", "handlingCost", "discountItem", "discountRate", "currency")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class AccountActions:
    """Mixed into the sandbox: the verbs of its control API."""

    store: Store
    exported_field: str

    def on_create(self, rec: Record) -> None:
        if rec.type_name in ("SalesOrder", "ReturnAuthorization") and not rec.text("orderStatus"):
            rec.set_text("orderStatus", "_pendingApproval")
        # A credit memo / cash refund receives its inventory lines at their locations.
        returns.restock(self.store, rec)
        self.on_save(rec)

    @staticmethod
    def on_save(rec: Record) -> None:
        """NetSuite stamps `lastModifiedDate` on every save of a transaction (the delta
        searches filter on it)."""
        if rec.type_name in STAMPED:
            from .fulfilments import now_text

            rec.set_text("lastModifiedDate", now_text())

    def initialize(self, target: str, source: Record) -> Record:
        key = (target, source.record_type)
        if key not in INITIALIZE_FROM:
            from .operations import _RecordError

            raise _RecordError(
                "INVALID_INITIALIZE_REF",
                f"You can not initialize {target}: invalid reference {source.internal_id}.",
            )
        if source.type_name == "ReturnAuthorization" and not returns.creditable(source):
            from .operations import _RecordError

            raise _RecordError(
                "INVALID_INITIALIZE_REF",
                f"You can not initialize {target}: return authorization {source.internal_id} "
                "is pending approval.",
            )
        type_name, _list_type, item_type = INITIALIZE_FROM[key]
        rec = Record(type_name, "", None)
        entity = source.fields.get("entity")
        if entity is not None:
            rec.set_ref("entity", entity.get("internalId"))
        rec.set_ref("createdFrom", source.internal_id, type_=None)
        copy_lines(source, rec, item_type)
        fields_of_target = field_order(rec.ns, type_name)
        for name in COPIED_BODY_FIELDS:
            el = source.fields.get(name)
            # Only what the target record has (a return authorization has no shipping cost).
            if el is not None and name in fields_of_target:
                rec.fields[name] = _renamespaced(el, rec.ns)
        self.compute_record_totals(rec)
        return rec

    def compute_record_totals(self, rec: Record) -> None:
        try:
            money.compute(
                rec,
                lambda internal_id: self.store.item(internal_id=internal_id),
                self.config.get("tax_rate", 0),
            )
        except money.MoneyError as exc:
            raise ActionError(exc.message) from None

    def _order(self, internal_id: str) -> Record:
        so = self.store.get("SalesOrder", internal_id)
        if so is None:
            raise ActionError(f"no sales order {internal_id}")
        return so

    def _children(self, type_name: str, so: Record) -> list[Record]:
        return [
            r for r in self.store.of_type(type_name) if r.ref_id("createdFrom") == so.internal_id
        ]

    def approve(self, internal_id: str) -> Record:
        so = self._order(internal_id)
        self._require(so, {"_pendingApproval"}, "approve")
        so.set_text("orderStatus", "_pendingFulfillment")
        return so

    def cancel(self, internal_id: str) -> Record:
        so = self._order(internal_id)
        self._require(so, {"_pendingApproval"}, "cancel")
        so.set_text("orderStatus", "_cancelled")
        return so

    def close(self, internal_id: str) -> Record:
        so = self._order(internal_id)
        self._require(so, {"_pendingFulfillment"}, "close")
        so.set_text("orderStatus", "_closed")
        return so

    def bill(self, internal_id: str, as_: str = "cashSale", external_id=None) -> Record:
        so = self._order(internal_id)
        self._require(so, {"_pendingFulfillment", "_pendingBilling", "_partiallyFulfilled"}, "bill")
        rec = self.initialize(as_, so)
        rec = self._save_new(rec, external_id)
        so.set_text(
            "orderStatus",
            "_fullyBilled"
            if so.text("orderStatus") == "_pendingBilling"
            else "_pendingFulfillment",
        )
        return rec

    def refund(self, internal_id: str, lines=None, external_id=None, shipping_cost=None) -> Record:
        so = self._order(internal_id)
        bills = self._children("CashSale", so) + self._children("Invoice", so)
        if not bills:
            raise ActionError(f"sales order {internal_id} is not billed yet")
        bill = bills[0]
        target = "cashRefund" if bill.type_name == "CashSale" else "creditMemo"
        rec = self.initialize(target, bill)
        if lines is not None:
            # A partial refund: these lines only, and shipping only when asked for.
            copy_lines(bill, rec, _item_type(target), lines, self.store)
            rec.fields.pop("shippingCost", None)
        if shipping_cost is not None:
            rec.set_text("shippingCost", shipping_cost)
        self.compute_record_totals(rec)
        return self._save_new(rec, external_id)

    def fulfil(self, internal_id: str, tracking=(), ship_status="_shipped") -> Record:
        so = self._order(internal_id)
        self._require(so, {"_pendingFulfillment", "_partiallyFulfilled"}, "fulfil")
        rec = Record("ItemFulfillment", "", None)
        rec.set_ref("entity", so.ref_id("entity"))
        rec.set_ref("createdFrom", so.internal_id)
        rec.set_text("shipStatus", ship_status)
        packages = etree.Element(q(rec.ns, "packageList"))
        for number in tracking:
            pkg = etree.SubElement(packages, q(rec.ns, "package"))
            etree.SubElement(pkg, q(rec.ns, "packageTrackingNumber")).text = str(number)
        rec.fields["packageList"] = packages
        billed = bool(self._children("CashSale", so) + self._children("Invoice", so))
        so.set_text("orderStatus", "_fullyBilled" if billed else "_pendingBilling")
        return self._save_new(rec, None)

    def pay(self, invoice_internal_id: str, amount=None, **dates) -> Record:
        from . import payments  # customer payments applied to invoices (payments.py)

        try:
            return payments.pay(self, invoice_internal_id, amount, **dates)
        except payments.PaymentError as exc:
            raise ActionError(str(exc)) from None

    def edit_lines(self, internal_id: str, lines) -> Record:
        """Replace the order's lines: ``[{"item": internalId, "quantity": n, "rate": r}]``."""
        so = self._order(internal_id)
        self._require(so, {"_pendingApproval", "_pendingFulfillment"}, "edit")
        so.fields["itemList"] = build_lines(self.store, so, lines)
        self.compute_record_totals(so)
        return so

    def _save_new(self, rec: Record, external_id) -> Record:
        stored = self.store.add(rec.type_name, external_id, rec.fields)
        self.on_create(stored)
        return stored

    @staticmethod
    def _require(so: Record, allowed: set[str], verb: str) -> None:
        if so.text("orderStatus") not in allowed:
            raise ActionError(
                f"cannot {verb} sales order {so.internal_id} in status {so.text('orderStatus')}"
            )


def build_lines(store: Store, rec: Record, lines) -> etree._Element:
    """An itemList from ``[{"sku" or "item", "quantity"?, "rate"?, "amount"?, "location"?,
    "taxAmount"?}]``."""
    item_list = etree.Element(q(rec.ns, "itemList"))
    for line in lines:
        item_id = line.get("item")
        if "sku" in line:
            item = store.item_by_sku(line["sku"])
            if item is None:
                raise ActionError(f"no item with SKU {line['sku']}")
            item_id = item.internal_id
        elif store.item(internal_id=item_id) is None:
            raise ActionError(f"no item {item_id}")
        out = etree.SubElement(item_list, q(rec.ns, "item"))
        name_item_ref(
            etree.SubElement(out, q(rec.ns, "item"), internalId=str(item_id)),
            store.item(internal_id=str(item_id)),
        )
        if line.get("quantity") is not None or line.get("amount") is None:
            etree.SubElement(out, q(rec.ns, "quantity")).text = _num(float(line.get("quantity", 1)))
        if line.get("rate") is not None or line.get("amount") is None:
            etree.SubElement(out, q(rec.ns, "rate")).text = str(line.get("rate", 0))
        if line.get("amount") is not None:
            etree.SubElement(out, q(rec.ns, "amount")).text = str(line["amount"])
        if line.get("location") is not None:
            etree.SubElement(out, q(rec.ns, "location"), internalId=str(line["location"]))
        if line.get("taxAmount") is not None:
            # the line's tax, as an account with SuiteTax holds it (not added to the totals)
            etree.SubElement(out, q(rec.ns, "taxAmount")).text = str(line["taxAmount"])
        sort_children(out, rec.ns, rec.type_name + "Item")
    return item_list


def name_item_ref(ref: etree._Element, item) -> None:
    """NetSuite reads a line's item reference back with the item's name (its itemId)."""
    for old in ref.findall(q(CORE, "name")):
        ref.remove(old)
    name = item.text("itemId") if item is not None else None
    if name:
        etree.SubElement(ref, q(CORE, "name")).text = name


def _renamespaced(el: etree._Element, ns: str) -> etree._Element:
    """A copy of a body field for a record in another namespace (sales -> customers)."""
    out = copy.deepcopy(el)
    out.tag = q(ns, etree.QName(el).localname)
    return out


def _item_type(target: str) -> str:
    return {"cashRefund": "CashRefundItem", "creditMemo": "CreditMemoItem"}[target]


__all__ = ["AccountActions", "ActionError", "SavedSearch", "soap"]
