"""The exception queue page (/transactions/edits/): what it lists and in what order, who sees
and uses the buttons, each action (over real HTTP to the sandboxes where the flow writes),
refusals that change nothing, the nav's count and the list's queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests.factories import UserFactory, make_connector, make_cs
from transactions.models import EditReview, Status, Transaction

from .edit_review_world import ADDED, locked_edit, review_row

State = EditReview.State
URL = "/transactions/edits/"


def viewer():
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="transactions", codename="view_transaction")
    )
    return user


def _order(response) -> list[str]:
    return [r.shopify_order_name for r in response.context["page"].object_list]


# --- the list --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_open_reviews_oldest_first_decided_on_their_tab_and_a_connector_filter(client):
    shop, other = make_connector(name="Shop"), make_connector(name="Other")
    newer = review_row(shop, 1)
    older = review_row(shop, 2)
    EditReview.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    review_row(other, 3, state=State.APPLYING)
    review_row(shop, 4, state=State.DISMISSED, resolution="Customer called back")
    review_row(shop, 5, state=State.SUPERSEDED, resolution="The order was unlocked again.")
    client.force_login(make_cs())

    response = client.get(URL)
    assert response.status_code == 200
    assert _order(response) == ["#1002", "#1001", "#1003"]
    body = response.content.decode()
    assert "Why it was not applied:" in body and "item fulfillments for 1 unit" in body
    # Shopify vs NetSuite, line by line, with the totals of both sides.
    assert "Quantity changed in Shopify: MUG 3 → 1" in body
    assert "1 unit · 12.00" in body and "3 units · 36.00" in body
    assert "73.70" in body and "100.10" in body
    assert f'href="/transactions/{newer.transaction_id}/timeline/"' in body
    assert f"https://{shop.shopify_shop_domain}/admin/orders/7001" in body
    assert "transaction.nl?id=501" in body
    assert "Applying…" in body

    decided = client.get(URL, {"tab": "decided"})
    assert sorted(_order(decided)) == ["#1004", "#1005"]
    assert "Customer called back" in decided.content.decode()
    assert "No longer needed" in decided.content.decode()

    filtered = client.get(URL, {"connector": other.pk})
    assert _order(filtered) == ["#1003"]
    # A connector that does not exist is a form error, not a 500: the whole queue shows.
    assert client.get(URL, {"connector": "999999"}).status_code == 200


@pytest.mark.django_db
def test_the_nav_counts_the_edits_waiting_for_a_person(client):
    shop = make_connector()
    review_row(shop, 1)
    review_row(shop, 2)
    review_row(shop, 3, state=State.APPLYING)
    client.force_login(make_cs())
    body = client.get("/transactions/").content.decode()
    assert 'data-open-edits>2<span class="visually-hidden"> waiting for review' in body


@pytest.mark.django_db
def test_the_list_takes_the_same_queries_for_three_reviews_or_sixty(
    client, django_assert_max_num_queries
):
    shops = [make_connector() for _ in range(3)]
    for n in range(3):
        review_row(shops[n], n)
    client.force_login(make_cs())
    client.get(URL)  # sessions and permissions cached
    with django_assert_max_num_queries(50) as few:
        assert client.get(URL).status_code == 200
    for n in range(3, 60):
        review_row(shops[n % 3], n, state=State.OPEN if n % 2 else State.APPLYING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.context["page"].object_list) == 20
    assert response.context["page"].paginator.count == 60


# --- who may see and act ---------------------------------------------------------------------


@pytest.mark.django_db
def test_view_only_sees_the_queue_without_buttons_and_may_not_act(client):
    review = review_row(make_connector(), 1)
    client.force_login(viewer())
    body = client.get(URL).content.decode()
    assert "#1001" in body
    assert "Apply anyway" not in body and "Dismiss" not in body
    for verb in ("apply", "dismiss", "adjust"):
        response = client.post(f"{URL}{review.pk}/{verb}/", {"reason": "Customer called"})
        assert response.status_code == 403
    review.refresh_from_db()
    assert review.state == State.OPEN
    assert Transaction.objects.get(pk=review.transaction_id).status == Status.REVIEW

    client.logout()
    assert client.get(URL)["Location"].startswith("/login/")
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_customer_service_sees_the_buttons_credit_memo_only_for_a_reduction(client):
    shop = make_connector()
    reduces = review_row(shop, 1)
    adds = review_row(shop, 2, changes=ADDED)
    client.force_login(make_cs())
    body = client.get(URL).content.decode()
    assert body.count("Apply anyway</button>") == 2
    assert body.count("Create credit memo</button>") == 1
    assert f'action="{URL}{reduces.pk}/adjust/"' in body
    assert f'action="{URL}{adds.pk}/adjust/"' not in body
    assert "changes the sales order" in body or "sales order the warehouse" in body
    assert 'name="csrfmiddlewaretoken"' in body


# --- dismiss and the refusals ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_dismiss_with_a_reason_ignores_the_edit_row_and_says_so(client):
    review = review_row(make_connector(), 1)
    cs = make_cs(username="cara")
    client.force_login(cs)
    response = client.post(
        f"{URL}{review.pk}/dismiss/",
        {"reason": "Customer kept the old order", "next": f"{URL}?tab=open"},
        follow=True,
    )
    back = "%2Ftransactions%2Fedits%2F%3Ftab%3Dopen"
    assert response.redirect_chain[-1][0] == f"{URL}{review.pk}/?next={back}"
    body = response.content.decode()
    assert "The edit of order #1001 was dismissed." in body
    assert "Dismissed</span>" in body and "by cara" in body
    assert 'href="/transactions/edits/?tab=open"' in body
    review.refresh_from_db()
    assert (review.state, review.resolution, review.resolved_by) == (
        State.DISMISSED,
        "Customer kept the old order",
        cs,
    )
    txn = Transaction.objects.get(pk=review.transaction_id)
    assert txn.status == Status.IGNORED
    assert txn.status_reason == "Edit dismissed: Customer kept the old order"


@pytest.mark.django_db
def test_a_too_short_reason_shows_the_verbs_message_next_to_the_field(client):
    review = review_row(make_connector(), 1)
    client.force_login(make_cs())
    response = client.post(f"{URL}{review.pk}/dismiss/", {"reason": " no "})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="reason-{review.pk}-error">Say why the edit is dismissed (a few words)' in body
    assert 'aria-invalid="true"' in body and 'value=" no "' in body
    assert '<details class="review-dismiss" open>' in body
    review.refresh_from_db()
    assert review.state == State.OPEN
    assert Transaction.objects.get(pk=review.transaction_id).status == Status.REVIEW


@pytest.mark.django_db
def test_refusals_are_a_message_and_change_nothing(client):
    shop = make_connector()
    decided = review_row(shop, 1, state=State.DISMISSED, resolution="Customer called")
    adds = review_row(shop, 2, changes=ADDED)
    client.force_login(make_cs())

    response = client.post(f"{URL}{decided.pk}/apply/", follow=True)
    assert "This edit is already dismissed: nothing was done." in response.content.decode()
    response = client.post(f"{URL}{adds.pk}/adjust/", follow=True)
    assert "The edit removes nothing: there is nothing to credit." in response.content.decode()
    assert {r.state for r in EditReview.objects.all()} == {State.DISMISSED, State.OPEN}
    assert Transaction.objects.get(pk=adds.transaction_id).status == Status.REVIEW
    assert client.post(f"{URL}999999/apply/").status_code == 404
    assert client.get(f"{URL}{adds.pk}/apply/").status_code == 405
    # A short reason for an edit already decided: the decision is what the person learns.
    response = client.post(f"{URL}{decided.pk}/dismiss/", {"reason": "no"}, follow=True)
    assert response.status_code == 200
    assert '<div class="alert alert-error">This edit is already dismissed' in (
        response.content.decode()
    )
    # Someone else's site is not where "Back" goes.
    response = client.post(
        f"{URL}{decided.pk}/dismiss/", {"reason": "again, why", "next": "https://evil.test/"}
    )
    assert "evil.test" not in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_apply_queued_for_a_worker_shows_applying_and_polls(client, settings):
    settings.TRANSACTIONS_POST_SYNC = False  # the post is queued for a worker, not run here
    review = review_row(make_connector(), 1)
    client.force_login(make_cs())
    response = client.post(f"{URL}{review.pk}/apply/", follow=True)
    body = response.content.decode()
    assert "Applying the edit of order #1001: the review shows when it is done." in body
    assert "Applying…" in body and 'hx-trigger="every 2s"' in body
    assert "Apply anyway</button>" not in body
    assert Transaction.objects.get(pk=review.transaction_id).status == Status.SCHEDULED
    # A second click (or a second person) is refused: the review is being applied.
    again = client.post(f"{URL}{review.pk}/apply/", follow=True)
    assert "This edit is already applying: nothing was done." in again.content.decode()


@pytest.mark.django_db
def test_a_review_being_applied_polls_until_it_is_done(client):
    review = review_row(make_connector(), 1, state=State.APPLYING)
    Transaction.objects.filter(pk=review.transaction_id).update(status=Status.SCHEDULED)
    client.force_login(make_cs())
    card = client.get(f"{URL}{review.pk}/", HTTP_HX_REQUEST="true")
    body = card.content.decode()
    assert "<html" not in body
    assert 'hx-trigger="every 2s"' in body and "Applying…" in body
    EditReview.objects.filter(pk=review.pk).update(state=State.APPLIED)
    body = client.get(f"{URL}{review.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in body and "Applied anyway" in body


# --- apply anyway and the credit memo, over HTTP to the sandboxes ------------------------------


def _so(netsuite_sandbox, so_id):
    return netsuite_sandbox.control.records("salesOrder", internalId=so_id)[0]


def _line(so, title):
    return next(li for li in so["fields"]["itemList"] if li.get("description") == title)


@pytest.mark.django_db(transaction=True)
def test_apply_anyway_updates_the_sales_order_past_the_lock(
    client, wired, shopify_sandbox, netsuite_sandbox
):
    review, _created, so = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    client.force_login(make_cs(username="cara"))
    response = client.post(f"{URL}{review.pk}/apply/", follow=True)
    body = response.content.decode()
    assert "The edit of order" in body and "was applied to the sales order." in body
    assert "Applied anyway</span>" in body
    review.refresh_from_db()
    assert review.state == State.APPLIED
    after = _so(netsuite_sandbox, so["internalId"])
    assert Decimal(_line(after, "Mug")["quantity"]) == 1
    assert Decimal(after["fields"]["total"]) == Decimal(review.source_state["total"])
    assert Transaction.objects.get(pk=review.transaction_id).status == Status.POSTED


@pytest.mark.django_db(transaction=True)
def test_create_credit_memo_credits_what_the_edit_removed(
    client, wired, shopify_sandbox, netsuite_sandbox
):
    review, _created, so = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    client.force_login(make_cs())
    response = client.post(f"{URL}{review.pk}/adjust/", follow=True)
    review.refresh_from_db()
    assert review.state == State.ADJUSTED and review.adjustment_id
    body = response.content.decode()
    assert f"Credit memo {review.adjustment_id} created for the edit of order" in body
    assert f"transaction.nl?id={review.adjustment_id}" in body
    memo = netsuite_sandbox.control.records("creditMemo", internalId=review.adjustment_id)[0]
    owed = Decimal(review.target_state["total"]) - Decimal(review.source_state["total"])
    assert Decimal(memo["fields"]["total"]) == owed
    # The sales order stays as it was.
    assert Decimal(_line(_so(netsuite_sandbox, so["internalId"]), "Mug")["quantity"]) == 3


@pytest.mark.django_db(transaction=True)
def test_apply_anyway_that_netsuite_refuses_shows_its_error(
    client, wired, shopify_sandbox, netsuite_sandbox
):
    # The fulfilled Shirt line taken to 0: NetSuite keeps at least what was fulfilled.
    review, _created, so = locked_edit(
        wired, shopify_sandbox, netsuite_sandbox, sku="SHIRT", quantity=0
    )
    client.force_login(make_cs())
    response = client.post(f"{URL}{review.pk}/apply/", follow=True)
    body = response.content.decode()
    assert "NetSuite did not take the edit of order" in body
    assert "the quantity cannot be less than the quantity fulfilled" in body
    assert "Open: the last attempt failed" in body
    txn = Transaction.objects.get(pk=review.transaction_id)
    assert txn.status == Status.ERROR
    # The review is the person's to decide again: the buttons are back.
    review.refresh_from_db()
    assert review.state == State.OPEN and "Apply failed" in review.resolution
    assert "Apply anyway</button>" in body
    assert Decimal(_line(_so(netsuite_sandbox, so["internalId"]), "Shirt")["quantity"]) == 2
