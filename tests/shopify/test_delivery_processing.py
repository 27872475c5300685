"""Processing webhook deliveries: claims with a lease, retries with back-off, the sweeper.

Real database and threads; the topic's handler is registered like a flow's (HANDLERS) so the
tests act while a delivery is being processed. Time passing is written into the rows, the way
the sweeper's other tests do it.
"""

import itertools
import json
import threading
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from connector.shopify import tasks
from connector.shopify.models import WebhookDelivery
from connector.shopify.tasks import HANDLERS, MAX_DELIVERY_ATTEMPTS, process_delivery
from flows import sweeper
from tests.factories import make_connector

TOPIC = "orders/create"
Status = WebhookDelivery.Status


def _delivery(received_ago=timedelta(0)) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        connector=make_connector(),
        topic=TOPIC,
        webhook_id=str(uuid.uuid4()),
        body=json.dumps({"id": 1}),
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - received_ago)
    return delivery


def _later(delivery, **fields_in_the_past):
    """Time passes: move the given instants of the row into the past."""
    past = timezone.now() - timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        **{name: past for name in fields_in_the_past}
    )


@pytest.mark.django_db(transaction=True)
def test_sweeper_never_resets_a_delivery_that_is_being_processed(monkeypatch):
    # Received long ago (a backlog), claimed only now: its age says nothing about its worker.
    delivery = _delivery(received_ago=timedelta(hours=1))
    seen = {}

    def handler(d):
        # While this worker processes it, the sweeper runs (its own thread and connection),
        # and another worker gets a duplicate message for the delivery.
        def sweep_and_duplicate():
            seen["sweep"] = sweeper.sweep()
            seen["duplicate"] = process_delivery(d.pk)

        other = threading.Thread(target=sweep_and_duplicate)
        other.start()
        other.join(30)
        seen["status during"] = WebhookDelivery.objects.get(pk=d.pk).status
        seen["calls"] = seen.get("calls", 0) + 1

    monkeypatch.setitem(HANDLERS, TOPIC, handler)
    assert process_delivery(delivery.pk) == Status.PROCESSED
    assert seen["sweep"]["deliveries_requeued"] == 0
    assert seen["duplicate"] == "already taken"
    assert seen["status during"] == Status.PROCESSING
    assert seen["calls"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
    assert delivery.claimed_at is not None and delivery.lease_until is None


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_worker_died_is_handed_on_once_its_lease_ends(monkeypatch):
    delivery = _delivery()

    def dies(d):
        raise SystemExit("worker killed")

    monkeypatch.setitem(HANDLERS, TOPIC, dies)
    with pytest.raises(SystemExit):
        process_delivery(delivery.pk)
    assert sweeper.sweep()["deliveries_requeued"] == 0  # its lease still runs
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.PROCESSING
    _later(delivery, lease_until=True)
    assert sweeper.sweep()["deliveries_requeued"] == 1
    monkeypatch.setitem(HANDLERS, TOPIC, lambda d: None)
    assert process_delivery(delivery.pk) == Status.PROCESSED
    delivery.refresh_from_db()
    assert delivery.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_retried_with_backoff_then_given_up(monkeypatch):
    delivery = _delivery()

    def fails(d):
        raise RuntimeError("database is locked")

    monkeypatch.setitem(HANDLERS, TOPIC, fails)
    delays = []
    for attempt in range(1, MAX_DELIVERY_ATTEMPTS + 1):
        status = process_delivery(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert "database is locked" in delivery.status_detail
        if attempt == MAX_DELIVERY_ATTEMPTS:
            break
        # Visible, waiting for its retry; not due before its time, not lost.
        assert status == Status.RECEIVED and delivery.processed_at is None
        delays.append(delivery.next_attempt_at - delivery.claimed_at)
        assert process_delivery(delivery.pk) == "not due yet"
        assert sweeper.sweep()["deliveries_requeued"] == 0
        _later(delivery, next_attempt_at=True)
        assert sweeper.sweep()["deliveries_requeued"] == 1
    assert all(b > a for a, b in itertools.pairwise(delays))  # backing off
    assert delays[0] >= tasks.RETRY_BACKOFF
    assert status == Status.FAILED
    assert delivery.status_detail.startswith(f"Failed {MAX_DELIVERY_ATTEMPTS} times")
    assert delivery.processed_at is not None
    _later(delivery, received_at=True)
    assert sweeper.sweep()["deliveries_requeued"] == 0  # given up: no more attempts


@pytest.mark.django_db(transaction=True)
def test_a_delivery_that_fails_once_succeeds_on_its_retry(monkeypatch):
    delivery = _delivery()
    outcomes = iter([RuntimeError("connection reset"), None])

    def flaky(d):
        error = next(outcomes)
        if error:
            raise error

    monkeypatch.setitem(HANDLERS, TOPIC, flaky)
    assert process_delivery(delivery.pk) == Status.RECEIVED
    _later(delivery, next_attempt_at=True)
    assert sweeper.sweep()["deliveries_requeued"] == 1
    assert process_delivery(delivery.pk) == Status.PROCESSED
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.status_detail, delivery.next_attempt_at) == (2, "", None)
