"""SOAP envelopes, faults and NetSuite namespaces, as the sandbox writes them."""

from __future__ import annotations

from lxml import etree

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CORE = "urn:core_2025_2.platform.webservices.netsuite.com"
MSGS = "urn:messages_2025_2.platform.webservices.netsuite.com"
FAULTS = "urn:faults_2025_2.platform.webservices.netsuite.com"
RELATIONSHIPS = "urn:relationships_2025_2.lists.webservices.netsuite.com"
ACCOUNTING = "urn:accounting_2025_2.lists.webservices.netsuite.com"
SALES = "urn:sales_2025_2.transactions.webservices.netsuite.com"
CUSTOMERS = "urn:customers_2025_2.transactions.webservices.netsuite.com"
BANK = "urn:bank_2025_2.transactions.webservices.netsuite.com"

NSMAP = {
    "soapenv": SOAPENV,
    "xsi": XSI,
    "platformCore": CORE,
    "platformMsgs": MSGS,
    "listRel": RELATIONSHIPS,
    "listAcct": ACCOUNTING,
    "tranSales": SALES,
    "tranCust": CUSTOMERS,
    "tranBank": BANK,
}
PREFIX = {ns: prefix for prefix, ns in NSMAP.items()}

# Record type name -> (namespace, RecordType value as used in RecordRef/get).
RECORD_TYPES = {
    "Customer": (RELATIONSHIPS, "customer"),
    "InventoryItem": (ACCOUNTING, "inventoryItem"),
    "OtherChargeSaleItem": (ACCOUNTING, "otherChargeSaleItem"),
    "DiscountItem": (ACCOUNTING, "discountItem"),
    "SalesOrder": (SALES, "salesOrder"),
    "CashSale": (SALES, "cashSale"),
    "Invoice": (SALES, "invoice"),
    "ItemFulfillment": (SALES, "itemFulfillment"),
    "CashRefund": (CUSTOMERS, "cashRefund"),
    "CreditMemo": (CUSTOMERS, "creditMemo"),
    "ReturnAuthorization": (CUSTOMERS, "returnAuthorization"),
    "CustomerPayment": (CUSTOMERS, "customerPayment"),
    "Deposit": (BANK, "deposit"),
}
TYPE_BY_RECORD_TYPE = {rt: name for name, (_ns, rt) in RECORD_TYPES.items()}


class SoapFault(Exception):
    """A fault answered with HTTP 500, shaped like NetSuite's (detail element + code + message)."""

    def __init__(self, fault_element: str | None, code: str | None, message: str, faultcode=None):
        super().__init__(message)
        self.fault_element = fault_element
        self.code = code
        self.message = message
        self.faultcode = faultcode or "soapenv:Server.userException"


def q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def envelope(payload: etree._Element) -> bytes:
    env = etree.Element(q(SOAPENV, "Envelope"), nsmap=NSMAP)
    etree.SubElement(env, q(SOAPENV, "Body")).append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault_envelope(fault: SoapFault) -> bytes:
    env = etree.Element(q(SOAPENV, "Envelope"), nsmap={"soapenv": SOAPENV})
    body = etree.SubElement(env, q(SOAPENV, "Body"))
    node = etree.SubElement(body, q(SOAPENV, "Fault"))
    etree.SubElement(node, "faultcode").text = fault.faultcode
    etree.SubElement(node, "faultstring").text = fault.message
    detail = etree.SubElement(node, "detail")
    if fault.fault_element:
        el = etree.SubElement(
            detail, q(FAULTS, fault.fault_element), nsmap={"platformFaults": FAULTS}
        )
        etree.SubElement(el, q(FAULTS, "code")).text = fault.code
        etree.SubElement(el, q(FAULTS, "message")).text = fault.message
    etree.SubElement(detail, "{http://xml.apache.org/axis/}hostname").text = "sandbox"
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def status(parent: etree._Element, ok: bool = True, code=None, message=None) -> etree._Element:
    st = etree.SubElement(parent, q(CORE, "status"), isSuccess="true" if ok else "false")
    if not ok:
        detail = etree.SubElement(st, q(CORE, "statusDetail"), type="ERROR")
        etree.SubElement(detail, q(CORE, "code")).text = code
        etree.SubElement(detail, q(CORE, "message")).text = message
    return st


def set_xsi_type(el: etree._Element, ns: str, name: str) -> None:
    prefix = PREFIX[ns]
    if el.nsmap.get(prefix) != ns:
        # The prefix used inside the attribute value must be declared on or above the element.
        raise ValueError(f"prefix {prefix} not in scope")
    el.set(q(XSI, "type"), f"{prefix}:{name}")


def xsi_type(el: etree._Element) -> tuple[str | None, str | None]:
    """(namespace, local name) of an element's xsi:type."""
    value = el.get(q(XSI, "type"))
    if not value:
        return None, None
    prefix, _, local = value.rpartition(":")
    return el.nsmap.get(prefix or None), local
