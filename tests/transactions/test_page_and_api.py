"""The page and the API: permissions, filters, keyset paging without N+1, retrieve/post/ignore
through HTTP with the dialog's messages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory, make_admin, make_connector, make_cs
from transactions import lifecycle
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db


def _rows(connector, n, **fields):
    for i in range(n):
        lifecycle.upsert_transaction(
            connector,
            kind=fields.get("kind", "refund"),
            source_channel=fields.get("source_channel", "netsuite"),
            source_id=f"{fields.get('prefix', 'r')}{i}",
            defaults={"shopify_order_name": f"#{2000 + i}", "amount": "1.00", "currency": "USD"},
        )


@pytest.mark.parametrize(
    ("who", "expected"), [("cs", 200), ("admin", 200), ("nobody", 403), ("anon", 302)]
)
def test_page_permissions(client, who, expected):
    user = {"cs": make_cs, "admin": make_admin, "nobody": UserFactory, "anon": lambda: None}[who]()
    if user:
        client.force_login(user)
    assert client.get("/transactions/").status_code == expected
    if who == "nobody":
        assert client.get("/transactions/retrieve/").status_code == 403
        assert client.post("/transactions/1/post/").status_code == 403


def test_list_pages_with_a_constant_number_of_queries(client):
    a, b = make_connector(), make_connector()
    _rows(a, 60)
    _rows(b, 5, prefix="b", source_channel="shopify")
    client.force_login(make_cs())
    with CaptureQueriesContext(connection) as first:
        page1 = client.get("/transactions/")
    assert page1.status_code == 200
    rows = page1.context["page"].rows
    assert len(rows) == 50 and page1.context["page"].next_cursor
    assert rows[0].created_at >= rows[-1].created_at
    # The only count is the bounded one (it stops at the bound): never COUNT(*) of the table.
    counts = [
        q["sql"].upper()
        for q in first.captured_queries
        if "COUNT(" in q["sql"].upper() and "TRANSACTIONS_TRANSACTION" in q["sql"].upper()
    ]
    assert len(counts) == 1 and "LIMIT 1001" in counts[0]
    assert "65 transactions" in page1.content.decode()
    cursor = page1.context["page"].next_cursor
    with CaptureQueriesContext(connection) as second:
        page2 = client.get(f"/transactions/?after={cursor}")
    assert len(page2.context["page"].rows) == 15 and page2.context["page"].next_cursor is None
    # Same number of queries for 50 rows as for 15: no query per row.
    assert len(first.captured_queries) == len(second.captured_queries)
    ids = {t.pk for t in rows} | {t.pk for t in page2.context["page"].rows}
    assert len(ids) == 65

    filtered = client.get(f"/transactions/?connector={b.pk}&source_channel=shopify")
    assert len(filtered.context["page"].rows) == 5
    found = client.get(f"/transactions/?search=%232003&connector={a.pk}")
    assert [t.shopify_order_name for t in found.context["page"].rows] == ["#2003"]
    assert client.get("/transactions/?status=posted").context["page"].rows == []


def test_api_list_and_detail(api_client):
    connector = make_connector()
    _rows(connector, 3)
    txn = Transaction.objects.first()
    api_client.force_authenticate(make_cs())
    listed = api_client.get("/api/v1/transactions/", {"connector": connector.pk, "search": "#2001"})
    assert listed.status_code == 200
    assert [r["shopify_order_name"] for r in listed.json()["results"]] == ["#2001"]
    detail = api_client.get(f"/api/v1/transactions/{txn.pk}/").json()
    assert detail["timeline"][0]["type"] == "retrieved"


def test_api_refuses_without_permissions(api_client):
    assert api_client.get("/api/v1/transactions/").status_code == 401
    api_client.force_authenticate(UserFactory())
    assert api_client.get("/api/v1/transactions/").status_code == 403
    assert api_client.post("/api/v1/transactions/retrieve/", {}).status_code == 403


def test_api_ignore(api_client):
    connector = make_connector()
    _rows(connector, 1)
    txn = Transaction.objects.get()
    user = make_cs()
    api_client.force_authenticate(user)
    answer = api_client.post(f"/api/v1/transactions/{txn.pk}/ignore/")
    assert answer.status_code == 200 and answer.json()["status"] == Status.IGNORED
    assert api_client.post(f"/api/v1/transactions/{txn.pk}/ignore/").status_code == 409
    assert txn.events.get(type="status", detail__status="ignored").actor == user


def test_rows_in_flight_poll_until_done_and_admin_reads(client):
    connector = make_connector()
    _rows(connector, 1)
    txn = Transaction.objects.get()
    client.force_login(make_cs())
    assert lifecycle.claim(txn.pk, from_statuses=[Status.RETRIEVED], to_status=Status.SCHEDULED)
    row = client.get(f"/transactions/{txn.pk}/row/").content.decode()
    assert 'hx-trigger="every 1s"' in row and 'data-status="scheduled"' in row
    staff = make_admin(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/transactions/transaction/").status_code == 200
    assert client.get(f"/admin/transactions/transaction/{txn.pk}/change/").status_code == 200
