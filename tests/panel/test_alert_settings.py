"""Settings › Alerts: recipients and a write-only webhook URL (encrypted, never shown, refused
hosts are a form error), audited; the Send test alert button; connector admins only."""

import pytest
from auditlog.models import LogEntry
from django.core import mail

from connector.models import AlertSettings
from flows.models import AlertMessage
from tests.alert_receiver import Receiver
from tests.factories import make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db

URL = "/connectors/{}/settings/alerts/"
TEST_URL = "/connectors/{}/alerts/test/"


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _form(**changes):
    data = {
        "emails": "ops@example.com\nfinance@example.com, ops@example.com",
        "webhook_url": "",
        "digest_minutes": "60",
        "stale_after_intervals": "3",
    }
    data.update(changes)
    return data


def test_admin_sets_recipients_and_a_webhook_that_is_never_shown_again(client, receiver):
    admin = make_admin()
    connector = make_connector()
    client.force_login(admin)
    page = client.get(URL.format(connector.pk)).content.decode()
    assert "Alert emails" in page and "not set" in page and "Send test alert" in page

    url = receiver.url("T0KEN-never-shown")
    response = client.post(URL.format(connector.pk), _form(webhook_url=url, digest_minutes="30"))
    assert response.status_code == 302
    stored = AlertSettings.objects.get(connector=connector)
    assert stored.emails == ["ops@example.com", "finance@example.com"]
    assert stored.digest_minutes == 30
    assert stored.get_webhook_url() == url
    assert "T0KEN" not in stored.webhook_url_encrypted

    page = client.get(URL.format(connector.pk)).content.decode()
    assert "T0KEN" not in page and str(receiver.server.server_address[1]) not in page
    assert "set — type to replace" in page

    # Saving again with the field empty keeps the URL; "remove" clears it.
    assert client.post(URL.format(connector.pk), _form()).status_code == 302
    assert AlertSettings.objects.get().get_webhook_url() == url
    assert client.post(URL.format(connector.pk), _form(clear_webhook="on")).status_code == 302
    assert not AlertSettings.objects.get().has_webhook

    entries = LogEntry.objects.get_for_model(AlertSettings).filter(actor=admin)
    assert entries.count() == 3
    changes = " ".join(str(e.changes) for e in entries)
    assert "T0KEN" not in changes and "changed" in changes


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"webhook_url": "https://hooks.example.com/services/T0KEN"}, "not an allowed endpoint"),
        ({"webhook_url": "http://hooks.slack.com/services/T0KEN"}, "must start with https://"),
        ({"emails": "ops@example.com\nnot-an-address"}, "Not an email address: not-an-address"),
        ({"digest_minutes": "1"}, "greater than or equal to 5"),
        ({"webhook_url": "https://127.0.0.1/x", "clear_webhook": "on"}, "not both"),
    ],
)
def test_bad_input_is_a_clear_form_error_and_nothing_is_saved(client, changes, message):
    connector = make_connector()
    client.force_login(make_admin())
    response = client.post(URL.format(connector.pk), _form(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "Nothing was saved" in page
    assert "T0KEN" not in page
    assert not AlertSettings.objects.exists()


def test_send_test_alert_goes_by_email_and_webhook(client, receiver):
    connector = make_connector()
    client.force_login(make_admin())
    client.post(URL.format(connector.pk), _form(webhook_url=receiver.url()))
    response = client.post(TEST_URL.format(connector.pk), follow=True)
    page = response.content.decode()
    assert "Email: test alert sent." in page and "Webhook: test alert sent." in page
    (email,) = mail.outbox
    assert email.subject == f"[{connector.name}] Test alert"
    assert sorted(email.to) == ["finance@example.com", "ops@example.com"]
    (payload,) = receiver.received
    assert payload["text"].startswith(f"*[{connector.name}] Test alert*")
    assert "Test alert" in page  # the recent messages table


def test_a_test_alert_that_fails_says_why_and_is_retried_by_the_sweeper(client, receiver):
    connector = make_connector()
    client.force_login(make_admin())
    client.post(URL.format(connector.pk), _form(emails="", webhook_url=receiver.url()))
    receiver.statuses = [502]
    page = client.post(TEST_URL.format(connector.pk), follow=True).content.decode()
    assert "Webhook: the test alert did not go: The webhook answered HTTP 502." in page
    assert "RECEIVER-SECRET" not in page
    assert AlertMessage.objects.get().status == "pending"


def test_nobody_to_tell_is_said_plainly(client):
    connector = make_connector()
    client.force_login(make_admin())
    page = client.post(TEST_URL.format(connector.pk), follow=True).content.decode()
    assert "set an alert email or a webhook first" in page
    assert mail.outbox == []


def test_customer_service_can_neither_see_nor_change_alerts(client):
    connector = make_connector()
    client.force_login(make_cs())
    assert client.get(URL.format(connector.pk)).status_code == 403
    assert client.post(URL.format(connector.pk), _form()).status_code == 403
    assert client.post(TEST_URL.format(connector.pk)).status_code == 403
    assert (
        "/settings/alerts/"
        not in client.get(f"/connectors/{connector.pk}/settings/").content.decode()
    )
    assert not AlertSettings.objects.exists() and mail.outbox == []
