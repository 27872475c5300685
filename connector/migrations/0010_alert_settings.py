import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def move_alert_email(apps, schema_editor):
    """The one alert address of General becomes the first recipient of Alerts."""
    Connector = apps.get_model("connector", "Connector")
    AlertSettings = apps.get_model("connector", "AlertSettings")
    for pk, email in Connector.objects.exclude(alert_email="").values_list("pk", "alert_email"):
        AlertSettings.objects.update_or_create(connector_id=pk, defaults={"emails": [email]})


def back_to_alert_email(apps, schema_editor):
    Connector = apps.get_model("connector", "Connector")
    AlertSettings = apps.get_model("connector", "AlertSettings")
    for pk, emails in AlertSettings.objects.values_list("connector_id", "emails"):
        if emails:
            Connector.objects.filter(pk=pk).update(alert_email=emails[0])


class Migration(migrations.Migration):
    dependencies = [
        ("connector", "0009_return_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="AlertSettings",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("emails", models.JSONField(blank=True, default=list, help_text="Who gets the alerts by email. Leave empty for no email.", verbose_name="Alert emails")),
                ("webhook_url_encrypted", models.TextField(blank=True, editable=False)),
                ("digest_minutes", models.PositiveIntegerField(default=60, help_text="A kind of failure is announced at once, then at most once per interval with the count of new failures. Between 5 minutes and a day.", validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(1440)], verbose_name="Digest interval (minutes)")),
                ("stale_after_intervals", models.PositiveSmallIntegerField(default=3, help_text="A switched-on flow with no completed run for this many of its intervals is announced as not running.", validators=[django.core.validators.MinValueValidator(2), django.core.validators.MaxValueValidator(100)], verbose_name="Not running after (intervals)")),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("connector", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="alert_settings", to="connector.connector")),
            ],
            options={
                "verbose_name": "alert settings",
                "verbose_name_plural": "alert settings",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("digest_minutes__gte", 5), ("digest_minutes__lte", 1440)), name="alertsettings_digest_range"),
                    models.CheckConstraint(condition=models.Q(("stale_after_intervals__gte", 2), ("stale_after_intervals__lte", 100)), name="alertsettings_stale_range"),
                ],
            },
        ),
        migrations.RunPython(move_alert_email, back_to_alert_email),
        migrations.RemoveField(model_name="connector", name="alert_email"),
    ]
