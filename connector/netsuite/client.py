"""The SuiteTalk SOAP client: every NetSuite call the connector makes goes through here.

One seam for the network (``_send``): zeep builds the envelope and parses the reply against the
WSDL, requests carries it with a fixed timeout. Around every call: a slot from the account's
concurrency budget, a fresh tokenPassport, classification of failures into retryable and
permanent errors (``errors.py``), and a bounded retry loop with full-jitter backoff.

Writes are keyed by ``externalId``. When a write times out after it was sent, NetSuite may or
may not have committed it; before writing again the client looks the record up by externalId
and returns it if it is there, so a retry can never create a second record.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import requests
from lxml import etree
from zeep.exceptions import Fault
from zeep.exceptions import TransportError as ZeepTransportError

from . import catalogue, inventory, records, wsdl
from .budget import Priority
from .errors import (
    NetSuiteError,
    NetSuiteRecordError,
    NetSuiteUnavailable,
    from_fault,
)
from .passport import TokenCredentials, build_passport

logger = logging.getLogger(__name__)

UPSERT_LIST_MAX = 100
GET_LIST_MAX = 1000
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class Ref:
    """What a write returns: the record's identity in NetSuite."""

    record_type: str | None
    internal_id: str | None
    external_id: str | None


class AmbiguousWrite(NetSuiteUnavailable):
    """The request was sent and no answer came back: it may or may not have been applied."""


