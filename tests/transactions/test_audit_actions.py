"""The audit log records what people do beyond saving settings: a Run click, Post, Retry,
Ignore and Undo, with the person and their address; it shows verbose names, and a creation
lists only what was set."""

import pytest
from auditlog.models import LogEntry

from connector.admin import describe_changes
from tests.factories import make_admin, make_connector, make_cs
from transactions import lifecycle
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db


def test_ignore_undo_and_run_are_audited(client):
    connector = make_connector()
    txn, _ = lifecycle.upsert_transaction(
        connector, kind="refund", source_channel="netsuite", source_id="1"
    )
    Transaction.objects.filter(pk=txn.pk).update(status=Status.ERROR)
    cs = make_cs()
    client.force_login(cs)
    client.post(f"/transactions/{txn.pk}/ignore/", REMOTE_ADDR="203.0.113.9")
    client.post(f"/transactions/{txn.pk}/undo-ignore/", REMOTE_ADDR="203.0.113.9")
    entries = list(
        LogEntry.objects.filter(content_type__model="transaction", object_id=txn.pk).order_by(
            "timestamp"
        )
    )
    assert [e.changes_dict["action"] for e in entries] == [
        ["Error posting", "ignore"],
        ["Ignored", "undo ignore"],
    ]
    assert {e.actor for e in entries} == {cs}
    assert {e.remote_addr for e in entries} == {"203.0.113.9"}
    assert entries[0].additional_data["connector_id"] == connector.pk
    assert describe_changes(entries[0]) == [("Action", "Error posting → ignore")]

    admin = make_admin()
    client.force_login(admin)
    client.post(f"/connectors/{connector.pk}/flows/order_import/run/")
    run_entry = LogEntry.objects.get(content_type__model="flowrun")
    assert run_entry.actor == admin
    ((label, text),) = describe_changes(run_entry)
    assert label == "Run" and text.endswith("started")


def test_creation_lists_only_what_was_set():
    connector = make_connector(name="Quiet")
    entry = LogEntry.objects.get(
        content_type__model="connectoroptions",
        action=LogEntry.Action.CREATE,
        additional_data__connector_id=connector.pk,
    )
    rows = describe_changes(entry)
    assert all(value not in ("", "None", "False") for _, value in rows)
    assert rows and all("_" not in label for label, _ in rows)
