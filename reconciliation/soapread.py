"""Reading NetSuite's getList and search answers with lxml, a few fields per record.

zeep builds a full object for every element of every record (lines, addresses, custom
fields): for 1,000 sales orders a page that is most of our CPU. The reconciliation needs
ids, type, total, tax, shipping, createdFrom and the item lines (item, its name, quantity,
amount, line tax), so it asks the client to hand it
the bytes of a successful answer (`NetSuiteClient._call(..., _raw=...)`); faults and HTTP
errors still go through zeep and the client's error classification.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from connector.netsuite.errors import NetSuiteError

from .compare import NetSuiteLine, NetSuiteRecord, cents

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _record_type(element) -> str:
    name = (element.get(XSI_TYPE) or "").rsplit(":", 1)[-1]
    return name[:1].lower() + name[1:]


def record(element, tax_item_id: str, with_lines: bool = True) -> NetSuiteRecord:
    total = tax = None
    tax_lines = cents(0)
    shipping = None
    created_from = ""
    lines: list[NetSuiteLine] = []
    for child in element:
        name = _local(child.tag)
        if name == "total":
            total = child.text
        elif name == "taxTotal":
            tax = child.text
        elif name == "shippingCost":
            shipping = child.text
        elif name == "createdFrom":
            created_from = child.get("internalId") or ""
        elif name == "itemList" and (with_lines or tax_item_id):
            for element_line in child:
                line = _line(element_line)
                if tax_item_id and line.item == str(tax_item_id):
                    tax_lines += line.amount
                if with_lines:
                    lines.append(line)
    return NetSuiteRecord(
        internal_id=element.get("internalId") or "",
        type=_record_type(element),
        external_id=element.get("externalId") or "",
        total=cents(total),
        tax=cents(tax) + tax_lines,
        created_from=created_from,
        lines=tuple(lines),
        shipping=cents(shipping),
    )


def _line(element) -> NetSuiteLine:
    item = name = quantity = amount = tax = None
    for field in element:
        field_name = _local(field.tag)
        if field_name == "item":
            item = field.get("internalId")
            for part in field:
                if _local(part.tag) == "name":
                    name = part.text
        elif field_name == "quantity":
            quantity = field.text
        elif field_name == "amount":
            amount = field.text
        elif field_name == "taxAmount" or (field_name == "tax1Amt" and tax is None):
            # SuiteTax puts a line's tax in taxAmount, legacy tax in tax1Amt
            tax = field.text
    return NetSuiteLine(
        item=item or "",
        name=(name or "").strip(),
        quantity=None if quantity is None else Decimal(quantity),
        amount=cents(amount),
        tax=None if tax is None else cents(tax),
    )


def _status_ok(status) -> tuple[bool, str, str]:
    if status is None:
        return True, "", ""
    ok = (status.get("isSuccess") or "true").lower() == "true"
    code = message = ""
    for detail in status.iter("{*}statusDetail"):
        code = detail.findtext("{*}code") or ""
        message = detail.findtext("{*}message") or ""
        break
    return ok, code, message


def get_list_reader(tax_item_id: str, with_lines: bool = True):
    def read(content: bytes) -> list[NetSuiteRecord | None]:
        root = etree.fromstring(content, _PARSER)
        out = []
        for response in root.iter("{*}readResponse"):
            ok, _code, _message = _status_ok(response.find("{*}status"))
            found = response.find("{*}record")
            out.append(record(found, tax_item_id, with_lines) if ok and found is not None else None)
        return out

    return read


@dataclass
class SearchPage:
    records: list[NetSuiteRecord]
    total_pages: int
    search_id: str


def search_reader(tax_item_id: str, with_lines: bool = True):
    def read(content: bytes) -> SearchPage:
        root = etree.fromstring(content, _PARSER)
        result = next(root.iter("{*}searchResult"), None)
        if result is None:
            raise NetSuiteError(
                "NetSuite answered a search without a searchResult.", retryable=False
            )
        ok, code, message = _status_ok(result.find("{*}status"))
        if not ok:
            raise NetSuiteError(
                f"NetSuite refused the search: {message}", retryable=False, code=code or None
            )
        record_list = result.find("{*}recordList")
        records = (
            [] if record_list is None else [record(r, tax_item_id, with_lines) for r in record_list]
        )
        return SearchPage(
            records=records,
            total_pages=int(result.findtext("{*}totalPages") or 1),
            search_id=result.findtext("{*}searchId") or "",
        )

    return read
