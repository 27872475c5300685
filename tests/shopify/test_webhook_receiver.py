"""The webhook endpoint: signature checks, storing before answering, dedupe, processing."""

import json
import uuid

import pytest
import requests
from django_q.brokers import get_broker

from connector.shopify.models import WebhookDelivery
from connector.shopify.tasks import process_delivery
from connector.shopify.webhooks import sign
from tests.factories import make_connector

SECRET = "whsec_TOPSECRET_webhook_0002"  # the factories' webhook secret


def _post(
    client,
    connector,
    body: bytes,
    *,
    signature="sign",
    topic="orders/create",
    webhook_id=None,
    event_id=None,
    shop=None,
):
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_EVENT_ID": event_id or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": shop or connector.shopify_shop_domain,
        "HTTP_X_SHOPIFY_API_VERSION": "2026-10",
    }
    if signature == "sign":
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = sign(SECRET, body)
    elif signature is not None:
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = signature
    return client.post(
        f"/webhooks/shopify/{connector.pk}/",
        data=body,
        content_type="application/json",
        **headers,
    )


BODY = json.dumps({"id": 820982911946154508, "name": "#1001"}).encode()


@pytest.mark.django_db
def test_signed_delivery_is_stored_then_processed_in_the_same_request(client):
    # Stored (committed) first, then processed at once: the handler only starts a flow run,
    # and a task would wait for a free worker behind long runs.
    connector = make_connector()
    broker = get_broker()
    queued_before = broker.queue_size()
    response = _post(client, connector, BODY)
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.body.encode() == BODY
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert delivery.attempts == 1
    assert broker.queue_size() == queued_before  # no task needed
    # The order import is switched off on a new connector: ignored, with the reason.
    assert "switched off" in delivery.status_detail
    # A second task for the same delivery does nothing.
    assert process_delivery(delivery.pk) == "already taken"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64!!", "c2hvcnQ=", sign("some-other-secret", BODY)],
    ids=["missing", "empty", "malformed", "short", "forged"],
)
def test_bad_or_missing_signature_is_401_and_stores_nothing(client, signature):
    connector = make_connector()
    response = _post(client, connector, BODY, signature=signature)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_body_tampered_after_signing_is_refused(client):
    connector = make_connector()
    signature = sign(SECRET, BODY)
    response = _post(client, connector, BODY.replace(b"1001", b"1002"), signature=signature)
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_other_shop_is_refused(client):
    connector = make_connector()
    response = _post(client, connector, BODY, shop="someone-else.myshopify.com")
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_replayed_delivery_is_recorded_once(client):
    connector = make_connector()
    first = _post(client, connector, BODY, webhook_id="wh-1", event_id="ev-1")
    again = _post(client, connector, BODY, webhook_id="wh-1", event_id="ev-1")
    same_event = _post(client, connector, BODY, webhook_id="wh-2", event_id="ev-1")
    assert (first.status_code, again.status_code, same_event.status_code) == (200, 200, 200)
    assert again.json() == {"status": "duplicate"} == same_event.json()
    delivery = WebhookDelivery.objects.get()
    assert delivery.duplicates == 2


@pytest.mark.django_db
def test_replay_under_new_delivery_and_event_ids_is_a_duplicate(client):
    """The ids are headers outside the signature: a captured body replayed with fresh ids is
    the same (topic, resource, updated_at) and is not queued again."""
    connector = make_connector()
    version = {"id": 820982911946154508, "name": "#1001", "updated_at": "2026-12-01T10:00:00Z"}
    body = json.dumps(version).encode()
    broker = get_broker()
    queued_before = broker.queue_size()
    first = _post(client, connector, body, webhook_id="wh-a", event_id="ev-a")
    replay = _post(client, connector, body, webhook_id="wh-b", event_id="ev-b")
    assert first.json() == {"status": "received"}
    assert replay.json() == {"status": "duplicate"}
    delivery = WebhookDelivery.objects.get()
    assert (delivery.duplicates, delivery.attempts) == (1, 1)  # processed once
    assert broker.queue_size() == queued_before
    # Another topic, or a newer version of the order, is a new delivery.
    newer = json.dumps({**version, "updated_at": "2026-12-01T10:05:00Z"}).encode()
    assert _post(client, connector, newer).json() == {"status": "received"}
    assert _post(client, connector, body, topic="orders/updated").json() == {"status": "received"}
    assert WebhookDelivery.objects.count() == 3


@pytest.mark.django_db
def test_unknown_topic_and_inactive_connector_are_recorded_not_processed(client):
    connector = make_connector()
    assert _post(client, connector, BODY, topic="products/create").json() == {"status": "ignored"}
    connector.is_active = False
    connector.save()
    assert _post(client, connector, BODY).json() == {"status": "ignored"}
    assert WebhookDelivery.objects.filter(status="ignored").count() == 2


@pytest.mark.django_db
def test_unknown_connector_is_404(client):
    response = client.post("/webhooks/shopify/999999/", data=BODY, content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_sandbox_delivers_over_real_http(live_server, shopify_sandbox):
    """The sandbox store signs with the shop's secret and posts to our endpoint."""
    connector = make_connector(
        shopify_shop_domain=shopify_sandbox.shop_domain,
        secrets={"shopify_webhook_secret": shopify_sandbox.webhook_secret},
    )
    order = shopify_sandbox.control.create_order()
    url = f"{live_server.url}/webhooks/shopify/{connector.pk}/"
    answer = shopify_sandbox.control.deliver_webhook(
        topic="orders/create", order_id=order["id"], url=url
    )
    assert answer["status"] == 200
    delivery = WebhookDelivery.objects.get()
    assert json.loads(delivery.body)["name"] == order["name"]
    # Shopify retries the same delivery: recorded once.
    requests.post(url, data=delivery.body.encode(), timeout=5)  # unsigned replay
    assert WebhookDelivery.objects.count() == 1
