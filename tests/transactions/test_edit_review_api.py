"""The exception queue's API (/api/v1/edit-reviews/): the list with its filters and cursor,
the three decisions through the same verbs as the page, refusals as 400 with the verb's
words, and the same permissions."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory, make_connector, make_cs
from transactions.models import EditReview, Status, Transaction

from .edit_review_world import ADDED, locked_edit, review_row

State = EditReview.State
API = "/api/v1/edit-reviews/"


def viewer():
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="transactions", codename="view_transaction")
    )
    return user


def _orders(body) -> list[str]:
    return [r["shopify_order_name"] for r in body["results"]]


@pytest.mark.django_db
def test_the_list_filters_by_state_and_connector_in_queue_order(api_client):
    shop, other = make_connector(), make_connector()
    review_row(shop, 1)
    review_row(other, 2)
    review_row(shop, 3, state=State.DISMISSED, resolution="Customer called")
    review_row(shop, 4, state=State.ADJUSTED, adjustment_id="900")
    api_client.force_authenticate(viewer())

    body = api_client.get(API).json()
    assert _orders(body) == ["#1001", "#1002", "#1003", "#1004"]
    first = body["results"][0]
    assert first["changes"][0]["summary"] == "Quantity changed in Shopify: MUG 3 → 1"
    assert first["can_adjust"] is True and first["transaction_status"] == Status.REVIEW
    assert first["source_state"]["total"] == "73.70"
    assert _orders(api_client.get(API, {"state": "open"}).json()) == ["#1001", "#1002"]
    assert _orders(api_client.get(API, {"state": "decided"}).json()) == ["#1003", "#1004"]
    both = api_client.get(API, {"state": "open", "connector": other.pk}).json()
    assert _orders(both) == ["#1002"]
    bad = api_client.get(API, {"state": "whatever"})
    assert bad.status_code == 400 and "state" in bad.json()
    assert api_client.get(f"{API}999999/").status_code == 404


@pytest.mark.django_db
def test_the_list_is_paged_by_a_cursor(api_client):
    shop = make_connector()
    for n in range(55):
        review_row(shop, n)
    api_client.force_authenticate(viewer())
    first = api_client.get(API).json()
    assert len(first["results"]) == 50 and first["next"]
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    seen = _orders(first) + _orders(second)
    assert len(set(seen)) == 55


@pytest.mark.django_db
def test_decisions_need_post_transaction(api_client):
    review = review_row(make_connector(), 1)
    api_client.force_authenticate(viewer())
    for verb in ("apply", "dismiss", "adjust"):
        assert (
            api_client.post(f"{API}{review.pk}/{verb}/", {"reason": "long enough"}).status_code
            == 403
        )
    api_client.force_authenticate(None)
    assert api_client.get(API).status_code == 401
    review.refresh_from_db()
    assert review.state == State.OPEN


@pytest.mark.django_db(transaction=True)
def test_dismiss_by_token_names_the_person_and_refusals_are_400(api_client):
    shop = make_connector()
    review = review_row(shop, 1)
    adds = review_row(shop, 2, changes=ADDED)
    cs = make_cs(username="cara")
    token, _ = Token.objects.get_or_create(user=cs)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    short = api_client.post(f"{API}{review.pk}/dismiss/", {"reason": "no"}, format="json")
    assert short.status_code == 400
    assert short.json() == {
        "detail": "Say why the edit is dismissed (a few words): nothing was done."
    }
    refused = api_client.post(f"{API}{adds.pk}/adjust/")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "The edit removes nothing: there is nothing to credit."
    assert Transaction.objects.get(pk=adds.transaction_id).status == Status.REVIEW

    done = api_client.post(
        f"{API}{review.pk}/dismiss/", {"reason": "Customer kept the old order"}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == State.DISMISSED and done.json()["resolved_by"] == "cara"
    assert Transaction.objects.get(pk=review.transaction_id).status == Status.IGNORED
    entry = LogEntry.objects.get_for_object(EditReview.objects.get(pk=review.pk)).latest("id")
    assert entry.actor == cs and entry.changes_dict["state"] == ["open", "dismissed"]

    again = api_client.post(f"{API}{review.pk}/apply/")
    assert again.status_code == 400
    assert again.json()["detail"] == "This edit is already dismissed: nothing was done."


@pytest.mark.django_db(transaction=True)
def test_apply_and_adjust_over_the_api(api_client, wired, shopify_sandbox, netsuite_sandbox):
    applied, _c, so = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    api_client.force_authenticate(make_cs())
    body = api_client.post(f"{API}{applied.pk}/apply/").json()
    assert body["state"] == State.APPLIED and body["transaction_status"] == Status.POSTED
    after = netsuite_sandbox.control.records("salesOrder", internalId=so["internalId"])[0]
    assert Decimal(after["fields"]["total"]) == Decimal(applied.source_state["total"])

    credited, _c, _so = locked_edit(wired, shopify_sandbox, netsuite_sandbox)
    body = api_client.post(f"{API}{credited.pk}/adjust/").json()
    assert body["state"] == State.ADJUSTED and body["adjustment_id"]
    memo = netsuite_sandbox.control.records("creditMemo", internalId=body["adjustment_id"])[0]
    owed = Decimal(credited.target_state["total"]) - Decimal(credited.source_state["total"])
    assert Decimal(memo["fields"]["total"]) == owed
