"""The Reconciliation page, its CSV export and the API: filters, links, bounded queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from reconciliation.models import Run, Variance
from tests.factories import UserFactory, make_admin, make_connector, make_cs
from transactions import lifecycle

pytestmark = pytest.mark.django_db


def variance(connector, n, kind="amount", resolved=False, **fields):
    now = timezone.now()
    values = {
        "expected": Decimal("10.00"),
        "actual": Decimal("9.00"),
        "detail": "Order total: Shopify 10.00, NetSuite 9.00.",
        **fields,
    }
    return Variance.objects.create(
        connector=connector,
        key=f"{kind}:order:{n}",
        kind=kind,
        record="order",
        shopify_order_id=str(1000 + n),
        shopify_order_name=f"#{1000 + n}",
        shopify_ids=str(1000 + n),
        netsuite_ids=f"{5000 + n}",
        netsuite_type="salesOrder",
        first_seen=now,
        last_seen=now,
        resolved_at=now if resolved else None,
        **values,
    )


@pytest.fixture
def world():
    admin = make_admin()
    connector = make_connector(admin, name="Main store")
    other = make_connector(admin, name="Other store")
    return admin, connector, other


def test_the_page_lists_open_variances_with_links_and_filters(
    client, world, django_assert_max_num_queries
):
    admin, connector, other = world
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind="order",
        source_channel="shopify",
        source_id="1001",
        defaults={"shopify_order_id": "1001", "shopify_order_name": "#1001"},
    )
    for n in range(1, 31):
        variance(connector if n % 2 else other, n, kind="tax" if n % 3 == 0 else "amount")
    variance(connector, 99, resolved=True)
    Run.objects.create(connector=connector, status=Run.Status.DONE, orders_checked=7)
    client.force_login(admin)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("reconciliation:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "30 variances" in body
    assert "#1001" in body and "#1099" not in body  # resolved ones are hidden by default
    assert reverse("transactions:timeline", args=[txn.pk]) in body
    assert "transaction.nl?id=5001" in body

    response = client.get(reverse("reconciliation:list"), {"connector": other.pk, "kind": "tax"})
    assert "5 variances" in response.content.decode()
    response = client.get(reverse("reconciliation:list"), {"state": "resolved"})
    assert "1 variance." in response.content.decode()


def test_the_csv_export_streams_every_filtered_row(client, world):
    admin, connector, other = world
    for n in range(1, 4):
        variance(connector, n)
    variance(other, 9, detail='=HYPERLINK("x")')
    client.force_login(admin)
    response = client.get(reverse("reconciliation:csv"), {"connector": connector.pk})
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["connector", "kind", "record"]
    assert len(rows) == 4
    response = client.get(reverse("reconciliation:csv"), {"connector": other.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][10].startswith("'=")  # no formula injection


def test_least_privilege(client, world):
    _admin, connector, _other = world
    variance(connector, 1)
    client.force_login(UserFactory())
    assert client.get(reverse("reconciliation:list")).status_code == 403
    assert client.get(reverse("reconciliation:csv")).status_code == 403
    client.force_login(make_cs())
    assert client.get(reverse("reconciliation:list")).status_code == 200
    assert client.post(reverse("reconciliation:run", args=[connector.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("reconciliation:list")).status_code == 302


def test_the_api_lists_variances_with_links(api_client, world, django_assert_max_num_queries):
    admin, connector, other = world
    for n in range(1, 21):
        variance(connector if n % 2 else other, n)
    api_client.force_authenticate(admin)
    with django_assert_max_num_queries(8):
        response = api_client.get("/api/v1/variances/", {"connector": connector.pk})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 10
    first = results[0]
    assert first["netsuite_urls"][0].endswith(f"id={first['netsuite_ids'][0]}")
    assert first["shopify_url"].endswith(f"/orders/{first['shopify_order_id']}")
    assert api_client.get("/api/v1/variances/", {"kind": "nonsense"}).status_code == 400


def test_the_daily_schedule_exists():
    schedule = Schedule.objects.get(name="reconciliation:daily")
    assert schedule.func == "reconciliation.tasks.daily"
    assert schedule.schedule_type == Schedule.DAILY


def line_variance(connector):
    return variance(
        connector,
        50,
        kind="quantity",
        line_kind="item",
        line="TSHIRT-BLK-M",
        expected=Decimal("50.00"),
        actual=Decimal("75.00"),
        expected_quantity=Decimal("2"),
        actual_quantity=Decimal("3.0000"),
        detail="SKU TSHIRT-BLK-M of order #1050: Shopify 2 for 50.00, NetSuite 3 for 75.00.",
    )


def test_a_line_variance_says_which_line_on_the_page_csv_and_api(client, api_client, world):
    admin, connector, _other = world
    line_variance(connector)
    variance(connector, 51, line_kind="charge", line="shipping")
    client.force_login(admin)

    body = client.get(reverse("reconciliation:list"), {"kind": "quantity"}).content.decode()
    assert "1 variance." in body
    assert "SKU TSHIRT-BLK-M" in body and "Quantity variance" in body
    assert "2 × 50.00" in body and "3 × 75.00" in body
    assert "Shipping" in client.get(reverse("reconciliation:list")).content.decode()

    response = client.get(reverse("reconciliation:csv"), {"kind": "quantity"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["line_kind"], record["line"]) == ("item", "TSHIRT-BLK-M")
    assert (record["shopify_quantity"], record["netsuite_quantity"]) == ("2", "3")
    assert (record["shopify_amount"], record["netsuite_amount"]) == ("50.00", "75.00")

    api_client.force_authenticate(admin)
    result = api_client.get("/api/v1/variances/", {"kind": "quantity"}).json()["results"][0]
    assert (result["line_kind"], result["line"]) == ("item", "TSHIRT-BLK-M")
    assert (result["expected_quantity"], result["actual_quantity"]) == ("2.0000", "3.0000")
