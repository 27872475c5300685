"""The error workbench: grouping and counts, the actions on one row, a selection and a group,
resolution history, permissions, the page's queries and the API."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from connector.models import ItemBinding
from tests.factories import UserFactory, make_admin, make_connector, make_cs
from transactions import lifecycle, workbench
from transactions.errors import error_kind
from transactions.models import Status, Transaction, TransactionEvent

pytestmark = pytest.mark.django_db

SKU_ERROR = "SKU {sku} on line 2 is not an item in NetSuite: create it or map it, then Retry."
DOWN = "NetSuite could not answer: 503 Service Unavailable (request {n})"


def failed(connector, n, message, *, flow="order_import", kind="order", channel="shopify"):
    """A row that failed: claimed, then finished Error through the lifecycle like a flow."""
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind=kind,
        source_channel=channel,
        source_id=f"{flow}-{n}",
        flow=flow,
        defaults={"shopify_order_name": f"#{1000 + n}"},
    )
    assert lifecycle.claim(txn.pk)
    assert lifecycle.finish(txn.pk, Status.ERROR, error=message)
    return Transaction.objects.get(pk=txn.pk)


def post_again(txn, status=Status.ORDER_POSTED):
    """A later attempt (the sweeper, the next run) that succeeds."""
    assert lifecycle.claim(txn.pk, message="Trying again by itself.")
    assert lifecycle.finish(txn.pk, status)


def events(txn, type):
    return list(TransactionEvent.objects.filter(transaction=txn, type=type).order_by("id"))


def viewer():
    user = UserFactory()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="transactions", codename="view_transaction")
    )
    return user


# --- the kind on the row -------------------------------------------------------------------


def test_a_failure_stores_its_kind_and_leaving_error_clears_it():
    connector = make_connector()
    txn = failed(connector, 1, SKU_ERROR.format(sku="ABC-1"))
    assert txn.error_kind == error_kind(txn.last_error)
    assert txn.error_kind.startswith("SKU … on line … is not an item in NetSuite")
    # A retry keeps it (the error is not resolved yet), the success clears it.
    assert lifecycle.claim(txn.pk, to_status=Status.SCHEDULED)
    assert Transaction.objects.get(pk=txn.pk).error_kind == txn.error_kind
    assert lifecycle.claim(txn.pk, from_statuses=(Status.SCHEDULED,))
    assert lifecycle.finish(txn.pk, Status.ORDER_POSTED)
    txn.refresh_from_db()
    assert (txn.last_error, txn.error_kind) == ("", "")


# --- grouping ------------------------------------------------------------------------------


def test_open_errors_grouped_by_flow_and_kind_with_counts_and_oldest():
    a, b = make_connector(name="Alpha"), make_connector(name="Beta")
    for n, sku in enumerate(["ABC-1", "XYZ-9", "ABC-1"]):
        failed(a, n, SKU_ERROR.format(sku=sku))
    for n in range(2):
        failed(a, 10 + n, DOWN.format(n=n))
    failed(b, 20, DOWN.format(n=7))
    failed(a, 30, "Shopify refused the refund: amount “12.00” exceeds", flow="refund_to_shopify")
    done = failed(a, 40, SKU_ERROR.format(sku="DONE-1"))
    post_again(done)  # resolved: not an open error any more
    # The oldest is the earliest failure of the group.
    Transaction.objects.filter(source_id="order_import-0").update(
        updated_at=timezone.now() - timedelta(days=3)
    )

    found = workbench.groups()
    table = [(g.connector_name, g.flow, g.kind[:20], g.count) for g in found]
    # By flow (by its label, as people know it), then the largest group first.
    assert table == [
        ("Alpha", "refund_to_shopify", "Shopify refused the ", 1),
        ("Alpha", "order_import", "SKU … on line … is n", 3),
        ("Alpha", "order_import", "NetSuite could not a", 2),
        ("Beta", "order_import", "NetSuite could not a", 1),
    ]
    sku_group = found[1]
    assert sku_group.unknown_sku and not found[2].unknown_sku
    assert timezone.now() - sku_group.oldest > timedelta(days=2)
    assert sku_group.flow_label == "Shopify Order to NetSuite Order Add"
    assert [g.count for g in workbench.groups(b.pk)] == [1]


def test_a_groups_rows_page_oldest_first_by_keyset():
    connector = make_connector()
    rows = [failed(connector, n, DOWN.format(n=n)) for n in range(7)]
    kind = rows[0].error_kind
    first = workbench.page_of_group(connector.pk, "order_import", kind, size=5)
    assert [t.pk for t in first.rows] == [t.pk for t in rows[:5]]
    second = workbench.page_of_group(connector.pk, "order_import", kind, first.next_cursor, size=5)
    assert [t.pk for t in second.rows] == [t.pk for t in rows[5:]] and second.next_cursor is None
    with pytest.raises(workbench.WorkbenchError):
        workbench.page_of_group(connector.pk, "order_import", kind, "2024-13-45T00:00:00_1")


def test_the_page_takes_the_same_queries_for_many_groups_and_rows(
    client, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_cs())
    small = make_connector()
    failed(small, 1, DOWN.format(n=1))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/transactions/errors/").status_code == 200
    for c in range(3):
        connector = make_connector()
        for n in range(12):
            failed(connector, n, f"Problem {n % 4} of kind “{c}”: case {n}.", flow=f"f{n % 3}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/transactions/errors/")
    assert page.status_code == 200
    # 3 connectors × 3 flows, and the first connector's group.
    assert len([g for gs in page.context["by_flow"].values() for g in gs]) == 10


def test_the_page_shows_groups_by_flow_and_the_rows_of_a_group(client):
    connector = make_connector(name="Shop A")
    for n, sku in enumerate(["ABC-1", "XYZ-9"]):
        failed(connector, n, SKU_ERROR.format(sku=sku))
    client.force_login(make_admin())
    page = client.get("/transactions/errors/").content.decode()
    assert "Error workbench" in page and "Shop A" in page
    assert "SKU … on line … is not an item in NetSuite" in page
    assert "2 open errors" in page
    group = workbench.groups()[0]
    rows = client.get(f"/transactions/errors/rows/?{group.query}", HTTP_HX_REQUEST="true")
    body = rows.content.decode()
    assert "SKU ABC-1 on line 2" in body and "SKU XYZ-9 on line 2" in body
    assert body.count("Bind SKU and retry") == 2
    # Customer service may retry and ignore, not bind (mapping data is the admins').
    client.force_login(make_cs())
    rows = client.get(f"/transactions/errors/rows/?{group.query}", HTTP_HX_REQUEST="true")
    assert "Bind SKU and retry" not in rows.content.decode()
    assert "Retry selected" in rows.content.decode()
    assert client.get("/transactions/errors/rows/?connector=x").status_code == 400


# --- actions -------------------------------------------------------------------------------


def _act(client, **data):
    return client.post("/transactions/errors/act/", data, follow=True)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_retry_one_a_selection_and_a_group(client):
    cs = make_cs(username="cara")
    client.force_login(cs)
    connector = make_connector()
    rows = [failed(connector, n, DOWN.format(n=n)) for n in range(6)]

    one = _act(client, verb="retry", scope="selection", ids=[rows[0].pk])
    assert _messages(one) == ["1 error retried."]
    assert Transaction.objects.get(pk=rows[0].pk).status == Status.SCHEDULED
    assert "Post requested by cara." in events(rows[0], "status")[-1].message

    # A selection with a row that is no longer in Error: that one is left as it is.
    post_again(rows[2])
    sel = _act(client, verb="retry", scope="selection", ids=[rows[1].pk, rows[2].pk])
    assert _messages(sel)[0].startswith("1 error retried. 1 left as it was")
    assert Transaction.objects.get(pk=rows[2].pk).status == Status.ORDER_POSTED

    group = workbench.groups()[0]
    assert group.count == 3
    whole = _act(
        client,
        verb="retry",
        scope="group",
        connector=connector.pk,
        flow=group.flow,
        kind=group.kind,
    )
    assert _messages(whole) == ["3 errors retried."]
    assert set(
        Transaction.objects.filter(connector=connector).values_list("status", flat=True)
    ) == {
        Status.SCHEDULED,
        Status.ORDER_POSTED,
    }
    assert workbench.groups() == []
    # Nothing left in the group: said, nothing done.
    again = _act(
        client,
        verb="retry",
        scope="group",
        connector=connector.pk,
        flow=group.flow,
        kind=group.kind,
    )
    assert _messages(again) == ["This group has no open errors any more."]


def test_a_group_action_takes_the_rows_as_they_are_when_confirmed(client):
    client.force_login(make_cs())
    connector = make_connector()
    rows = [failed(connector, n, DOWN.format(n=n)) for n in range(3)]
    group = workbench.groups()[0]
    assert group.count == 3  # what the page showed
    post_again(rows[0])  # meanwhile a later attempt succeeded
    late = failed(connector, 9, DOWN.format(n=9))  # and another row failed the same way
    response = _act(
        client,
        verb="ignore",
        scope="group",
        reason="NetSuite outage, re-entered by hand",
        connector=connector.pk,
        flow=group.flow,
        kind=group.kind,
    )
    assert _messages(response) == ["3 errors ignored."]
    statuses = dict(Transaction.objects.values_list("pk", "status"))
    assert statuses[rows[0].pk] == Status.ORDER_POSTED
    assert {statuses[rows[1].pk], statuses[rows[2].pk], statuses[late.pk]} == {Status.IGNORED}


def test_ignore_one_and_a_selection_with_a_reason_keeps_the_history(client):
    user = make_cs(username="ivy")
    client.force_login(user)
    connector = make_connector()
    rows = [failed(connector, n, SKU_ERROR.format(sku=f"S-{n}")) for n in range(3)]
    one = _act(client, verb="ignore", scope="selection", ids=[rows[0].pk], reason="test order")
    assert _messages(one) == ["1 error ignored."]
    sel = _act(
        client, verb="ignore", scope="selection", ids=[rows[1].pk, rows[2].pk], reason="dupes"
    )
    assert _messages(sel) == ["2 errors ignored."]
    assert set(Transaction.objects.values_list("status", flat=True)) == {Status.IGNORED}
    assert set(Transaction.objects.values_list("error_kind", flat=True)) == {""}
    assert Transaction.objects.get(pk=rows[0].pk).status_reason == "test order"
    resolved = events(rows[0], "resolved")
    assert len(resolved) == 1
    assert resolved[0].actor == user
    assert resolved[0].message == "Error resolved: ignored by ivy: test order"
    assert resolved[0].detail["how"] == "ignored"
    assert resolved[0].detail["error"] == rows[0].last_error
    tab = client.get("/transactions/errors/?tab=resolved").content.decode()
    assert "Error resolved: ignored by ivy: test order" in tab and "dupes" in tab


@pytest.mark.parametrize("reason", ["", "   "])
def test_ignore_without_a_reason_is_refused_and_changes_nothing(client, api_client, reason):
    client.force_login(make_cs())
    connector = make_connector()
    rows = [failed(connector, n, DOWN.format(n=n)) for n in range(2)]
    before = list(Transaction.objects.order_by("pk").values_list("status", "updated_at"))
    count = TransactionEvent.objects.count()
    group = workbench.groups()[0]
    for data in (
        {"scope": "selection", "ids": [rows[0].pk]},
        {"scope": "group", "connector": connector.pk, "flow": group.flow, "kind": group.kind},
    ):
        response = _act(client, verb="ignore", reason=reason, **data)
        assert _messages(response) == ["Say why these errors are ignored: a reason is required."]
    api_client.force_authenticate(make_cs())
    answer = api_client.post(
        "/api/v1/errors/ignore/", {"ids": [rows[0].pk], "reason": reason}, format="json"
    )
    assert answer.status_code == 400
    assert "a reason is required" in str(answer.json())
    assert list(Transaction.objects.order_by("pk").values_list("status", "updated_at")) == before
    assert TransactionEvent.objects.count() == count


def test_a_later_attempt_resolves_the_error_by_itself_and_a_persons_retry_says_who():
    connector = make_connector()
    auto, retried = failed(connector, 1, DOWN.format(n=1)), failed(connector, 2, DOWN.format(n=2))
    post_again(auto)
    resolved = events(auto, "resolved")
    assert [e.message for e in resolved] == [
        "Error resolved by a later attempt: Order posted / waiting for shipment."
    ]
    assert resolved[0].actor is None and resolved[0].detail["how"] == "later_attempt"
    assert resolved[0].detail["error"] == DOWN.format(n=1)

    person = make_cs(username="rita")
    outcome = workbench.retry(person, ids=[retried.pk])
    assert outcome.done == 1
    assert lifecycle.claim(retried.pk, from_statuses=(Status.SCHEDULED,))
    assert lifecycle.finish(retried.pk, Status.ORDER_POSTED)
    resolved = events(retried, "resolved")
    assert resolved[0].actor == person and resolved[0].detail["how"] == "retry"
    assert "after rita's retry" in resolved[0].message

    # Failing again is no resolution; nor is posting a row that had no error.
    again = failed(connector, 3, DOWN.format(n=3))
    assert lifecycle.claim(again.pk)
    assert lifecycle.finish(again.pk, Status.ERROR, error="Another problem")
    assert events(again, "resolved") == []
    assert Transaction.objects.get(pk=again.pk).error_kind == "Another problem"


def test_bind_sku_needs_an_admin_and_a_numeric_item_id(client):
    connector = make_connector()
    txn = failed(connector, 1, SKU_ERROR.format(sku="ABC-1"))
    client.force_login(make_cs())
    data = {"connector": connector.pk, "sku": "ABC-1", "netsuite_item_id": "77"}
    assert client.post("/transactions/errors/bind-sku/", data).status_code == 403
    client.force_login(make_admin())
    bad = client.post(
        "/transactions/errors/bind-sku/", {**data, "netsuite_item_id": "x"}, follow=True
    )
    assert _messages(bad) == [
        "The NetSuite item id is the item's internal id, a number (e.g. 1234)."
    ]
    assert not ItemBinding.objects.exists()
    other = failed(connector, 2, SKU_ERROR.format(sku="ABC-10"))
    ok = client.post("/transactions/errors/bind-sku/", data, follow=True)
    assert _messages(ok) == ["SKU ABC-1 bound to NetSuite item 77. 1 error retried."]
    binding = ItemBinding.objects.get(connector=connector, sku="ABC-1")
    assert (binding.netsuite_item_id, binding.source) == ("77", ItemBinding.Source.ADMIN)
    assert Transaction.objects.get(pk=txn.pk).status == Status.SCHEDULED
    # ABC-10 is another SKU: its row stays in Error.
    assert Transaction.objects.get(pk=other.pk).status == Status.ERROR
    assert "after binding SKU ABC-1 to NetSuite item 77" in events(txn, "status")[-1].message


# --- permissions ---------------------------------------------------------------------------


def test_viewing_needs_the_view_permission_and_acting_the_post_permission(client):
    connector = make_connector()
    txn = failed(connector, 1, DOWN.format(n=1))
    assert client.get("/transactions/errors/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/transactions/errors/").status_code == 403
    client.force_login(viewer())
    assert client.get("/transactions/errors/").status_code == 200
    refused = client.post(
        "/transactions/errors/act/", {"verb": "retry", "scope": "selection", "ids": [txn.pk]}
    )
    assert refused.status_code == 403
    assert Transaction.objects.get(pk=txn.pk).status == Status.ERROR


def test_posts_need_the_csrf_token():
    from django.test import Client

    connector = make_connector()
    txn = failed(connector, 1, DOWN.format(n=1))
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_cs())
    response = client.post(
        "/transactions/errors/act/", {"verb": "retry", "scope": "selection", "ids": [txn.pk]}
    )
    assert response.status_code == 403
    assert Transaction.objects.get(pk=txn.pk).status == Status.ERROR


# --- API -----------------------------------------------------------------------------------


def test_api_groups_rows_and_actions(api_client):
    connector = make_connector()
    rows = [failed(connector, n, DOWN.format(n=n)) for n in range(4)]
    failed(connector, 9, SKU_ERROR.format(sku="ABC-1"))
    api_client.force_authenticate(viewer())
    groups = api_client.get("/api/v1/errors/", {"connector": connector.pk}).json()
    assert [(g["count"], g["unknown_sku"]) for g in groups] == [(4, False), (1, True)]
    key = {k: groups[0][k] for k in ("connector", "flow", "kind")}
    page = api_client.get("/api/v1/errors/rows/", key).json()
    assert [r["id"] for r in page["results"]] == [t.pk for t in rows] and page["next"] is None
    assert (
        api_client.post("/api/v1/errors/retry/", {"ids": [rows[0].pk]}, format="json").status_code
        == 403
    )

    api_client.force_authenticate(make_cs())
    one = api_client.post("/api/v1/errors/retry/", {"ids": [rows[0].pk]}, format="json").json()
    assert (one["done"], one["skipped"], one["ids"]) == (1, 0, [rows[0].pk])
    sel = api_client.post(
        "/api/v1/errors/ignore/",
        {"ids": [rows[0].pk, rows[1].pk], "reason": "not ours"},
        format="json",
    ).json()
    assert (sel["done"], sel["skipped"]) == (1, 1)  # rows[0] is Scheduled now: left as it is
    whole = api_client.post("/api/v1/errors/retry/", {"group": key}, format="json").json()
    assert (whole["done"], whole["remaining"]) == (2, 0)
    both = api_client.post("/api/v1/errors/retry/", {"ids": [1], "group": key}, format="json")
    assert both.status_code == 400
    gone = api_client.post("/api/v1/errors/retry/", {"group": key}, format="json")
    assert gone.status_code == 400 and "no open errors" in gone.json()["detail"]
    resolved = api_client.get("/api/v1/errors/resolved/").json()["results"]
    assert [(r["how"], r["transaction"]) for r in resolved] == [("ignored", rows[1].pk)]
    assert (
        api_client.post(
            "/api/v1/errors/bind-sku/",
            {"connector": connector.pk, "sku": "ABC-1", "netsuite_item_id": "5"},
            format="json",
        ).status_code
        == 403
    )
    api_client.force_authenticate(make_admin())
    bound = api_client.post(
        "/api/v1/errors/bind-sku/",
        {"connector": connector.pk, "sku": "ABC-1", "netsuite_item_id": "5"},
        format="json",
    ).json()
    assert bound["done"] == 1


def test_a_groups_rows_page_in_the_same_queries_for_5_or_50_rows_and_pages_on(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_admin())
    few, many = make_connector(), make_connector()
    for n in range(5):
        failed(few, n, SKU_ERROR.format(sku=f"F-{n}"))
    for n in range(55):
        failed(many, n, SKU_ERROR.format(sku=f"M-{n}"))
    small, large = workbench.groups(few.pk)[0], workbench.groups(many.pk)[0]
    with CaptureQueriesContext(connection) as five:
        client.get(f"/transactions/errors/rows/?{small.query}", HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as fifty:
        first = client.get(f"/transactions/errors/rows/?{large.query}", HTTP_HX_REQUEST="true")
    assert len(fifty.captured_queries) == len(five.captured_queries)
    assert first.content.decode().count("data-error-row=") == 50
    cursor = first.context["page"].next_cursor
    assert "Next errors" in first.content.decode() and cursor
    second = client.get(
        f"/transactions/errors/rows/?{large.query}&after={quote(cursor)}", HTTP_HX_REQUEST="true"
    )
    assert second.content.decode().count("data-error-row=") == 5
    assert "Next errors" not in second.content.decode()
    # Without htmx the group is a page of its own (links work without JavaScript).
    page = client.get(f"/transactions/errors/rows/?{small.query}")
    assert "<h1>Errors of one kind</h1>" in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"verb": "retry", "scope": "selection", "ids": ["99999999999999999999999", "²", "x"]},
        {"verb": "ignore", "scope": "selection", "ids": ["1"], "reason": "a\x00b"},
        {"verb": "ignore", "scope": "selection", "ids": ["1"], "reason": "r" * 251},
        {"verb": "retry", "scope": "group", "connector": "1", "flow": "f", "kind": "k\x00"},
        {"verb": "retry", "scope": "group", "connector": "99999999999999999999999"},
        {"verb": "explode", "scope": "selection"},
    ],
)
def test_bad_input_on_the_page_changes_nothing_and_says_so(client, data):
    client.force_login(make_admin())
    txn = failed(make_connector(), 1, DOWN.format(n=1))
    response = _act(client, **data)
    assert response.status_code == 200
    assert len(_messages(response)) == 1
    assert Transaction.objects.get(pk=txn.pk).status == Status.ERROR
    bind = client.post(
        "/transactions/errors/bind-sku/",
        {"connector": txn.connector_id, "sku": "A\x00", "netsuite_item_id": "1"},
        follow=True,
    )
    assert _messages(bind) == ["Give the connector, the SKU and the NetSuite item id."]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/v1/errors/?connector=99999999999999999999999", None),
        ("get", "/api/v1/errors/rows/?connector=1&kind=%00", None),
        ("get", "/api/v1/errors/rows/?connector=1&after=2026-13-45T00:00:00_1", None),
        ("get", "/api/v1/errors/rows/?connector=1&after=%00", None),
        ("post", "/api/v1/errors/retry/", {"ids": [99999999999999999999999]}),
        ("post", "/api/v1/errors/retry/", {"ids": []}),
        ("post", "/api/v1/errors/retry/", {"group": {"connector": 1, "kind": "\x00"}}),
        ("post", "/api/v1/errors/ignore/", {"ids": [1], "reason": "x" * 251}),
        (
            "post",
            "/api/v1/errors/bind-sku/",
            {"connector": 1, "sku": "A", "netsuite_item_id": "1e3"},
        ),
    ],
)
def test_bad_input_through_the_api_is_a_400(api_client, method, url, body):
    api_client.force_authenticate(make_admin())
    make_connector()
    response = getattr(api_client, method)(url, body, format="json")
    assert response.status_code == 400, response.content
