"""Credentials go only to allowed hosts (CONNECTOR_ENDPOINT_HOSTS), never along a redirect, and
"Test connection" shows our parsed error, never the remote body (issue 11, item 1)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.connection_check import check_connection
from connector.endpoints import EndpointNotAllowed, check
from panel import actions
from tests.factories import SECRETS, make_admin, make_connector

PRODUCTION = ["*.myshopify.com", "*.suitetalk.api.netsuite.com"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
        "http://10.0.0.5:8080/",
        "http://192.168.1.1/",
        "http://127.0.0.1:8701",  # loopback: only when listed
        "https://attacker.example.com/",
        "https://myshopify.com.attacker.example/",
        "https://user:pw@shop.myshopify.com/",
        "ftp://shop.myshopify.com/",
    ],
)
def test_production_defaults_refuse(settings, url):
    settings.CONNECTOR_ENDPOINT_HOSTS = PRODUCTION
    with pytest.raises(EndpointNotAllowed):
        check(url)


def test_production_defaults_allow_the_real_services(settings):
    settings.CONNECTOR_ENDPOINT_HOSTS = PRODUCTION
    check("https://shop-1.myshopify.com")
    check("https://1234567-sb1.suitetalk.api.netsuite.com/services/NetSuitePort_2025_2")


def test_listed_host_and_port(settings):
    settings.CONNECTOR_ENDPOINT_HOSTS = [*PRODUCTION, "127.0.0.1:8701"]
    check("http://127.0.0.1:8701/admin")
    with pytest.raises(EndpointNotAllowed):
        check("http://127.0.0.1:8702/")


def test_a_wildcard_host_resolving_inside_is_refused_when_the_client_is_built(settings):
    settings.CONNECTOR_ENDPOINT_HOSTS = ["local*"]
    check("http://localhost:9/")  # the saved setting matches the pattern...
    with pytest.raises(EndpointNotAllowed, match="internal address"):
        check("http://localhost:9/", resolve=True)  # ...but it points at loopback


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("shopify_endpoint", "http://169.254.169.254/"),
        ("netsuite_endpoint", "https://attacker.example.com/services/NetSuitePort_2025_2"),
    ],
)
def test_api_refuses_an_override_outside_the_list(api_client, field, url):
    admin = make_admin()
    connector = make_connector(admin)
    api_client.force_authenticate(admin)
    response = api_client.patch(f"/api/v1/connectors/{connector.pk}/", {field: url}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    connector.refresh_from_db()
    assert getattr(connector, field) == ""


@pytest.mark.django_db
def test_settings_page_refuses_an_override_outside_the_list(client):
    admin = make_admin()
    connector = make_connector(admin)
    client.force_login(admin)
    form = {
        "name": connector.name,
        "is_active": "on",
        "shopify_shop_domain": connector.shopify_shop_domain,
        "shopify_api_version": connector.shopify_api_version,
        "shopify_endpoint": "http://169.254.169.254/",
        "netsuite_account_id": connector.netsuite_account_id,
        "netsuite_environment": connector.netsuite_environment,
        "netsuite_concurrency_limit": 5,
        "netsuite_endpoint": "",
    }
    response = client.post(f"/connectors/{connector.pk}/settings/general/", form)
    assert response.status_code == 200
    assert "not an allowed endpoint host" in response.content.decode()
    connector.refresh_from_db()
    assert connector.shopify_endpoint == ""


class Recorder:
    """Loopback HTTP servers: one that redirects every POST to the other, and the other,
    which records what reaches it."""

    def __init__(self):
        self.received: list[dict] = []
        recorder = self

        class Target(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorder.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(401)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html>ATTACKER-PAGE internal secrets here</html>")

            def log_message(self, *args):
                pass

        self.target = ThreadingHTTPServer(("127.0.0.1", 0), Target)
        target_url = f"http://127.0.0.1:{self.target.server_address[1]}"

        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self):
                self.send_response(307)
                self.send_header("Location", target_url + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.redirect = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        self.redirect_url = f"http://127.0.0.1:{self.redirect.server_address[1]}"
        self.target_url = target_url
        for server in (self.target, self.redirect):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self):
        for server in (self.target, self.redirect):
            server.shutdown()
            server.server_close()


@pytest.fixture
def recorder():
    r = Recorder()
    yield r
    r.close()


@pytest.mark.django_db(transaction=True)
def test_redirects_are_not_followed_with_credentials(recorder):
    connector = make_connector(
        shopify_endpoint=recorder.redirect_url,
        netsuite_endpoint=recorder.redirect_url + "/services/NetSuitePort_2025_2",
    )
    result = check_connection(connector)
    assert not result["shopify"]["ok"] and "redirect" in result["shopify"]["detail"]
    assert not result["netsuite"]["ok"] and "HTTP 307" in result["netsuite"]["detail"]
    assert recorder.received == []  # neither the token nor the passport left


@pytest.mark.django_db(transaction=True)
def test_the_remote_body_is_never_echoed(recorder):
    connector = make_connector(
        shopify_endpoint=recorder.target_url,
        netsuite_endpoint=recorder.target_url + "/services/NetSuitePort_2025_2",
    )
    result = check_connection(connector)
    for side in ("shopify", "netsuite"):
        assert not result[side]["ok"]
        assert "ATTACKER-PAGE" not in result[side]["detail"], result[side]
    assert "HTTP 401" in result["shopify"]["detail"]


@pytest.mark.django_db
def test_no_override_fails_closed_when_the_real_hosts_are_not_allowed():
    # The suite allows loopback only: a connector without overrides must not reach Shopify.
    connector = make_connector()
    result = check_connection(connector)
    for side in ("shopify", "netsuite"):
        assert not result[side]["ok"]
        assert "not an allowed endpoint host" in result[side]["detail"]


@pytest.mark.django_db
def test_stored_override_refused_after_the_list_changes(settings):
    admin = make_admin()
    connector = make_connector(admin, shopify_endpoint="http://127.0.0.1:8701")
    settings.CONNECTOR_ENDPOINT_HOSTS = PRODUCTION
    result = check_connection(connector)
    assert "not an allowed endpoint host" in result["shopify"]["detail"]
    with pytest.raises(Exception, match="not an allowed endpoint host"):
        actions.update_connector(admin, connector, {"name": "renamed"}, secrets=SECRETS)


def test_make_run_allows_the_demo_connector(settings):
    from pathlib import Path

    from panel import demo

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    line = next(
        line
        for line in makefile.splitlines()
        if line.startswith("run: export CONNECTOR_ENDPOINT_HOSTS ?= ")
    )
    hosts = line.split("?= ", 1)[1]
    hosts = hosts.replace("$(or $(SHOPIFY_SANDBOX_PORT),8701)", str(demo.SHOPIFY_SANDBOX_PORT))
    hosts = hosts.replace("$(or $(NETSUITE_SANDBOX_PORT),8702)", str(demo.NETSUITE_SANDBOX_PORT))
    settings.CONNECTOR_ENDPOINT_HOSTS = hosts.split(",")
    check(f"http://127.0.0.1:{demo.SHOPIFY_SANDBOX_PORT}")
    check(f"http://127.0.0.1:{demo.NETSUITE_SANDBOX_PORT}/services/NetSuitePort_2025_2")
    check("https://shop.myshopify.com")
    with pytest.raises(EndpointNotAllowed):
        check("http://127.0.0.1:5432/")
