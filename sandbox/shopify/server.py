"""The sandbox Shopify store: a threaded HTTP server speaking Admin GraphQL on loopback.

Like Shopify, one address serves many shops and the Host header picks the shop. Every
document is validated against the published schema before it runs, every answer carries
`extensions.cost`, and a per-shop leaky bucket throttles like the real cost-based limit.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse, validate
from graphql.language import FragmentDefinitionNode

from sandbox.shopify import bulk, control, graph
from sandbox.shopify.bulk_runner import BulkRunner
from sandbox.shopify.cost import MAX_SINGLE_QUERY_COST, LeakyBucket, requested_cost
from sandbox.shopify.faults import Faults
from sandbox.shopify.schema import SUPPORTED_VERSIONS, load_schema
from sandbox.shopify.store import Store

logger = logging.getLogger(__name__)

DEFAULT_SHOP_DOMAIN = "sandbox-store.myshopify.com"
DEFAULT_ACCESS_TOKEN = "shpat_sandbox_0000000000000000"
DEFAULT_WEBHOOK_SECRET = "sandbox-webhook-secret"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
GRAPHQL_PATH = re.compile(r"^/admin/api/(?P<version>[\w-]+)/graphql\.json$")
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


class ShopifySandbox:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        shop_domain: str = DEFAULT_SHOP_DOMAIN,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        contracts_dir: str | Path | None = None,
        state_path: str | Path | None = None,
        demo: bool = False,
        maximum_available: float = 1000,
        restore_rate: float = 100,
        latency_ms: float = 0,
        error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        hang_seconds: float | None = None,
        bulk_rows_per_second: float = 200.0,
    ) -> None:
        self.host = host
        self.port = port
        self.default_shop = {
            "domain": shop_domain,
            "access_token": access_token,
            "webhook_secret": webhook_secret,
        }
        self.demo = demo
        self.contracts_dir = str(contracts_dir) if contracts_dir else None
        self.schema = load_schema(SUPPORTED_VERSIONS[-1], self.contracts_dir)
        self.store = Store(state_path)
        self.faults = Faults(latency_ms, error_rate, throttle_rate, hang_seconds)
        self.default_throttle = {"maximum": maximum_available, "restore_rate": restore_rate}
        self.throttle_settings: dict[str, dict[str, float]] = {}
        self.buckets: dict[str, LeakyBucket] = {}
        # The buckets' clock; in-process tests share one with the client to pace without
        # waiting (a bucket made after the change uses it).
        self.clock = time.monotonic
        self.requests_seen = 0
        self._counters_lock = threading.Lock()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Runs bulk mutation operations (0 rows/s: inline, for tests).
        self.bulk = BulkRunner(self, bulk_rows_per_second)
        if not self.store.shops:
            self.reset(demo=demo)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="shopify-sandbox", daemon=True
        )
        self._thread.start()
        with self.store.lock:
            # Staged upload targets and result files point at this address.
            self.store.base_url = self.url
            bulk.fail_interrupted(self.store, self.url)
            self.store.save()
        return self.url

    def serve_forever(self) -> None:
        if self._server is None:
            self.start()
        try:
            while self._thread and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopping.set()  # releases handlers that are hanging on purpose
        self.bulk.wake()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- state ----------------------------------------------------------------------------

    def reset(self, demo: bool | None = None) -> None:
        with self.store.lock:
            self.store.reset()
            self.store.add_shop(**self.default_shop, default=True)
            self.buckets.clear()
            self.throttle_settings.clear()
            self.faults.clear()
            self.bulk.reset()
            self.requests_seen = 0
            if demo if demo is not None else self.demo:
                from sandbox.shopify.demo import seed_demo

                seed_demo(self.store, self.store.shop(None))
            self.store.save()

    def bucket(self, domain: str) -> LeakyBucket:
        with self._counters_lock:
            if domain not in self.buckets:
                settings = self.throttle_settings.get(domain, self.default_throttle)
                self.buckets[domain] = LeakyBucket(
                    settings["maximum"], settings["restore_rate"], clock=self.clock
                )
            return self.buckets[domain]

    def set_throttle(self, domain: str, maximum: float, restore_rate: float) -> None:
        with self._counters_lock:
            self.throttle_settings[domain] = {"maximum": maximum, "restore_rate": restore_rate}
            self.buckets.pop(domain, None)

    def resolve_shop(self, host_header: str | None):
        host = (host_header or "").strip().lower()
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if not name or name in LOOPBACK_HOSTS or name == self.host:
            return self.store.shops.get(self.store.default_domain or "")
        return self.store.shops.get(name)

    # -- GraphQL --------------------------------------------------------------------------

    def handle_graphql(self, handler: _Handler, version: str, raw_body: bytes) -> None:
        with self._counters_lock:
            self.requests_seen += 1
        if version not in SUPPORTED_VERSIONS:
            # Shopify answers 404 for versions it does not serve (documented in the guide).
            return handler.send_json(404, {"errors": "Not Found"})
        shop = self.resolve_shop(handler.headers.get("Host"))
        if shop is None:
            return handler.send_json(404, {"errors": "Not Found"})
        if handler.headers.get("X-Shopify-Access-Token") != shop.access_token:
            return handler.send_json(401, {"errors": INVALID_TOKEN})

        fault = self.faults.draw(_operation_name(raw_body) if self.faults.queue else None)
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000)
        bucket = self.bucket(shop.domain)
        if fault and fault["kind"] == "error":
            status = int(fault.get("status", 503))
            return handler.send_json(status, {"errors": HTTPStatus(status).phrase})
        if fault and fault["kind"] == "throttled":
            return handler.send_json(200, _throttled_body(0, bucket))
        if fault and fault["kind"] == "hang":
            self.stopping.wait(float(fault.get("seconds", 3600)))
            if self.stopping.is_set():
                return None

        status, body = self._execute(shop, bucket, raw_body)
        if fault and fault["kind"] == "apply_then_hang":
            self.stopping.wait(float(fault.get("seconds", 3600)))
            if self.stopping.is_set():
                return None
        return handler.send_json(status, body)

    def _execute(self, shop, bucket: LeakyBucket, raw_body: bytes) -> tuple[int, dict]:
        try:
            request = json.loads(raw_body or b"{}")
            query = request.get("query")
        except (ValueError, AttributeError):
            query = None
        if not isinstance(query, str) or not query.strip():
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = request.get("variables") or {}
        operation_name = request.get("operationName")
        try:
            document = parse(query)
        except GraphQLError as exc:
            return 200, {"errors": [_format_error(exc, "GRAPHQL_PARSE_FAILED")]}
        errors = validate(self.schema, document)
        if errors:
            return 200, {"errors": [_format_error(e, "GRAPHQL_VALIDATION_FAILED") for e in errors]}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        operation = next(
            (
                o
                for o in operations
                if not operation_name or (o.name and o.name.value == operation_name)
            ),
            None,
        )
        if operation is None or (len(operations) > 1 and not operation_name):
            message = "An operation name is required" if operation else "Unknown operation"
            return 200, {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = requested_cost(self.schema, operation, fragments, variables)
        if cost > MAX_SINGLE_QUERY_COST:
            return 200, {
                "errors": [
                    {
                        "message": f"Query cost is {cost}, which exceeds the single query max "
                        f"cost limit ({MAX_SINGLE_QUERY_COST}).",
                        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost},
                    }
                ],
                "extensions": {"cost": _cost_extension(cost, None, bucket)},
            }
        if not bucket.take(cost):
            return 200, _throttled_body(cost, bucket)
        is_mutation = operation.operation == OperationType.MUTATION
        with self.store.lock:
            result = graph.run(
                self.schema, document, self.store, shop, variables, operation_name, is_mutation
            )
            if is_mutation:
                self.store.save()
        if is_mutation:
            self.bulk.kick()
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_format_error(e, None) for e in result.errors]
        body["data"] = result.data
        body["extensions"] = {"cost": _cost_extension(cost, cost, bucket)}
        return 200, body


def _format_error(error: GraphQLError, default_code: str | None) -> dict:
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if default_code and "code" not in extensions:
        extensions["code"] = default_code
    if extensions:
        formatted["extensions"] = extensions
    return formatted


def _cost_extension(requested: int, actual: int | None, bucket: LeakyBucket) -> dict:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": bucket.status(),
    }


def _throttled_body(cost: int, bucket: LeakyBucket) -> dict:
    return {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": {"cost": _cost_extension(cost, None, bucket)},
    }


class _Handler(BaseHTTPRequestHandler):
    sandbox: ShopifySandbox
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: unbuffered writes plus Nagle and delayed ACKs
    # would add ~40 ms to every answer.
    wbufsize = -1
    disable_nagle_algorithm = True
    server_version = "ShopifySandbox/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any) -> None:
        self.send_bytes(
            status, json.dumps(payload).encode("utf-8"), "application/json; charset=utf-8"
        )

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a time-out test); nothing to answer

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        body = self._body()
        match = GRAPHQL_PATH.match(parts.path)
        if match and method == "POST":
            self.sandbox.handle_graphql(self, match.group("version"), body)
            return
        if parts.path == bulk.UPLOAD_PATH and method == "POST":
            # The staged upload form (bulk.py): signed by its parameters, no Shopify token.
            with self.sandbox.store.lock:
                status, xml = bulk.accept_upload(
                    self.sandbox.store, self.headers.get("Content-Type", ""), body
                )
                self.sandbox.store.save()
            self.send_bytes(status, xml, "application/xml; charset=utf-8")
            return
        if parts.path.startswith(bulk.RESULTS_PATH) and method == "GET":
            with self.sandbox.store.lock:
                data = bulk.read_result(self.sandbox.store, parts.path)
            if data is None:
                self.send_bytes(404, b"Not Found", "text/plain")
            else:
                self.send_bytes(200, data, "application/jsonl")
            return
        if parts.path.startswith("/_control/"):
            if self.client_address[0] not in ("127.0.0.1", "::1"):
                self.send_json(403, {"error": "The control API answers loopback clients only"})
                return
            try:
                payload = json.loads(body) if body else {}
            except ValueError:
                self.send_json(400, {"error": "The body must be JSON"})
                return
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            status, answer = control.handle(self.sandbox, method, parts.path, query, payload)
            self.send_json(status, answer)
            return
        self.send_json(404, {"errors": "Not Found"})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


def _operation_name(raw_body: bytes) -> str | None:
    """The request's operationName, for faults queued for one operation."""
    try:
        name = json.loads(raw_body or b"{}").get("operationName")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None
