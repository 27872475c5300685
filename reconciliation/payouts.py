"""The payouts view of the Reconciliation page: per Shopify payout (Transaction kind payout) its
net against the NetSuite deposit's total the payout flow read back, with filters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.dateparse import parse_datetime

from connector.models import Connector
from transactions.models import Kind, Status, Transaction

# balanced: the deposit was written and its total read back equal to the payout's net;
# not balanced: the payout did not reconcile (or failed), the reason on the row.
STATES = {
    "balanced": (Status.POSTED,),
    "unbalanced": (Status.ERROR,),
    "waiting": (Status.WAITING,),
}


class FilterForm(forms.Form):
    connector = forms.ModelChoiceField(
        Connector.objects.order_by("name"), required=False, empty_label="All connectors"
    )
    state = forms.ChoiceField(
        label="Status",
        choices=[
            ("", "All"),
            ("balanced", "Balanced"),
            ("unbalanced", "Not balanced"),
            ("waiting", "Waiting"),
        ],
        required=False,
    )


def filtered(params) -> tuple[FilterForm, object]:
    form = FilterForm(params or None)
    qs = Transaction.objects.filter(kind=Kind.PAYOUT).select_related("connector")
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("connector"):
        qs = qs.filter(connector=data["connector"])
    if data.get("state"):
        qs = qs.filter(status__in=STATES[data["state"]])
    return form, qs.order_by("-created_at", "-id")


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def annotate(txn: Transaction) -> Transaction:
    """What a row shows: the payout's date, the deposit total and the difference."""
    payload = txn.payload or {}
    txn.issued_at = parse_datetime(payload.get("issued_at") or "") if payload else None
    txn.deposit_total = _decimal(payload.get("deposit_total"))
    txn.difference = (
        txn.deposit_total - txn.amount
        if txn.deposit_total is not None and txn.amount is not None
        else None
    )
    if txn.status == Status.POSTED:
        txn.state_label, txn.state_reason = "Posted", ""
    elif txn.status == Status.ERROR:
        txn.state_label, txn.state_reason = "Error", txn.last_error
    elif txn.status == Status.WAITING:
        txn.state_label, txn.state_reason = "Waiting", txn.status_reason
    else:
        txn.state_label, txn.state_reason = txn.get_status_display(), txn.status_reason
    return txn
