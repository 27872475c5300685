from rest_framework import serializers

from connector.models import Connector

from .models import Channel, Transaction, TransactionEvent


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
