"""Small builders for the zeep record objects the flows send. Only what flows need today."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

from . import wsdl

NS = {
    "core": "urn:core_2025_2.platform.webservices.netsuite.com",
    "messages": "urn:messages_2025_2.platform.webservices.netsuite.com",
    "relationships": "urn:relationships_2025_2.lists.webservices.netsuite.com",
    "accounting": "urn:accounting_2025_2.lists.webservices.netsuite.com",
    "sales": "urn:sales_2025_2.transactions.webservices.netsuite.com",
    "customers": "urn:customers_2025_2.transactions.webservices.netsuite.com",
    "bank": "urn:bank_2025_2.transactions.webservices.netsuite.com",
    "common": "urn:common_2025_2.platform.webservices.netsuite.com",
}

# zeep type name -> (namespace key, RecordType value used in RecordRef/get).
RECORD_TYPES = {
    "Customer": ("relationships", "customer"),
    "InventoryItem": ("accounting", "inventoryItem"),
    "SalesOrder": ("sales", "salesOrder"),
    "CashSale": ("sales", "cashSale"),
    "Invoice": ("sales", "invoice"),
    "ItemFulfillment": ("sales", "itemFulfillment"),
    "CashRefund": ("customers", "cashRefund"),
    "CreditMemo": ("customers", "creditMemo"),
    "ReturnAuthorization": ("customers", "returnAuthorization"),
    "CustomerPayment": ("customers", "customerPayment"),
    "Deposit": ("bank", "deposit"),
}
TYPE_NAMES = {record_type: name for name, (_ns, record_type) in RECORD_TYPES.items()}


def factory(key: str):
    return wsdl.get_client().type_factory(NS[key])


def record_type_of(record) -> str:
    """The RecordType value (``salesOrder``) of a zeep record object."""
    return RECORD_TYPES[type(record).__name__][1]


def record(type_name: str, **fields):
    """Any supported record by its zeep type name, e.g. ``record("CashSale", externalId=...)``."""
    ns_key, _ = RECORD_TYPES[type_name]
    return getattr(factory(ns_key), type_name)(**fields)


def ref(internal_id=None, external_id=None, record_type=None, name=None):
    return factory("core").RecordRef(
        internalId=internal_id, externalId=external_id, type=record_type, name=name
    )


def boolean_fields(values: Mapping[str, bool]):
    """A ``customFieldList`` of checkboxes, keyed by script id (``custbody_...``)."""
    core = factory("core")
    return core.CustomFieldList(
        customField=[core.BooleanCustomFieldRef(scriptId=k, value=v) for k, v in values.items()]
    )


def string_fields(values: Mapping[str, str]):
    """A ``customFieldList`` of free-text fields, keyed by script id (``custcol_...``)."""
    core = factory("core")
    return core.CustomFieldList(
        customField=[core.StringCustomFieldRef(scriptId=k, value=v) for k, v in values.items()]
    )


def customer(
    external_id: str,
    *,
    company_name=None,
    first_name=None,
    last_name=None,
    email=None,
    phone=None,
    is_person=None,
    parent_internal_id=None,
    parent_external_id=None,
    subsidiary_internal_id=None,
    addressbook=None,
):
    """A customer; ``parent_*`` makes it a B2B sub-customer of a company customer;
    ``addressbook``: entries for ``addressbook_list``."""
    parent = None
    if parent_internal_id or parent_external_id:
        parent = ref(parent_internal_id, parent_external_id)
    subsidiary = ref(subsidiary_internal_id) if subsidiary_internal_id else None
    return record(
        "Customer",
        externalId=external_id,
        companyName=company_name,
        firstName=first_name,
        lastName=last_name,
        email=email,
        phone=phone,
        isPerson=is_person,
        parent=parent,
        subsidiary=subsidiary,
        addressbookList=addressbook_list(addressbook) if addressbook else None,
    )


def addressbook_list(entries: Iterable[Mapping]):
    """A customer's CustomerAddressbookList from entries {address (flows.addresses' shape),
    default_shipping, default_billing}. replaceAll (the XSD's default, said out loud): the
    list sent is the whole address book, so writing it again adds no copies."""
    rel = factory("relationships")
    return rel.CustomerAddressbookList(
        addressbook=[
            rel.CustomerAddressbook(
                defaultShipping=entry.get("default_shipping"),
                defaultBilling=entry.get("default_billing"),
                addressbookAddress=address(entry["address"]),
            )
            for entry in entries
        ],
        replaceAll=True,
    )


def sales_order(
    external_id: str,
    *,
    customer: object,
    lines: Iterable[Mapping],
    tran_date=None,
    memo=None,
    other_ref_num=None,
    custom_checkboxes: Mapping[str, bool] | None = None,
):
    """A sales order. ``customer`` is a RecordRef; each line is ``{"item": RecordRef,
    "quantity": n, "rate": price}`` (``amount``/``description`` optional; ``custom``: free-text
    column fields by script id, e.g. the Shopify line id)."""
    sales = factory("sales")
    items = [
        sales.SalesOrderItem(
            item=line["item"],
            quantity=line.get("quantity"),
            rate=None if line.get("rate") is None else str(line["rate"]),
            amount=line.get("amount"),
            description=line.get("description"),
            customFieldList=string_fields(line["custom"]) if line.get("custom") else None,
        )
        for line in lines
    ]
    return sales.SalesOrder(
        externalId=external_id,
        entity=customer,
        tranDate=tran_date,
        memo=memo,
        otherRefNum=other_ref_num,
        itemList=sales.SalesOrderItemList(item=items),
        customFieldList=boolean_fields(custom_checkboxes) if custom_checkboxes else None,
    )


def checkbox_update(type_name: str, internal_id: str, values: Mapping[str, bool]):
    """An update that only sets custom checkboxes (e.g. mark an order as exported)."""
    return record(type_name, internalId=internal_id, customFieldList=boolean_fields(values))


def status_update(internal_id: str, order_status: str):
    """An update of a sales order's status, e.g. ``_pendingFulfillment`` (approve)."""
    return record("SalesOrder", internalId=internal_id, orderStatus=order_status)


def initialize_record(target_type: str, source_type: str, *, internal_id=None, external_id=None):
    """``initialize`` input: e.g. ``("cashRefund", "cashSale", internal_id=...)``."""
    core = factory("core")
    reference = core.InitializeRef(type=source_type, internalId=internal_id, externalId=external_id)
    return core.InitializeRecord(type=target_type, reference=reference)


def saved_transaction_search(saved_search_id=None, saved_search_script_id=None):
    return factory("sales").TransactionSearchAdvanced(
        savedSearchId=saved_search_id, savedSearchScriptId=saved_search_script_id
    )


def item_search_by_sku(sku: str):
    """An item search on ``itemId`` (the SKU field), exact match."""
    core = factory("core")
    return factory("common").ItemSearchBasic(
        itemId=core.SearchStringField(searchValue=sku, operator="is")
    )


def item_stock_search(modified_since=None):
    """Inventory items, those modified at or after ``modified_since`` (a datetime) if given:
    the inventory flow's delta (``onOrAfter``: timestamps have whole seconds, and an item
    changed in the second the cursor was taken must not be missed)."""
    core = factory("core")
    criteria = {
        "type": core.SearchEnumMultiSelectField(operator="anyOf", searchValue=["_inventoryItem"])
    }
    if modified_since is not None:
        criteria["lastModifiedDate"] = core.SearchDateField(
            operator="onOrAfter", searchValue=modified_since
        )
    return factory("common").ItemSearchBasic(**criteria)


def items_by_id_search(internal_ids: Iterable[str]):
    """Inventory items by internal id (``internalId`` anyOf)."""
    core = factory("core")
    return factory("common").ItemSearchBasic(
        internalId=core.SearchMultiSelectField(
            operator="anyOf", searchValue=[ref(str(i)) for i in internal_ids]
        )
    )


def created_from_search(internal_ids: Iterable[str], record_types: Iterable[str] = ()):
    """A basic transaction search for records created from others, e.g. the cash refunds and
    credit memos created from a cash sale (``record_types`` as RecordType values)."""
    core = factory("core")
    types = list(record_types)
    return factory("common").TransactionSearchBasic(
        createdFrom=core.SearchMultiSelectField(
            operator="anyOf", searchValue=[ref(str(i)) for i in internal_ids]
        ),
        type=core.SearchEnumMultiSelectField(operator="anyOf", searchValue=[f"_{t}" for t in types])
        if types
        else None,
    )


def modified_since_search(record_types: Iterable[str], since=None):
    """A basic transaction search for records of some types (RecordType values, e.g.
    ``itemFulfillment``) modified at or after ``since`` (a datetime; None: all of them)."""
    core = factory("core")
    return factory("common").TransactionSearchBasic(
        type=core.SearchEnumMultiSelectField(
            operator="anyOf", searchValue=[f"_{t}" for t in record_types]
        ),
        lastModifiedDate=core.SearchDateField(operator="onOrAfter", searchValue=since)
        if since is not None
        else None,
    )


def address(fields: Mapping[str, str]):
    """A NetSuite Address (shipping or billing) from flows.addresses' shape."""
    values = {k: v for k, v in fields.items() if v}
    return factory("common").Address(**values)


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Normalised country name -> NetSuite's Country value, read from the contract's
    enumeration (platform.commonTypes.xsd): ``unitedstates`` -> ``_unitedStates``."""
    from lxml import etree

    path = wsdl.netsuite_contract_dir() / "xsd" / "platform.commonTypes.xsd"
    tree = etree.parse(str(path))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    out = {}
    for simple in tree.iter(f"{xs}simpleType"):
        if simple.get("name") == "Country":
            for value in simple.iter(f"{xs}enumeration"):
                name = value.get("value")
                out[_normalise(name)] = name
    return out


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


# Shopify country codes whose English name differs from NetSuite's value.
_BY_CODE = {
    "US": "_unitedStates",
    "GB": "_unitedKingdom",
    "KR": "_korea",
    "RU": "_russianFederation",
}


def country_value(name: str | None, code: str | None = None) -> str | None:
    """NetSuite's Country value for a Shopify country (name, ISO code), or None."""
    countries = _countries()
    if code and code.upper() in _BY_CODE and _BY_CODE[code.upper()] in countries.values():
        return _BY_CODE[code.upper()]
    return countries.get(_normalise(name or "")) if name else None
