import pytest

pytestmark = pytest.mark.django_db


def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_login_page_is_served(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"Log in" in response.content


def test_demo_seed_is_repeatable(client):
    from connector.models import Connector
    from panel import demo

    demo.seed("demo-pass")
    connector = demo.seed("demo-pass")
    assert Connector.objects.filter(name=demo.DEMO_CONNECTOR).count() == 1
    assert client.login(username="admin", password="demo-pass")
    assert client.get("/").status_code == 200
    assert client.login(username="cs", password="demo-pass")
    assert client.get(f"/connectors/{connector.pk}/settings/credentials/").status_code == 403
