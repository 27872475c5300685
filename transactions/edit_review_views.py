"""The exception queue page (/transactions/edits/): order edits the connector did not apply
by itself. Thin views: read through edit_queue.py, act through the verbs of edit_reviews.py
(under the person's name in the audit log), then show the review with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from connector.audit import acting

from . import edit_queue, edit_reviews
from .forms import EditReviewFilterForm
from .models import EditReview
from .permissions import POST, VIEW

PAGE_SIZE = 20


@permission_required(VIEW, raise_exception=True)
@require_GET
def edit_reviews_page(request):
    form = EditReviewFilterForm(request.GET or None)
    connector = form.cleaned_data.get("connector") if form.is_valid() else None
    tab = "decided" if request.GET.get("tab") == "decided" else "open"
    found = edit_queue.reviews(tab, connector.pk if connector else None)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    for review in page.object_list:
        edit_queue.present(review)
    query = {"tab": tab, **({"connector": connector.pk} if connector else {})}
    return render(
        request,
        "transactions/edit_reviews.html",
        {
            "form": form,
            "tab": tab,
            "connector": connector,
            "page": page,
            "query": urlencode(query),
            "back": request.get_full_path(),
        },
    )


def _one(pk: int) -> EditReview:
    return get_object_or_404(
        EditReview.objects.select_related("connector", "transaction", "resolved_by"), pk=pk
    )


def _back(request) -> str:
    """Where "Back to the queue" goes: the list the person came from, on this site only."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return reverse("transactions:edits")
    return back or reverse("transactions:edits")


def _render_one(request, review: EditReview, status: int = 200, **extra):
    edit_queue.present(review)
    back = _back(request)
    context = {"review": review, "back": back, **extra}
    template = "transactions/_edit_review.html" if request.htmx else "transactions/edit_review.html"
    return render(request, template, context, status=status)


@permission_required(VIEW, raise_exception=True)
@require_GET
def edit_review(request, pk: int):
    """One review: its page, or its card alone (htmx: the page polls a review in Applying)."""
    return _render_one(request, _one(pk))


VERBS = {
    "apply": edit_reviews.apply_anyway,
    "adjust": edit_reviews.create_adjustment,
}


def _done_message(request, review: EditReview, verb: str) -> None:
    """Say what became of the decision: with posts run in-process it is already final."""
    name = review.shopify_order_name or review.shopify_order_id
    if review.state == EditReview.State.APPLIED:
        messages.success(request, f"The edit of order {name} was applied to the sales order.")
    elif review.state == EditReview.State.ADJUSTED:
        messages.success(
            request, f"Credit memo {review.adjustment_id} created for the edit of order {name}."
        )
    elif review.state == EditReview.State.DISMISSED:
        messages.success(request, f"The edit of order {name} was dismissed.")
    elif edit_queue.apply_failed(review):
        messages.error(
            request,
            f"NetSuite did not take the edit of order {name}: {review.transaction.last_error}",
        )
    elif review.state == EditReview.State.APPLYING:
        what = "Applying the edit" if verb == "apply" else "Creating the credit memo"
        messages.info(request, f"{what} of order {name}: the review shows when it is done.")
    else:  # the flow found the order changed meanwhile: the review is about the new edit
        messages.warning(
            request, f"The edit of order {name} is {review.get_state_display().lower()}."
        )


@permission_required(POST, raise_exception=True)
@require_POST
def edit_review_action(request, pk: int, verb: str):
    if verb not in (*VERBS, "dismiss"):
        raise Http404
    review = _one(pk)
    reason = request.POST.get("reason", "")
    try:
        with acting(request.user):
            if verb == "dismiss":
                edit_reviews.dismiss(request.user, review.pk, reason)
            else:
                VERBS[verb](request.user, review.pk)
    except edit_reviews.ReviewError as exc:
        if verb == "dismiss" and review.is_open and len(reason.strip()) < edit_reviews.MIN_REASON:
            # A reason the verb refused: its words next to the field, the reason kept.
            return _render_one(request, review, status=400, dismiss_error=str(exc), reason=reason)
        messages.error(request, str(exc))
    else:
        review = _one(pk)
        _done_message(request, review, verb)
    target = reverse("transactions:edit_review", args=[pk])
    return redirect(f"{target}?{urlencode({'next': _back(request)})}")
