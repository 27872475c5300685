"""The error workbench page (/transactions/errors/): thin views that parse input, call a verb
of workbench.py, record who did it (audit) and go back to the page with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import audit, workbench
from .forms import BindSkuForm, ErrorActionForm, ErrorFilterForm, ErrorGroupForm
from .permissions import BIND_SKU, POST, VIEW


@permission_required(VIEW, raise_exception=True)
@require_GET
def errors_page(request):
    form = ErrorFilterForm(request.GET or None)
    connector = form.cleaned_data.get("connector") if form.is_valid() else None
    tab = "resolved" if request.GET.get("tab") == "resolved" else "open"
    context = {"form": form, "tab": tab, "connector": connector}
    if tab == "resolved":
        context["resolved"] = workbench.resolved(connector.pk if connector else None)
    else:
        found = workbench.groups(connector.pk if connector else None)
        by_flow: dict[str, list] = {}
        for group in found:
            by_flow.setdefault(group.flow_label, []).append(group)
        context.update(by_flow=by_flow, total=sum(g.count for g in found))
    return render(request, "transactions/errors.html", context)


@permission_required(VIEW, raise_exception=True)
@require_GET
def error_rows(request):
    group = ErrorGroupForm(request.GET)
    if not group.is_valid():
        return HttpResponseBadRequest("Which group? connector, flow and kind are needed.")
    g = group.cleaned_data
    try:
        page = workbench.page_of_group(
            g["connector"], g["flow"], g["kind"], request.GET.get("after")
        )
    except workbench.WorkbenchError as exc:
        return HttpResponseBadRequest(exc.message)
    context = {
        "group": g,
        "page": page,
        "uid": workbench.group_uid(g["connector"], g["flow"], g["kind"]),
        "query": workbench.group_query(g["connector"], g["flow"], g["kind"]),
        # After an action, back to the workbench (the page the rows were opened from).
        "back": reverse("transactions:errors"),
    }
    for txn in page.rows:
        txn.unknown_sku = workbench.unknown_sku(txn.last_error)
    template = "transactions/_error_rows.html" if request.htmx else "transactions/error_group.html"
    return render(request, template, context)


def _back(request):
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    return redirect(back or reverse("transactions:errors"))


def _audit(request, outcome: workbench.Outcome, what: str) -> None:
    for txn, before in outcome.acted:
        audit.record(request, txn, txn.connector, "action", before, what)


def _report(request, outcome: workbench.Outcome) -> None:
    level = messages.success if outcome.done and not outcome.skipped else messages.warning
    level(request, outcome.message)


@permission_required(POST, raise_exception=True)
@require_POST
def error_action(request):
    """Retry or Ignore (with a reason) one row or a selection (`ids`), or a whole group."""
    form = ErrorActionForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing was done. {problems}")
        return _back(request)
    verb, scope = form.cleaned_data["verb"], form.cleaned_data["scope"]
    target: dict = {}
    if scope == "group":
        group = ErrorGroupForm(request.POST)
        if not group.is_valid():
            messages.error(request, "That group is not valid: reload the page.")
            return _back(request)
        target["group"] = group.cleaned_data
    else:
        # Ids the database can hold (ASCII digits, below 2**63): anything else is no row.
        ids = request.POST.getlist("ids")
        target["ids"] = [int(v) for v in ids if v.isascii() and v.isdigit() and len(v) < 19]
    try:
        if verb == "retry":
            outcome = workbench.retry(request.user, **target)
        else:
            outcome = workbench.ignore(request.user, form.cleaned_data["reason"], **target)
    except workbench.WorkbenchError as exc:
        messages.error(request, exc.message)
        return _back(request)
    _audit(request, outcome, f"workbench {verb}" + (" (group)" if scope == "group" else ""))
    _report(request, outcome)
    return _back(request)


@permission_required([POST, BIND_SKU], raise_exception=True)
@require_POST
def bind_sku(request):
    """Bind SKU and retry: the mapping an unknown-SKU error needs, then the rows it blocked."""
    form = BindSkuForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the connector, the SKU and the NetSuite item id.")
        return _back(request)
    data = form.cleaned_data
    try:
        outcome = workbench.bind_sku_and_retry(
            request.user, data["connector"], data["sku"], data["netsuite_item_id"]
        )
    except workbench.WorkbenchError as exc:
        messages.error(request, exc.message)
        return _back(request)
    _audit(request, outcome, f"bind SKU {data['sku']} and retry")
    _report(request, outcome)
    return _back(request)