class NetSuiteClient:
    def __init__(
        self,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        token_id: str,
        token_secret: str,
        service_url: str | None = None,
        concurrency_limit: int = 5,
        budget=None,
        timeout: float | tuple[float, float] | None = None,
        max_retries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        priority: Priority = Priority.NORMAL,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        page_size: int = DEFAULT_PAGE_SIZE,
    ):
        self.credentials = TokenCredentials(
            account_id, consumer_key, consumer_secret, token_id, token_secret
        )
        self.account_id = account_id
        self.address = service_url or wsdl.service_url(account_id)
        self.concurrency_limit = concurrency_limit
        if budget is None:
            from .budget import DatabaseBudget

            budget = DatabaseBudget()
        self.budget = budget
        # (connect, read) seconds; the project-wide HTTP settings unless given.
        self.timeout = timeout or (
            float(wsdl._setting("HTTP_CONNECT_TIMEOUT", 5.0)),
            float(wsdl._setting("HTTP_READ_TIMEOUT", 60.0)),
        )
        self.max_retries = max_retries
        self.sleep = sleep
        self.priority = priority
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.page_size = page_size
        self.zeep = wsdl.get_client()
        self.service = self.zeep.create_service(wsdl.BINDING, self.address)
        self.session = requests.Session()
        # The budget is keyed by the account as NetSuite names it, so `123_sb1` and `123-SB1`
        # configured on two connectors still share one budget.
        self.budget_key = wsdl.passport_account_id(account_id)

    def __repr__(self) -> str:
        return f"NetSuiteClient(account_id={self.account_id!r}, address={self.address!r})"

    # --- operations -----------------------------------------------------------------------

    def get_server_time(self):
        """NetSuite's clock; the cheapest authenticated call, used by "Test connection"."""
        result = self._call("getServerTime")
        self._check_status(result.status, "getServerTime")
        return result.serverTime

    def upsert(self, record) -> Ref:
        """Create or update by ``externalId`` (idempotent)."""
        if not getattr(record, "externalId", None):
            raise ValueError("upsert needs a record with an externalId")
        record_type = records.record_type_of(record)
        result = self._call(
            "upsert",
            record=record,
            resolve=lambda: self._find_ref(record_type, record.externalId),
        )
        if isinstance(result, Ref):
            return result
        return self._write_ref(result, f"upsert {record_type} {record.externalId}")

    def upsert_list(self, recs: Iterable) -> list[Ref]:
        """Upsert any number of records, ``UPSERT_LIST_MAX`` per request, in input order."""
        recs = list(recs)
        out: list[Ref] = []
        for start in range(0, len(recs), UPSERT_LIST_MAX):
            chunk = recs[start : start + UPSERT_LIST_MAX]
            out.extend(self._upsert_chunk(chunk))
        return out

    def _upsert_chunk(self, chunk: list) -> list[Ref]:
        if any(not getattr(r, "externalId", None) for r in chunk):
            raise ValueError("upsert_list needs records that all have an externalId")
        result = self._call("upsertList", record=chunk, resolve=lambda: self._find_refs(chunk))
        if isinstance(result, list):
            return result
        responses = result.writeResponse
        return [
            self._write_ref(resp, f"upsert {records.record_type_of(rec)} {rec.externalId}")
            for rec, resp in zip(chunk, responses, strict=True)
        ]

    def upsert_list_outcomes(self, recs: Iterable) -> list[Ref | NetSuiteRecordError]:
        """Like ``upsert_list``, but one refused record does not hide the others' outcomes:
        each position holds the record's Ref, or the NetSuiteRecordError that refused it."""
        recs = list(recs)
        out: list[Ref | NetSuiteRecordError] = []
        for start in range(0, len(recs), UPSERT_LIST_MAX):
            chunk = recs[start : start + UPSERT_LIST_MAX]
            if any(not getattr(r, "externalId", None) for r in chunk):
                raise ValueError("upsert_list needs records that all have an externalId")
            result = self._call(
                "upsertList", record=chunk, resolve=lambda chunk=chunk: self._find_refs(chunk)
            )
            if isinstance(result, list):
                out.extend(result)
                continue
            for rec, resp in zip(chunk, result.writeResponse, strict=True):
                what = f"upsert {records.record_type_of(rec)} {rec.externalId}"
                try:
                    out.append(self._write_ref(resp, what))
                except NetSuiteRecordError as exc:
                    out.append(exc)
        return out

    def update_list_outcomes(self, recs: Iterable) -> list[Ref | NetSuiteRecordError]:
        """Update records, ``UPSERT_LIST_MAX`` per request; each position holds the record's
        Ref or the NetSuiteRecordError that refused it. An answer lost on the way back is not
        sent again: an update that adds lines (``replaceAll="false"``) is not idempotent, so
        the AmbiguousWrite goes to the caller, which reads the records again and re-plans."""
        recs = list(recs)
        out: list[Ref | NetSuiteRecordError] = []
        for start in range(0, len(recs), UPSERT_LIST_MAX):
            chunk = recs[start : start + UPSERT_LIST_MAX]
            result = self._call("updateList", record=chunk, _resend_ambiguous=False)
            for rec, resp in zip(chunk, result.writeResponse, strict=True):
                what = f"update {records.record_type_of(rec)} {rec.internalId}"
                try:
                    out.append(self._write_ref(resp, what))
                except NetSuiteRecordError as exc:
                    out.append(exc)
        return out

    def item_sku(self, internal_id: str) -> str | None:
        """An item's SKU (`itemId`) by its internal id, whatever kind of sale item it is;
        None when no such item exists."""
        for record_type in ("inventoryItem", "nonInventorySaleItem", "kitItem", "assemblyItem"):
            try:
                item = self.get(record_type, internal_id)
            except NetSuiteRecordError as exc:
                if exc.retryable:
                    raise
                continue
            return getattr(item, "itemId", None)
        return None

    def find_item_by_sku(self, sku: str):
        """The inventory item whose ``itemId`` is this SKU, or None."""
        search = records.item_search_by_sku(sku)
        result = self._call("search", searchRecord=search, _search_prefs=self.search_preferences())
        found = self._page_records(result, "item search")
        return found[0] if found else None

    def item_stock(self, modified_since=None, page_size: int = 1000):
        """The first page of inventory items (modified at or after ``modified_since``), with
        stock per location: an ``inventory.ItemPage`` (its search id and page count let the
        caller fetch the other pages, in parallel if it likes, with ``item_stock_page``)."""
        search = records.item_stock_search(modified_since)
        prefs = self._msg("SearchPreferences")(
            bodyFieldsOnly=False, returnSearchColumns=False, pageSize=page_size
        )
        return self._call(
            "search", searchRecord=search, _search_prefs=prefs, _raw=inventory.parse_page
        )

    def item_stock_page(self, search_id: str, page_index: int):
        return self._call(
            "searchMoreWithId",
            searchId=search_id,
            pageIndex=page_index,
            _raw=inventory.parse_page,
        )

    def item_catalogue(self, modified_since=None, page_size: int = 1000):
        """The first page of inventory items (modified at or after ``modified_since``) as
        products: ``catalogue.ItemProduct``s with prices, matrix options and the fields a
        Shopify product is made of (the same search as ``item_stock``, read another way)."""
        search = records.item_stock_search(modified_since)
        prefs = self._msg("SearchPreferences")(
            bodyFieldsOnly=False, returnSearchColumns=False, pageSize=page_size
        )
        return self._call(
            "search", searchRecord=search, _search_prefs=prefs, _raw=catalogue.parse_page
        )

    def item_catalogue_page(self, search_id: str, page_index: int):
        return self._call(
            "searchMoreWithId",
            searchId=search_id,
            pageIndex=page_index,
            _raw=catalogue.parse_page,
        )

    def items_by_id(self, internal_ids: Iterable[str], page_size: int = 1000) -> list:
        """Inventory items by internal id, as ``catalogue.ItemProduct``s (the matrix parents
        of changed children, which a delta does not bring)."""
        ids = sorted({str(i) for i in internal_ids if i})
        if not ids:
            return []
        prefs = self._msg("SearchPreferences")(
            bodyFieldsOnly=False, returnSearchColumns=False, pageSize=page_size
        )
        page = self._call(
            "search",
            searchRecord=records.items_by_id_search(ids),
            _search_prefs=prefs,
            _raw=catalogue.parse_page,
        )
        found = list(page.items)
        for index in range(2, page.total_pages + 1):
            found.extend(self.item_catalogue_page(page.search_id, index).items)
        return found

    def add(self, record) -> Ref:
        """Create a record (used for initialized refunds); safe to retry when it has an
        externalId because an ambiguous outcome is resolved by looking it up first."""
        record_type = records.record_type_of(record)
        external_id = getattr(record, "externalId", None)
        resolve = (lambda: self._find_ref(record_type, external_id)) if external_id else None
        result = self._call("add", record=record, resolve=resolve)
        if isinstance(result, Ref):
            return result
        return self._write_ref(result, f"add {record_type} {external_id or ''}".strip())

    def update(self, record) -> Ref:
        """Change fields of an existing record (a checkbox, a status). Idempotent by nature."""
        result = self._call("update", record=record)
        return self._write_ref(result, f"update {records.record_type_of(record)}")

    def get(self, record_type: str, internal_id=None, external_id=None):
        """The record, or ``NetSuiteRecordError`` (e.g. INVALID_KEY_OR_REF) if missing."""
        if not (internal_id or external_id):
            raise ValueError("get needs an internal_id or an external_id")
        base_ref = records.ref(internal_id, external_id, record_type)
        result = self._call("get", baseRef=base_ref)
        self._check_status(result.status, f"get {record_type} {internal_id or external_id}")
        return result.record

    def find(self, record_type: str, external_id: str):
        """The record with this externalId, or None."""
        try:
            return self.get(record_type, external_id=external_id)
        except NetSuiteRecordError as exc:
            if exc.code in {"INVALID_KEY_OR_REF", "RCRD_DSNT_EXIST"}:
                return None
            raise

    def get_list(self, refs: Iterable) -> list:
        """Records for RecordRefs, in order; a missing one comes back as None."""
        refs = list(refs)
        out = []
        for start in range(0, len(refs), GET_LIST_MAX):
            result = self._call("getList", baseRef=refs[start : start + GET_LIST_MAX])
            for read in result.readResponse:
                out.append(read.record if read.status.isSuccess else None)
        return out

    def initialize(self, target_type: str, source_type: str, *, internal_id=None, external_id=None):
        """A new, unsaved record prefilled from another, e.g. a cash refund from a cash sale
        (``initialize("cashRefund", "cashSale", internal_id=...)``); save it with ``add``."""
        init = records.initialize_record(
            target_type, source_type, internal_id=internal_id, external_id=external_id
        )
        result = self._call("initialize", initializeRecord=init)
        self._check_status(result.status, f"initialize {target_type} from {source_type}")
        return result.record

    def search(
        self, saved_search_id=None, *, script_id=None, page_size: int | None = None
    ) -> Iterator:
        """Every record of a saved transaction search (by internal id or script id), fetching
        page after page with ``searchMoreWithId`` as the caller iterates."""
        if not (saved_search_id or script_id):
            raise ValueError("search needs a saved search id or script id")
        search_record = records.saved_transaction_search(saved_search_id, script_id)
        prefs = self.search_preferences(page_size)
        result = self._call("search", searchRecord=search_record, _search_prefs=prefs)
        yield from self._page_records(result, "search")
        total_pages = result.totalPages or 1
        for page_index in range(2, total_pages + 1):
            page = self.search_more_with_id(result.searchId, page_index)
            yield from self._page_records(page, "searchMoreWithId")

    search_saved = search

    def find_created_from(self, internal_ids: Iterable[str], record_types: Iterable[str] = ()):
        """Transactions created from these records (``createdFrom``), e.g. the cash sale or
        invoice billed from a sales order, or the cash refund created from a cash sale."""
        internal_ids = [str(i) for i in internal_ids]
        if not internal_ids:
            return []
        search_record = records.created_from_search(internal_ids, record_types)
        prefs = self.search_preferences()
        result = self._call("search", searchRecord=search_record, _search_prefs=prefs)
        found = list(self._page_records(result, "search createdFrom"))
        for page_index in range(2, (result.totalPages or 1) + 1):
            page = self.search_more_with_id(result.searchId, page_index)
            found.extend(self._page_records(page, "searchMoreWithId"))
        return found

    def find_modified_since(self, record_types: Iterable[str], since=None) -> list:
        """Transactions of these types modified at or after ``since``, with their sublists
        (the search preferences ask for them: bodyFieldsOnly=false)."""
        search_record = records.modified_since_search(record_types, since)
        prefs = self.search_preferences()
        result = self._call("search", searchRecord=search_record, _search_prefs=prefs)
        found = list(self._page_records(result, "search lastModifiedDate"))
        for page_index in range(2, (result.totalPages or 1) + 1):
            page = self.search_more_with_id(result.searchId, page_index)
            found.extend(self._page_records(page, "searchMoreWithId"))
        return found

    def search_more_with_id(self, search_id: str, page_index: int):
        return self._call("searchMoreWithId", searchId=search_id, pageIndex=page_index)

    # --- plumbing -------------------------------------------------------------------------

    def _msg(self, name):
        return getattr(records.factory("messages"), name)

    def _page_records(self, result, what):
        self._check_status(result.status, what)
        if result.recordList is None:
            return []
        return list(result.recordList.record)

    def _find_ref(self, record_type: str, external_id: str) -> Ref | None:
        found = self.find(record_type, external_id)
        if found is None:
            return None
        return Ref(record_type, found.internalId, found.externalId)

    def _find_refs(self, chunk: list) -> list[Ref] | None:
        """After an ambiguous upsertList: the Refs if every record is there, else None (the
        chunk is sent again, which upsert makes safe for the ones that did get written)."""
        refs = [records.ref(None, r.externalId, records.record_type_of(r)) for r in chunk]
        found = self.get_list(refs)
        if any(f is None for f in found):
            return None
        return [
            Ref(records.record_type_of(r), f.internalId, f.externalId)
            for r, f in zip(chunk, found, strict=True)
        ]

    def _write_ref(self, write_response, what: str) -> Ref:
        self._check_status(write_response.status, what)
        base = write_response.baseRef
        return Ref(getattr(base, "type", None), base.internalId, getattr(base, "externalId", None))

    @staticmethod
    def _check_status(status, what: str) -> None:
        if status is None or status.isSuccess:
            return
        details = [(d.code, d.message) for d in (status.statusDetail or [])]
        code, message = details[0] if details else (None, "no detail given")
        raise NetSuiteRecordError(
            f"NetSuite refused {what}: {message}" + (f" ({code})" if code else ""),
            code=code,
            details=details,
        )

    def _backoff(self, attempt: int) -> float:
        # Full jitter: spreads retries of many workers hitting the same limit at once.
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def _call(
        self,
        operation: str,
        *,
        resolve=None,
        _search_prefs=None,
        _raw=None,
        _resend_ambiguous=True,
        **kwargs,
    ):
        """Send with retries. ``resolve`` (writes only) looks the record up after an ambiguous
        failure: it returns the existing result to use, or None to write again. ``_raw``
        (reads only) parses a 200 answer's bytes itself instead of zeep, for bulk reads that
        need a few fields of thousands of records (inventory, reconciliation); an answer it
        does not take (NotASearchAnswer) or any other status goes through zeep."""
        attempt = 0
        ambiguous = False
        while True:
            try:
                if ambiguous and resolve is not None:
                    found = resolve()
                    if found is not None:
                        return found
                    ambiguous = False
                return self._send(operation, kwargs, _search_prefs, _raw)
            except NetSuiteError as exc:
                # Once ambiguous, stay so until a lookup has answered: a failed lookup must
                # not let the next attempt write blindly.
                ambiguous = ambiguous or isinstance(exc, AmbiguousWrite)
                if not exc.retryable or attempt >= self.max_retries:
                    raise
                if ambiguous and resolve is None and not _resend_ambiguous:
                    raise  # the caller reads the record again before deciding anything
                delay = self._backoff(attempt)
                attempt += 1
                logger.warning(
                    "NetSuite %s failed (%s), retry %d in %.2fs", operation, exc, attempt, delay
                )
                self.sleep(delay)

    def envelope(self, operation: str, search_preferences=None, **kwargs) -> etree._Element:
        """The SOAP envelope for one call, with a freshly signed tokenPassport."""
        headers = {"tokenPassport": build_passport(self.zeep, self.credentials)}
        if search_preferences is not None:
            headers["searchPreferences"] = search_preferences
        return self.zeep.create_message(self.service, operation, _soapheaders=headers, **kwargs)

    def search_preferences(self, page_size: int | None = None):
        # Records rather than search rows: flows need the records' fields, not columns.
        return self._msg("SearchPreferences")(
            bodyFieldsOnly=False,
            returnSearchColumns=False,
            pageSize=page_size or self.page_size,
        )

    def _send(self, operation: str, kwargs: dict, search_prefs=None, raw=None):
        with self.budget.slot(self.budget_key, self.concurrency_limit, priority=self.priority):
            # Signed per attempt and only once a slot is ours: NetSuite refuses a reused nonce
            # and a timestamp that went stale while we queued for the slot.
            envelope = self.envelope(operation, search_prefs, **kwargs)
            body = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
            response = self._post(operation, body)
        if raw is not None and response.status_code == 200:
            # A reader of our own for a big answer (inventory.py); anything it does not
            # recognise as a success goes through zeep and the usual classification.
            try:
                return raw(response.content)
            except inventory.NotASearchAnswer:
                pass
        return self._parse(operation, response)

    def _post(self, operation: str, body: bytes) -> requests.Response:
        try:
            return self.session.post(
                self.address,
                data=body,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": operation},
                timeout=self.timeout,
                # A redirect would carry the signed tokenPassport to another address.
                allow_redirects=False,
            )
        except requests.exceptions.ReadTimeout as exc:
            raise AmbiguousWrite(
                f"NetSuite did not answer {operation} within the time-out; the request may "
                f"have been applied ({exc.__class__.__name__})",
                code="READ_TIMEOUT",
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            # Includes dropped connections mid-answer, so treat as possibly applied too.
            raise AmbiguousWrite(
                f"Could not reach NetSuite at {self.address} for {operation}: {exc}",
                code="CONNECTION_ERROR",
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise NetSuiteUnavailable(f"NetSuite request {operation} failed: {exc}") from exc

    def _parse(self, operation: str, response: requests.Response):
        operation_obj = self.service._binding.get(operation)
        try:
            reply = self.service._binding.process_reply(self.zeep, operation_obj, response)
        except Fault as fault:
            if not isinstance(fault.detail, etree._Element | None):
                raise NetSuiteError(
                    f"NetSuite answered {operation} with HTTP {response.status_code} and no SOAP "
                    f"message; check the service URL ({self.address})",
                    retryable=response.status_code >= 500 or response.status_code in (429, 408),
                    code=f"HTTP_{response.status_code}",
                ) from None
            name, code, message = _fault_detail(fault)
            raise from_fault(name, code, message) from None
        except (ZeepTransportError, etree.XMLSyntaxError) as exc:
            if response.status_code >= 500 or response.status_code in (429, 408):
                raise NetSuiteUnavailable(
                    f"NetSuite answered HTTP {response.status_code} to {operation}",
                    code=f"HTTP_{response.status_code}",
                ) from exc
            raise NetSuiteError(
                f"NetSuite answered {operation} with HTTP {response.status_code} and no SOAP "
                f"message; check the service URL ({self.address})",
                retryable=False,
                code=f"HTTP_{response.status_code}",
            ) from exc
        return _unwrap(reply)


def _unwrap(reply):
    """The single result inside a reply: zeep gives ``{header, body: {xResult: ...}}`` for
    operations with output headers; callers want the ``xResult``/``writeResponse`` itself."""
    body = reply.body if "body" in reply else reply
    values = list(body.__values__.values()) if hasattr(body, "__values__") else [body]
    return values[0] if len(values) == 1 else body


def _fault_detail(fault: Fault) -> tuple[str | None, str | None, str]:
    """(detail element local name, NetSuite code, message) of a SOAP fault."""
    detail = fault.detail
    # zeep puts the raw body (bytes) in `detail` when the reply is not XML: never echo it.
    if isinstance(detail, etree._Element) and len(detail):
        node = detail[0]
        code = node.findtext("{*}code")
        message = node.findtext("{*}message") or fault.message or ""
        return etree.QName(node).localname, code, message
    return None, None, fault.message or "SOAP fault without detail"
