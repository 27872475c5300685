from django import forms

from connector.models import Connector

from .models import Channel, Kind, Status


def _choices(choices, empty="All"):
    return [("", empty), *choices]


class FilterForm(forms.Form):
    connector = forms.ModelChoiceField(
        Connector.objects.order_by("name"), required=False, empty_label="All connectors"
    )
    source_channel = forms.ChoiceField(
        label="Source channel", choices=_choices(Channel.choices), required=False
    )
    kind = forms.ChoiceField(choices=_choices(Kind.choices), required=False)
    # One spelling on screen: "Cancelled", as the settings and flows say it.
    status = forms.ChoiceField(
        choices=_choices(
            [(v, "Cancelled" if v == Status.CANCELED else label) for v, label in Status.choices]
        ),
        required=False,
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    search = forms.CharField(
        required=False,
        help_text="Order number, id, email, SKU or error text.",
        widget=forms.TextInput(
            attrs={"placeholder": "#1001, email, SKU, error…", "type": "search"}
        ),
    )

    def params(self) -> dict:
        if not self.is_valid():
            return {}
        data = dict(self.cleaned_data)
        if data.get("connector"):
            data["connector"] = data["connector"].pk
        return {k: v for k, v in data.items() if v}


class RetrieveForm(forms.Form):
    def __init__(self, *args, **kwargs):
        # The dialog opens over the filter form: its own ids keep every label on its field.
        kwargs.setdefault("auto_id", "retrieve_%s")
        super().__init__(*args, **kwargs)

    connector = forms.ModelChoiceField(Connector.objects.order_by("name"), empty_label=None)
    source_channel = forms.ChoiceField(
        label="Source Channel",
        choices=[(Channel.NETSUITE, "NetSuite"), (Channel.SHOPIFY, "Shopify")],
    )
    order_id = forms.CharField(
        label="Order/Transaction ID",
        max_length=100,
        help_text="The Shopify order number (#1001) or order id of an order the connector "
        "synced to NetSuite.",
    )


class ErrorGroupForm(forms.Form):
    """A group of the error workbench: a connector, a flow (may be empty: rows retrieved by
    hand) and a kind (errors.error_kind)."""

    connector = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    flow = forms.CharField(max_length=64, required=False)
    kind = forms.CharField(max_length=200, required=False, strip=False)


class ErrorFilterForm(forms.Form):
    connector = forms.ModelChoiceField(
        Connector.objects.order_by("name"), required=False, empty_label="All connectors"
    )


class ErrorActionForm(forms.Form):
    verb = forms.ChoiceField(choices=[("retry", "Retry"), ("ignore", "Ignore")])
    scope = forms.ChoiceField(choices=[("selection", "Selection"), ("group", "Group")])
    reason = forms.CharField(max_length=250, required=False)


class BindSkuForm(forms.Form):
    connector = forms.ModelChoiceField(Connector.objects.all())
    sku = forms.CharField(label="SKU", max_length=100)
    netsuite_item_id = forms.CharField(label="NetSuite item id", max_length=40)


class EditReviewFilterForm(forms.Form):
    connector = forms.ModelChoiceField(
        Connector.objects.order_by("name"), required=False, empty_label="All connectors"
    )
