"""The Other Transactions list as a newcomer meets it: a total, search by order number, email,
SKU and error text, errors that say what to do and where, temporary faults that say when they
are tried again, bulk Retry / Ignore, Ignore undone, and no old error once a row is done."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_connector, make_cs
from transactions import lifecycle
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db


def _order(connector, n, *, status=Status.ERROR, error="", sku="TEE-M", email=None, **fields):
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind="order",
        source_channel="shopify",
        source_id=f"gid{n}",
        defaults={
            "shopify_order_name": f"#{1000 + n}",
            "shopify_order_id": str(5550000 + n),
            "payload": {
                "email": email or f"buyer{n}@example.com",
                "lineItems": [{"sku": sku, "quantity": 1}],
            },
        },
    )
    Transaction.objects.filter(pk=txn.pk).update(status=status, last_error=error, **fields)
    return Transaction.objects.get(pk=txn.pk)


def _listed(client, **query):
    response = client.get("/transactions/", query)
    assert response.status_code == 200
    return response


def test_search_by_email_sku_and_error_text_with_a_total(client):
    connector = make_connector()
    _order(connector, 1, error="SKU ABC-1 on line 2 is not an item in NetSuite: create it")
    _order(connector, 2, status=Status.POSTED, sku="MUG-9", email="ann@example.com")
    _order(connector, 3, status=Status.POSTED)
    client.force_login(make_cs())

    def names(**q):
        return [t.shopify_order_name for t in _listed(client, **q).context["page"].rows]

    assert names(search="#1003") == ["#1003"]
    assert names(search="ANN@example.com") == ["#1002"]
    assert names(search="MUG-9") == ["#1002"]
    assert names(search="not an item") == ["#1001"]
    # A posted row's old error is no match: only open errors are searched.
    Transaction.objects.filter(shopify_order_name="#1003").update(last_error="not an item")
    assert names(search="not an item") == ["#1001"]
    assert "3 transactions." in _listed(client).content.decode()


def test_errors_say_what_to_do_and_where(client):
    connector = make_connector()
    soon = timezone.now() + timedelta(minutes=4)
    _order(
        connector, 1, error="SKU ABC-1 on line 2 is not an item in NetSuite: create it or map it"
    )
    _order(connector, 2, error="NetSuite is busy (503).", next_attempt_at=soon)
    _order(connector, 3, status=Status.POSTED, error="an old error", target_id="777")
    client.force_login(make_cs())
    body = _listed(client).content.decode()
    assert "Find or create item ABC-1 in NetSuite" in body
    assert f"https://{connector.shopify_shop_domain}/admin/orders/5550001" in body
    assert "tried again by itself at" in body and "Retry now" in body
    assert "an old error" not in body
    assert "transaction.nl?id=777" in body


def test_bulk_ignore_and_undo(client):
    connector = make_connector()
    rows = [_order(connector, n, error="boom") for n in range(1, 4)]
    posted = _order(connector, 9, status=Status.POSTED)
    client.force_login(make_cs())
    response = client.post(
        "/transactions/bulk/",
        {"verb": "ignore", "ids": [rows[0].pk, rows[1].pk, posted.pk], "next": "/transactions/"},
        follow=True,
    )
    assert "2 of 3 transaction(s) ignored" in response.content.decode()
    statuses = dict(Transaction.objects.values_list("pk", "status"))
    assert statuses[rows[0].pk] == statuses[rows[1].pk] == Status.IGNORED
    assert statuses[rows[2].pk] == Status.ERROR and statuses[posted.pk] == Status.POSTED
    assert "boom" not in client.get(f"/transactions/{rows[0].pk}/row/").content.decode()

    row = client.post(f"/transactions/{rows[0].pk}/undo-ignore/").content.decode()
    assert "Undo ignore" not in row
    assert Transaction.objects.get(pk=rows[0].pk).status == Status.RETRIEVED
    assert "Ignore undone by" in rows[0].events.last().message


def test_bulk_retry_goes_through_the_verb(client):
    connector = make_connector()
    rows = [_order(connector, n, error="boom") for n in range(1, 3)]
    client.force_login(make_cs())
    response = client.post(
        "/transactions/bulk/", {"verb": "retry", "ids": [r.pk for r in rows]}, follow=True
    )
    assert "2 transaction(s) retried" in response.content.decode()
    for r in rows:
        r.refresh_from_db()
        assert r.status == Status.SCHEDULED  # the same verb as the row's own Retry


def test_retry_not_offered_when_the_connector_is_off(client):
    connector = make_connector(is_active=False)
    row = _order(connector, 1, error="boom")
    client.force_login(make_cs())
    body = client.get(f"/transactions/{row.pk}/row/").content.decode()
    assert "Connector inactive: switch it on to post" in body
    assert ">Retry<" not in body


@pytest.mark.parametrize("bad", ["²", "١٢", "9" * 30, "-1", "1e3", ""])
def test_bulk_ids_that_are_not_row_ids_are_left_out_not_a_server_error(client, bad):
    connector = make_connector()
    row = _order(connector, 1, error="boom")
    client.force_login(make_cs())
    response = client.post(
        "/transactions/bulk/", {"verb": "ignore", "ids": [bad, row.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "1 transaction(s) ignored" in response.content.decode()
    assert Transaction.objects.get(pk=row.pk).status == Status.IGNORED
