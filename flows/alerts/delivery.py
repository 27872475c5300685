"""Sending the outbox: each AlertMessage goes by its channel (email through Django's mail
backend, or a Slack-compatible webhook: POST {"text": …}), claimed with a conditional UPDATE so
two sweepers never send one twice. A failure is recorded in our words (never the webhook URL,
which carries a token, nor the receiver's body) and tried again by the next sweep, with a
backoff (1, 2, 4 … 60 minutes) up to MAX_ATTEMPTS; nothing here ever raises into a flow.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core import mail
from django.db.models import F, Q

from connector.alert_webhooks import check_webhook_url
from connector.endpoints import EndpointNotAllowed
from connector.models import alert_settings_of

from .messages import Text
from .models import AlertMessage

logger = logging.getLogger(__name__)

Channel = AlertMessage.Channel
Status = AlertMessage.Status
# A worker that died while sending leaves the row Sending; after this it is sent again.
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 10
BATCH = 100


class DeliveryFailed(Exception):
    """A message that did not go, worded for the person reading the outbox."""


def enqueue(connector, alerts, event: str, text: Text, now) -> list[AlertMessage]:
    """One outbox row per channel the connector has; none when nobody is to be told."""
    channels = []
    if alerts.emails:
        channels.append(Channel.EMAIL)
    if alerts.has_webhook:
        channels.append(Channel.WEBHOOK)
    return AlertMessage.objects.bulk_create(
        [
            AlertMessage(
                connector=connector,
                channel=channel,
                event=event,
                subject=text.subject[:250],
                body=text.body,
                next_attempt_at=now,
                created_at=now,
            )
            for channel in channels
        ]
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def deliver_due(now, ids=None) -> dict:
    """Send what is due (or only `ids`); returns counts of sent and failed attempts."""
    due = AlertMessage.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, lease_until__lt=now)
    )
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    report = {"alerts_sent": 0, "alert_failures": 0}
    # A receiver that just failed is not tried again in this pass: its other messages wait for
    # the next sweep instead of each spending a time-out (bounded pressure on the sweeper).
    down = set()
    for message in due.select_related("connector").order_by("next_attempt_at", "pk")[:BATCH]:
        if (message.connector_id, message.channel) in down:
            continue
        sent = deliver(message, now)
        if sent is not None:
            report["alerts_sent" if sent else "alert_failures"] += 1
        if sent is False:
            down.add((message.connector_id, message.channel))
    return report


def deliver(message: AlertMessage, now) -> bool | None:
    """Claim and send one message: True sent, False failed (kept for a retry), None when
    another sweeper had it."""
    claimed = AlertMessage.objects.filter(pk=message.pk, attempts=message.attempts).filter(
        Q(status=Status.PENDING) | Q(status=Status.SENDING, lease_until__lt=now)
    )
    if not claimed.update(
        status=Status.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
    ):
        return None
    attempts = message.attempts + 1
    mine = AlertMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=attempts)
    try:
        _send(message)
    except DeliveryFailed as exc:
        final = attempts >= MAX_ATTEMPTS
        logger.warning(
            "Alert %s of connector %s (%s) not delivered, attempt %s: %s",
            message.pk,
            message.connector_id,
            message.channel,
            attempts,
            exc,
        )
        mine.update(
            status=Status.FAILED if final else Status.PENDING,
            next_attempt_at=now + _backoff(attempts),
            lease_until=None,
            last_error=str(exc)[:300],
        )
        return False
    mine.update(status=Status.SENT, sent_at=now, lease_until=None, last_error="")
    return True


def _send(message: AlertMessage) -> None:
    alerts = alert_settings_of(message.connector)
    if message.channel == Channel.EMAIL:
        _send_email(alerts, message)
    else:
        _send_webhook(alerts, message)


def _send_email(alerts, message: AlertMessage) -> None:
    if not alerts.emails:
        raise DeliveryFailed("No alert email is set any more.")
    try:
        mail.EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(alerts.emails),
        ).send()
    except Exception as exc:  # SMTP refusals, time-outs, DNS: all mean "try again later"
        raise DeliveryFailed(f"The mail server did not take it ({type(exc).__name__}).") from None


def _send_webhook(alerts, message: AlertMessage) -> None:
    url = alerts.get_webhook_url()
    if not url:
        raise DeliveryFailed("No alert webhook is set any more.")
    try:
        # Checked again when sending: the operator may have narrowed the hosts since, and a
        # host allowed by a wildcard must not resolve inside the network.
        check_webhook_url(url, resolve=True)
    except EndpointNotAllowed as exc:
        raise DeliveryFailed(str(exc)) from None
    timeout = settings.ALERT_WEBHOOK_TIMEOUT
    try:
        response = requests.post(
            url,
            json={"text": f"*{message.subject}*\n{message.body}"},
            timeout=(min(timeout, 3.0), timeout),
            allow_redirects=False,
        )
    except requests.Timeout:
        raise DeliveryFailed(f"The webhook did not answer within {timeout:g} s.") from None
    except requests.RequestException:
        # requests' messages carry the URL, and the URL carries the token: our words only.
        raise DeliveryFailed("The webhook could not be reached.") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"The webhook answered HTTP {response.status_code}.")
