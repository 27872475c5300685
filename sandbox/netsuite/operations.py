"""The SOAP operations the sandbox account answers, on top of the store."""

from __future__ import annotations

import copy
import datetime as dt
import math
import threading
import uuid

from lxml import etree

from . import fulfilments, money, payments, soap
from . import items as inventory
from .account import name_item_ref
from .soap import CORE, MSGS, SoapFault, q
from .store import Record, Store, field_order, sort_children

WRITE_OPERATIONS = {"add", "upsert", "upsertList", "update"}


class Operations:
    def __init__(self, account):
        self.account = account  # the NetSuiteSandbox: store, searches, config
        self._local = threading.local()  # per request thread: the search being made

    @property
    def store(self) -> Store:
        return self.account.store

    def dispatch(self, name: str, payload: etree._Element, headers: dict) -> etree._Element:
        handler = getattr(self, f"op_{name}", None)
        if handler is None:
            raise SoapFault(
                None,
                None,
                f"The sandbox does not implement the {name} operation.",
                "soapenv:Client",
            )
        self._local.operation = name
        with self.store.lock:
            result = handler(payload, headers)
            if name in WRITE_OPERATIONS:
                self.store.save()
            return result

    # --- helpers --------------------------------------------------------------------------

    def _record_from(self, el: etree._Element) -> tuple[str, etree._Element]:
        ns, type_name = soap.xsi_type(el)
        if type_name not in soap.RECORD_TYPES or soap.RECORD_TYPES[type_name][0] != ns:
            raise _RecordError("INVALID_RCRD_TYPE", f"The sandbox does not store {type_name}.")
        _normalise_types(el)
        return type_name, el

    def _write_response(self, parent, rec=None, error=None, ref_el=None):
        wr = etree.SubElement(parent, q(MSGS, "writeResponse"))
        if error:
            soap.status(wr, False, error.code, error.message)
            return wr
        soap.status(wr)
        base = etree.SubElement(wr, q(MSGS, "baseRef"), nsmap=soap.NSMAP)
        soap.set_xsi_type(base, CORE, "RecordRef")
        base.set("internalId", rec.internal_id)
        if rec.external_id:
            base.set("externalId", rec.external_id)
        base.set("type", rec.record_type)
        return wr

    def _apply_fields(self, rec: Record, el: etree._Element, headers=None) -> None:
        totalled = rec.type_name in money.TOTALLED
        ignore_read_only = _ignore_read_only(headers)
        for child in el:
            name = etree.QName(child).localname
            if totalled and name in money.READ_ONLY:
                if ignore_read_only:
                    continue
                raise _RecordError("INSUFFICIENT_PERMISSION", money.read_only_message(name))
            if name == "customFieldList":
                rec.merge_custom_fields(child)
            elif name == "itemList":
                self._apply_lines(rec, child)
            elif name != "nullFieldList":
                rec.fields[name] = copy.deepcopy(child)
        self._check_refs(rec)
        if totalled:
            self.compute_totals(rec)
        if rec.type_name == "Deposit":
            try:
                payments.deposit(self.store, rec)
            except payments.PaymentError as exc:
                raise _RecordError("INVALID_KEY_OR_REF", str(exc)) from None

    def _apply_lines(self, rec: Record, sent: etree._Element) -> None:
        """An item sublist as NetSuite applies it. `replaceAll` defaults to true: the lines
        sent replace every line (a line not sent is deleted). With replaceAll="false" a line
        sent with its `line` number updates that line (only the fields sent), a line without
        one is added, and the lines not sent stay. Every line has a `line` number, never reused
        on the record."""
        sent = copy.deepcopy(sent)
        numbered = "line" in field_order(rec.ns, rec.type_name + "Item")
        current = rec.fields.get("itemList")
        if sent.get("replaceAll", "true") != "false" or current is None:
            result = sent
            for line in list(result):
                number = line.find(q(rec.ns, "line"))
                if number is not None:  # a replaced list has no old lines to address
                    line.remove(number)
        else:
            result = current
            by_number = {line.findtext(q(rec.ns, "line")): line for line in result}
            for line in list(sent):
                number = line.findtext(q(rec.ns, "line"))
                if number is None:
                    result.append(line)
                    continue
                target = by_number.get(number.strip())
                if target is None:
                    raise _RecordError(
                        "INVALID_KEY_OR_REF",
                        f"Invalid line reference key {number.strip()} for {rec.record_type} "
                        f"{rec.internal_id}.",
                    )
                sent_names = {etree.QName(f).localname for f in line}
                fulfilled = float(target.findtext(q(rec.ns, "quantityFulfilled")) or 0)
                new_quantity = line.findtext(q(rec.ns, "quantity"))
                if new_quantity is not None and float(new_quantity) < fulfilled:
                    raise _RecordError(
                        "USER_ERROR",
                        f"Line {number.strip()}: the quantity cannot be less than the "
                        f"quantity fulfilled ({fulfilled:g}).",
                    )
                if sent_names & {"quantity", "rate"} and "amount" not in sent_names:
                    # A new quantity or rate makes NetSuite work the amount out again.
                    stale = target.find(q(rec.ns, "amount"))
                    if stale is not None:
                        target.remove(stale)
                for field_el in line:
                    old = target.find(field_el.tag)
                    if old is not None:
                        target.remove(old)
                    target.append(field_el)
                sort_children(target, rec.ns, rec.type_name + "Item")
        result.attrib.pop("replaceAll", None)
        if numbered:
            for line in result:
                if line.find(q(rec.ns, "line")) is None:
                    rec.last_line += 1
                    number = etree.SubElement(line, q(rec.ns, "line"))
                    number.text = str(rec.last_line)
                    sort_children(line, rec.ns, rec.type_name + "Item")
        rec.fields["itemList"] = result

    def compute_totals(self, rec: Record) -> None:
        try:
            money.compute(rec, self._item, self.account.config.get("tax_rate", 0))
        except money.MoneyError as exc:
            raise _RecordError(exc.code, exc.message) from None

    def _item(self, internal_id):
        return self.store.item(internal_id=internal_id)

    def _check_refs(self, rec: Record) -> None:
        """References must point at records that exist, as NetSuite checks them."""
        checks = {"entity": "Customer", "parent": "Customer"}
        for field_name, type_name in checks.items():
            el = rec.fields.get(field_name)
            if el is None:
                continue
            target = self.store.get(type_name, el.get("internalId"), el.get("externalId"))
            if target is None:
                raise _RecordError(
                    "INVALID_KEY_OR_REF",
                    f"Invalid {field_name} reference key "
                    f"{el.get('internalId') or el.get('externalId')}.",
                )
            el.set("internalId", target.internal_id)
        items = rec.fields.get("itemList")
        for line in [] if items is None else items:
            item_ref = line.find(q(rec.ns, "item"))
            if item_ref is None:
                continue
            item = self.store.item(item_ref.get("internalId"), item_ref.get("externalId"))
            if item is None:
                raise _RecordError(
                    "INVALID_KEY_OR_REF",
                    f"Invalid item reference key "
                    f"{item_ref.get('internalId') or item_ref.get('externalId')}.",
                )
            item_ref.set("internalId", item.internal_id)
            name_item_ref(item_ref, item)
        discount_ref = rec.fields.get("discountItem")
        if discount_ref is not None:
            item = self.store.get(
                "DiscountItem", discount_ref.get("internalId"), discount_ref.get("externalId")
            )
            if item is None:
                raise _RecordError(
                    "INVALID_KEY_OR_REF",
                    f"Invalid discountitem reference key "
                    f"{discount_ref.get('internalId') or discount_ref.get('externalId')}.",
                )
            discount_ref.set("internalId", item.internal_id)

    def _record_fault(self) -> None:
        """An injected per-record fault (`fail_next` kind `record_unexpected`): this record is
        refused with NetSuite's UNEXPECTED_ERROR status and not written; the others go on."""
        from .server import RECORD_FAULTS

        account, operation = self.account, getattr(self._local, "operation", None)
        with account.lock:
            for entry in account.fail_next:  # [count, kind, operation or None]
                if entry[1] in RECORD_FAULTS and entry[2] in (None, operation):
                    entry[0] -= 1
                    if entry[0] <= 0:
                        account.fail_next.remove(entry)
                    raise _RecordError(*RECORD_FAULTS[entry[1]])

    def _upsert_one(self, el: etree._Element, headers=None) -> Record:
        self._record_fault()
        type_name, el = self._record_from(el)
        external_id = el.get("externalId")
        if not external_id:
            raise _RecordError("USER_ERROR", "An externalId is required for upsert.")
        rec = self.store.get(type_name, external_id=external_id)
        if rec is None:
            rec = self.store.add(type_name, external_id)
            try:
                self._apply_fields(rec, el, headers)
                self.account.on_create(rec)
            except _RecordError:
                del self.store.records[rec.internal_id]
                raise
        else:
            self._change(rec, el, headers)
        return rec

    def _change(self, rec: Record, el: etree._Element, headers) -> None:
        """Apply an update to a stored record: all of it, or nothing (as NetSuite does)."""
        before = copy.deepcopy(rec.fields)
        try:
            self._apply_fields(rec, el, headers)
        except _RecordError:
            rec.fields = before
            raise
        self.account.on_save(rec)

    def _lookup(self, ref_el: etree._Element) -> Record:
        type_name = soap.TYPE_BY_RECORD_TYPE.get(ref_el.get("type") or "")
        internal_id, external_id = ref_el.get("internalId"), ref_el.get("externalId")
        rec = type_name and self.store.get(type_name, internal_id, external_id)
        if not rec:
            raise _RecordError(
                "INVALID_KEY_OR_REF",
                f"Invalid {ref_el.get('type')} reference key {internal_id or external_id}.",
            )
        return rec

    # --- operations -----------------------------------------------------------------------

    def op_getServerTime(self, payload, headers):
        resp = etree.Element(q(MSGS, "getServerTimeResponse"), nsmap=soap.NSMAP)
        result = etree.SubElement(resp, q(CORE, "getServerTimeResult"))
        soap.status(result)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        etree.SubElement(result, q(CORE, "serverTime")).text = now
        return resp

    def op_getAccountGovernanceInfo(self, payload, headers):
        resp = etree.Element(q(MSGS, "getAccountGovernanceInfoResponse"), nsmap=soap.NSMAP)
        result = etree.SubElement(resp, q(CORE, "getAccountGovernanceInfoResult"))
        soap.status(result)
        etree.SubElement(result, q(CORE, "accountConcurrencyLimit")).text = str(
            self.account.config["limit"]
        )
        etree.SubElement(result, q(CORE, "unallocatedConcurrencyLimit")).text = str(
            self.account.config["limit"]
        )
        return resp

    def op_upsert(self, payload, headers):
        resp = etree.Element(q(MSGS, "upsertResponse"), nsmap=soap.NSMAP)
        try:
            self._write_response(resp, self._upsert_one(payload[0], headers))
        except _RecordError as exc:
            self._write_response(resp, error=exc)
        return resp

    def op_upsertList(self, payload, headers):
        return self._write_list("upsertList", payload, headers, self._upsert_one)

    def _write_list(self, operation: str, payload, headers, write_one):
        """A list write: at most 100 records, each answered in its own writeResponse."""
        if len(payload) > 100:
            raise SoapFault(
                "exceededRecordCountFault", "MAX_RCRDS_EXCEEDED", f"{operation} allows 100 records."
            )
        resp = etree.Element(q(MSGS, f"{operation}Response"), nsmap=soap.NSMAP)
        wrl = etree.SubElement(resp, q(MSGS, "writeResponseList"))
        soap.status(wrl)
        for el in payload:
            try:
                self._write_response(wrl, write_one(el, headers))
            except _RecordError as exc:
                self._write_response(wrl, error=exc)
        return resp

    def op_add(self, payload, headers):
        resp = etree.Element(q(MSGS, "addResponse"), nsmap=soap.NSMAP)
        try:
            type_name, el = self._record_from(payload[0])
            self._record_fault()
            external_id = el.get("externalId")
            if external_id and self.store.get(type_name, external_id=external_id):
                raise _RecordError(
                    "DUP_RCRD", "This record already exists (a record has the same external ID)."
                )
            rec = self.store.add(type_name, external_id)
            try:
                self._apply_fields(rec, el, headers)
                self.account.on_create(rec)
            except _RecordError:
                del self.store.records[rec.internal_id]
                raise
            self._write_response(resp, rec)
        except _RecordError as exc:
            self._write_response(resp, error=exc)
        return resp

    def op_updateList(self, payload, headers):
        return self._write_list("updateList", payload, headers, self._update_one)

    def op_update(self, payload, headers):
        resp = etree.Element(q(MSGS, "updateResponse"), nsmap=soap.NSMAP)
        try:
            self._write_response(resp, self._update_one(payload[0], headers))
        except _RecordError as exc:
            self._write_response(resp, error=exc)
        return resp

    def _update_one(self, payload_el, headers) -> Record:
        type_name, el = self._record_from(payload_el)
        rec = self.store.get(type_name, el.get("internalId"), el.get("externalId"))
        if rec is None:
            raise _RecordError(
                "INVALID_KEY_OR_REF",
                f"Invalid {soap.RECORD_TYPES[type_name][1]} reference key "
                f"{el.get('internalId') or el.get('externalId')}.",
            )
        self._change(rec, el, headers)
        return rec

    def _read_response(self, parent, ref_el):
        rr = etree.SubElement(parent, q(MSGS, "readResponse"))
        try:
            rec = self._lookup(ref_el)
        except _RecordError as exc:
            soap.status(rr, False, exc.code, exc.message)
            return
        soap.status(rr)
        rr.append(rec.to_element(q(MSGS, "record")))

    def op_get(self, payload, headers):
        resp = etree.Element(q(MSGS, "getResponse"), nsmap=soap.NSMAP)
        self._read_response(resp, payload[0])
        return resp

    def op_getList(self, payload, headers):
        resp = etree.Element(q(MSGS, "getListResponse"), nsmap=soap.NSMAP)
        rrl = etree.SubElement(resp, q(MSGS, "readResponseList"))
        soap.status(rrl)
        for ref_el in payload:
            self._read_response(rrl, ref_el)
        return resp

    def op_initialize(self, payload, headers):
        init = payload[0]
        target = init.findtext(q(CORE, "type"))
        ref_el = init.find(q(CORE, "reference"))
        resp = etree.Element(q(MSGS, "initializeResponse"), nsmap=soap.NSMAP)
        rr = etree.SubElement(resp, q(MSGS, "readResponse"))
        try:
            if ref_el is None:
                raise _RecordError("USER_ERROR", "initialize needs a reference record.")
            source = self._lookup(ref_el)
            rec = self.account.initialize(target, source)
        except _RecordError as exc:
            soap.status(rr, False, exc.code, exc.message)
            return resp
        soap.status(rr)
        rr.append(rec.to_element(q(MSGS, "record"), with_ids=False))
        return resp

    def op_search(self, payload, headers):
        # Whether the new search returns whole records or body fields only (its pages keep it).
        self._local.full_records = not inventory.body_fields_only(headers.get("searchPreferences"))
        try:
            return self._search(payload, headers)
        finally:
            self._local.full_records = False

    def _search(self, payload, headers):
        search = payload[0]
        _ns, type_name = soap.xsi_type(search)
        page_size = _page_size(headers.get("searchPreferences"))
        if type_name == "ItemSearchBasic":
            return self._item_search(search, page_size)
        if type_name == "TransactionSearchBasic":
            return self._basic_transaction_search(search, headers)
        saved_id = search.get("savedSearchId") or search.get("savedSearchScriptId")
        if type_name != "TransactionSearchAdvanced" or not saved_id:
            raise SoapFault(
                None,
                None,
                "The sandbox supports saved transaction searches, ItemSearchBasic by itemId "
                "and TransactionSearchBasic by createdFrom and type only.",
                "soapenv:Client",
            )
        saved = self.account.saved_search(saved_id)
        if saved is None:
            return _search_error(
                "searchResponse", "INVALID_SEARCH", f"That saved search does not exist: {saved_id}."
            )
        ids = [r.internal_id for r in sorted(saved.run(self.account), key=lambda r: r.seq)]
        search_id = f"WEBSERVICES_{uuid.uuid4().hex[:20]}"
        self.store.searches[search_id] = (ids, page_size)
        return self._search_page("searchResponse", search_id, 1)

    def _item_search(self, search, page_size):
        """Items by SKU (``itemId`` with operator ``is``: exact) and/or by ``internalId``
        (anyOf), modified in a window (``lastModifiedDate``); no criterion returns every
        item."""
        criterion = next((c for c in search if etree.QName(c).localname == "itemId"), None)
        items = sorted(self.store.items(), key=lambda r: r.seq)
        by_id = next((c for c in search if etree.QName(c).localname == "internalId"), None)
        if by_id is not None:
            if (by_id.get("operator") or "anyOf") != "anyOf":
                raise SoapFault(
                    None, None, "The sandbox simulates internalId anyOf only.", "soapenv:Client"
                )
            wanted = {v.get("internalId") for v in by_id.iter(q(CORE, "searchValue"))}
            items = [r for r in items if r.internal_id in wanted]
        if criterion is not None:
            operator = criterion.get("operator") or "is"
            value = criterion.findtext(q(CORE, "searchValue")) or ""
            if operator != "is":
                raise SoapFault(
                    None,
                    None,
                    f"The sandbox simulates itemId searches with operator 'is' only, not "
                    f"{operator!r}.",
                    "soapenv:Client",
                )
            items = [r for r in items if r.text("itemId") == value]
        try:
            items = inventory.matches_modified(search, items)
        except ValueError as exc:
            raise SoapFault(None, None, str(exc), "soapenv:Client") from None
        search_id = f"WEBSERVICES_{uuid.uuid4().hex[:20]}"
        self.store.searches[search_id] = ([r.internal_id for r in items], page_size)
        return self._search_page("searchResponse", search_id, 1)

    def _basic_transaction_search(self, search, headers):
        """Transactions created from given records (``createdFrom`` anyOf), optionally of some
        types (``type`` anyOf ``_cashRefund``...): how refunds are found from a billed order."""
        criteria = {etree.QName(c).localname: c for c in search}
        if "createdFrom" not in criteria:
            return fulfilments.search(self, criteria, _page_size(headers.get("searchPreferences")))
        unsupported = set(criteria) - {"createdFrom", "type"}
        if unsupported or "createdFrom" not in criteria:
            raise SoapFault(
                None,
                None,
                "The sandbox simulates TransactionSearchBasic by createdFrom (anyOf) and type "
                f"(anyOf) only, not {', '.join(sorted(unsupported)) or 'without createdFrom'}.",
                "soapenv:Client",
            )
        for field in criteria.values():
            if (field.get("operator") or "anyOf") != "anyOf":
                raise SoapFault(
                    None, None, "The sandbox simulates the anyOf operator only.", "soapenv:Client"
                )
        parents = {
            v.get("internalId") for v in criteria["createdFrom"].iter(q(CORE, "searchValue"))
        }
        types = None
        if "type" in criteria:
            wanted = {
                (v.text or "").lstrip("_") for v in criteria["type"].iter(q(CORE, "searchValue"))
            }
            types = {soap.TYPE_BY_RECORD_TYPE.get(t) for t in wanted}
        found = [
            r
            for r in sorted(self.store.records.values(), key=lambda r: r.seq)
            if r.ref_id("createdFrom") in parents and (types is None or r.type_name in types)
        ]
        search_id = f"WEBSERVICES_{uuid.uuid4().hex[:20]}"
        self.store.searches[search_id] = (
            [r.internal_id for r in found],
            _page_size(headers.get("searchPreferences")),
        )
        return self._search_page("searchResponse", search_id, 1)

    def op_searchMoreWithId(self, payload, headers):
        search_id = payload.findtext(q(MSGS, "searchId"))
        page_index = int(payload.findtext(q(MSGS, "pageIndex")))
        if search_id not in self.store.searches:
            return _search_error(
                "searchMoreWithIdResponse",
                "INVALID_SEARCH",
                "The search has expired; run it again.",
            )
        return self._search_page("searchMoreWithIdResponse", search_id, page_index)

    def _search_page(self, tag, search_id, page_index):
        ids, page_size = self.store.searches[search_id]
        full = self.store.full_record_searches.setdefault(
            search_id, getattr(self._local, "full_records", False)
        )
        total_pages = max(1, math.ceil(len(ids) / page_size))
        resp = etree.Element(q(MSGS, tag), nsmap=soap.NSMAP)
        result = etree.SubElement(resp, q(CORE, "searchResult"))
        soap.status(result)
        for name, value in (
            ("totalRecords", len(ids)),
            ("pageSize", page_size),
            ("totalPages", total_pages),
            ("pageIndex", page_index),
            ("searchId", search_id),
        ):
            etree.SubElement(result, q(CORE, name)).text = str(value)
        record_list = etree.SubElement(result, q(CORE, "recordList"))
        start = (page_index - 1) * page_size
        for internal_id in ids[start : start + page_size]:
            rec = self.store.records.get(internal_id)
            if rec is not None:
                el = rec.to_element(q(CORE, "record"))
                if not full:
                    inventory.strip_sublists(el)
                record_list.append(el)
        return resp


class _RecordError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _search_error(tag: str, code: str, message: str) -> etree._Element:
    resp = etree.Element(q(MSGS, tag), nsmap=soap.NSMAP)
    soap.status(etree.SubElement(resp, q(CORE, "searchResult")), False, code, message)
    return resp


def _ignore_read_only(headers) -> bool:
    prefs = (headers or {}).get("preferences")
    flag = None if prefs is None else prefs.findtext(q(MSGS, "ignoreReadOnlyFields"))
    return (flag or "").strip() in ("true", "1")


def _page_size(prefs) -> int:
    size = None if prefs is None else prefs.findtext(q(MSGS, "pageSize"))
    # NetSuite clamps pageSize to 5..1000; 1000 is the default without preferences.
    return max(5, min(1000, int(size))) if size else 1000


def _normalise_types(el: etree._Element) -> None:
    """Rewrite xsi:type values to the sandbox's prefixes, so copies stay valid anywhere."""
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        ns, local = soap.xsi_type(node)
        if ns in soap.PREFIX and node is not el:
            node.set(q(soap.XSI, "type"), f"{soap.PREFIX[ns]}:{local}")


__all__ = ["Operations", "sort_children"]
