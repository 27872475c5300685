"""Shopify bulk mutations: one mutation run once per line of an uploaded JSONL of variables.

    stagedUploadsCreate → upload the JSONL (a form POST to the staged target)
    → bulkOperationRunMutation → poll bulkOperation until it ends → read the result JSONL

Bulk operations run outside the cost-based rate limit, which is what makes them the way to
write a large catalogue: thousands of calls of 10 points each become one. They are not
idempotent, so only mutations that are safe to repeat (updates that set values) go this way;
creations do not.

The staged target and the result file live on Shopify's storage (Google Cloud Storage), not on
the shop's host: they are fetched without the access token, and only from hosts Shopify uses
for them or from the shop's own address (a sandbox serves both itself).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from .documents import load_operation
from .errors import ShopifyError, ShopifyGraphQLError, ShopifyServerError, ShopifyUserError

logger = logging.getLogger(__name__)

STORAGE_HOSTS = ("storage.googleapis.com", "shopify-staged-uploads.storage.googleapis.com")
ENDED = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}


class BulkOperationFailed(ShopifyServerError):
    """The operation ended without results for every line (FAILED, CANCELED, EXPIRED, or it
    ran past our patience). Lines it did run are in the partial results."""


def _allowed(url: str, client) -> str:
    parts = urlsplit(url)
    own = urlsplit(client.url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host in STORAGE_HOSTS or host.endswith(".googleapis.com")):
        return url
    if (parts.scheme, parts.netloc) == (own.scheme, own.netloc):
        return url
    raise ShopifyGraphQLError(f"Shopify named an unexpected storage address: {host or url!r}.")


def upload_variables(client, lines: list[dict[str, Any]], *, timeout: float = 120) -> str:
    """Upload the JSONL of variables; returns the `stagedUploadPath` to run the mutation on."""
    body = "".join(json.dumps(v, separators=(",", ":")) + "\n" for v in lines).encode()
    payload = client.mutate(
        "stagedUploadsCreate",
        {
            "input": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "variables.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                }
            ]
        },
    )
    target = (payload.get("stagedTargets") or [None])[0]
    if not target:
        raise ShopifyServerError("Shopify gave no staged upload target.")
    params = {p["name"]: p["value"] for p in target.get("parameters") or []}
    key = params.get("key")
    if not key:
        raise ShopifyServerError("Shopify's staged upload target has no key.")
    try:
        # Form fields first and the file last, as the storage expects.
        response = requests.post(
            _allowed(target["url"], client),
            data=params,
            files={"file": ("variables.jsonl", body, "text/jsonl")},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise ShopifyServerError(f"Uploading the bulk variables failed: {exc}") from exc
    if response.status_code >= 300:
        raise ShopifyServerError(
            f"Uploading the bulk variables failed: HTTP {response.status_code}",
            code=str(response.status_code),
        )
    return key


def start(client, operation: str, staged_path: str, client_identifier: str = "") -> str:
    """Start the bulk mutation; returns the operation's id."""
    variables = {
        "mutation": load_operation(operation).text,
        "stagedUploadPath": staged_path,
        "clientIdentifier": client_identifier or None,
    }
    payload = client.mutate("bulkOperationRunMutation", variables)
    operation_id = (payload.get("bulkOperation") or {}).get("id")
    if not operation_id:
        raise ShopifyServerError("Shopify started no bulk operation.")
    return operation_id


def wait(
    client,
    operation_id: str,
    *,
    poll_seconds: float = 1.0,
    patience_seconds: float = 3600,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    check: Callable[[], None] | None = None,
) -> dict:
    """Poll until the operation ends (or patience runs out); returns its last state. `check`
    is called between polls (a run's lease: a lost run stops waiting)."""
    deadline = clock() + patience_seconds
    delay = min(poll_seconds, 0.2)
    while True:
        state = client.execute("bulkOperation", {"id": operation_id})["bulkOperation"] or {}
        if state.get("status") in ENDED:
            return state
        if clock() >= deadline:
            return {**state, "status": state.get("status") or "RUNNING", "timedOut": True}
        if check is not None:
            check()
        sleep(delay)
        delay = min(poll_seconds, delay * 2)


def results(client, state: dict, operation: str, count: int) -> list[dict | BaseException]:
    """Each line's payload (the mutation's root field), by line number; a line with no result
    (the operation failed before it) is a retryable error."""
    url = state.get("url") or state.get("partialDataUrl")
    out: list[dict | BaseException] = [
        BulkOperationFailed(
            f"Shopify's bulk operation {state.get('id')} ended {state.get('status')}"
            + (f" ({state['errorCode']})" if state.get("errorCode") else "")
            + " before this line ran."
        )
    ] * count
    if not url:
        return out
    try:
        response = requests.get(_allowed(url, client), timeout=120)
    except requests.RequestException as exc:
        raise ShopifyServerError(f"Reading the bulk results failed: {exc}") from exc
    if response.status_code >= 300:
        raise ShopifyServerError(f"Reading the bulk results failed: HTTP {response.status_code}")
    for number, text in enumerate(response.text.splitlines()):
        if not text.strip():
            continue
        line = json.loads(text)
        index = line.get("__lineNumber", number)
        if not isinstance(index, int) or not 0 <= index < count:
            continue
        errors = line.get("errors")
        payload = (line.get("data") or {}).get(operation)
        if payload is None:
            message = "; ".join(str(e.get("message")) for e in errors or []) or "no result"
            out[index] = ShopifyGraphQLError(f"Shopify refused line {index}: {message}")
        else:
            out[index] = payload
    return out


def run_mutation(
    client,
    operation: str,
    lines: list[dict[str, Any]],
    *,
    client_identifier: str = "",
    **wait_options,
) -> list[dict | BaseException]:
    """Run `operation` once per variables dict; returns each line's payload or error (the
    payload may still carry userErrors: the caller reads them as for a direct call)."""
    if not lines:
        return []
    staged = upload_variables(client, lines)
    operation_id = start(client, operation, staged, client_identifier)
    logger.info("Bulk %s %s started: %d lines", operation, operation_id, len(lines))
    state = wait(client, operation_id, **wait_options)
    return results(client, state, operation, len(lines))


__all__ = [
    "BulkOperationFailed",
    "ShopifyError",
    "ShopifyUserError",
    "run_mutation",
]
