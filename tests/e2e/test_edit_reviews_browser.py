"""The exception queue in Chromium: four orders imported, approved and partly fulfilled in the
NetSuite sandbox, then edited in the Shopify sandbox; the flow sends each edit to the queue.
Customer service finds them from the nav's count, compares Shopify with NetSuite, dismisses
one (a too-short reason first: the verb's words next to the field), applies one anyway
(the confirm dialog says what it means; the sales order changes), has a credit memo made
for one, and sees NetSuite's refusal of the fourth as an error on the page."""

from decimal import Decimal

import pytest

from tests.e2e.conftest import axe_check, login
from tests.factories import PASSWORD, make_cs
from tests.transactions.edit_review_world import locked_edit
from transactions.models import EditReview, Status, Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

State = EditReview.State


def _card(page, review):
    return page.locator(f"section[data-review='{review.pk}']")


def _back_to_queue(page):
    page.get_by_role("link", name="Back to the order edits").click()
    page.get_by_role("heading", name="Order edits to review").wait_for()


def _mug(netsuite_sandbox, so) -> Decimal:
    after = netsuite_sandbox.control.records("salesOrder", internalId=so["internalId"])[0]
    mug = next(li for li in after["fields"]["itemList"] if li.get("description") == "Mug")
    return Decimal(mug["quantity"])


def test_customer_service_dismisses_applies_credits_and_sees_a_refusal(
    page, live_server, screenshot, wired, shopify_sandbox, netsuite_sandbox
):
    dismissed, _, _ = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    applied, _, applied_so = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    credited, _, credited_so = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    refused, _, _ = locked_edit(wired, shopify_sandbox, netsuite_sandbox, sku="SHIRT", quantity=0)

    make_cs(username="cara")
    login(page, live_server, "cara", PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name="Order edits")
    assert link.locator("[data-open-edits]").inner_text().startswith("4")
    link.click()
    page.get_by_role("heading", name="Order edits to review").wait_for()
    assert page.locator("section[data-review]").count() == 4
    card = _card(page, dismissed)
    text = card.inner_text()
    assert "NetSuite already has item fulfillments for 1 unit(s)" in text
    assert "Quantity changed in Shopify: MUG 3 → 1" in text
    assert "1 unit · 12.00" in text and "3 units · 36.00" in text
    assert card.get_by_role(
        "link", name=f"Sales order {dismissed.netsuite_sales_order_id} in NetSuite"
    ).is_visible()
    axe_check(page, "edit-reviews")
    screenshot("edit-reviews-open")

    # Dismiss: a reason of two letters is refused by the verb, shown next to the field.
    card.locator("summary", has_text="Dismiss").click()
    card.get_by_label("Reason (required)").fill("no")
    card.get_by_role("button", name="Dismiss the edit").click()
    error = page.locator(f"#reason-{dismissed.pk}-error")
    error.wait_for()
    assert error.inner_text() == "Say why the edit is dismissed (a few words): nothing was done."
    dismissed.refresh_from_db()
    assert dismissed.state == State.OPEN
    axe_check(page, "edit-review-dismiss-error")
    page.get_by_label("Reason (required)").fill("Customer kept the old order")
    page.get_by_role("button", name="Dismiss the edit").click()
    page.get_by_text(f"The edit of order {dismissed.shopify_order_name} was dismissed.").wait_for()
    assert "Dismissed" in page.locator("[data-review-state]").inner_text()
    assert "Customer kept the old order" in page.locator(".review-resolution").inner_text()
    assert Transaction.objects.get(pk=dismissed.transaction_id).status == Status.IGNORED
    _back_to_queue(page)
    assert page.locator("section[data-review]").count() == 3

    # Apply anyway asks first; dismissed, nothing happens.
    messages = []

    def answer(accept):
        def handle(dialog):
            messages.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    card = _card(page, applied)
    page.once("dialog", answer(False))
    card.get_by_role("button", name="Apply anyway").click()
    assert "past the fulfilment lock" in messages[-1]
    applied.refresh_from_db()
    assert applied.state == State.OPEN and _mug(netsuite_sandbox, applied_so) == 3
    page.once("dialog", answer(True))
    card.get_by_role("button", name="Apply anyway").click()
    page.get_by_text(
        f"The edit of order {applied.shopify_order_name} was applied to the sales order."
    ).wait_for()
    assert "Applied anyway" in page.locator("[data-review-state]").inner_text()
    assert _mug(netsuite_sandbox, applied_so) == 1
    screenshot("edit-review-applied")
    _back_to_queue(page)

    # Create credit memo: the sales order stays, a credit memo for what was removed.
    card = _card(page, credited)
    page.once("dialog", answer(True))
    card.get_by_role("button", name="Create credit memo").click()
    credited.refresh_from_db()
    page.get_by_text(f"Credit memo {credited.adjustment_id} created for the edit").wait_for()
    assert credited.state == State.ADJUSTED
    assert page.get_by_role(
        "link", name=f"Credit memo {credited.adjustment_id} in NetSuite"
    ).is_visible()
    assert _mug(netsuite_sandbox, credited_so) == 3
    axe_check(page, "edit-review-adjusted")
    _back_to_queue(page)

    # Apply anyway on the fulfilled line: NetSuite refuses; the page says so, the review
    # is open again for a new decision.
    card = _card(page, refused)
    page.once("dialog", answer(True))
    card.get_by_role("button", name="Apply anyway").click()
    page.get_by_text(
        f"NetSuite did not take the edit of order {refused.shopify_order_name}"
    ).wait_for()
    state = page.locator("[data-review-state]").inner_text()
    assert "the last attempt failed" in state
    failure = page.locator(".review-failure").inner_text()
    assert "the quantity cannot be less than the quantity fulfilled" in failure
    assert page.get_by_role("button", name="Apply anyway").is_visible()
    assert Transaction.objects.get(pk=refused.transaction_id).status == Status.ERROR
    axe_check(page, "edit-review-refused")
    screenshot("edit-review-refused")

    # The Decided tab: who decided what.
    _back_to_queue(page)
    page.get_by_role("link", name="Decided").click()
    page.locator("section[data-review]").first.wait_for()
    decided = page.locator("section[data-review]")
    assert decided.count() == 3
    assert "by cara" in _card(page, dismissed).inner_text()
    assert page.locator("[data-open-edits]").inner_text().startswith("1")
    axe_check(page, "edit-reviews-decided")
    screenshot("edit-reviews-decided")
