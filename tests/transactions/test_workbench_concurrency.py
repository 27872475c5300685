"""Group actions confirmed at the same moment by several people act on each row once: the
verbs' conditional claims decide, row by row, whose action wins; the others are counted as
left as they were."""

import threading

import pytest
from django.db import connection

from tests.conftest import require_service
from tests.factories import make_connector, make_cs
from tests.transactions.test_workbench import DOWN, failed
from transactions import workbench
from transactions.models import Status, Transaction, TransactionEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_people_acting_on_one_group_at_once_touch_each_row_once(settings):
    require_service(
        "postgres", connection.vendor == "postgresql", "concurrent claims need PostgreSQL"
    )
    settings.TRANSACTIONS_POST_SYNC = False  # queue the posts only: the claims are the point
    connector = make_connector()
    rows = [failed(connector, n, DOWN.format(n=n)) for n in range(30)]
    (group,) = workbench.groups()
    key = {"connector": group.connector_id, "flow": group.flow, "kind": group.kind}
    people = [make_cs() for _ in range(5)]
    barrier, outcomes, lock = threading.Barrier(5), [], threading.Lock()

    def act(n):
        barrier.wait()
        try:
            if n == 0:
                outcome = workbench.ignore(people[n], "duplicate orders", group=key)
            else:
                outcome = workbench.retry(people[n], group=key)
            with lock:
                outcomes.append(outcome)
        except workbench.WorkbenchError:
            pass  # the group was already empty when this person's action read it
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(o.done for o in outcomes) == len(rows)
    statuses = set(Transaction.objects.values_list("status", flat=True))
    assert statuses <= {Status.SCHEDULED, Status.IGNORED}
    for txn in rows:
        acts = TransactionEvent.objects.filter(transaction=txn, actor__isnull=False)
        assert acts.exclude(type="resolved").count() == 1, list(acts.values_list("message"))
