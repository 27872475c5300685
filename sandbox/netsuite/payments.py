"""Customer payments in the sandbox account: what accounts receivable does in NetSuite when a
B2B customer pays an invoice (in full or in part).

A customer payment (`CustomerPayment`, customers namespace) names the customer, the amount
(`payment`), its date (`tranDate`) and, in `applyList`, the invoices it pays: one `apply` per
invoice with `apply` true, `doc` (the invoice's internal id), `type` "Invoice", the invoice's
`total`, what was `due` before this payment and the `amount` applied. Every payment stamps
`createdDate` and `lastModifiedDate` (milliseconds, UTC), which the basic search filters on.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from .fulfilments import now_text
from .soap import q
from .store import Record, sort_children


class PaymentError(ValueError):
    """A payment NetSuite would refuse (more than the invoice has due, not positive)."""


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def applied_to(store, invoice_id: str) -> Decimal:
    """What earlier customer payments applied to this invoice."""
    total = Decimal(0)
    for rec in store.of_type("CustomerPayment"):
        apply_list = rec.fields.get("applyList")
        for line in [] if apply_list is None else list(apply_list):
            if line.findtext(q(rec.ns, "doc")) == str(invoice_id):
                total += _money(line.findtext(q(rec.ns, "amount")))
    return total


def pay(sandbox, invoice_id: str, amount=None, tranDate=None, lastModifiedDate=None) -> Record:
    """A customer payment of ``amount`` (default: what is due) applied to one invoice."""
    store = sandbox.store
    invoice = store.get("Invoice", invoice_id)
    if invoice is None:
        raise PaymentError(f"no invoice {invoice_id}")
    total = _money(invoice.text("total"))
    due = total - applied_to(store, invoice.internal_id)
    value = due if amount is None else _money(amount)
    if value <= 0:
        raise PaymentError("A payment must be greater than 0.")
    if value > due:
        raise PaymentError(f"invoice {invoice_id} has {due} due, not {value}")
    rec = Record("CustomerPayment", "", None)
    stamp = lastModifiedDate or now_text()
    rec.set_text("createdDate", stamp)
    rec.set_text("lastModifiedDate", stamp)
    rec.set_text("tranDate", tranDate or stamp)
    rec.set_ref("customer", invoice.ref_id("entity"))
    rec.set_text("payment", str(value))
    rec.set_text("total", str(value))
    rec.set_text("applied", str(value))
    rec.set_text("memo", f"Payment for invoice {invoice.internal_id}")
    apply_list = etree.Element(q(rec.ns, "applyList"))
    line = etree.SubElement(apply_list, q(rec.ns, "apply"))
    for name, text in (
        ("apply", "true"),
        ("doc", invoice.internal_id),
        ("type", "Invoice"),
        ("refNum", invoice.text("tranId") or invoice.internal_id),
        ("total", str(total)),
        ("due", str(due)),
        ("amount", str(value)),
    ):
        etree.SubElement(line, q(rec.ns, name)).text = text
    sort_children(line, rec.ns, "CustomerPaymentApply")
    rec.fields["applyList"] = apply_list
    return store.add("CustomerPayment", None, rec.fields)


# -- deposits -----------------------------------------------------------------------------------
#
# A deposit (`Deposit`, bank namespace) moves money into a bank `account`: the payments it
# deposits (`paymentList`: `depositPayment` with deposit = true, the payment's `id` and its
# `paymentAmount`), other deposits (`otherList`: `depositOther`, an `amount` to an `account`)
# and cash back (`cashBackList`: `depositCashBack`, an `amount` taken out to an `account`, e.g.
# processing fees). NetSuite computes `total` = payments + other - cash back; a payment that
# does not exist, or a deposit line without an account, is refused.

DEPOSITABLE = ("CashSale", "CustomerPayment", "CashRefund")


def _lines(rec: Record, list_name: str) -> list[etree._Element]:
    sublist = rec.fields.get(list_name)
    return [] if sublist is None else list(sublist)


def deposit(store, rec: Record) -> None:
    if rec.fields.get("account") is None:
        raise PaymentError("A deposit needs a bank account (account).")
    total = Decimal(0)
    for line in _lines(rec, "paymentList"):
        if (line.findtext(q(rec.ns, "deposit")) or "true") != "true":
            continue
        doc = line.findtext(q(rec.ns, "id"))
        found = next((t for t in DEPOSITABLE if store.get(t, doc) is not None), None)
        if found is None:
            raise PaymentError(f"Invalid payment reference key {doc}.")
        amount = line.findtext(q(rec.ns, "paymentAmount")) or line.findtext(
            q(rec.ns, "transactionAmount")
        )
        total += _money(amount)
    for list_name, sign in (("otherList", 1), ("cashBackList", -1)):
        for line in _lines(rec, list_name):
            if line.find(q(rec.ns, "account")) is None:
                raise PaymentError(f"Each {list_name} line needs an account.")
            total += sign * _money(line.findtext(q(rec.ns, "amount")))
    rec.set_text("total", str(total))
    if rec.text("lastModifiedDate") is None:
        rec.set_text("createdDate", now_text())
    rec.set_text("lastModifiedDate", now_text())
