"""Credentials are encrypted at rest and never rendered back: not in pages, API or logs."""

import logging

import pytest
from django.db import connection

from connector.models import SECRET_FIELDS, Connector
from panel import actions
from tests.factories import SECRETS, make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db


def _assert_no_secret(text: str, where: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"{name} leaked into {where}"
        assert "TOPSECRET" not in text, f"part of a secret leaked into {where}"


def test_stored_encrypted_and_decryptable():
    connector = make_connector()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shopify_access_token_encrypted, netsuite_token_secret_encrypted "
            "FROM connector_connector WHERE id = %s",
            [connector.pk],
        )
        row = cursor.fetchone()
    _assert_no_secret(" ".join(row), "the database")
    fresh = Connector.objects.get(pk=connector.pk)
    for name, value in SECRETS.items():
        assert fresh.get_secret(name) == value


def test_empty_secret_keeps_stored_value():
    admin = make_admin()
    connector = make_connector(admin)
    actions.update_connector(admin, connector, {}, secrets={"shopify_access_token": ""})
    assert (
        Connector.objects.get(pk=connector.pk).get_secret("shopify_access_token")
        == (SECRETS["shopify_access_token"])
    )


def test_no_page_renders_a_secret(client, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make_admin(is_staff=True, is_superuser=True)
    connector = make_connector(admin)
    # Change a secret through the page, so the write path is covered too.
    client.force_login(admin)
    client.post(
        f"/connectors/{connector.pk}/settings/credentials/",
        {"shopify_access_token": "shpat_TOPSECRET_replaced_0007"},
    )
    SECRETS_AFTER = "shpat_TOPSECRET_replaced_0007"
    assert Connector.objects.get(pk=connector.pk).get_secret("shopify_access_token") == (
        SECRETS_AFTER
    )
    urls = [
        "/",
        *[
            f"/connectors/{connector.pk}/settings/{s}/"
            for s in (
                "general",
                "credentials",
                "orders",
                "cancellation",
                "refunds",
                "order-edits",
                "b2b",
            )
        ],
        "/admin/connector/connector/",
        f"/admin/connector/connector/{connector.pk}/change/",
        "/admin/auditlog/logentry/",
        "/api/v1/connectors/",
        f"/api/v1/connectors/{connector.pk}/",
    ]
    for entry_id in connector_audit_ids(connector):
        urls.append(f"/admin/auditlog/logentry/{entry_id}/change/")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_no_secret(response.content.decode(), url)
        assert SECRETS_AFTER not in response.content.decode()
    _assert_no_secret(caplog.text, "the logs")
    assert SECRETS_AFTER not in caplog.text


def connector_audit_ids(connector):
    from auditlog.models import LogEntry

    return list(
        LogEntry.objects.filter(additional_data__connector_id=connector.pk).values_list(
            "pk", flat=True
        )
    )


def test_api_never_returns_secrets(api_client, caplog):
    caplog.set_level(logging.DEBUG)
    admin = make_admin()
    api_client.force_authenticate(admin)
    response = api_client.post(
        "/api/v1/connectors/",
        {
            "name": "API",
            "shopify_shop_domain": "api-store.myshopify.com",
            "netsuite_account_id": "1111111",
            **SECRETS,
        },
        format="json",
    )
    assert response.status_code == 201
    _assert_no_secret(response.content.decode(), "the create response")
    body = response.json()
    assert body["credentials"] == {name: "set" for name in SECRET_FIELDS}
    for name in SECRET_FIELDS:
        assert name not in body

    # A bad request echoes no secret either.
    response = api_client.patch(
        f"/api/v1/connectors/{body['id']}/",
        {"shopify_access_token": SECRETS["shopify_access_token"], "netsuite_concurrency_limit": 0},
        format="json",
    )
    assert response.status_code == 400
    _assert_no_secret(response.content.decode(), "a 400 response")
    _assert_no_secret(caplog.text, "the logs")


def test_customer_service_sees_no_credential_status(api_client, client):
    connector = make_connector()
    cs = make_cs()
    api_client.force_authenticate(cs)
    body = api_client.get(f"/api/v1/connectors/{connector.pk}/").json()
    assert "credentials" not in body
    assert "shopify_endpoint" not in body
    client.force_login(cs)
    page = client.get("/").content.decode()
    assert "Credentials" not in page and "complete" not in page
