"""Each option validates in the form and the API, and bad input changes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connector.models import ConnectorOptions, RefundSyncDirection
from panel import actions
from tests.factories import make_admin, make_connector

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return make_admin()


@pytest.fixture
def connector(admin_user):
    return make_connector(admin_user)


def _options_snapshot(connector):
    return dict(ConnectorOptions.objects.filter(connector=connector).values().get())


# --- the API --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field", "message_part"),
    [
        ({"options": {"b2b_sync_window_days": -5}}, "b2b_sync_window_days", ""),
        ({"options": {"b2b_sync_window_days": 0}}, "b2b_sync_window_days", "greater than"),
        ({"options": {"refund_sync_direction": "both"}}, "refund_sync_direction", "valid choice"),
        (
            {"options": {"refund_sync_direction": ["shopify_to_netsuite", "netsuite_to_shopify"]}},
            "refund_sync_direction",
            "",
        ),
        ({"options": {"no_such_option": True}}, "no_such_option", "Unknown option"),
        (
            {"options": {"netsuite_no_restock_location_id": "Damaged"}},
            "netsuite_no_restock_location_id",
            "digits only",
        ),
        (
            {"options": {"create_return_authorization": "sometimes"}},
            "create_return_authorization",
            "valid boolean",
        ),
        ({"options": {"order_edit_lock_status": "_shipped"}}, "order_edit_lock_status", "choice"),
        (
            {"options": {"prevent_shopify_refund_on_cancel": "maybe"}},
            "prevent_shopify_refund_on_cancel",
            "valid boolean",
        ),
    ],
)
def test_api_rejects_bad_options_and_changes_nothing(
    api_client, admin_user, connector, payload, field, message_part
):
    before = _options_snapshot(connector)
    api_client.force_authenticate(admin_user)
    response = api_client.patch(f"/api/v1/connectors/{connector.pk}/", payload, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["options"]
    assert field in errors
    assert message_part in " ".join(map(str, errors[field]))
    assert _options_snapshot(connector) == before


@pytest.mark.parametrize(
    ("payload", "field", "message_part"),
    [
        (
            {"shopify_shop_domain": "https://shop.example.com/"},
            "shopify_shop_domain",
            "myshopify.com",
        ),
        ({"shopify_shop_domain": "Store.myshopify.com"}, "shopify_shop_domain", "lower case"),
        ({"shopify_api_version": "2026-13"}, "shopify_api_version", "2026-10"),
        ({"netsuite_account_id": "12 34"}, "netsuite_account_id", "1234567_SB1"),
        ({"netsuite_concurrency_limit": 0}, "netsuite_concurrency_limit", ""),
        ({"netsuite_environment": "staging"}, "netsuite_environment", "valid choice"),
        ({"colour": "blue"}, "colour", "Unknown option"),
        (
            {"flows": {"netsuite_cancellation_to_shopify": {"interval_minutes": 1}}},
            "flows",
            "greater than",
        ),
        (
            {"flows": {"netsuite_cancellation_to_shopify": {"cron": "every tuesday"}}},
            "flows",
            "five fields",
        ),
        ({"flows": {"no_such_flow": {"enabled": True}}}, "flows", "Unknown flow"),
    ],
)
def test_api_rejects_bad_connector_fields(
    api_client, admin_user, connector, payload, field, message_part
):
    api_client.force_authenticate(admin_user)
    before = api_client.get(f"/api/v1/connectors/{connector.pk}/").json()
    response = api_client.patch(f"/api/v1/connectors/{connector.pk}/", payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body
    assert message_part in str(body[field])
    after = api_client.get(f"/api/v1/connectors/{connector.pk}/").json()
    before.pop("updated_at"), after.pop("updated_at")
    assert after == before


def test_api_patch_options_by_api_name(api_client, admin_user, connector):
    api_client.force_authenticate(admin_user)
    response = api_client.patch(
        f"/api/v1/connectors/{connector.pk}/",
        {
            "options": {
                "cancel_in_shopify_when_cancelled_in_netsuite": True,
                "prevent_shopify_refund_on_cancel": True,
                "refund_sync_direction": "netsuite_to_shopify",
                "b2b_sync_window_days": 30,
            },
            "flows": {
                "netsuite_cancellation_to_shopify": {"enabled": True, "cron": "*/20 * * * *"}
            },
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["options"]["cancel_in_shopify_when_cancelled_in_netsuite"] is True
    assert body["options"]["refund_sync_direction"] == "netsuite_to_shopify"
    assert body["options"]["b2b_sync_window_days"] == 30
    assert body["flows"]["netsuite_cancellation_to_shopify"] == {
        "enabled": True,
        "interval_minutes": 15,
        "cron": "*/20 * * * *",
    }
    connector.options.refresh_from_db()
    assert connector.options.prevent_shopify_refund_on_cancel is True


def test_api_create_connector_with_defaults(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    response = api_client.post(
        "/api/v1/connectors/",
        {
            "name": "New",
            "shopify_shop_domain": "new-store.myshopify.com",
            "netsuite_account_id": "7654321",
            "shopify_access_token": "shpat_x",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shopify_api_version"] == "2026-10"
    assert body["netsuite_concurrency_limit"] == 5
    assert body["options"]["refund_sync_direction"] == "none"
    assert body["options"]["order_edit_lock_status"] == "_pendingFulfillment"
    assert body["options"]["b2b_sync_window_days"] == 90
    assert body["credentials"]["shopify_access_token"] == "set"
    assert body["credentials"]["netsuite_token_secret"] == "not set"
    assert set(body["flows"]) == {
        "order_import",
        "netsuite_cancellation_to_shopify",
        "shopify_cancellation_to_netsuite",
        "fulfilment_to_shopify",
        "inventory_to_shopify",
        "product_to_shopify",
        "refund_to_shopify",
        "refund_to_netsuite",
        "payment_to_shopify",
        "payout_to_netsuite",
        "order_edit_to_netsuite",
        "order_edit_to_shopify",
        "company_to_netsuite",
    }


# --- the model and the verbs ----------------------------------------------------------------


def test_verbs_refuse_bad_values(admin_user, connector):
    with pytest.raises(ValidationError) as exc:
        actions.update_options(admin_user, connector, {"b2b_sync_window_days": -5})
    assert "b2b_sync_window_days" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        actions.update_options(admin_user, connector, {"refund_sync_direction": "both"})
    assert "refund_sync_direction" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        actions.update_options(admin_user, connector, {"mystery": 1})
    assert "mystery" in exc.value.message_dict
    connector.options.refresh_from_db()
    assert connector.options.refund_sync_direction == RefundSyncDirection.NONE


def test_database_refuses_both_refund_directions(connector):
    # Even a write that bypasses validation cannot store an invalid direction.
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectorOptions.objects.filter(connector=connector).update(refund_sync_direction="both")


# --- the browser forms ----------------------------------------------------------------------


def test_form_shows_error_next_to_field_and_saves_nothing(client, admin_user, connector):
    client.force_login(admin_user)
    response = client.post(
        f"/connectors/{connector.pk}/settings/b2b/",
        {"b2b_sync_enabled": "on", "b2b_sync_window_days": "-5"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert 'class="field has-error"' in html
    assert "Ensure this value is greater than or equal to 1." in html
    connector.options.refresh_from_db()
    assert connector.options.b2b_sync_enabled is False


# The Refunds tab also carries its two flows' schedules (switch and interval).
REFUND_FLOW_FIELDS = {
    "refund_to_shopify-interval_minutes": 15,
    "refund_to_netsuite-interval_minutes": 15,
}


def test_form_refund_direction_offers_one_choice(client, admin_user, connector):
    client.force_login(admin_user)
    page = client.get(f"/connectors/{connector.pk}/settings/refunds/").content.decode()
    assert page.count('type="radio" name="refund_sync_direction"') == 3
    response = client.post(
        f"/connectors/{connector.pk}/settings/refunds/", {"refund_sync_direction": "both"}
    )
    assert "Select a valid choice" in response.content.decode()
    connector.options.refresh_from_db()
    assert connector.options.refund_sync_direction == "none"
    response = client.post(
        f"/connectors/{connector.pk}/settings/refunds/",
        {"refund_sync_direction": "netsuite_to_shopify", **REFUND_FLOW_FIELDS},
    )
    assert response.status_code == 302
    connector.options.refresh_from_db()
    assert connector.options.refund_sync_direction == "netsuite_to_shopify"


def test_form_malformed_shop_domain(client, admin_user, connector):
    client.force_login(admin_user)
    response = client.post(
        f"/connectors/{connector.pk}/settings/general/",
        {
            "name": connector.name,
            "shopify_shop_domain": "not a domain",
            "shopify_api_version": "2026-10",
            "netsuite_account_id": "123",
            "netsuite_environment": "production",
            "netsuite_concurrency_limit": 5,
            "is_active": "on",
        },
    )
    assert "your-store.myshopify.com" in response.content.decode()
    connector.refresh_from_db()
    assert connector.shopify_shop_domain != "not a domain"


def test_form_saves_orders_options_and_cancellation_schedules(client, admin_user, connector):
    client.force_login(admin_user)
    response = client.post(
        f"/connectors/{connector.pk}/settings/orders/",
        {
            "cancel_in_shopify_when_cancelled_in_netsuite": "on",
            "prevent_shopify_refund_on_cancel": "on",
            "order_import-interval_minutes": "20",
            "order_import-cron": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    connector.options.refresh_from_db()
    assert connector.options.cancel_in_shopify_when_cancelled_in_netsuite is True
    assert connector.options.prevent_shopify_refund_on_cancel is True

    response = client.post(
        f"/connectors/{connector.pk}/settings/cancellation/",
        {
            "cancelled_orders_saved_search_id": "customsearch_mine",
            "cancelled_exported_field_id": "custbody_x",
            "cancelled_in_shopify_field_id": "custbody_y",
            "netsuite_cancellation_to_shopify-enabled": "on",
            "netsuite_cancellation_to_shopify-interval_minutes": "30",
            "netsuite_cancellation_to_shopify-cron": "",
            "shopify_cancellation_to_netsuite-interval_minutes": "15",
            "shopify_cancellation_to_netsuite-cron": "0 * * * *",
        },
    )
    assert response.status_code == 302, response.content.decode()
    schedules = {s.flow: s for s in connector.schedules.all()}
    assert schedules["netsuite_cancellation_to_shopify"].enabled is True
    assert schedules["netsuite_cancellation_to_shopify"].interval_minutes == 30
    assert schedules["shopify_cancellation_to_netsuite"].cron == "0 * * * *"


def test_run_button_says_which_option_the_flow_needs(client, admin_user, connector):
    client.force_login(admin_user)
    response = client.post(
        f"/connectors/{connector.pk}/flows/netsuite_cancellation_to_shopify/run/", follow=True
    )
    assert "needs the option" in response.content.decode()


def test_form_refunds_tab_saves_the_return_options(client, admin_user, connector):
    """Return Authorization (off by default) and the "not restocked" location live on the
    Refunds tab; a location that is not an internal id is refused next to the field."""
    client.force_login(admin_user)
    page = client.get(f"/connectors/{connector.pk}/settings/refunds/").content.decode()
    assert 'name="create_return_authorization"' in page
    assert 'name="netsuite_no_restock_location_id"' in page
    assert connector.options.create_return_authorization is False
    response = client.post(
        f"/connectors/{connector.pk}/settings/refunds/",
        {
            "refund_sync_direction": "shopify_to_netsuite",
            "create_return_authorization": "on",
            "netsuite_no_restock_location_id": "Damaged",
            **REFUND_FLOW_FIELDS,
        },
    )
    assert response.status_code == 200
    assert "digits only" in response.content.decode()
    connector.options.refresh_from_db()
    assert connector.options.create_return_authorization is False
    response = client.post(
        f"/connectors/{connector.pk}/settings/refunds/",
        {
            "refund_sync_direction": "shopify_to_netsuite",
            "create_return_authorization": "on",
            "netsuite_no_restock_location_id": "9",
            **REFUND_FLOW_FIELDS,
        },
    )
    assert response.status_code == 302, response.content.decode()
    connector.options.refresh_from_db()
    assert connector.options.create_return_authorization is True
    assert connector.options.netsuite_no_restock_location_id == "9"
