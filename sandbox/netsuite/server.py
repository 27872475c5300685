"""The sandbox NetSuite account: a threaded HTTP server speaking SuiteTalk SOAP 2025.2.

``POST /services/NetSuitePort_2025_2`` answers SOAP; ``/_control/...`` is a JSON API to play the
NetSuite user and to turn the fault knobs (docs/sandbox-netsuite.md).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from lxml import etree

from . import soap
from .account import (
    DEFAULT_EXPORTED_FIELD,
    AccountActions,
    ActionError,
    cancelled_orders_search,
)
from .control import handle_control
from .operations import WRITE_OPERATIONS, Operations
from .schema import ContractSchema, body_payload
from .soap import SoapFault
from .store import Store

SERVICE_PATH = "/services/NetSuitePort_2025_2"
NONCE = re.compile(r"^[A-Za-z0-9]{6,64}$")
TIMESTAMP_SKEW = 300  # seconds; NetSuite refuses passports far from its clock

DEFAULT_CREDENTIALS = {
    "account_id": "TSTDRV1234567_SB1",
    "consumer_key": "sandbox-consumer-key",
    "consumer_secret": "sandbox-consumer-secret",
    "token_id": "sandbox-token-id",
    "token_secret": "sandbox-token-secret",
}

RETRYABLE_FAULTS = {
    "concurrency": (
        "exceededConcurrentRequestLimitFault",
        "WS_REQUEST_BLOCKED",
        "The request could not be processed because the account concurrency limit was "
        "exceeded. Retry the request later.",
    ),
    "session": (
        "exceededRequestLimitFault",
        "WS_CONCUR_SESSION_DISALLWD",
        "Only one request may be made against a session at a time.",
    ),
    "unexpected": ("unexpectedErrorFault", "UNEXPECTED_ERROR", "An unexpected error occurred."),
}
# Faults NetSuite reports in a record's status (isSuccess="false") while the request succeeds.
RECORD_FAULTS = {"record_unexpected": ("UNEXPECTED_ERROR", "An unexpected error occurred.")}
AUTH_FAULT = ("invalidCredentialsFault", "INVALID_LOGIN_ATTEMPT", "Invalid login attempt.")


class NetSuiteSandbox(AccountActions):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        account_id: str = DEFAULT_CREDENTIALS["account_id"],
        consumer_key: str = DEFAULT_CREDENTIALS["consumer_key"],
        consumer_secret: str = DEFAULT_CREDENTIALS["consumer_secret"],
        token_id: str = DEFAULT_CREDENTIALS["token_id"],
        token_secret: str = DEFAULT_CREDENTIALS["token_secret"],
        limit: int = 5,
        latency: float = 0.0,
        latency_per_record: float = 0.0,
        contracts_dir: str | Path | None = None,
        state_path: str | Path | None = None,
        exported_field: str = DEFAULT_EXPORTED_FIELD,
        validate_responses: bool = False,
    ):
        self.host, self.port = host, port
        self.credentials = {
            "account_id": account_id,
            "consumer_key": consumer_key,
            "consumer_secret": consumer_secret,
            "token_id": token_id,
            "token_secret": token_secret,
        }
        self.initial_config = {
            "limit": limit,
            "latency": latency,
            "latency_per_record": latency_per_record,
            "fault_rate": 0.0,
            # An account whose own tax codes still apply: NetSuite adds tax at this rate on
            # taxable (inventory) item lines, on top of what the integration sent.
            "tax_rate": 0.0,
        }
        contract_dir = Path(contracts_dir) / "netsuite" / "2025_2" if contracts_dir else None
        self.schema = ContractSchema(contract_dir)
        self.store = Store(state_path)
        self.exported_field = exported_field
        # Tests turn this on: the sandbox's own answers must obey the XSDs too.
        self.validate_responses = validate_responses
        self.operations = Operations(self)
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset(records=False)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> str:
        """Serve in a background thread; returns the base URL (``http://127.0.0.1:port``)."""
        sandbox = self

        class Handler(_Handler):
            pass

        Handler.sandbox = sandbox
        self._httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="netsuite-sandbox", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def service_url(self) -> str:
        return self.base_url + SERVICE_PATH

    def reset(self, records: bool = True) -> None:
        with self.lock:
            if records:
                self.store.reset()
            self.config = dict(self.initial_config)
            self.fail_next: list[list] = []  # [[count, kind, operation or None], ...]
            self.timeout_after_commit = {"count": 0, "mode": "delay", "seconds": 5.0}
            self.in_flight = 0
            self.max_in_flight = 0
            self.blocked = 0
            self.requests = 0
            self.log: list[dict] = []
            self.nonces: dict[str, float] = {}
            self.response_errors: list[str] = []
            self.saved_searches = [cancelled_orders_search(self.exported_field)]

    def saved_search(self, search_id: str):
        for saved in self.saved_searches:
            if search_id in (saved.internal_id, saved.script_id):
                return saved
        return None

    def state(self) -> dict:
        counts: dict[str, int] = {}
        for rec in self.store.records.values():
            counts[rec.record_type] = counts.get(rec.record_type, 0) + 1
        return {
            "account_id": self.credentials["account_id"],
            "service_url": self.service_url,
            "config": dict(self.config),
            "counts": counts,
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "blocked": self.blocked,
            "requests": self.requests,
            "response_errors": list(self.response_errors),
            "saved_searches": [
                {"internalId": s.internal_id, "scriptId": s.script_id} for s in self.saved_searches
            ],
        }

    # --- SOAP -----------------------------------------------------------------------------

    def handle_soap(self, body: bytes):
        """(HTTP status, response bytes, after) — ``after`` is "drop" or a delay in seconds."""
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            over_limit = self.in_flight > self.config["limit"]
        operation = "?"
        try:
            if over_limit:
                with self.lock:
                    self.blocked += 1
                raise SoapFault(*RETRYABLE_FAULTS["concurrency"])
            envelope = _parse(body)
            payload = body_payload(envelope)
            operation = etree.QName(payload).localname
            headers = {etree.QName(h).localname: h for h in _header(envelope)}
            self._authenticate(headers.get("tokenPassport"))
            errors = self.schema.errors(payload)
            if errors:
                raise SoapFault(
                    None, None, "org.xml.sax.SAXException: " + errors[0], "soapenv:Client"
                )
            self._injected_fault(operation)
            response = self.operations.dispatch(operation, payload, headers)
            if self.validate_responses:
                self._check_response(operation, response)
            self._latency(payload, response)
            after = self._after_commit(operation)
            self._log(operation, "ok")
            return 200, soap.envelope(response), after
        except SoapFault as fault:
            self._log(operation, fault.code or "fault")
            return 500, soap.fault_envelope(fault), None
        finally:
            # Decrement before the answer goes out: once the client reads it, it may start
            # its next request, and that one must not be counted against this one.
            with self.lock:
                self.in_flight -= 1

    def _check_response(self, operation: str, response) -> None:
        errors = self.schema.errors(response)
        if errors:
            with self.lock:
                self.response_errors.append(f"{operation}: {errors[0]}")
            raise SoapFault(
                "unexpectedErrorFault",
                "UNEXPECTED_ERROR",
                f"sandbox bug: invalid {operation} response: {errors[0]}",
            )

    def _authenticate(self, passport) -> None:
        if passport is None:
            raise SoapFault(*AUTH_FAULT)
        fields = {etree.QName(c).localname: (c.text or "") for c in passport}
        creds = self.credentials
        nonce, timestamp = fields.get("nonce", ""), fields.get("timestamp", "")
        expected_account = creds["account_id"].upper().replace("-", "_")
        base = "&".join(
            [expected_account, creds["consumer_key"], creds["token_id"], nonce, timestamp]
        )
        key = f"{creds['consumer_secret']}&{creds['token_secret']}"
        expected = base64.b64encode(
            hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
        ).decode()
        sig_el = passport.find(soap.q(soap.CORE, "signature"))
        ok = (
            fields.get("account") == expected_account
            and fields.get("consumerKey") == creds["consumer_key"]
            and fields.get("token") == creds["token_id"]
            and NONCE.match(nonce)
            and timestamp.isdigit()
            and abs(time.time() - int(timestamp)) <= TIMESTAMP_SKEW
            and sig_el is not None
            and sig_el.get("algorithm") == "HMAC-SHA256"
            and hmac.compare_digest(fields.get("signature", ""), expected)
        )
        with self.lock:
            now = time.time()
            if ok and nonce in self.nonces:
                ok = False  # replayed passport
            if ok:
                self.nonces[nonce] = now
                if len(self.nonces) > 10000:
                    self.nonces = {n: t for n, t in self.nonces.items() if now - t < 600}
        if not ok:
            raise SoapFault(*AUTH_FAULT)

    def _injected_fault(self, operation: str) -> None:
        with self.lock:
            kind = None
            for entry in self.fail_next:  # [count, kind, operation or None]
                if entry[1] in RECORD_FAULTS:
                    continue  # answered per record, inside a successful response
                if entry[2] in (None, operation):
                    entry[0] -= 1
                    kind = entry[1]
                    if entry[0] <= 0:
                        self.fail_next.remove(entry)
                    break
            else:
                if self.config["fault_rate"] and random.random() < self.config["fault_rate"]:
                    kind = random.choice(["concurrency", "unexpected"])
        if kind is None:
            return
        if kind == "auth":
            raise SoapFault(*AUTH_FAULT)
        if kind == "http503":
            raise _Http503()
        raise SoapFault(*RETRYABLE_FAULTS[kind])

    def _after_commit(self, operation: str):
        if operation not in WRITE_OPERATIONS:
            return None
        with self.lock:
            knob = self.timeout_after_commit
            if knob["count"] <= 0:
                return None
            knob["count"] -= 1
            return "drop" if knob["mode"] == "drop" else float(knob["seconds"])

    def _latency(self, payload, response) -> None:
        latency = self.config["latency"]
        per_record = self.config["latency_per_record"]
        if not (latency or per_record):
            return
        count = sum(1 for _ in payload.iter(soap.q(soap.MSGS, "record")))
        count += sum(1 for _ in response.iter(soap.q(soap.CORE, "record")))
        time.sleep(latency + per_record * max(count, 1))

    def _log(self, operation: str, outcome: str) -> None:
        with self.lock:
            self.log.append({"at": time.time(), "operation": operation, "outcome": outcome})
            del self.log[:-1000]


class _Http503(Exception):
    """Answered as a bare HTTP 503, like a load balancer in front of NetSuite."""


def _parse(body: bytes) -> etree._Element:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise SoapFault(
            None, None, f"org.xml.sax.SAXParseException: {exc}", "soapenv:Client"
        ) from None


def _header(envelope: etree._Element):
    header = envelope.find(soap.q(soap.SOAPENV, "Header"))
    return [] if header is None else [h for h in header if isinstance(h.tag, str)]


class _Handler(BaseHTTPRequestHandler):
    sandbox: NetSuiteSandbox
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment; otherwise Nagle + delayed ACK add ~40 ms a call.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path = urlparse(self.path).path
        if path == SERVICE_PATH:
            body = self._body()
            try:
                status, payload, after = self.sandbox.handle_soap(body)
            except _Http503:
                self._send(503, b"Service Unavailable", "text/plain")
                return
            if after == "drop":
                # The write is committed; the caller never hears back.
                self.close_connection = True
                return
            if after:
                time.sleep(after)
            # The client may have given up waiting (a time-out after commit).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(status, payload, "text/xml; charset=utf-8")
            return
        if path.startswith("/_control/"):
            self._control("POST", path)
            return
        self._send(404, b"not found", "text/plain")

    def do_GET(self):
        path = urlparse(self.path).path
        if path.startswith("/_control/"):
            self._control("GET", path)
            return
        self._send(404, b"not found", "text/plain")

    def _control(self, method: str, path: str) -> None:
        # No auth on the control API, so it never answers anyone but this machine.
        if self.client_address[0] not in ("127.0.0.1", "::1"):
            self._send(403, b'{"error": "control API is loopback only"}', "application/json")
            return
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        try:
            data = json.loads(self._body() or b"{}") if method == "POST" else {}
            status, result = handle_control(self.sandbox, method, path, query, data)
        except (ActionError, ValueError, KeyError) as exc:
            status, result = 400, {"error": str(exc)}
        self._send(status, json.dumps(result).encode(), "application/json")
