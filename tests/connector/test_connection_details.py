"""Only connector admins see where a connector connects (issue 11, item 5)."""

import pytest

from tests.factories import make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db

SHOPIFY = "http://127.0.0.1:8701"
NETSUITE = "http://localhost:8702/services/NetSuitePort_2025_2"


@pytest.fixture
def connector():
    return make_connector(shopify_endpoint=SHOPIFY, netsuite_endpoint=NETSUITE)


def test_customer_service_does_not_see_endpoint_overrides(client, api_client, connector):
    cs = make_cs()
    client.force_login(cs)
    page = client.get(f"/connectors/{connector.pk}/settings/general/").content.decode()
    assert connector.name in page
    for text in (SHOPIFY, NETSUITE, "8701", "endpoint override", "shopify_endpoint"):
        assert text not in page
    api_client.force_authenticate(cs)
    body = api_client.get(f"/api/v1/connectors/{connector.pk}/").json()
    assert "shopify_endpoint" not in body and "netsuite_endpoint" not in body
    listed = api_client.get("/api/v1/connectors/").json()["results"][0]
    assert "shopify_endpoint" not in listed


def test_admins_see_and_keep_them(client, connector):
    client.force_login(make_admin())
    page = client.get(f"/connectors/{connector.pk}/settings/general/").content.decode()
    assert SHOPIFY in page and NETSUITE in page
