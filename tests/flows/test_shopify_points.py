"""The Shopify points left, kept for the dashboard from the throttleStatus of real answers
(the sandbox reports it like Shopify): written at most every few seconds per connector, and
never a reason for a call to fail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flows import points
from flows.context import Job
from flows.models import ShopifyPoints
from flows.registry import FLOWS
from tests.faults import FakeClock, failing_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_keeper():
    points.forget()
    yield
    points.forget()


def test_a_flows_client_keeps_the_points_shopify_reports(wired):
    job = Job(wired, FLOWS["order_import"])
    job.shopify.shop()
    kept = ShopifyPoints.objects.get(connector=wired)
    assert kept.maximum == 1000  # the sandbox's bucket (Shopify's default)
    assert 0 < kept.available <= kept.maximum
    assert kept.restore_rate > 0
    assert kept.available_at(kept.seen_at + timedelta(hours=1)) == kept.maximum


def test_written_at_most_every_few_seconds(wired, shopify_sandbox):
    clock = FakeClock()
    client = shopify_sandbox.client(on_throttle=points.PointsKeeper(wired.pk, clock=clock))
    client.shop()
    first = ShopifyPoints.objects.get(connector=wired).seen_at
    clock.advance(points.PERSIST_EVERY - 0.1)
    client.shop()
    assert ShopifyPoints.objects.get(connector=wired).seen_at == first
    clock.advance(0.2)
    client.shop()
    assert ShopifyPoints.objects.get(connector=wired).seen_at > first


def test_a_database_fault_never_fails_the_call(wired, shopify_sandbox, caplog):
    clock = FakeClock()
    client = shopify_sandbox.client(on_throttle=points.PointsKeeper(wired.pk, clock=clock))
    with failing_queries(lambda sql: "flows_shopifypoints" in sql, times=None):
        assert client.shop()["name"]
    assert not ShopifyPoints.objects.exists()
    assert "Could not keep Shopify points" in caplog.text
    client.shop()  # the failed write did not count: the next answer is kept at once
    assert ShopifyPoints.objects.filter(connector=wired).exists()


def test_an_answer_without_status_keeps_nothing(wired):
    keeper = points.PointsKeeper(wired.pk)
    keeper({})
    keeper({"currentlyAvailable": "x", "maximumAvailable": 1000})
    assert not ShopifyPoints.objects.exists()
    keeper({"currentlyAvailable": 10, "maximumAvailable": 1000, "restoreRate": 50})
    assert ShopifyPoints.objects.get(connector=wired).available_at(timezone.now()) >= 10
