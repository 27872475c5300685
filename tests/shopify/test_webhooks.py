import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.shopify import webhooks
from connector.shopify.errors import ShopifyUserError

SECRET = "hush"
BODY = b'{"id":820982911946154508,"name":"#1001"}'


def test_sign_matches_an_independent_hmac():
    expected = base64.b64encode(hmac.new(b"hush", BODY, hashlib.sha256).digest()).decode()
    assert webhooks.sign(SECRET, BODY) == expected


def test_verify_accepts_the_right_signature():
    assert webhooks.verify(SECRET, BODY, webhooks.sign(SECRET, BODY))


@pytest.mark.parametrize(
    "header",
    [
        webhooks.sign("other-secret", BODY),  # forged with another secret
        webhooks.sign(SECRET, BODY + b" "),  # body changed after signing
        None,  # missing
        "",  # empty
        "not base64 at all!",  # malformed
        base64.b64encode(b"short").decode(),  # well-formed but the wrong length
    ],
)
def test_verify_rejects_forged_missing_and_malformed(header):
    assert webhooks.verify(SECRET, BODY, header) is False


def test_verify_refuses_when_no_secret_is_configured():
    assert webhooks.verify("", BODY, webhooks.sign("", BODY)) is False


def test_subscribe_creates_one_subscription_per_topic(shopify_sandbox):
    client = shopify_sandbox.client()
    wanted = ["orders/create", "orders/updated", "orders/cancelled"]
    results = webhooks.subscribe(client, "https://panel.example.com/webhooks/shopify", wanted)
    topics = [r["webhookSubscription"]["topic"] for r in results]
    assert topics == ["ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED"]
    with pytest.raises(ShopifyUserError) as caught:
        webhooks.subscribe(client, "https://panel.example.com/webhooks/shopify", ["orders/create"])
    assert "already been taken" in caught.value.message


@pytest.fixture
def receiver():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_sandbox_delivers_a_signed_webhook_that_verify_accepts(shopify_sandbox, receiver):
    url, received = receiver
    order = shopify_sandbox.control.create_order(lines=[{"sku": "A-1", "quantity": 2}])
    answer = shopify_sandbox.control.deliver_webhook("orders/create", order["id"], url)
    assert answer["status"] == 200
    headers, body = received[0]
    assert webhooks.verify(shopify_sandbox.webhook_secret, body, headers["X-Shopify-Hmac-Sha256"])
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == shopify_sandbox.shop_domain
    assert headers["X-Shopify-API-Version"] == "2026-10"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"]
    payload = json.loads(body)
    assert payload["id"] == order["id"]
    assert payload["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    assert payload["name"] == order["name"]
