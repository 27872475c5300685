"""Forms for the connector pages. They validate and collect input; the verbs in actions.py
do the writing."""

from django import forms

from connector.models import SECRET_FIELDS, Connector, ConnectorOptions, RefundSyncDirection
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
