from rest_framework import serializers

from connector.models import Connector

from . import edit_queue
from .models import Channel, EditReview, Transaction, TransactionEvent


class TransactionEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.get_username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = TransactionEvent
        fields = ["id", "type", "message", "detail", "actor", "created_at"]


class TransactionSerializer(serializers.ModelSerializer):
    target_channel = serializers.CharField(read_only=True)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "connector",
            "kind",
            "source_channel",
            "target_channel",
            "source_id",
            "source_type",
            "target_id",
            "shopify_order_id",
            "shopify_order_name",
            "netsuite_sales_order_id",
            "amount",
            "currency",
            "status",
            "status_reason",
            "last_error",
            "attempts",
            "created_at",
            "updated_at",
            "posted_at",
        ]
        read_only_fields = fields


class TransactionDetailSerializer(TransactionSerializer):
    timeline = TransactionEventSerializer(source="events", many=True, read_only=True)

    class Meta(TransactionSerializer.Meta):
        fields = [*TransactionSerializer.Meta.fields, "payload", "timeline"]
        read_only_fields = fields


class RetrieveRequestSerializer(serializers.Serializer):
    connector = serializers.PrimaryKeyRelatedField(queryset=Connector.objects.all())
    source_channel = serializers.ChoiceField(choices=Channel.choices)
    order_id = serializers.CharField(max_length=100)


class RetrieveResponseSerializer(serializers.Serializer):
    detail = serializers.CharField()
    created = serializers.IntegerField()
    transactions = TransactionSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- error workbench (/api/v1/errors/) ---------------------------------------------------

MAX_ID = 2**63 - 1


class ErrorGroupKeySerializer(serializers.Serializer):
    """A group: a connector, a flow ("" for rows retrieved by hand) and a kind of error."""

    connector = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    flow = serializers.CharField(max_length=64, allow_blank=True, default="")
    kind = serializers.CharField(
        max_length=200, allow_blank=True, default="", trim_whitespace=False
    )


class ErrorGroupFilterSerializer(serializers.Serializer):
    connector = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    flow = serializers.CharField(max_length=64, required=False)


class ErrorRowsQuerySerializer(ErrorGroupKeySerializer):
    after = serializers.CharField(max_length=80, required=False)


class ErrorGroupSerializer(serializers.Serializer):
    connector = serializers.IntegerField(source="connector_id")
    connector_name = serializers.CharField()
    flow = serializers.CharField()
    flow_label = serializers.CharField()
    kind = serializers.CharField()
    count = serializers.IntegerField()
    oldest = serializers.DateTimeField()
    unknown_sku = serializers.BooleanField()


class ErrorRowsSerializer(serializers.Serializer):
    results = TransactionSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="`after` for the next page.")


class ResolvedErrorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transaction = serializers.IntegerField(source="transaction_id")
    connector = serializers.IntegerField(source="transaction.connector_id")
    flow = serializers.CharField(source="transaction.flow")
    resolved_at = serializers.DateTimeField(source="created_at")
    message = serializers.CharField()
    how = serializers.SerializerMethodField()
    actor = serializers.CharField(
        source="actor.get_username", default=None, read_only=True, allow_null=True
    )
    error = serializers.SerializerMethodField()
    error_kind = serializers.SerializerMethodField()

    def get_how(self, event) -> str:
        return str((event.detail or {}).get("how", ""))

    def get_error(self, event) -> str:
        return str((event.detail or {}).get("error", ""))

    def get_error_kind(self, event) -> str:
        return str((event.detail or {}).get("error_kind", ""))


class ResolvedErrorListSerializer(serializers.Serializer):
    results = ResolvedErrorSerializer(many=True)


class ErrorTargetSerializer(serializers.Serializer):
    """One error or a selection (`ids`, at most 100), or a whole group (`group`)."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        allow_empty=False,
        max_length=100,
    )
    group = ErrorGroupKeySerializer(required=False)

    def validate(self, attrs):
        if ("ids" in attrs) == ("group" in attrs):
            raise serializers.ValidationError("Give either `ids` (one or more errors) or `group`.")
        return attrs


class ErrorIgnoreSerializer(ErrorTargetSerializer):
    reason = serializers.CharField(
        max_length=250,
        error_messages={
            "required": "Say why these errors are ignored: a reason is required.",
            "blank": "Say why these errors are ignored: a reason is required.",
        },
    )


class BindSkuSerializer(serializers.Serializer):
    connector = serializers.PrimaryKeyRelatedField(queryset=Connector.objects.all())
    sku = serializers.CharField(max_length=100)
    netsuite_item_id = serializers.RegexField(
        r"^\d{1,18}$",
        max_length=18,
        error_messages={"invalid": "The NetSuite item id is the item's internal id, a number."},
    )


class ErrorOutcomeSerializer(serializers.Serializer):
    detail = serializers.CharField()
    done = serializers.IntegerField(help_text="Errors acted on.")
    skipped = serializers.IntegerField(help_text="No longer in Error: left as they were.")
    remaining = serializers.IntegerField(help_text="Rows of the group beyond this request.")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="Rows acted on.")


# --- order edits to review, the exception queue (/api/v1/edit-reviews/) -------------------


class EditReviewFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[*EditReview.State.values, "decided"],
        required=False,
        help_text="A state, or `decided` (applied, dismissed, adjusted, no longer needed).",
    )
    connector = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class EditReviewSerializer(serializers.ModelSerializer):
    resolved_by = serializers.CharField(
        source="resolved_by.get_username", default=None, read_only=True, allow_null=True
    )
    can_adjust = serializers.SerializerMethodField(
        help_text="A credit memo may be created: the edit takes something away."
    )
    transaction_status = serializers.CharField(source="transaction.status", read_only=True)
    transaction_error = serializers.CharField(source="transaction.last_error", read_only=True)
    changes = serializers.ListField(
        child=serializers.DictField(),
        read_only=True,
        help_text="Each change: key, sku, title, change (added, removed, quantity, charge, "
        "shipping), source_quantity, target_quantity, fulfilled, source_amount, "
        "target_amount, summary. Source is the side the edit came from.",
    )
    source_state = serializers.DictField(read_only=True, help_text="The edit's side: lines, total.")
    target_state = serializers.DictField(read_only=True, help_text="The other side, as it is.")

    class Meta:
        model = EditReview
        fields = [
            "id",
            "connector",
            "transaction",
            "transaction_status",
            "transaction_error",
            "direction",
            "shopify_order_id",
            "shopify_order_name",
            "netsuite_sales_order_id",
            "version",
            "reason",
            "changes",
            "source_state",
            "target_state",
            "state",
            "resolution",
            "resolved_by",
            "resolved_at",
            "adjustment_id",
            "can_adjust",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_can_adjust(self, review) -> bool:
        return review.is_open and edit_queue.offers_adjustment(review)


class EditReviewDismissSerializer(serializers.Serializer):
    # The verb decides what a reason must be (its message comes back as a 400).
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
