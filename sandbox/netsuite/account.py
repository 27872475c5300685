"""What NetSuite users do in the UI, done to the sandbox's records: approve, cancel, bill, ..."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from . import soap
from .soap import CORE, q
from .store import Record, Store

CANCELLED_ORDERS_SEARCH_ID = "customsearch_nsc_cancelled_orders"
CANCELLED_ORDERS_SEARCH_INTERNAL_ID = "501"
DEFAULT_EXPORTED_FIELD = "custbody_etail_cancelled_exported"

# initialize: target record type -> (source record type, target type name, item type name)
INITIALIZE_FROM = {
    ("cashRefund", "cashSale"): ("CashRefund", "CashRefundItemList", "CashRefundItem"),
    ("creditMemo", "invoice"): ("CreditMemo", "CreditMemoItemList", "CreditMemoItem"),
    ("cashSale", "salesOrder"): ("CashSale", "CashSaleItemList", "CashSaleItem"),
    ("invoice", "salesOrder"): ("Invoice", "InvoiceItemList", "InvoiceItem"),
}


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


def copy_lines(source: Record, target: Record, list_type: str, item_type: str, lines=None) -> float:
    """Copy item lines (optionally only some SKUs/quantities) onto ``target``; returns the total."""
    src_list = source.fields.get("itemList")
    item_list = etree.Element(q(target.ns, "itemList"))
    total = 0.0
    wanted = None if lines is None else {str(x["item"]): float(x["quantity"]) for x in lines}
    for line in [] if src_list is None else src_list:
        item_ref = line.find(q(source.ns, "item"))
        item_id = item_ref.get("internalId") if item_ref is not None else None
        quantity = float(line.findtext(q(source.ns, "quantity")) or 1)
        if wanted is not None:
            if item_id not in wanted:
                continue
            quantity = wanted[item_id]
        rate = float(line.findtext(q(source.ns, "rate")) or 0)
        out = etree.SubElement(item_list, q(target.ns, "item"))
        ref = etree.SubElement(out, q(target.ns, "item"), internalId=item_id or "")
        name = item_ref.findtext(q(CORE, "name")) if item_ref is not None else None
        if name:
            etree.SubElement(ref, q(CORE, "name")).text = name
        etree.SubElement(out, q(target.ns, "quantity")).text = _num(quantity)
        etree.SubElement(out, q(target.ns, "rate")).text = _num(rate)
        etree.SubElement(out, q(target.ns, "amount")).text = _num(round(rate * quantity, 2))
        total += rate * quantity
        from .store import sort_children

        sort_children(out, target.ns, item_type)
    target.fields["itemList"] = item_list
    return round(total, 2)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class AccountActions:
    """Mixed into the sandbox: the verbs of its control API."""

    store: Store
    exported_field: str

    def on_create(self, rec: Record) -> None:
        if rec.type_name == "SalesOrder" and rec.text("orderStatus") is None:
            rec.set_text("orderStatus", "_pendingApproval")

    def initialize(self, target: str, source: Record) -> Record:
        key = (target, source.record_type)
        if key not in INITIALIZE_FROM:
            from .operations import _RecordError

            raise _RecordError(
                "INVALID_INITIALIZE_REF",
                f"You can not initialize {target}: invalid reference {source.internal_id}.",
            )
        type_name, list_type, item_type = INITIALIZE_FROM[key]
        rec = Record(type_name, "", None)
        entity = source.fields.get("entity")
        if entity is not None:
            rec.set_ref("entity", entity.get("internalId"))
        rec.set_ref("createdFrom", source.internal_id, type_=None)
        total = copy_lines(source, rec, list_type, item_type)
        rec.set_text("total", total)
        return rec

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

    def refund(self, internal_id: str, lines=None, external_id=None) -> Record:
        so = self._order(internal_id)
        bills = self._children("CashSale", so) + self._children("Invoice", so)
        if not bills:
            raise ActionError(f"sales order {internal_id} is not billed yet")
        bill = bills[0]
        target = "cashRefund" if bill.type_name == "CashSale" else "creditMemo"
        rec = self.initialize(target, bill)
        if lines is not None:
            rec.set_text("total", copy_lines(bill, rec, "", _item_type(target), lines))
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

    def pay(self, invoice_internal_id: str, amount=None) -> Record:
        invoice = self.store.get("Invoice", invoice_internal_id)
        if invoice is None:
            raise ActionError(f"no invoice {invoice_internal_id}")
        rec = Record("CustomerPayment", "", None)
        rec.set_ref("customer", invoice.ref_id("entity"))
        rec.set_text("payment", amount if amount is not None else invoice.text("total") or 0)
        rec.set_text("memo", f"Payment for invoice {invoice.internal_id}")
        return self._save_new(rec, None)

    def edit_lines(self, internal_id: str, lines) -> Record:
        """Replace the order's lines: ``[{"item": internalId, "quantity": n, "rate": r}]``."""
        so = self._order(internal_id)
        self._require(so, {"_pendingApproval", "_pendingFulfillment"}, "edit")
        item_list = etree.Element(q(so.ns, "itemList"))
        for line in lines:
            out = etree.SubElement(item_list, q(so.ns, "item"))
            etree.SubElement(out, q(so.ns, "item"), internalId=str(line["item"]))
            etree.SubElement(out, q(so.ns, "quantity")).text = _num(float(line["quantity"]))
            etree.SubElement(out, q(so.ns, "rate")).text = _num(float(line.get("rate", 0)))
        so.fields["itemList"] = item_list
        return so

    def _save_new(self, rec: Record, external_id) -> Record:
        stored = self.store.add(rec.type_name, external_id, rec.fields)
        return stored

    @staticmethod
    def _require(so: Record, allowed: set[str], verb: str) -> None:
        if so.text("orderStatus") not in allowed:
            raise ActionError(
                f"cannot {verb} sales order {so.internal_id} in status {so.text('orderStatus')}"
            )


def _item_type(target: str) -> str:
    return {"cashRefund": "CashRefundItem", "creditMemo": "CreditMemoItem"}[target]


__all__ = ["AccountActions", "ActionError", "SavedSearch", "soap"]
