"""Brute force is limited per username and per client address on the login page and the token
endpoint; X-Forwarded-For counts only from configured proxies (issue 11, item 6)."""

import itertools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD, make_cs

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
# Fresh addresses and usernames every run: with Redis the counts outlive a test run.
_addresses = (f"2001:db8:{uuid.uuid4().hex[:4]}::{n:x}" for n in itertools.count(1))


def make_user():
    return make_cs(username=f"cs-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    return settings


def _login_page(client, username, password, address, **headers):
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def _token(api_client, username, password, address, **headers):
    return api_client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


def test_login_page_locks_a_username_after_five_failures(client, limits):
    user = make_user()
    for _ in range(5):
        # A new address each time: the limit follows the username, not only the address.
        response = _login_page(client, user.username, "wrong", next(_addresses))
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    locked = _login_page(client, user.username, PASSWORD, next(_addresses))
    assert locked.status_code == 200
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_locks_an_address_after_twenty_failures(client, limits):
    address = next(_addresses)
    for n in range(20):
        _login_page(client, f"guess{n}-{address}", "wrong", address)
    user = make_user()
    assert (
        "Too many failed logins"
        in _login_page(client, user.username, PASSWORD, address).content.decode()
    )
    # Another address still logs in.
    assert _login_page(client, user.username, PASSWORD, next(_addresses)).status_code == 302


def test_success_resets_the_username_count(client, limits):
    user = make_user()
    address = next(_addresses)
    for _ in range(4):
        _login_page(client, user.username, "wrong", address)
    assert _login_page(client, user.username, PASSWORD, address).status_code == 302
    client.logout()
    for _ in range(4):
        _login_page(client, user.username, "wrong", address)
    assert _login_page(client, user.username, PASSWORD, address).status_code == 302


def test_token_endpoint_rotating_x_forwarded_for_changes_nothing(api_client, limits):
    user = make_user()
    address = next(_addresses)
    for n in range(5):
        response = _token(
            api_client, user.username, "wrong", address, HTTP_X_FORWARDED_FOR=f"10.9.{n}.1"
        )
        assert response.status_code == 400
    locked = _token(api_client, user.username, PASSWORD, address, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert locked.status_code == 429
    assert "token" not in locked.json()


def test_token_throttle_is_keyed_on_the_connection_not_the_header(api_client, settings):
    # DRF's own rate limit (10/minute for anonymous token requests) as well.
    address = next(_addresses)
    cache.delete(f"throttle_token_{address}")
    codes = [
        _token(api_client, "nobody", "x", address, HTTP_X_FORWARDED_FOR=f"10.8.{n}.1").status_code
        for n in range(11)
    ]
    assert codes[:10] == [400] * 10 and codes[10] == 429


def test_with_one_trusted_proxy_the_client_is_what_the_proxy_appended(client, limits):
    limits.NUM_PROXIES = 1
    proxy = next(_addresses)
    real_client = next(_addresses)
    for n in range(20):
        # The client writes whatever it likes on the left; the proxy appends the real address.
        _login_page(
            client,
            f"guess{n}-{real_client}",
            "wrong",
            proxy,
            HTTP_X_FORWARDED_FOR=f"10.7.{n}.1, {real_client}",
        )
    user = make_user()
    refused = _login_page(
        client, user.username, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=f"10.7.99.1, {real_client}"
    )
    assert "Too many failed logins" in refused.content.decode()
    # Another client behind the same proxy is not locked out.
    other = _login_page(
        client, user.username, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=next(_addresses)
    )
    assert other.status_code == 302


def _setting(name: str, **env) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("TRUST_X_FORWARDED_PROTO", "NUM_PROXIES")
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", **env)
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_x_forwarded_proto_is_trusted_only_when_configured():
    assert _setting("SECURE_PROXY_SSL_HEADER") == "None"
    assert _setting("SECURE_PROXY_SSL_HEADER", TRUST_X_FORWARDED_PROTO="true") == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    assert _setting("REST_FRAMEWORK['NUM_PROXIES']") == "0"
