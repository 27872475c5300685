"""Data Flows and the flow cards: what is still failing (not what failed in the last run),
linked to the list filtered to it; the next scheduled run; the past runs, paged."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flows.actions import update_flow_schedule
from flows.models import FlowRun, RunStatus, Trigger
from tests.factories import make_admin, make_connector, make_cs
from transactions import lifecycle
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db


def _orders(connector, n, status, prefix="o"):
    for i in range(n):
        txn, _ = lifecycle.upsert_transaction(
            connector,
            kind="order",
            source_channel="shopify",
            source_id=f"{prefix}{i}",
            defaults={"shopify_order_name": f"#{3000 + i}"},
        )
        Transaction.objects.filter(pk=txn.pk).update(status=status, last_error="SKU X unknown")


def test_open_errors_per_flow_link_to_the_filtered_list(client):
    admin = make_admin()
    connector = make_connector()
    _orders(connector, 3, Status.ERROR)
    _orders(connector, 2, Status.POSTED, prefix="p")
    _orders(connector, 1, Status.WAITING, prefix="w")
    client.force_login(admin)

    page = client.get(f"/connectors/{connector.pk}/settings/orders/").content.decode()
    link = (
        f"/transactions/?connector={connector.pk}&amp;kind=order&amp;source_channel=shopify"
        "&amp;status=error"
    )
    assert f'href="{link}">3 still failing' in page
    assert "1 waiting" in page

    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert listed.count('data-status="error"') == 3

    home = client.get("/").content.decode()
    assert "3 still failing" in home
    flows = client.get("/flows/").content.decode()
    assert "3 still failing" in flows


def test_next_run_and_past_runs_paged(client):
    admin = make_admin()
    connector = make_connector()
    update_flow_schedule(admin, connector, "order_import", {"enabled": True})
    now = timezone.now()
    for i in range(30):
        FlowRun.objects.create(
            connector=connector,
            flow="order_import",
            trigger=Trigger.BUTTON if i % 2 else Trigger.SCHEDULE,
            requested_by=admin if i % 2 else None,
            status=RunStatus.PARTLY_FAILED,
            posted=5,
            failed=1,
            started_at=now - timedelta(minutes=i, seconds=42),
            finished_at=now - timedelta(minutes=i),
        )
    client.force_login(make_cs())
    card = client.get(f"/connectors/{connector.pk}/settings/orders/").content.decode()
    assert "Next run:" in card and "not scheduled" not in card.split("Next run:")[1][:80]
    assert "Past runs" in card and "All runs of" in card

    with CaptureQueriesContext(connection) as queries:
        first = client.get(f"/connectors/{connector.pk}/flows/order_import/runs/")
    assert first.status_code == 200
    assert len(queries) < 15
    body = first.content.decode()
    assert "Page 1 of 2" in body and "42 s" in body
    assert "Run button" in body and f"by {admin.get_username()}" in body
    assert "5 posted, 0 skipped, 1 failed" in body
    second = client.get(f"/connectors/{connector.pk}/flows/order_import/runs/?page=2")
    assert "Page 2 of 2" in second.content.decode()


def test_data_flows_page_queries_do_not_grow_with_connectors(client):
    client.force_login(make_admin())
    FlowRun.objects.create(connector=make_connector(), flow="order_import", trigger=Trigger.API)
    with CaptureQueriesContext(connection) as one:
        client.get("/flows/")
    for _ in range(3):
        c = make_connector()
        FlowRun.objects.create(connector=c, flow="order_import", trigger=Trigger.API)
    with CaptureQueriesContext(connection) as four:
        assert client.get("/flows/").status_code == 200
    assert len(four) == len(one)


def test_option_and_its_flow_cross_linked_with_a_warning(client):
    admin = make_admin()
    connector = make_connector(options={"cancel_in_shopify_when_cancelled_in_netsuite": True})
    client.force_login(admin)
    orders = client.get(f"/connectors/{connector.pk}/settings/orders/").content.decode()
    assert "Settings › Cancellation" in orders
    assert "the flow is switched off" in orders
    update_flow_schedule(admin, connector, "netsuite_cancellation_to_shopify", {"enabled": True})
    orders = client.get(f"/connectors/{connector.pk}/settings/orders/").content.decode()
    assert "the flow is switched off" not in orders
    cancellation = client.get(f"/connectors/{connector.pk}/settings/cancellation/").content.decode()
    assert "Settings › Orders" in cancellation


def test_fulfilment_tab_shows_its_flow_with_run_and_its_option(client):
    connector = make_connector()
    client.force_login(make_admin())
    page = client.get(f"/connectors/{connector.pk}/settings/fulfilment/").content.decode()
    assert "NetSuite Item Fulfillment to Shopify Fulfillment" in page
    assert f"/connectors/{connector.pk}/flows/fulfilment_to_shopify/run/" in page
    assert "Notify the customer when an order ships" in page
