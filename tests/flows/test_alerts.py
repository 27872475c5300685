"""Alerts from the sweeper: the first failure of a kind at once, digests not storms, resolved,
stale flows and their recovery, delivery by email (locmem outbox) and to a loopback webhook
receiver, a receiver that fails, refused hosts, and two sweepers racing.

The clock is injected: each sweep is called with its `now`, so nothing waits for real time.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from connector import actions as connector_actions
from flows.models import AlertMessage, AlertState, FlowRun, FlowSchedule, RunStatus, Trigger
from flows.sweeper import sweep
from panel import actions
from tests.alert_receiver import Receiver
from tests.factories import SECRETS, make_admin, make_connector
from transactions import lifecycle
from transactions.errors import error_kind
from transactions.models import Status, Transaction

LABEL = "NetSuite Customer Payment to Shopify Payment"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def connector(db):
    c = make_connector()
    connector_actions.update_alert_settings(make_admin(), c, {"emails": ["ops@example.com"]})
    return c


def fail(connector, ids, message, at, flow="payment_to_shopify"):
    """Rows of one flow in Error with `message` (ids vary per row), last touched `at`."""
    pks = []
    for source_id in ids:
        txn, _ = lifecycle.upsert_transaction(
            connector,
            kind="payment",
            source_channel="netsuite",
            source_id=str(source_id),
            flow=flow,
            defaults={"shopify_order_name": f"#{source_id}"},
        )
        pks.append(txn.pk)
        text = message.format(id=source_id)
        Transaction.objects.filter(pk=txn.pk).update(
            status=Status.ERROR, last_error=text, error_kind=error_kind(text), updated_at=at
        )
    return pks


def plan_error(i):
    return f"Shopify order #{i} is on the Basic plan: partial payments need Shopify Plus ({i})."


def run_sweep(now):
    report = sweep(now)
    assert "errors" not in report, report
    return report


def test_first_failure_alerts_at_once_then_one_digest_not_a_storm(connector):
    t0 = timezone.now()
    fail(
        connector, range(1001, 1031), "Shopify order #{id}: partial payments need Shopify Plus.", t0
    )
    run_sweep(t0)
    (first,) = mail.outbox
    assert first.to == ["ops@example.com"]
    assert first.subject == f"[{connector.name}] {LABEL} is failing"
    assert "has 30 records in Error of this kind" in first.body
    assert "    Shopify order … partial payments need Shopify Plus.\n" in first.body
    assert "Shopify order #1001" in first.body and "… and 25 more" in first.body
    assert "https://panel.example.test/transactions/?connector=" in first.body
    assert all(secret not in first.body for secret in SECRETS.values())

    # More of the same kind, sweeps every minute: silence until the digest interval (60 min).
    fail(
        connector,
        range(2001, 2021),
        "Shopify order #{id}: partial payments need Shopify Plus.",
        t0 + 5 * MINUTE,
    )
    for minute in range(1, 60):
        run_sweep(t0 + minute * MINUTE)
    assert len(mail.outbox) == 1

    run_sweep(t0 + 60 * MINUTE)
    (_, digest) = mail.outbox
    assert digest.subject == f"[{connector.name}] {LABEL} is still failing: 20 new"
    assert "20 new failures of this kind since the last message" in digest.body
    assert "50 records in Error now" in digest.body
    assert "the oldest has been failing for 1 h" in digest.body

    # Nothing new since the digest: no more messages, however long it stays open.
    for minute in range(61, 200, 7):
        run_sweep(t0 + minute * MINUTE)
    assert len(mail.outbox) == 2

    # Another kind is its own alert, at once.
    fail(
        connector, [3001], "NetSuite refused the payment: period {id} is closed.", t0 + 200 * MINUTE
    )
    run_sweep(t0 + 201 * MINUTE)
    assert len(mail.outbox) == 3
    assert "period … is closed" in mail.outbox[2].body


def test_a_resolved_kind_is_announced_once_and_a_new_episode_alerts_again(connector):
    t0 = timezone.now()
    pks = fail(connector, [1, 2], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    run_sweep(t0)
    assert len(mail.outbox) == 1

    Transaction.objects.filter(pk=pks[0]).update(status=Status.POSTED)
    run_sweep(t0 + MINUTE)
    assert len(mail.outbox) == 1  # one row still open

    Transaction.objects.filter(pk=pks[1]).update(status=Status.IGNORED)
    run_sweep(t0 + 2 * MINUTE)
    run_sweep(t0 + 3 * MINUTE)
    (_, resolved) = mail.outbox
    assert resolved.subject == f"[{connector.name}] Resolved: {LABEL}"
    assert "is in Error with this kind any more" in resolved.body
    assert "first seen 2 min ago" in resolved.body

    fail(
        connector, [3], "Shopify order #{id}: partial payments need Shopify Plus.", t0 + 9 * MINUTE
    )
    run_sweep(t0 + 10 * MINUTE)
    assert len(mail.outbox) == 3
    assert mail.outbox[2].subject == f"[{connector.name}] {LABEL} is failing"
    assert AlertState.objects.get(key__startswith="error:").resolved_at is None


def _switch_on(connector, flow="order_import", minutes=15, since=None):
    FlowSchedule.objects.filter(connector=connector, flow=flow).update(
        enabled=True, interval_minutes=minutes, updated_at=since
    )


def _succeeded(connector, at, flow="order_import"):
    FlowRun.objects.create(
        connector=connector,
        flow=flow,
        trigger=Trigger.SCHEDULE,
        status=RunStatus.SUCCEEDED,
        started_at=at,
        finished_at=at,
    )


def test_a_flow_that_stops_running_alerts_once_and_again_when_it_runs(connector):
    t0 = timezone.now()
    _switch_on(connector, since=t0 - timedelta(hours=5))
    _succeeded(connector, t0 - 44 * MINUTE)  # within 3 intervals of 15 minutes
    run_sweep(t0)
    assert mail.outbox == []

    run_sweep(t0 + 2 * MINUTE)  # 46 minutes without a completed run
    (stale,) = mail.outbox
    assert stale.subject == (
        f"[{connector.name}] Shopify Order to NetSuite Order Add is not running"
    )
    assert "switched on (every 15 min) but has not completed a run since" in stale.body
    assert f"/connectors/{connector.pk}/settings/" in stale.body
    for minute in range(3, 120, 5):
        run_sweep(t0 + minute * MINUTE)
    assert len(mail.outbox) == 1

    _succeeded(connector, t0 + 121 * MINUTE)
    run_sweep(t0 + 122 * MINUTE)
    run_sweep(t0 + 123 * MINUTE)
    (_, again) = mail.outbox
    assert "is running again" in again.subject


def test_flows_switched_off_recently_switched_on_or_of_inactive_connectors_are_not_stale(connector):
    t0 = timezone.now()
    run_sweep(t0)  # every flow is switched off by default
    _switch_on(connector, since=t0 - 10 * MINUTE)  # switched on 10 minutes ago, never ran
    run_sweep(t0)
    assert mail.outbox == []

    other = make_connector()
    connector_actions.update_alert_settings(make_admin(), other, {"emails": ["ops@example.com"]})
    _switch_on(other, since=t0 - timedelta(hours=5))
    actions.update_connector(make_admin(), other, {"is_active": False})
    run_sweep(t0)
    assert mail.outbox == []


def test_webhook_delivery_to_a_loopback_receiver(connector, receiver):
    connector_actions.update_alert_settings(
        make_admin(), connector, {"emails": []}, webhook_url=receiver.url()
    )
    t0 = timezone.now()
    fail(connector, [1], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    run_sweep(t0)
    assert mail.outbox == []
    (payload,) = receiver.received
    assert set(payload) == {"text"}
    assert payload["text"].startswith(f"*[{connector.name}] {LABEL} is failing*\n")
    assert receiver.paths == ["/services/T0KEN-abc123"]
    (message,) = AlertMessage.objects.all()
    assert (message.channel, message.status, message.attempts) == ("webhook", "sent", 1)


def test_a_failing_receiver_is_retried_next_sweep_nothing_lost_nothing_twice(
    connector, receiver, caplog
):
    connector_actions.update_alert_settings(
        make_admin(), connector, {"emails": ["ops@example.com"]}, webhook_url=receiver.url()
    )
    receiver.statuses = [500, 503]
    t0 = timezone.now()
    fail(connector, [1], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    run_sweep(t0)
    assert len(mail.outbox) == 1 and receiver.received == []  # the email went; the hook did not
    hook = AlertMessage.objects.get(channel="webhook")
    assert (hook.status, hook.last_error) == ("pending", "The webhook answered HTTP 500.")

    run_sweep(t0 + 30 * timedelta(seconds=1))  # not due yet (1 minute backoff)
    assert receiver.statuses == [503]
    run_sweep(t0 + MINUTE)  # 503: again later (2 minutes)
    run_sweep(t0 + 2 * MINUTE)
    assert receiver.received == []
    run_sweep(t0 + 3 * MINUTE)
    assert len(receiver.received) == 1
    hook.refresh_from_db()
    assert (hook.status, hook.attempts, hook.last_error) == ("sent", 3, "")
    for minute in range(4, 10):
        run_sweep(t0 + minute * MINUTE)
    assert len(mail.outbox) == 1 and len(receiver.received) == 1
    # Neither the token in the URL nor the receiver's body reached the log or the row.
    assert "T0KEN" not in caplog.text and "RECEIVER-SECRET" not in caplog.text


def test_a_receiver_that_cannot_be_reached_keeps_the_message(connector, receiver):
    url = receiver.url()
    connector_actions.update_alert_settings(make_admin(), connector, {}, webhook_url=url)
    receiver.server.shutdown()
    receiver.server.server_close()
    t0 = timezone.now()
    fail(connector, [1], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    run_sweep(t0)
    hook = AlertMessage.objects.get(channel="webhook")
    assert (hook.status, hook.last_error) == ("pending", "The webhook could not be reached.")


def test_refused_webhook_hosts_are_a_clear_error_and_change_nothing(connector, settings):
    admin = make_admin()
    for url, why in [
        ("https://hooks.example.com/services/T/B/X", "is not an allowed endpoint host"),
        ("http://hooks.slack.com/services/T/B/X", "must start with https://"),
        ("ftp://127.0.0.1/x", "must start with https://"),
        ("https://user:pw@127.0.0.1/x", "must not carry a user name or password"),
    ]:
        with pytest.raises(ValidationError) as refused:
            connector_actions.update_alert_settings(admin, connector, {}, webhook_url=url)
        assert why in refused.value.message_dict["webhook_url"][0], url
    assert not connector.alert_settings.has_webhook

    settings.ALERT_WEBHOOK_HOSTS = ["hooks.slack.com"]
    connector_actions.update_alert_settings(
        admin, connector, {}, webhook_url="https://hooks.slack.com/services/T/B/X"
    )
    assert connector.alert_settings.__class__.objects.get().has_webhook


def test_a_host_no_longer_allowed_is_not_sent_to(connector, receiver, settings):
    connector_actions.update_alert_settings(make_admin(), connector, {}, webhook_url=receiver.url())
    settings.ALERT_WEBHOOK_HOSTS = ["hooks.slack.com"]  # the operator narrowed the hosts
    t0 = timezone.now()
    fail(connector, [1], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    run_sweep(t0)
    assert receiver.received == []
    hook = AlertMessage.objects.get(channel="webhook")
    assert "is not an allowed endpoint host" in hook.last_error
    assert "ALERT_WEBHOOK_HOSTS" in hook.last_error and "T0KEN" not in hook.last_error


def test_a_connector_nobody_is_told_about_queues_nothing(db):
    c = make_connector()
    fail(c, [1], "Shopify order #{id}: partial payments need Shopify Plus.", timezone.now())
    run_sweep(timezone.now())
    assert mail.outbox == [] and not AlertMessage.objects.exists()
    assert AlertState.objects.get().last_sent is not None  # the kind is known: no flood later


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_racing_send_once():
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent transactions")
    from flows import alerts

    connector = make_connector()
    connector_actions.update_alert_settings(
        make_admin(), connector, {"emails": ["ops@example.com"]}
    )
    t0 = timezone.now()
    for round_ in range(5):
        now = t0 + round_ * 61 * MINUTE
        word = ["alpha", "beta", "gamma", "delta", "epsilon"][round_]
        fail(connector, [round_ * 10 + 1], f"Refused ({word}): order #{{id}}.", now)
        barrier = threading.Barrier(3)
        errors = []

        def one(barrier=barrier, now=now, errors=errors):
            from django.db import connections

            try:
                barrier.wait()
                alerts.evaluate(now)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=one) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert AlertMessage.objects.filter(event="first").count() == round_ + 1
    alerts.deliver_due(t0 + 10 * 61 * MINUTE)
    assert len(mail.outbox) == 5


def test_a_mail_server_that_refuses_is_retried_and_the_webhook_not_sent_twice(
    connector, receiver, settings
):
    connector_actions.update_alert_settings(
        make_admin(), connector, {"emails": ["ops@example.com"]}, webhook_url=receiver.url()
    )
    # An SMTP server that is not there (a closed loopback port): the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    t0 = timezone.now()
    fail(connector, [1], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    run_sweep(t0)
    email = AlertMessage.objects.get(channel="email")
    assert email.status == "pending"
    assert email.last_error == "The mail server did not take it (ConnectionRefusedError)."
    assert len(receiver.received) == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_sweep(t0 + MINUTE)
    run_sweep(t0 + 2 * MINUTE)
    assert len(mail.outbox) == 1 and len(receiver.received) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)


def test_a_message_that_never_goes_ends_failed_after_its_attempts(connector, receiver):
    from flows.alerts.delivery import MAX_ATTEMPTS

    connector_actions.update_alert_settings(
        make_admin(), connector, {"emails": []}, webhook_url=receiver.url()
    )
    receiver.statuses = [500] * (MAX_ATTEMPTS + 5)
    t0 = timezone.now()
    fail(connector, [1], "Shopify order #{id}: partial payments need Shopify Plus.", t0)
    for hour in range(24):
        run_sweep(t0 + hour * 60 * MINUTE)
    hook = AlertMessage.objects.get()
    assert (hook.status, hook.attempts) == ("failed", MAX_ATTEMPTS)
    assert hook.last_error == "The webhook answered HTTP 500."


def test_a_receiver_that_is_down_costs_one_attempt_per_sweep_not_one_per_message(
    connector, receiver
):
    connector_actions.update_alert_settings(
        make_admin(), connector, {"emails": []}, webhook_url=receiver.url()
    )
    receiver.statuses = [500]
    t0 = timezone.now()
    for n, word in enumerate(("alpha", "beta", "gamma"), start=1):
        fail(connector, [n], f"Refused ({word}): order #{{id}}.", t0)
    run_sweep(t0)
    assert sorted(AlertMessage.objects.values_list("attempts", flat=True)) == [0, 0, 1]
    assert receiver.statuses == [] and receiver.received == []
    run_sweep(t0 + MINUTE)
    assert len(receiver.received) == 3  # all delivered, each once
    assert set(AlertMessage.objects.values_list("status", flat=True)) == {"sent"}
