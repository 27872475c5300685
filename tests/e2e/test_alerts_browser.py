"""Settings › Alerts in the browser: recipients and a webhook saved, the URL never shown again,
a refused host next to its field, and Send test alert reaching a loopback receiver."""

import pytest
from django.core import mail

from tests.alert_receiver import Receiver
from tests.e2e.conftest import axe_check, login
from tests.factories import PASSWORD, make_admin, make_connector

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sets_alerts_and_sends_a_test(page, live_server, screenshot):
    make_admin(username="amy")
    make_connector(name="Alerty")
    login(page, live_server, "amy", PASSWORD)
    page.get_by_role("link", name="Alerty").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Alerts").click()

    page.get_by_label("Webhook URL (Slack-compatible)").fill("https://hooks.example.com/T0KEN")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Nothing was saved").wait_for()
    assert "not an allowed endpoint host" in page.locator(".has-error .error").first.inner_text()

    with Receiver() as receiver:
        page.get_by_label("Alert emails").fill("ops@example.com")
        page.get_by_label("Webhook URL (Slack-compatible)").fill(receiver.url())
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Alerts settings saved.").wait_for()
        assert "T0KEN" not in page.content()
        assert page.get_by_label("Webhook URL (Slack-compatible)").input_value() == ""

        page.get_by_role("button", name="Send test alert").click()
        page.get_by_text("Webhook: test alert sent.").wait_for()
        page.get_by_text("Email: test alert sent.").wait_for()
        assert len(receiver.received) == 1
    assert [m.subject for m in mail.outbox] == ["[Alerty] Test alert"]
    screenshot("settings-alerts-test-sent")
    axe_check(page, "settings-alerts")
