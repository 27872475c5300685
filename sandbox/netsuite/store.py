"""The sandbox account's records: in memory, optionally saved to a JSON file.

A record keeps its fields as the XML elements the client sent (so whatever the XSDs allow can be
stored and read back), and the sandbox sets its own fields (status, createdFrom, ...) the same
way. Fields are written back in the order the XSD sequence declares them.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import soap
from .schema import default_contract_dir

XS = "http://www.w3.org/2001/XMLSchema"
# Item record types a transaction line may reference (keep in step with money.ITEM_TYPES).
ITEM_TYPES = ("InventoryItem", "OtherChargeSaleItem", "DiscountItem")


@functools.cache
def _field_orders(contract_dir: str) -> dict[tuple[str, str], dict[str, int]]:
    orders: dict[tuple[str, str], dict[str, int]] = {}
    for path in sorted((Path(contract_dir) / "xsd").glob("*.xsd")):
        root = etree.parse(str(path), etree.XMLParser(huge_tree=True)).getroot()
        tns = root.get("targetNamespace")
        for ctype in root.iter(f"{{{XS}}}complexType"):
            if ctype.get("name"):
                names = [e.get("name") for e in ctype.iter(f"{{{XS}}}element") if e.get("name")]
                orders[(tns, ctype.get("name"))] = {n: i for i, n in enumerate(names)}
    return orders


def field_order(ns: str, type_name: str) -> dict[str, int]:
    return _field_orders(str(default_contract_dir().resolve())).get((ns, type_name), {})


def sort_children(el: etree._Element, ns: str, type_name: str) -> None:
    order = field_order(ns, type_name)
    children = list(el)
    # nullFieldList (from platformCore:Record) and unknown names go first, as in the base type.
    children.sort(key=lambda c: order.get(etree.QName(c).localname, -1))
    for child in children:
        el.append(child)


@dataclass
class Record:
    type_name: str  # "SalesOrder"
    internal_id: str
    external_id: str | None
    fields: dict[str, etree._Element] = field(default_factory=dict)
    seq: int = 0
    last_line: int = 0  # the item lines' `line` numbers, never reused on the record

    @property
    def ns(self) -> str:
        return soap.RECORD_TYPES[self.type_name][0]

    @property
    def record_type(self) -> str:
        return soap.RECORD_TYPES[self.type_name][1]

    def text(self, name: str) -> str | None:
        el = self.fields.get(name)
        return None if el is None else el.text

    def set_text(self, name: str, value) -> None:
        el = etree.Element(soap.q(self.ns, name))
        if isinstance(value, bool):
            value = "true" if value else "false"
        el.text = str(value)
        self.fields[name] = el

    def set_ref(self, name: str, internal_id=None, external_id=None, type_=None, ref_name=None):
        el = etree.Element(soap.q(self.ns, name))
        for attr, value in (("internalId", internal_id), ("externalId", external_id)):
            if value is not None:
                el.set(attr, str(value))
        if type_:
            el.set("type", type_)
        if ref_name:
            etree.SubElement(el, soap.q(soap.CORE, "name")).text = ref_name
        self.fields[name] = el

    def ref_id(self, name: str) -> str | None:
        el = self.fields.get(name)
        return None if el is None else el.get("internalId")

    def checkbox(self, script_id: str) -> bool:
        cfl = self.fields.get("customFieldList")
        if cfl is None:
            return False
        for cf in cfl:
            if cf.get("scriptId") == script_id:
                return (cf.findtext(soap.q(soap.CORE, "value")) or "").strip() == "true"
        return False

    def set_checkbox(self, script_id: str, value: bool) -> None:
        cfl = self.fields.get("customFieldList")
        if cfl is None:
            cfl = etree.Element(soap.q(self.ns, "customFieldList"))
            self.fields["customFieldList"] = cfl
        for cf in list(cfl):
            if cf.get("scriptId") == script_id:
                cfl.remove(cf)
        cf = etree.SubElement(cfl, soap.q(soap.CORE, "customField"), nsmap=soap.NSMAP)
        cf.set("scriptId", script_id)
        soap.set_xsi_type(cf, soap.CORE, "BooleanCustomFieldRef")
        etree.SubElement(cf, soap.q(soap.CORE, "value")).text = "true" if value else "false"

    def merge_custom_fields(self, incoming: etree._Element) -> None:
        """customFieldList updates field by field, like NetSuite (not a replace)."""
        current = self.fields.get("customFieldList")
        if current is None:
            self.fields["customFieldList"] = copy.deepcopy(incoming)
            return
        for cf in incoming:
            for old in list(current):
                if old.get("scriptId") == cf.get("scriptId"):
                    current.remove(old)
            current.append(copy.deepcopy(cf))

    def to_element(self, tag: str = soap.q(soap.MSGS, "record"), with_ids=True) -> etree._Element:
        el = etree.Element(tag, nsmap=soap.NSMAP)
        if with_ids:
            el.set("internalId", self.internal_id)
        if self.external_id and with_ids:
            el.set("externalId", self.external_id)
        soap.set_xsi_type(el, self.ns, self.type_name)
        for child in self.fields.values():
            el.append(copy.deepcopy(child))
        sort_children(el, self.ns, self.type_name)
        return el

    def to_json(self) -> dict:
        """A plain view for the control API and the state file."""
        return {
            "type": self.record_type,
            "internalId": self.internal_id,
            "externalId": self.external_id,
            "fields": {name: _plain(el) for name, el in self.fields.items()},
        }


def _plain(el: etree._Element):
    if len(el) == 0:
        if el.attrib and el.text is None:
            return {k: v for k, v in el.attrib.items() if "}" not in k}
        return el.text
    if el.get("internalId") is not None or el.get("externalId") is not None:
        out = {k: v for k, v in el.attrib.items() if "}" not in k}
        out.update({etree.QName(c).localname: _plain(c) for c in el})
        return out
    if etree.QName(el).localname == "customFieldList":
        return {c.get("scriptId"): _plain(c[0]) if len(c) else None for c in el}
    names = [etree.QName(c).localname for c in el]
    if etree.QName(el).localname.endswith("List") and len(set(names)) <= 1:
        return [_plain(c) for c in el]
    return {etree.QName(c).localname: _plain(c) for c in el}


class Store:
    def __init__(self, path: Path | str | None = None):
        self.lock = threading.RLock()
        self.path = Path(path) if path else None
        self.reset()
        if self.path and self.path.exists():
            self._load()

    def reset(self) -> None:
        with self.lock:
            self.records: dict[str, Record] = {}  # internalId -> record (ids are account-wide)
            self._ids = itertools.count(1000)
            self._seq = itertools.count(1)
            self.searches: dict[str, list[str]] = {}  # searchId -> internalIds, for paging
            # searchId -> whole records (searchPreferences bodyFieldsOnly=false) or body only
            self.full_record_searches: dict[str, bool] = {}
            # (type, externalId) -> internalId: a hint that spares a scan of every record
            # when looking one up by externalId (getList of 1,000 refs in a large account).
            self._by_external: dict[tuple[str, str], str] = {}

    def new_id(self) -> str:
        return str(next(self._ids))

    def add(self, type_name: str, external_id=None, fields=None) -> Record:
        with self.lock:
            rec = Record(type_name, self.new_id(), external_id, dict(fields or {}))
            rec.seq = next(self._seq)
            self.records[rec.internal_id] = rec
            if external_id:
                self._by_external[(type_name, str(external_id))] = rec.internal_id
            return rec

    def get(self, type_name: str, internal_id=None, external_id=None) -> Record | None:
        with self.lock:
            if internal_id is not None:
                rec = self.records.get(str(internal_id))
                return rec if rec and rec.type_name == type_name else None
            hinted = self.records.get(self._by_external.get((type_name, str(external_id)), ""))
            if hinted and hinted.type_name == type_name and hinted.external_id == external_id:
                return hinted
            for rec in self.records.values():
                if rec.type_name == type_name and rec.external_id == external_id:
                    return rec
            return None

    def of_type(self, type_name: str) -> list[Record]:
        with self.lock:
            return [r for r in self.records.values() if r.type_name == type_name]

    def items(self) -> list[Record]:
        """Every item a transaction line may reference (inventory, other charge, discount)."""
        with self.lock:
            return [r for r in self.records.values() if r.type_name in ITEM_TYPES]

    def item(self, internal_id=None, external_id=None) -> Record | None:
        for type_name in ITEM_TYPES:
            rec = self.get(type_name, internal_id, external_id)
            if rec is not None:
                return rec
        return None

    def item_by_sku(self, sku: str) -> Record | None:
        for rec in self.items():
            if rec.text("itemId") == sku:
                return rec
        return None

    def save(self) -> None:
        if not self.path:
            return
        with self.lock:
            data = [
                {
                    "type_name": r.type_name,
                    "internal_id": r.internal_id,
                    "external_id": r.external_id,
                    "seq": r.seq,
                    "last_line": r.last_line,
                    "fields": {k: etree.tostring(v).decode() for k, v in r.fields.items()},
                }
                for r in self.records.values()
            ]
            self.path.write_text(json.dumps(data))

    def _load(self) -> None:
        data = json.loads(self.path.read_text())
        top = 1000
        for row in data:
            rec = Record(
                row["type_name"],
                row["internal_id"],
                row["external_id"],
                {k: etree.fromstring(v) for k, v in row["fields"].items()},
                row["seq"],
                row.get("last_line", 0),
            )
            self.records[rec.internal_id] = rec
            top = max(top, int(rec.internal_id) + 1)
        self._ids = itertools.count(top)
        self._seq = itertools.count(len(data) + 1)
