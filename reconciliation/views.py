"""The Reconciliation page: open (or resolved) variances with filters, a CSV export (streamed)
and a Run button per connector."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from connector.models import Connector
from panel.templatetags.panel_tags import netsuite_record_url, shopify_order_url

from . import listing, payouts
from .models import Run
from .permissions import RUN, VIEW

PAGE_SIZE = 50


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def variance_list(request):
    form, qs = listing.filtered(request.GET)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    timeline = listing.timelines(rows)
    for v in rows:
        v.timeline_id = timeline.get(v.pk)
    connectors = list(Connector.objects.order_by("name"))
    last_runs = {}
    for run in Run.objects.filter(connector__in=connectors).order_by("connector_id", "-id"):
        last_runs.setdefault(run.connector_id, run)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reconciliation/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "connectors": [(c, last_runs.get(c.pk)) for c in connectors],
            "can_run": request.user.has_perm(RUN),
        },
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def payout_list(request):
    """Per Shopify payout: its net against the NetSuite deposit's total."""
    form, qs = payouts.filtered(request.GET)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [payouts.annotate(t) for t in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reconciliation/payouts.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = [
    "connector",
    "kind",
    "record",
    "shopify_order",
    "shopify_order_id",
    "shopify_ids",
    "netsuite_type",
    "netsuite_ids",
    "shopify_amount",
    "netsuite_amount",
    "detail",
    "first_seen",
    "last_seen",
    "resolved_at",
    "shopify_url",
    "netsuite_urls",
    # a variance of one line of the record (empty: the whole record)
    "line_kind",
    "line",
    "shopify_quantity",
    "netsuite_quantity",
]


def csv_rows(qs):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for v in qs.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                v.connector.name,
                v.kind,
                v.record,
                _safe(v.shopify_order_name),
                v.shopify_order_id,
                v.shopify_ids,
                v.netsuite_type,
                v.netsuite_ids,
                v.expected if v.expected is not None else "",
                v.actual if v.actual is not None else "",
                _safe(v.detail),
                v.first_seen.isoformat(),
                v.last_seen.isoformat(),
                v.resolved_at.isoformat() if v.resolved_at else "",
                shopify_order_url(v.connector, v.shopify_order_id),
                " ".join(netsuite_record_url(v.connector, i) for i in v.netsuite_id_list),
                v.line_kind,
                _safe(v.line),
                _quantity(v.expected_quantity),
                _quantity(v.actual_quantity),
            ]
        )


def _quantity(value) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _safe(text: str) -> str:
    # No formula injection when the file is opened in a spreadsheet.
    return f"'{text}" if text and text[0] in "=+-@\t\r" else text


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def variance_csv(request):
    _form, qs = listing.filtered(request.GET)
    response = StreamingHttpResponse(csv_rows(qs), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="reconciliation.csv"'
    return response


@login_required
@permission_required(RUN, raise_exception=True)
@require_POST
def run_now(request, pk: int):
    connector = get_object_or_404(Connector, pk=pk)
    async_task("reconciliation.tasks.run_one", connector.pk)
    messages.success(request, f"Reconciliation of {connector.name} started.")
    return redirect("reconciliation:list")
