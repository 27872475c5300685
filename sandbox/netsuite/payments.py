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
