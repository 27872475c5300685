"""'Test connection', Shopify half: the API and the page report ok or Shopify's own error."""

import pytest

from tests.factories import make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db


def _connector(shopify_sandbox, admin, **secrets):
    return make_connector(
        admin,
        shopify_shop_domain=shopify_sandbox.shop_domain,
        shopify_endpoint=shopify_sandbox.url,
        secrets={"shopify_access_token": shopify_sandbox.access_token, **secrets},
    )


def test_api_reports_shop_name(api_client, shopify_sandbox):
    admin = make_admin()
    connector = _connector(shopify_sandbox, admin)
    api_client.force_authenticate(admin)
    response = api_client.post(f"/api/v1/connectors/{connector.pk}/test/")
    assert response.status_code == 200
    body = response.json()
    assert body["shopify"]["ok"] is True
    assert body["shopify"]["detail"].startswith("Connected to ")
    assert set(body) == {"shopify", "netsuite"}


def test_wrong_token_gives_shopifys_message(api_client, shopify_sandbox):
    admin = make_admin()
    connector = _connector(shopify_sandbox, admin, shopify_access_token="shpat_wrong")
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["shopify"]["ok"] is False
    assert "401" in body["shopify"]["detail"]
    assert "Invalid API key or access token" in body["shopify"]["detail"]
    assert "shpat_wrong" not in body["shopify"]["detail"]


def test_unknown_shop(api_client, shopify_sandbox):
    admin = make_admin()
    connector = _connector(shopify_sandbox, admin)
    connector.shopify_shop_domain = "no-such-store.myshopify.com"
    connector.save()
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["shopify"]["ok"] is False
    assert "no-such-store.myshopify.com" in body["shopify"]["detail"]


def test_missing_token(api_client):
    admin = make_admin()
    connector = make_connector(admin, secrets={})
    api_client.force_authenticate(admin)
    body = api_client.post(f"/api/v1/connectors/{connector.pk}/test/").json()
    assert body["shopify"] == {
        "ok": False,
        "detail": "No Shopify access token is set (Settings › Credentials).",
    }


def test_customer_service_cannot_test(api_client, client, shopify_sandbox):
    connector = _connector(shopify_sandbox, make_admin())
    cs = make_cs()
    api_client.force_authenticate(cs)
    assert api_client.post(f"/api/v1/connectors/{connector.pk}/test/").status_code == 403
    client.force_login(cs)
    assert client.post(f"/connectors/{connector.pk}/test/").status_code == 403


def test_page_button_with_htmx(client, shopify_sandbox):
    admin = make_admin()
    connector = _connector(shopify_sandbox, admin)
    client.force_login(admin)
    response = client.post(f"/connectors/{connector.pk}/test/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Shopify ok" in html and "Connected to" in html
