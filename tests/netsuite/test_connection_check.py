"""'Test connection', NetSuite half: getServerTime through the shared budget, or NetSuite's
exact message. Transactional: the budget refuses to run inside a transaction."""

import pytest

from connector.netsuite.models import BudgetLease
from tests.factories import make_admin, make_connector

pytestmark = pytest.mark.django_db(transaction=True)


def _connector(netsuite_sandbox, admin, **overrides):
    creds = netsuite_sandbox.credentials
    secrets = {
        "netsuite_consumer_key": creds["consumer_key"],
        "netsuite_consumer_secret": creds["consumer_secret"],
        "netsuite_token_id": creds["token_id"],
        "netsuite_token_secret": creds["token_secret"],
        **overrides,
    }
    return make_connector(
        admin,
        netsuite_account_id=netsuite_sandbox.account_id,
        netsuite_endpoint=netsuite_sandbox.url,
        secrets=secrets,
    )


def test_api_reports_server_time(api_client, netsuite_sandbox):
    admin = make_admin()
    connector = _connector(netsuite_sandbox, admin)
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["netsuite"]["ok"] is True, body
    assert "NetSuite server time" in body["netsuite"]["detail"]
    # The slot went back to the budget.
    assert not BudgetLease.objects.exists()


def test_wrong_credentials_give_netsuites_message(api_client, netsuite_sandbox):
    admin = make_admin()
    connector = _connector(netsuite_sandbox, admin, netsuite_token_secret="wrong-secret")
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["netsuite"]["ok"] is False
    assert "Invalid login attempt" in body["netsuite"]["detail"]
    assert "wrong-secret" not in str(body)


def test_missing_credentials(api_client):
    admin = make_admin()
    connector = make_connector(admin, secrets={"netsuite_consumer_key": "x"})
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["netsuite"]["ok"] is False
    assert body["netsuite"]["detail"].startswith(
        "Missing NetSuite credentials: consumer secret, token id, token secret"
    )


def test_both_halves_ok_against_both_sandboxes(api_client, netsuite_sandbox, shopify_sandbox):
    admin = make_admin()
    connector = _connector(netsuite_sandbox, admin)
    connector.shopify_shop_domain = shopify_sandbox.shop_domain
    connector.shopify_endpoint = shopify_sandbox.url
    connector.set_secret("shopify_access_token", shopify_sandbox.access_token)
    connector.save()
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["shopify"]["ok"] and body["netsuite"]["ok"], body
