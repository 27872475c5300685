"""Demo users and the demo connector, wired to the bundled sandbox servers."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from connector.models import Connector, RefundSyncDirection
from connector.roles import CONNECTOR_ADMINS, CUSTOMER_SERVICE

from . import actions

DEMO_CONNECTOR = "Demo store"
SHOPIFY_SANDBOX_PORT = int(os.environ.get("SHOPIFY_SANDBOX_PORT", "8701"))
NETSUITE_SANDBOX_PORT = int(os.environ.get("NETSUITE_SANDBOX_PORT", "8702"))

# The sandboxes are started with these same values (they are demo values, not secrets).
DEMO_SHOP_DOMAIN = "demo-store.myshopify.com"
DEMO_SHOPIFY_TOKEN = "shpat_demo_sandbox_token"  # noqa: S105
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105
DEMO_NETSUITE_ACCOUNT = "1234567_SB1"
DEMO_NETSUITE_CREDENTIALS = {
    "netsuite_consumer_key": "demo-consumer-key",
    "netsuite_consumer_secret": "demo-consumer-secret",
    "netsuite_token_id": "demo-token-id",
    "netsuite_token_secret": "demo-token-secret",
}


def ensure_user(username: str, password: str, group: str, superuser: bool = False):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.is_staff = superuser
    user.is_superuser = superuser
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


@transaction.atomic
def seed(password: str = "demo") -> Connector:  # noqa: S107 - the documented demo login
    admin = ensure_user("admin", password, CONNECTOR_ADMINS, superuser=True)
    ensure_user("cs", password, CUSTOMER_SERVICE)
    fields = {
        "name": DEMO_CONNECTOR,
        "shopify_shop_domain": DEMO_SHOP_DOMAIN,
        "shopify_endpoint": f"http://127.0.0.1:{SHOPIFY_SANDBOX_PORT}",
        "netsuite_account_id": DEMO_NETSUITE_ACCOUNT,
        "netsuite_environment": "sandbox",
        "netsuite_endpoint": (
            f"http://127.0.0.1:{NETSUITE_SANDBOX_PORT}/services/NetSuitePort_2025_2"
        ),
    }
    secrets = {
        "shopify_access_token": DEMO_SHOPIFY_TOKEN,
        "shopify_webhook_secret": DEMO_WEBHOOK_SECRET,
        **DEMO_NETSUITE_CREDENTIALS,
    }
    existing = Connector.objects.filter(name=DEMO_CONNECTOR).first()
    if existing:
        connector = actions.update_connector(admin, existing, fields, secrets)
    else:
        connector = actions.create_connector(
            admin,
            fields,
            secrets,
            # B2B on: the demo's company orders import; the only failure of a first Run is
            # the planted one (sandbox/shopify/demo.py).
            options={
                "refund_sync_direction": RefundSyncDirection.NETSUITE_TO_SHOPIFY,
                "b2b_sync_enabled": True,
            },
        )
    return connector
