"""The exceptions list, shared by the page, its CSV export and the API: filters, and each
variance's links (both records, its transaction's timeline) in one extra query per page."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from connector.models import Connector
from transactions.models import Transaction

from .models import Variance

STATES = [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]


class FilterForm(forms.Form):
    connector = forms.ModelChoiceField(
        Connector.objects.order_by("name"), required=False, empty_label="All connectors"
    )
    kind = forms.ChoiceField(
        label="Kind of variance",
        choices=[("", "All kinds"), *Variance.Kind.choices],
        required=False,
    )
    state = forms.ChoiceField(choices=STATES, required=False)
    date_from = forms.DateField(
        label="Seen from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="Seen to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def filtered(params) -> tuple[FilterForm, object]:
    form = FilterForm(params or None)
    qs = Variance.objects.select_related("connector")
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("connector"):
        qs = qs.filter(connector=data["connector"])
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    state = data.get("state") or "open"
    if state == "open":
        qs = qs.filter(resolved_at__isnull=True)
    elif state == "resolved":
        qs = qs.filter(resolved_at__isnull=False)
    if data.get("date_from"):
        qs = qs.filter(last_seen__date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(last_seen__date__lte=data["date_to"])
    return form, qs.order_by("-last_seen", "-id")


def timelines(variances) -> dict[int, int]:
    """variance id -> the Transaction whose timeline it belongs to (the refund's if the panel
    has one, else the order's): one query for the whole page."""
    variances = list(variances)
    if not variances:
        return {}
    condition = Q()
    for connector_id in {v.connector_id for v in variances}:
        orders = {v.shopify_order_id for v in variances if v.connector_id == connector_id}
        condition |= Q(connector_id=connector_id, shopify_order_id__in=orders)
    rows = Transaction.objects.filter(condition).values_list(
        "id", "connector_id", "kind", "source_id", "target_id", "shopify_order_id"
    )
    orders, refunds = {}, {}
    for pk, connector_id, kind, source_id, target_id, order_id in rows:
        if kind == "order":
            orders[(connector_id, order_id)] = pk
        elif kind == "refund":
            for remote in (source_id, target_id):
                if remote:
                    refunds[(connector_id, remote.rsplit("/", 1)[-1])] = pk
    out = {}
    for v in variances:
        found = None
        if v.record == Variance.Record.REFUND:
            for remote in v.shopify_id_list + v.netsuite_id_list:
                found = found or refunds.get((v.connector_id, remote))
        found = found or orders.get((v.connector_id, v.shopify_order_id))
        if found:
            out[v.pk] = found
    return out
