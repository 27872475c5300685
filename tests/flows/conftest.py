"""A connector wired to both sandboxes over real HTTP, and a helper that runs a flow."""

import pytest

from connector import actions
from flows import engine
from flows.models import FlowRun, Trigger
from tests.factories import make_admin, make_connector


@pytest.fixture
def wired(shopify_sandbox, netsuite_sandbox):
    creds = netsuite_sandbox.credentials
    connector = make_connector(
        shopify_shop_domain=shopify_sandbox.shop_domain,
        shopify_endpoint=shopify_sandbox.url,
        netsuite_account_id=creds["account_id"],
        netsuite_endpoint=netsuite_sandbox.url,
        secrets={
            "shopify_access_token": shopify_sandbox.access_token,
            "shopify_webhook_secret": shopify_sandbox.webhook_secret,
            "netsuite_consumer_key": creds["consumer_key"],
            "netsuite_consumer_secret": creds["consumer_secret"],
            "netsuite_token_id": creds["token_id"],
            "netsuite_token_secret": creds["token_secret"],
        },
    )
    return connector


def set_options(connector, **options):
    actions.update_options(make_admin(), connector, options)
    connector.refresh_from_db()


def run_flow(connector, flow: str, trigger=Trigger.BUTTON, **kw) -> FlowRun:
    connector.refresh_from_db()
    run, created = engine.request_run(connector, flow, trigger, **kw)
    assert created
    engine.execute(run.pk)
    run.refresh_from_db()
    return run
