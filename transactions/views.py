"""Data Flows › Other Transactions: thin views that parse input, call a verb, render."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import actions, audit, listing
from .errors import RetrieveError
from .forms import FilterForm, RetrieveForm
from .models import Transaction
from .permissions import POST, RETRIEVE, VIEW


@permission_required(VIEW, raise_exception=True)
@require_GET
def transaction_list(request):
    form = FilterForm(request.GET or None)
    params = form.params() if request.GET else {}
    qs = listing.filtered(params)
    current = listing.page(qs, request.GET.get("after"))
    current.total, current.total_capped = listing.bounded_count(qs)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "transactions/list.html",
        {"form": form, "page": current, "query": query.urlencode()},
    )


@permission_required(RETRIEVE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def retrieve_dialog(request):
    form = RetrieveForm(request.POST or None, initial={"source_channel": "netsuite"})
    result = error = None
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.retrieve(
                request.user,
                form.cleaned_data["connector"],
                form.cleaned_data["source_channel"],
                form.cleaned_data["order_id"],
            )
        except RetrieveError as exc:
            error = exc.message
    response = render(
        request,
        "transactions/_retrieve_dialog.html",
        {"form": form, "result": result, "error": error},
    )
    if result is not None:
        response["HX-Trigger"] = "transactionsChanged"
    return response


def _row(request, txn):
    return render(request, "transactions/_row.html", {"txn": txn})


@permission_required(VIEW, raise_exception=True)
@require_GET
def transaction_row(request, pk: int):
    return _row(request, get_object_or_404(Transaction.objects.select_related("connector"), pk=pk))


VERBS = {
    "post": actions.request_post,
    "retry": actions.retry,
    "ignore": actions.ignore,
    "undo-ignore": actions.undo_ignore,
}
BULK_VERBS = {"retry": (actions.retry, "retried"), "ignore": (actions.ignore, "ignored")}
BULK_LIMIT = 100


@permission_required(POST, raise_exception=True)
@require_POST
def transaction_action(request, pk: int, verb: str):
    if verb not in VERBS:
        raise Http404
    txn = get_object_or_404(Transaction.objects.select_related("connector"), pk=pk)
    before = txn.get_status_display()
    if VERBS[verb](request.user, txn):
        audit.record(request, txn, txn.connector, "action", before, verb.replace("-", " "))
    return _row(request, Transaction.objects.select_related("connector").get(pk=pk))


@permission_required(POST, raise_exception=True)
@require_POST
def bulk_action(request):
    """Retry or Ignore the rows ticked in the list (at most a page); each row goes through the
    same verb as its own menu, so a row in another state is left as it is and counted."""
    verb = request.POST.get("verb")
    if verb not in BULK_VERBS:
        raise Http404
    # ASCII digits that fit a bigint: "²" is a digit to str.isdigit and not to int().
    ids = [
        int(v) for v in request.POST.getlist("ids") if v.isascii() and v.isdigit() and len(v) < 19
    ][:BULK_LIMIT]
    do, done_word = BULK_VERBS[verb]
    done = 0
    for txn in Transaction.objects.select_related("connector").filter(pk__in=ids):
        before = txn.get_status_display()
        if do(request.user, txn.pk):
            done += 1
            audit.record(request, txn, txn.connector, "action", before, f"bulk {verb}")
    if not ids:
        messages.error(request, "Tick the transactions first.")
    elif done == len(ids):
        messages.success(request, f"{done} transaction(s) {done_word}.")
    else:
        messages.warning(
            request,
            f"{done} of {len(ids)} transaction(s) {done_word}; the others were not in a state "
            "that allows it (see their status).",
        )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    return redirect(back or "transactions:list")


@permission_required(VIEW, raise_exception=True)
@require_GET
def timeline(request, pk: int):
    txn = get_object_or_404(Transaction.objects.select_related("connector"), pk=pk)
    events = txn.events.select_related("actor")
    template = "transactions/_timeline.html" if request.htmx else "transactions/timeline.html"
    return render(request, template, {"txn": txn, "events": events})
