import pytest
from django.core.management import CommandError, call_command

from flows.registry import FLOWS
from tests.factories import make_connector

pytestmark = pytest.mark.django_db


def test_registers_the_topics_the_flows_declare(shopify_sandbox, capsys):
    """One list of topics: the flows' declarations (flows/<flow>/__init__.py)."""
    connector = make_connector(
        shopify_shop_domain=shopify_sandbox.shop_domain,
        shopify_endpoint=shopify_sandbox.url,
        secrets={"shopify_access_token": shopify_sandbox.access_token},
    )
    call_command(
        "register_shopify_webhooks", str(connector.pk), "--base-url", "https://panel.example.com/"
    )
    subscriptions = shopify_sandbox.control.request("GET", "webhooks")["subscriptions"]
    topics = sorted(s["topic"] for s in subscriptions)
    declared = {t for flow in FLOWS.values() for t in flow.webhook_topics}
    assert topics == sorted(t.upper().replace("/", "_") for t in declared)
    assert topics == [
        "ORDERS_CANCELLED",
        "ORDERS_CREATE",
        "ORDERS_EDITED",
        "ORDERS_UPDATED",
        "REFUNDS_CREATE",
    ]
    assert all(
        f"https://panel.example.com/webhooks/shopify/{connector.pk}/" in str(s)
        for s in subscriptions
    )
    assert "5 topics" in capsys.readouterr().out


def test_clear_errors(shopify_sandbox):
    with pytest.raises(CommandError, match="No connector"):
        call_command("register_shopify_webhooks", "nope", "--base-url", "https://x.example")
    connector = make_connector(
        shopify_shop_domain=shopify_sandbox.shop_domain,
        shopify_endpoint=shopify_sandbox.url,
        secrets={"shopify_access_token": "wrong"},
    )
    with pytest.raises(CommandError, match="401"):
        call_command(
            "register_shopify_webhooks",
            str(connector.pk),
            "--base-url",
            "https://panel.example.com",
        )
