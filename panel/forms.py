"""Forms for the connector pages. They validate and collect input; the verbs in actions.py
do the writing."""

from django import forms
from django.core.validators import validate_email

from connector.models import (
    SECRET_FIELDS,
    AlertSettings,
    Connector,
    ConnectorOptions,
    RefundSyncDirection,
    alert_settings_of,
)
from flows.models import FlowSchedule

from .actions import CONNECTOR_FIELDS

# Where the connector sends its credentials: connector admins only (the API hides them too).
CONNECTION_FIELDS = ("shopify_endpoint", "netsuite_endpoint")


class ConnectorForm(forms.ModelForm):
    class Meta:
        model = Connector
        fields = CONNECTOR_FIELDS

    def __init__(self, *args, show_connection: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_connection:
            for name in CONNECTION_FIELDS:
                del self.fields[name]


class CredentialsForm(forms.Form):
    """Write-only: fields never render a value; empty means "keep what is stored"."""

    def __init__(self, *args, connector: Connector | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in SECRET_FIELDS.items():
            is_set = bool(connector and connector.has_secret(name))
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                strip=True,
                max_length=1000,
                widget=forms.PasswordInput(
                    render_value=False,
                    attrs={
                        "autocomplete": "new-password",
                        "placeholder": "set — type to replace" if is_set else "not set",
                    },
                ),
            )
            self.fields[name].is_set = is_set

    def secrets(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}


class NewConnectorForm(ConnectorForm):
    """Creating a connector asks for the credentials on the same page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.credentials = CredentialsForm(*args, **kwargs)

    def is_valid(self):
        return super().is_valid() & self.credentials.is_valid()


def options_form_class(fields: tuple[str, ...]) -> type[forms.ModelForm]:
    widgets = {}
    if "refund_sync_direction" in fields:
        # Radio buttons: one direction or none. Choosing both cannot even be expressed.
        widgets["refund_sync_direction"] = forms.RadioSelect(choices=RefundSyncDirection.choices)
    return forms.modelform_factory(ConnectorOptions, fields=fields, widgets=widgets)


class FlowScheduleForm(forms.ModelForm):
    class Meta:
        model = FlowSchedule
        fields = ("enabled", "interval_minutes", "cron")
        widgets = {"cron": forms.TextInput(attrs={"placeholder": "*/15 * * * *"})}


class LocationMapForm(forms.Form):
    """The location map as text, one "NetSuite id = Shopify id" per line; several NetSuite
    locations may name one Shopify location (their stock is summed)."""

    locations = forms.CharField(
        label="Location map",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "1 = 71234567\n2 = 71234567"}),
        help_text="One line per NetSuite location: its internal id = the Shopify location id "
        "(the number at the end of the location's admin URL). Several NetSuite locations may "
        "map to one Shopify location: their quantities are added up. NetSuite locations not "
        "listed are ignored.",
    )

    def __init__(self, *args, connector: Connector, **kwargs):
        super().__init__(*args, **kwargs)
        rows = connector.location_mappings.order_by("netsuite_location_id")
        self.fields["locations"].initial = "\n".join(
            f"{m.netsuite_location_id} = {m.shopify_location_id}" for m in rows
        )

    def clean_locations(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        errors = []
        for number, raw in enumerate(self.cleaned_data["locations"].splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            left, sep, right = line.partition("=")
            netsuite_id, shopify_id = left.strip(), right.strip().rsplit("/", 1)[-1]
            if not sep or not netsuite_id or not shopify_id:
                errors.append(
                    f"Line {number}: write “NetSuite id = Shopify id”, e.g. 1 = 71234567."
                )
            elif not (netsuite_id.isascii() and netsuite_id.isdigit()):
                errors.append(f"Line {number}: the NetSuite location id is digits only.")
            elif not (shopify_id.isascii() and shopify_id.isdigit()):
                errors.append(f"Line {number}: the Shopify location id is digits only.")
            elif netsuite_id in pairs:
                errors.append(
                    f"Line {number}: NetSuite location {netsuite_id} is mapped twice; one "
                    "NetSuite location goes to one Shopify location."
                )
            else:
                pairs[netsuite_id] = shopify_id
        if errors:
            raise forms.ValidationError(errors)
        return pairs


class AlertSettingsForm(forms.Form):
    """Settings › Alerts. The webhook URL is write-only like the credentials: never rendered,
    "set"/"not set", empty keeps it, "remove" clears it."""

    emails = forms.CharField(
        label="Alert emails",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "finance@example.com"}),
        help_text="One address per line (or separated by commas). Leave empty for no email.",
    )
    webhook_url = forms.CharField(
        label="Webhook URL (Slack-compatible)",
        required=False,
        strip=True,
        max_length=1000,
        help_text='A Slack incoming webhook or any receiver of POST {"text": …}. Stored '
        "encrypted and never shown again; only hosts the operator allowed (ALERT_WEBHOOK_HOSTS).",
    )
    clear_webhook = forms.BooleanField(label="Remove the webhook", required=False)
    digest_minutes = forms.IntegerField(
        label=AlertSettings._meta.get_field("digest_minutes").verbose_name,
        min_value=5,
        max_value=1440,
        help_text=AlertSettings._meta.get_field("digest_minutes").help_text,
    )
    stale_after_intervals = forms.IntegerField(
        label=AlertSettings._meta.get_field("stale_after_intervals").verbose_name,
        min_value=2,
        max_value=100,
        help_text=AlertSettings._meta.get_field("stale_after_intervals").help_text,
    )

    def __init__(self, *args, connector: Connector, **kwargs):
        super().__init__(*args, **kwargs)
        current = alert_settings_of(connector)
        self.fields["emails"].initial = "\n".join(current.emails)
        self.fields["digest_minutes"].initial = current.digest_minutes
        self.fields["stale_after_intervals"].initial = current.stale_after_intervals
        self.fields["webhook_url"].widget = forms.PasswordInput(
            render_value=False,
            attrs={
                "autocomplete": "off",
                "placeholder": "set — type to replace" if current.has_webhook else "not set",
            },
        )
        self.fields["webhook_url"].is_set = current.has_webhook

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data["emails"].replace(",", "\n").replace(";", "\n")
        emails, bad = [], []
        for address in (line.strip() for line in raw.splitlines()):
            if not address or address in emails:
                continue
            try:
                validate_email(address)
            except forms.ValidationError:
                bad.append(address)
            else:
                emails.append(address)
        if bad:
            raise forms.ValidationError(f"Not an email address: {', '.join(bad)}.")
        return emails

    def clean(self):
        data = super().clean()
        if data.get("clear_webhook") and data.get("webhook_url"):
            self.add_error("webhook_url", "Either type a new URL or remove the webhook, not both.")
        return data

    def alert_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("emails", "digest_minutes", "stale_after_intervals")
        }
