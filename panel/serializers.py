"""API shapes for connectors. Serializers validate field types; writes go through actions.py."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from connector.models import SECRET_FIELDS, Connector, ConnectorOptions
from connector.permissions import can_manage_connectors
from flows.models import FlowSchedule
from flows.registry import FLOWS

from . import actions
from .forms import CONNECTION_FIELDS


class StrictSerializerMixin:
    """Unknown keys are a 400, not silently ignored: a typo must not look like a saved change."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {key: ["Unknown option."] for key in data if key not in self.fields}
            errors.update(
                {
                    key: ["Read-only: it cannot be changed."]
                    for key in data
                    if key in self.fields and self.fields[key].read_only
                }
            )
            if errors:
                raise serializers.ValidationError(dict(sorted(errors.items())))
        return super().to_internal_value(data)


class OptionsSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = ConnectorOptions
        fields = actions.OPTION_FIELDS


class FlowScheduleSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = FlowSchedule
        fields = actions.FLOW_SCHEDULE_FIELDS


@extend_schema_field(serializers.DictField(child=FlowScheduleSerializer()))
class FlowsField(serializers.Field):
    """`{"<flow api name>": {"enabled", "interval_minutes", "cron"}}`"""

    def to_representation(self, manager):
        schedules = {s.flow: s for s in manager.all()}
        return {
            name: FlowScheduleSerializer(schedules[name]).data
            for name in FLOWS
            if name in schedules
        }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected an object keyed by flow API name.")
        errors, cleaned = {}, {}
        for name, changes in data.items():
            if name not in FLOWS:
                errors[name] = ["Unknown flow."]
                continue
            s = FlowScheduleSerializer(data=changes, partial=True)
            if s.is_valid():
                cleaned[name] = s.validated_data
            else:
                errors[name] = s.errors
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


class ConnectorSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    options = OptionsSerializer(required=False)
    flows = FlowsField(source="schedules", required=False)
    credentials = serializers.SerializerMethodField(
        help_text='"set" or "not set" per credential; only for connector admins.'
    )

    class Meta:
        model = Connector
        fields = (
            "id",
            *actions.CONNECTOR_FIELDS,
            "credentials",
            "options",
            "flows",
            "last_run_at",
            "last_error",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "last_run_at", "last_error", "created_at", "updated_at")

    def get_fields(self):
        fields = super().get_fields()
        for name in SECRET_FIELDS:
            fields[name] = serializers.CharField(
                write_only=True,
                required=False,
                allow_blank=True,
                max_length=1000,
                trim_whitespace=True,
                style={"input_type": "password"},
            )
        request = self.context.get("request")
        # The OpenAPI schema documents the whole shape whoever asks for it.
        documenting = getattr(self.context.get("view"), "swagger_fake_view", False)
        if request is not None and not documenting and not can_manage_connectors(request.user):
            # Customer service may pick a connector, not learn how it is wired.
            for name in ("credentials", *CONNECTION_FIELDS):
                fields.pop(name, None)
        return fields

    def get_credentials(self, connector) -> dict[str, str]:
        return {
            name: "set" if is_set else "not set"
            for name, is_set in connector.credential_status().items()
        }

    def _split(self, validated):
        options = validated.pop("options", None) or {}
        flows = validated.pop("schedules", None) or {}
        secrets = {name: validated.pop(name) for name in list(validated) if name in SECRET_FIELDS}
        return validated, secrets, options, flows

    def create(self, validated_data):
        fields, secrets, options, flows = self._split(validated_data)
        user = self.context["request"].user
        try:
            return actions.create_connector(user, fields, secrets, options, flows)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc

    def update(self, connector, validated_data):
        fields, secrets, options, flows = self._split(validated_data)
        user = self.context["request"].user
        try:
            with transaction.atomic():
                connector = actions.update_connector(user, connector, fields, secrets)
                if options:
                    actions.update_options(user, connector, options)
                for flow, changes in flows.items():
                    actions.update_flow_schedule(user, connector, flow, changes)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        return (
            Connector.objects.select_related("options")
            .prefetch_related("schedules")
            .get(pk=connector.pk)
        )
