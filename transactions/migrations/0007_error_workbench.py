"""The error workbench: each open error's kind stored on its row (grouped by an index), and a
"resolved" timeline event.

Rows already in Error get their kind computed here, a thousand at a time (only the open errors
are read, never the whole table).
"""

from django.conf import settings
from django.db import migrations, models

from transactions.errors import error_kind


def backfill_kinds(apps, schema_editor):
    Transaction = apps.get_model("transactions", "Transaction")
    last = 0
    while True:
        batch = list(
            Transaction.objects.filter(status="error", pk__gt=last)
            .order_by("pk")
            .values_list("pk", "last_error")[:1000]
        )
        if not batch:
            return
        for pk, message in batch:
            Transaction.objects.filter(pk=pk).update(error_kind=error_kind(message))
        last = batch[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('connector', '0008_payment_options'),
        ('transactions', '0006_search_trigram_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='transaction',
            name='error_kind',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AlterField(
            model_name='transactionevent',
            name='type',
            field=models.CharField(choices=[('retrieved', 'Retrieved'), ('status', 'Status changed'), ('posted', 'Posted'), ('error', 'Error'), ('ignored', 'Ignored'), ('skipped', 'Skipped'), ('waiting', 'Waiting'), ('resolved', 'Error resolved')], max_length=20),
        ),
        migrations.RunPython(backfill_kinds, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='transaction',
            index=models.Index(condition=models.Q(('status', 'error')), fields=['connector', 'flow', 'error_kind', 'updated_at', 'id'], name='txn_open_errors'),
        ),
        migrations.AddIndex(
            model_name='transactionevent',
            index=models.Index(condition=models.Q(('type', 'resolved')), fields=['-created_at', '-id'], name='txnevent_resolved_newest'),
        ),
    ]
