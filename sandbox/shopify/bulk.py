"""Staged uploads and bulk mutation operations in the sandbox store.

The real flow, step by step, and what the sandbox does at each:

1. `stagedUploadsCreate(input: [{resource: BULK_MUTATION_VARIABLES, httpMethod: POST,
   mimeType: "text/jsonl", filename}])` answers a target like Shopify's Google Cloud Storage
   form: `url` is an upload endpoint of the sandbox itself (`<sandbox>/_uploads/`) and
   `parameters` carry `key` (the `stagedUploadPath` for step 3), `Content-Type`,
   `success_action_status` (201), `acl`, `policy`, `x-goog-credential`, `x-goog-algorithm`,
   `x-goog-date` and `x-goog-signature`.
2. The client POSTs multipart/form-data to `url`: the parameters, then `file` last (fields
   after the file are ignored, as by GCS). No Shopify token: the signed policy is the
   authority; an unknown key or a wrong signature is 403, a file over 20 MB is 400
   EntityTooLarge. 201 (or 204 without `success_action_status`) with GCS's XML answer.
3. `bulkOperationRunMutation(mutation, stagedUploadPath)` checks synchronously that the
   mutation is one mutation with one root field and valid against the schema
   (INVALID_MUTATION), that the file was uploaded (NO_SUCH_FILE) and is JSONL: every
   non-blank line a JSON object (INVALID_STAGED_UPLOAD_FILE), and that fewer than 5 bulk
   mutations run in the shop (LIMIT_REACHED; 5 since API 2026-01). The operation is CREATED;
   `bulk_runner.BulkRunner` then runs the mutation once per line.
4. `bulkOperation(id)` / `currentBulkOperation(type: MUTATION)` report progress; once
   COMPLETED, `url` is a sandbox GET URL of the JSONL results, one line per input line:
   `{"data": {...payload...}, "__lineNumber": N}` (N from 0), or `{"errors": [...],
   "__lineNumber": N}` when the line's variables do not fit the mutation.

Records live on the shop (`staged_uploads[key]`, `bulk_operations[id]`); the files in
`Store.files_dir()`. Callers hold the store lock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse, validate

from sandbox.shopify.store import Shop, Store, gid, gid_number, user_error

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # Shopify's bulk mutation file limit (20 MB)
MAX_RUNNING_MUTATIONS = 5  # per shop since API 2026-01
ACTIVE = ("CREATED", "RUNNING", "CANCELING")
UPLOAD_PATH = "/_uploads/"
RESULTS_PATH = "/_bulk/"
# Signs the upload policies; a sandbox needs no secret beyond its own process.
_SIGNING_KEY = secrets.token_bytes(32)


def _sign(text: str) -> str:
    return hmac.new(_SIGNING_KEY, text.encode(), hashlib.sha256).hexdigest()


# -- staged uploads --------------------------------------------------------------------


def staged_uploads_create(
    store: Store, shop: Shop, inputs: list[dict], base_url: str
) -> tuple[list[dict], list[dict]]:
    targets, errors = [], []
    for index, spec in enumerate(inputs):
        if spec["resource"] != "BULK_MUTATION_VARIABLES":
            raise GraphQLError(
                f"The sandbox simulates staged uploads of BULK_MUTATION_VARIABLES only, "
                f"not {spec['resource']}.",
                extensions={"code": "NOT_SIMULATED"},
            )
        if (spec.get("httpMethod") or "PUT") != "POST":
            errors.append(
                user_error(
                    "The sandbox signs POST (form) uploads for bulk mutation variables; "
                    "pass httpMethod: POST.",
                    ["input", str(index), "httpMethod"],
                )
            )
            continue
        now = datetime.now(UTC)
        key = f"tmp/{shop.shop_id}/bulk/{uuid.uuid4()}/{spec['filename']}"
        policy = base64.b64encode(
            json.dumps(
                {
                    "conditions": [
                        {"Content-Type": spec["mimeType"]},
                        {"success_action_status": "201"},
                        {"acl": "private"},
                        ["content-length-range", 1, MAX_UPLOAD_BYTES],
                        {"bucket": "shopify-staged-uploads"},
                        {"key": key},
                    ],
                    "expiration": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ).encode()
        ).decode()
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        url = f"{base_url}{UPLOAD_PATH}"
        record = {
            "key": key,
            "mime_type": spec["mimeType"],
            "created_at": store.now(),
            "signature": _sign(policy),
            "policy": policy,
            "path": None,
            "size": None,
            "url": url,
            "resource_url": f"{url}{key}",
            "parameters": [
                ("key", key),
                ("Content-Type", spec["mimeType"]),
                ("success_action_status", "201"),
                ("acl", "private"),
                ("policy", policy),
                ("x-goog-credential", f"sandbox-uploads/{stamp[:8]}/auto/storage/goog4_request"),
                ("x-goog-algorithm", "GOOG4-HMAC-SHA256"),
                ("x-goog-date", stamp),
                ("x-goog-signature", _sign(policy)),
            ],
        }
        shop.staged_uploads[key] = record
        targets.append(record)
    return targets, errors


def _xml_error(code: str, message: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


def accept_upload(store: Store, content_type: str, body: bytes) -> tuple[int, bytes]:
    """The GCS-style form POST: (HTTP status, XML body)."""
    if not content_type.startswith("multipart/form-data"):
        return 400, _xml_error("InvalidArgument", "The request must be multipart/form-data.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return 400, _xml_error("InvalidArgument", "Could not read the multipart form.")
    fields: dict[str, str] = {}
    data: bytes | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            data = part.get_payload(decode=True) or b""
            break  # GCS ignores form fields after the file
        payload = part.get_payload(decode=True) or b""
        fields[name] = payload.decode("utf-8", "replace")
    key = fields.get("key")
    if data is None or not key:
        return 400, _xml_error(
            "InvalidArgument", "The form needs its parameters followed by the file."
        )
    record = next(
        (s.staged_uploads[key] for s in store.shops.values() if key in s.staged_uploads), None
    )
    if (
        record is None
        or not hmac.compare_digest(fields.get("x-goog-signature", ""), record["signature"])
        or fields.get("policy") != record["policy"]
    ):
        return 403, _xml_error("AccessDenied", "Invalid signature or unknown key.")
    if len(data) > MAX_UPLOAD_BYTES:
        return 400, _xml_error(
            "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
        )
    path = store.files_dir() / "uploads" / hashlib.sha256(key.encode()).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record["path"] = str(path)
    record["size"] = len(data)
    record["uploaded_at"] = store.now()
    if fields.get("success_action_status") == "201":
        etag = hashlib.md5(data).hexdigest()  # noqa: S324 - an ETag, as GCS gives
        return 201, (
            "<?xml version='1.0' encoding='UTF-8'?><PostResponse>"
            f"<Location>{record['resource_url']}</Location>"
            f"<Bucket>shopify-staged-uploads</Bucket><Key>{key}</Key>"
            f'<ETag>"{etag}"</ETag></PostResponse>'
        ).encode()
    return 204, b""


# -- bulk mutations ------------------------------------------------------------------------


def _mutation_errors(schema, text: str) -> list[dict]:
    field = ["mutation"]
    try:
        document = parse(text)
    except GraphQLError as exc:
        return [
            user_error(f"Failed to parse the mutation - {exc.message}", field, "INVALID_MUTATION")
        ]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.MUTATION:
        return [
            user_error(
                "Bulk mutations must contain exactly one mutation operation.",
                field,
                "INVALID_MUTATION",
            )
        ]
    roots = operations[0].selection_set.selections
    if len(roots) != 1:
        return [
            user_error(
                "Bulk mutations must contain exactly one top-level mutation field.",
                field,
                "INVALID_MUTATION",
            )
        ]
    problems = validate(schema, document)
    if problems:
        return [user_error(f"Invalid mutation - {problems[0].message}", field, "INVALID_MUTATION")]
    name = getattr(roots[0], "name", None)
    if name is not None and name.value.startswith("bulkOperation"):
        return [
            user_error("A bulk operation cannot run bulk operations.", field, "INVALID_MUTATION")
        ]
    return []


def _file_errors(path: str) -> list[dict]:
    field = ["stagedUploadPath"]
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [
            user_error(
                "Unexpected file structure - expected JSONL", field, "INVALID_STAGED_UPLOAD_FILE"
            )
        ]
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            return [
                user_error(
                    "Unexpected file structure - expected JSONL",
                    field,
                    "INVALID_STAGED_UPLOAD_FILE",
                )
            ]
    return []


def run_mutation(
    store: Store, shop: Shop, schema, mutation: str, staged_upload_path: str, client_identifier
) -> tuple[dict | None, list[dict]]:
    errors = _mutation_errors(schema, mutation)
    if errors:
        return None, errors
    upload = shop.staged_uploads.get(staged_upload_path)
    if upload is None or not upload.get("path") or not Path(upload["path"]).exists():
        return None, [
            user_error(
                "The JSONL file could not be found. Try uploading the file again, and check "
                "that you've entered the URL correctly for the stagedUploadPath mutation "
                "argument.",
                ["stagedUploadPath"],
                "NO_SUCH_FILE",
            )
        ]
    errors = _file_errors(upload["path"])
    if errors:
        return None, errors
    running = [
        op
        for op in shop.bulk_operations.values()
        if op["type"] == "MUTATION" and op["status"] in ACTIVE
    ]
    if len(running) >= MAX_RUNNING_MUTATIONS:
        return None, [
            user_error(
                f"Bulk operations limit reached. Please try again later. A shop runs at most "
                f"{MAX_RUNNING_MUTATIONS} bulk mutations at a time.",
                None,
                "LIMIT_REACHED",
            )
        ]
    operation = {
        "id": store.new_id(),
        "type": "MUTATION",
        "status": "CREATED",
        "query": mutation,
        "created_at": store.now(),
        "completed_at": None,
        "object_count": 0,
        "root_object_count": 0,
        "file_size": None,
        "url": None,
        "partial_data_url": None,
        "error_code": None,
        "client_identifier": client_identifier,
        "upload_path": upload["path"],
        "token": secrets.token_hex(16),
    }
    shop.bulk_operations[operation["id"]] = operation
    return operation, []


def find(shop: Shop, operation_id: Any) -> dict | None:
    number = gid_number(operation_id, "BulkOperation")
    return shop.bulk_operations.get(number) if number is not None else None


def current(shop: Shop, kind: str) -> dict | None:
    ops = [op for op in shop.bulk_operations.values() if op["type"] == kind]
    return max(ops, key=lambda op: op["id"]) if ops else None


def cancel(shop: Shop, operation_id: str) -> tuple[dict | None, list[dict]]:
    operation = find(shop, operation_id)
    if operation is None:
        return None, [user_error("Bulk operation does not exist", ["id"], "INVALID")]
    if operation["status"] not in ACTIVE:
        return operation, [
            user_error(
                f"A bulk operation cannot be canceled when it is {operation['status'].lower()}",
                ["id"],
                "INVALID",
            )
        ]
    operation["status"] = "CANCELING"
    return operation, []


def result_path(store: Store, operation: dict) -> Path:
    return store.files_dir() / "results" / f"{operation['token']}.jsonl"


def result_url(base_url: str, operation: dict) -> str:
    return f"{base_url}{RESULTS_PATH}{operation['token']}.jsonl"


def read_result(store: Store, path: str) -> bytes | None:
    """The results file a GET /_bulk/<token>.jsonl names (the token is the signature)."""
    token = path[len(RESULTS_PATH) :].removesuffix(".jsonl")
    if not token.isalnum():
        return None
    for shop in store.shops.values():
        for operation in shop.bulk_operations.values():
            if operation["token"] == token:
                file = result_path(store, operation)
                return file.read_bytes() if file.exists() else None
    return None


def fail_interrupted(store: Store, base_url: str | None = None) -> None:
    """After a restart, an operation that was running cannot resume: FAILED with
    INTERNAL_SERVER_ERROR, its lines done so far at `partialDataUrl`."""
    for shop in store.shops.values():
        for operation in shop.bulk_operations.values():
            if operation["status"] in ACTIVE:
                operation["status"] = "FAILED"
                operation["error_code"] = "INTERNAL_SERVER_ERROR"
                operation["completed_at"] = store.now()
                if operation["object_count"] and base_url:
                    operation["partial_data_url"] = result_url(base_url, operation)


def bulk_gid(operation: dict) -> str:
    return gid("BulkOperation", operation["id"])
