"""Every change to a connector or its options is recorded: who, when, field, old → new."""

import pytest
from auditlog.models import LogEntry

from connector.admin import describe_changes
from tests.factories import make_admin, make_connector

pytestmark = pytest.mark.django_db


def test_settings_change_is_audited_with_actor_and_values(client):
    admin = make_admin(is_staff=True, is_superuser=True)
    connector = make_connector(admin)
    client.force_login(admin)
    client.post(
        f"/connectors/{connector.pk}/settings/refunds/",
        {
            "refund_sync_direction": "netsuite_to_shopify",
            # The tab's two flows' schedules are part of its form.
            "refund_to_shopify-interval_minutes": 15,
            "refund_to_netsuite-interval_minutes": 15,
        },
    )
    entry = LogEntry.objects.filter(
        additional_data__connector_id=connector.pk,
        content_type__model="connectoroptions",
        action=LogEntry.Action.UPDATE,
    ).latest("timestamp")
    assert entry.actor == admin
    assert entry.changes_dict["refund_sync_direction"] == ["none", "netsuite_to_shopify"]
    assert ("Refund sync direction", "none → netsuite_to_shopify") in describe_changes(entry)

    # The admin list filters by connector, user and date.
    page = client.get(
        "/admin/auditlog/logentry/",
        {"connector": connector.pk, "actor__id__exact": admin.pk},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Refund sync direction: none → netsuite_to_shopify" in html
    assert (
        client.get(
            "/admin/auditlog/logentry/", {"timestamp__gte": "2000-01-01T00:00:00+00:00"}
        ).status_code
        == 200
    )


def test_api_change_is_attributed_to_token_user(api_client):
    admin = make_admin()
    connector = make_connector(admin)
    api_client.force_authenticate(admin)
    api_client.patch(
        f"/api/v1/connectors/{connector.pk}/",
        {"options": {"b2b_sync_window_days": 45}},
        format="json",
    )
    entry = LogEntry.objects.filter(
        additional_data__connector_id=connector.pk,
        content_type__model="connectoroptions",
        action=LogEntry.Action.UPDATE,
    ).latest("timestamp")
    assert entry.actor == admin
    assert [str(v) for v in entry.changes_dict["b2b_sync_window_days"]] == ["90", "45"]


def test_secret_change_is_shown_only_as_changed(client):
    admin = make_admin(is_staff=True, is_superuser=True)
    connector = make_connector(admin)
    client.force_login(admin)
    client.post(
        f"/connectors/{connector.pk}/settings/credentials/",
        {"netsuite_token_secret": "brand-new-token-secret"},
    )
    entry = LogEntry.objects.filter(
        additional_data__connector_id=connector.pk,
        content_type__model="connector",
        action=LogEntry.Action.UPDATE,
    ).latest("timestamp")
    assert describe_changes(entry) == [("NetSuite token secret", "changed")]
    assert entry.changes_dict["netsuite_token_secret_encrypted"] == ["changed", "changed"]
    detail = client.get(f"/admin/auditlog/logentry/{entry.pk}/change/").content.decode()
    assert "NetSuite token secret" in detail and "brand-new-token-secret" not in detail


def test_audit_log_is_read_only(client):
    admin = make_admin(is_staff=True, is_superuser=True)
    connector = make_connector(admin)
    client.force_login(admin)
    entry = LogEntry.objects.filter(additional_data__connector_id=connector.pk).first()
    assert client.get("/admin/auditlog/logentry/add/").status_code == 403
    assert client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    ("proxies", "expected"), [(0, "10.1.2.3"), (1, "203.0.113.7")], ids=["direct", "one-proxy"]
)
def test_a_change_through_a_verb_records_the_client_address_a_client_cannot_forge(
    client, settings, proxies, expected
):
    settings.NUM_PROXIES = proxies
    admin = make_admin()
    connector = make_connector(admin)
    client.force_login(admin)
    response = client.post(
        f"/connectors/{connector.pk}/settings/refunds/",
        {
            "refund_sync_direction": "netsuite_to_shopify",
            "refund_to_shopify-interval_minutes": 15,
            "refund_to_netsuite-interval_minutes": 15,
        },
        REMOTE_ADDR="10.1.2.3",
        # The client wrote the first entry; our one proxy appended the real address.
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert response.status_code == 302
    entry = LogEntry.objects.filter(content_type__model="connectoroptions").latest("timestamp")
    assert entry.actor == admin
    assert entry.remote_addr == expected
