"""The bundle table: connector admins maintain it in the Django admin (audited under their
name), support staff may read it, and it refuses what cannot be exploded."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from connector.models import BundleComponent
from tests.factories import UserFactory, make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db

ADD = reverse("admin:connector_bundlecomponent_add")
LIST = reverse("admin:connector_bundlecomponent_changelist")


@pytest.fixture
def connector():
    return make_connector(make_admin())


def form(connector, **overrides):
    data = {
        "connector": connector.pk,
        "bundle_sku": "GIFT-BOX",
        "component_sku": "MUG-LOGO",
        "quantity": 2,
        "price_weight": "12.50",
    }
    data.update(overrides)
    return data


def test_a_connector_admin_adds_a_component_and_the_audit_log_names_them(client, connector):
    boss = make_admin(username="boss", is_staff=True)
    client.force_login(boss)
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, form(connector, bundle_sku=" GIFT-BOX "))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = BundleComponent.objects.get(connector=connector)
    assert (row.bundle_sku, row.component_sku, row.quantity, row.price_weight) == (
        "GIFT-BOX",
        "MUG-LOGO",
        2,
        Decimal("12.50"),
    )
    entry = LogEntry.objects.get_for_object(row).get(action=LogEntry.Action.CREATE)
    assert entry.actor == boss
    assert entry.additional_data["connector_id"] == connector.pk
    page = client.get(LIST, {"connector__id__exact": connector.pk})
    assert page.status_code == 200 and "MUG-LOGO" in page.content.decode()


def test_a_connector_admin_changes_and_deletes_a_component(client, connector):
    row = BundleComponent.objects.create(
        connector=connector, bundle_sku="GIFT-BOX", component_sku="MUG-LOGO"
    )
    client.force_login(make_admin(username="boss", is_staff=True))
    change = reverse("admin:connector_bundlecomponent_change", args=[row.pk])
    assert client.post(change, form(connector, quantity=3)).status_code == 302
    row.refresh_from_db()
    assert row.quantity == 3
    delete = reverse("admin:connector_bundlecomponent_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not BundleComponent.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quantity": 0}, "greater than or equal to 1"),
        ({"price_weight": "0"}, "greater than or equal to 0.0001"),
        ({"price_weight": "-1"}, "greater than or equal to 0.0001"),
        ({"component_sku": "GIFT-BOX"}, "A bundle cannot contain itself."),
        ({"bundle_sku": ""}, "This field is required."),
    ],
)
def test_the_admin_refuses_what_cannot_be_exploded(client, connector, overrides, message):
    client.force_login(make_admin(username="boss", is_staff=True))
    response = client.post(ADD, form(connector, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BundleComponent.objects.exists()


def test_a_component_twice_in_one_bundle_is_refused(client, connector):
    BundleComponent.objects.create(
        connector=connector, bundle_sku="GIFT-BOX", component_sku="MUG-LOGO"
    )
    client.force_login(make_admin(username="boss", is_staff=True))
    response = client.post(ADD, form(connector))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert BundleComponent.objects.count() == 1
    # Another connector may have the same bundle.
    other = make_connector(make_admin())
    assert client.post(ADD, form(other)).status_code == 302


def test_bundles_are_one_level_deep(connector):
    BundleComponent.objects.create(
        connector=connector, bundle_sku="GIFT-BOX", component_sku="MUG-SET"
    )
    nested = BundleComponent(connector=connector, bundle_sku="MUG-SET", component_sku="MUG")
    with pytest.raises(ValidationError, match="component of another bundle"):
        nested.full_clean()
    inside = BundleComponent(connector=connector, bundle_sku="HAMPER", component_sku="GIFT-BOX")
    with pytest.raises(ValidationError, match="is a bundle itself"):
        inside.full_clean()
    # Another connector's table is its own.
    other = make_connector(make_admin())
    BundleComponent(connector=other, bundle_sku="MUG-SET", component_sku="MUG").full_clean()


def test_the_database_refuses_bad_rows_written_past_the_form(connector):
    for fields in (
        {"quantity": 0},
        {"price_weight": Decimal(0)},
        {"component_sku": "GIFT-BOX"},
    ):
        values = {"bundle_sku": "GIFT-BOX", "component_sku": "MUG-LOGO", **fields}
        with pytest.raises(IntegrityError), transaction.atomic():
            BundleComponent.objects.create(connector=connector, **values)


def test_support_staff_may_read_the_table_but_not_change_it(client, connector):
    row = BundleComponent.objects.create(
        connector=connector, bundle_sku="GIFT-BOX", component_sku="MUG-LOGO"
    )
    client.force_login(make_cs(username="agent", is_staff=True))
    change = reverse("admin:connector_bundlecomponent_change", args=[row.pk])
    assert client.get(LIST).status_code == 200
    assert client.get(change).status_code == 200
    assert client.post(change, form(connector, quantity=9)).status_code == 403
    assert client.post(ADD, form(connector, component_sku="CAP")).status_code == 403
    delete = reverse("admin:connector_bundlecomponent_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.quantity == 1 and BundleComponent.objects.count() == 1


def test_the_table_permissions_alone_do_not_let_anyone_write_it(client, connector):
    """Writing also needs the right to manage connectors: the table changes every order."""
    user = UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="connector", codename__endswith="_bundlecomponent"
        )
    )
    client.force_login(user)
    assert client.get(LIST).status_code == 200
    assert client.post(ADD, form(connector)).status_code == 403
    assert not BundleComponent.objects.exists()


def test_people_without_staff_access_are_sent_to_the_admin_login(client):
    client.force_login(make_admin(username="not-staff"))
    assert client.get(LIST).status_code == 302
