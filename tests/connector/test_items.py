"""SKU ↔ item bindings: looked up once, stored, and never overwritten where an admin set them."""

import pytest
from django.urls import reverse

from connector import items
from connector.models import ItemBinding, LocationMapping
from tests.factories import make_admin, make_connector

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector():
    return make_connector(make_admin())


class Lookup:
    """Stands in for NetSuite's item search (the flows pass the client's)."""

    def __init__(self, known):
        self.known, self.asked = known, []

    def __call__(self, sku):
        self.asked.append(sku)
        return self.known.get(sku)


def test_a_sku_is_looked_up_once_and_then_read_from_the_binding(connector):
    lookup = Lookup({"CAP-NAVY": "501"})
    assert items.item_ids(connector, ["CAP-NAVY", " ", ""], lookup) == {"CAP-NAVY": "501"}
    assert items.item_ids(connector, ["CAP-NAVY"], lookup) == {"CAP-NAVY": "501"}
    assert lookup.asked == ["CAP-NAVY"]
    binding = ItemBinding.objects.get(connector=connector, sku="CAP-NAVY")
    assert (binding.netsuite_item_id, binding.source) == ("501", ItemBinding.Source.FOUND)


def test_a_sku_not_found_is_asked_again_next_time(connector):
    lookup = Lookup({})
    assert items.item_ids(connector, ["NEW-SKU"], lookup) == {}
    lookup.known["NEW-SKU"] = "777"  # the item was created in NetSuite since
    assert items.item_ids(connector, ["NEW-SKU"], lookup) == {"NEW-SKU": "777"}
    assert lookup.asked == ["NEW-SKU", "NEW-SKU"]


def test_without_a_lookup_only_stored_bindings_answer(connector):
    items.bind_item(connector, "MUG-LOGO", netsuite_item_id="9")
    assert items.item_ids(connector, ["MUG-LOGO", "OTHER"]) == {"MUG-LOGO": "9"}


def test_what_an_admin_set_is_never_overwritten_by_a_lookup(connector):
    items.bind_item(connector, "CAP-NAVY", netsuite_item_id="42", source=ItemBinding.Source.ADMIN)
    binding = items.bind_item(
        connector, "CAP-NAVY", netsuite_item_id="501", shopify_variant_id="88"
    )
    assert (binding.netsuite_item_id, binding.shopify_variant_id) == ("42", "88")
    assert binding.source == ItemBinding.Source.ADMIN
    assert items.item_ids(connector, ["CAP-NAVY"], Lookup({"CAP-NAVY": "501"})) == {
        "CAP-NAVY": "42"
    }


def test_empty_values_never_erase_known_ids(connector):
    items.bind_item(connector, "SOCKS-3PK", netsuite_item_id="3", shopify_inventory_item_id="4")
    binding = items.bind_item(connector, "SOCKS-3PK", netsuite_item_id="", shopify_variant_id="5")
    assert (binding.netsuite_item_id, binding.shopify_inventory_item_id) == ("3", "4")
    assert binding.shopify_variant_id == "5"


def test_an_admin_edits_a_binding_in_the_admin_and_it_becomes_theirs(client, connector):
    binding = items.bind_item(connector, "CAP-NAVY", netsuite_item_id="501")
    client.force_login(make_admin(username="boss", is_staff=True))
    url = reverse("admin:connector_itembinding_change", args=[binding.pk])
    page = client.get(url)
    assert page.status_code == 200 and "CAP-NAVY" in page.content.decode()
    response = client.post(
        url,
        {
            "connector": connector.pk,
            "sku": "CAP-NAVY",
            "netsuite_item_id": "502",
            "shopify_variant_id": "",
            "shopify_inventory_item_id": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    binding.refresh_from_db()
    assert (binding.netsuite_item_id, binding.source) == ("502", ItemBinding.Source.ADMIN)


def test_the_admin_refuses_an_item_id_that_is_not_a_number(client, connector):
    binding = items.bind_item(connector, "CAP-NAVY", netsuite_item_id="501")
    client.force_login(make_admin(username="boss", is_staff=True))
    url = reverse("admin:connector_itembinding_change", args=[binding.pk])
    response = client.post(
        url, {"connector": connector.pk, "sku": "CAP-NAVY", "netsuite_item_id": "abc"}
    )
    assert response.status_code == 200
    assert "digits only" in response.content.decode()
    binding.refresh_from_db()
    assert binding.netsuite_item_id == "501"


def test_support_staff_may_read_bindings_but_not_change_them(client, connector):
    from tests.factories import make_cs

    binding = items.bind_item(connector, "CAP-NAVY", netsuite_item_id="501")
    client.force_login(make_cs(username="agent", is_staff=True))
    url = reverse("admin:connector_itembinding_change", args=[binding.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"connector": connector.pk, "sku": "X", "netsuite_item_id": "1"})
    assert response.status_code == 403
    binding.refresh_from_db()
    assert binding.sku == "CAP-NAVY"


def test_netsuite_locations_for_is_the_location_map_reversed(connector):
    """Shopify location -> its NetSuite locations, in id order (10 after 9, not before)."""
    for netsuite_id, shopify_id in (("10", "500"), ("9", "500"), ("3", "600")):
        LocationMapping.objects.create(
            connector=connector, netsuite_location_id=netsuite_id, shopify_location_id=shopify_id
        )
    assert items.netsuite_locations_for(connector) == {"500": ["9", "10"], "600": ["3"]}
    assert items.shopify_location_for(connector) == {"10": "500", "9": "500", "3": "600"}
