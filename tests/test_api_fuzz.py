"""Property-based API fuzzing with schemathesis (issue 11, item 8): every operation of
/api/v1/schema/, authenticated as a connector admin, with valid and invalid data. A 5xx, a
response body that breaks its schema or a wrong content type fails the run.

Bounded: FUZZ_MAX_EXAMPLES (default 25) cases per operation and generation mode. The fuzzer
creates connectors and sets endpoints; the suite allows loopback endpoints only and blocks every
other connection (tests/conftest.py), so a made-up or empty endpoint fails closed. The figures
(operations, cases, 5xx) are printed at the end of the run and written to
test-output/api-fuzz.json.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from config.wsgi import application
from flows.models import FlowRun, Trigger
from tests.factories import make_admin, make_connector
from tests.transactions.edit_review_world import review_row
from transactions import lifecycle

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FIGURES_FILE = Path(__file__).resolve().parents[1] / "test-output" / "api-fuzz.json"

FIGURES: dict = {"operations": set(), "cases": 0, "statuses": Counter()}


def openapi_document() -> dict:
    """What /api/v1/schema/ serves (test_the_fuzzed_schema_is_the_served_one checks that)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = application
schema.config.generation.update(modes=["positive", "negative"], max_examples=MAX_EXAMPLES)


@pytest.fixture
def fuzz_world(transactional_db):
    """An admin's token, and rows for the fuzzer to find: a connector without endpoint
    overrides (the real hosts are not allowed here: it fails closed), one transaction and one
    flow run."""
    admin = make_admin()
    connector = make_connector(admin)
    lifecycle.upsert_transaction(
        connector,
        kind="refund",
        source_channel="netsuite",
        source_id="fuzz-1",
        defaults={"shopify_order_name": "#1001", "amount": "1.00", "currency": "USD"},
    )
    run = FlowRun.objects.create(connector=connector, flow="order_import", trigger=Trigger.API)
    token, _ = Token.objects.get_or_create(user=admin)
    txn = connector.transactions.get(kind="refund")
    review = review_row(connector, 1)
    return {
        "headers": {"Authorization": f"Token {token.key}"},
        "ids": {
            "connectors": connector.pk,
            "transactions": txn.pk,
            "flow-runs": run.pk,
            "edit-reviews": review.pk,
        },
    }


def _aim_at_real_rows(case, ids) -> None:
    """Every other case targets the rows that exist, so bodies reach the serializers and verbs
    instead of stopping at a 404 for a random id."""
    params = case.path_parameters
    if not params or FIGURES["cases"] % 2:
        return
    if "id" in params:
        params["id"] = ids[case.operation.path.split("/")[3]]
    if "flow" in params:
        params["flow"] = "order_import"


@schema.parametrize()
@hypothesis.settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
)
def test_api(fuzz_world, case):
    FIGURES["operations"].add(f"{case.operation.method.upper()} {case.operation.path}")
    FIGURES["cases"] += 1
    _aim_at_real_rows(case, fuzz_world["ids"])
    response = case.call(headers=fuzz_world["headers"])
    FIGURES["statuses"][response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_served_one(api_client):
    api_client.force_authenticate(make_admin())
    served = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    assert json.loads(served.content) == openapi_document()
    operations = {
        f"{method.upper()} {path}"
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert len(list(schema.get_all_operations())) == len(operations)


def figures() -> dict | None:
    if not FIGURES["cases"]:
        return None
    statuses = FIGURES["statuses"]
    return {
        "operations": len(FIGURES["operations"]),
        "cases": FIGURES["cases"],
        "max_examples_per_operation_and_mode": MAX_EXAMPLES,
        "5xx": sum(n for code, n in statuses.items() if code >= 500),
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
    }


def write_figures() -> dict | None:
    result = figures()
    if result is not None:
        FIGURES_FILE.parent.mkdir(exist_ok=True)
        FIGURES_FILE.write_text(json.dumps(result, indent=2) + "\n")
    return result
