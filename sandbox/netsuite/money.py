"""How NetSuite computes a transaction's money: line amounts, subTotal, discountTotal, total.

NetSuite computes these itself and refuses a request that sets them (they are read-only in a
real account): the money travels in the item lines (tax, too, as an other-charge line) and in
``shippingCost`` / ``handlingCost``. See docs/sandbox-netsuite.md.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from .soap import q
from .store import ITEM_TYPES, sort_children

__all__ = ["ITEM_TYPES", "READ_ONLY", "TOTALLED", "compute"]

CENT = Decimal("0.01")

# The transactions whose totals the sandbox computes.
TOTALLED = frozenset(
    {"SalesOrder", "CashSale", "Invoice", "CashRefund", "CreditMemo", "ReturnAuthorization"}
)

# Body fields NetSuite computes; setting one is refused (INSUFFICIENT_PERMISSION) unless the
# request's preferences say ignoreReadOnlyFields, in which case they are dropped.
READ_ONLY = ("subTotal", "discountTotal", "taxTotal", "tax2Total", "total")


def read_only_message(field_name: str) -> str:
    # NetSuite's wording, element named by its internal (lower-case) field id, as in
    # https://github.com/NetSweet/netsuite/pull/124 ("... for element addrtext due to ...").
    return (
        f"You do not have permissions to set a value for element {field_name.lower()} due to "
        "one of the following reasons: 1) The field is read-only; 2) An associated feature is "
        "disabled; 3) The field is available either when a record is created or updated, but "
        "not in both cases."
    )


def decimal(text) -> Decimal | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        return Decimal(str(text).strip())
    except InvalidOperation:
        return None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    return str(cents(value))


class MoneyError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def compute(rec, item_lookup, tax_rate=0) -> None:
    """Set each line's ``amount`` (kept if sent, else quantity × rate) and the body's
    ``subTotal``, ``discountTotal`` (with a discountItem), ``taxTotal`` and ``total``.

    ``item_lookup(internal_id)`` returns the item record (for a line without a rate).
    ``tax_rate``: the account's own tax on taxable (inventory) item lines, as a real account
    with tax codes computes it; 0 (the default) is an account that leaves tax to the lines.
    """
    rate = decimal(str(tax_rate)) or Decimal(0)
    tax = Decimal(0)
    ns = rec.ns
    subtotal = Decimal(0)
    items = rec.fields.get("itemList")
    previous = Decimal(0)
    for line in [] if items is None else items:
        amount = decimal(line.findtext(q(ns, "amount")))
        if amount is None:
            amount = _line_amount(line, ns, previous, item_lookup)
            _set_child(line, ns, "amount", fmt(amount))
            sort_children(line, ns, rec.type_name + "Item")
        else:
            _set_child(line, ns, "amount", fmt(amount))  # to the cent, as NetSuite keeps it
        amount = cents(amount)
        subtotal += amount
        previous = amount
        if rate and _is_taxable(line, ns, item_lookup):
            tax += amount * rate
    rec.set_text("subTotal", fmt(subtotal))
    total = subtotal
    discount = _body_discount(rec, subtotal, item_lookup)
    if discount is not None:
        rec.set_text("discountTotal", fmt(discount))
        total += discount
    else:
        rec.fields.pop("discountTotal", None)
    for name in ("shippingCost", "handlingCost"):
        value = decimal(rec.text(name))
        if value is not None:
            total += cents(value)
    if rate:
        rec.set_text("taxTotal", fmt(cents(tax)))
        total += cents(tax)
    rec.set_text("total", fmt(total))


def _is_taxable(line, ns, item_lookup) -> bool:
    ref = line.find(q(ns, "item"))
    item = item_lookup(ref.get("internalId")) if ref is not None else None
    return item is not None and item.type_name == "InventoryItem"


def _line_amount(line, ns, previous: Decimal, item_lookup) -> Decimal:
    quantity = decimal(line.findtext(q(ns, "quantity")))
    rate_text = line.findtext(q(ns, "rate"))
    if rate_text is None:
        ref = line.find(q(ns, "item"))
        item = item_lookup(ref.get("internalId")) if ref is not None else None
        rate_text = item.text("rate") if item is not None else None
        if rate_text is not None:
            _set_child(line, ns, "rate", rate_text)
    rate_text = (rate_text or "0").strip()
    if rate_text.endswith("%"):
        # A percentage (a discount item line): of the line above it, as NetSuite applies it.
        percent = decimal(rate_text[:-1]) or Decimal(0)
        return cents(previous * percent / 100)
    rate = decimal(rate_text) or Decimal(0)
    return cents((Decimal(1) if quantity is None else quantity) * rate)


def _body_discount(rec, subtotal: Decimal, item_lookup) -> Decimal | None:
    rate_text = rec.text("discountRate")
    ref = rec.fields.get("discountItem")
    if ref is None:
        if rate_text is not None:
            # The field is disabled until a discount item is chosen.
            raise MoneyError("INSUFFICIENT_PERMISSION", read_only_message("discountRate"))
        return None
    if rate_text is None:
        item = item_lookup(ref.get("internalId"))
        rate_text = (item.text("rate") if item is not None else None) or "0"
    rate_text = rate_text.strip()
    if rate_text.endswith("%"):
        return cents(subtotal * (decimal(rate_text[:-1]) or Decimal(0)) / 100)
    value = decimal(rate_text)
    if value is None:
        raise MoneyError("INVALID_FLD_VALUE", f"Invalid discountrate value {rate_text}.")
    return cents(value)


def _set_child(line, ns: str, name: str, text: str) -> None:
    el = line.find(q(ns, name))
    if el is None:
        el = etree.SubElement(line, q(ns, name))
    el.text = text
