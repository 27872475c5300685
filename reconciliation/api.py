"""GET /api/v1/variances/: the reconciliation's exceptions, filtered as on the page."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from panel.templatetags.panel_tags import netsuite_record_url, shopify_order_url

from . import listing
from .models import Variance
from .permissions import VIEW


class VariancePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(VIEW))


class RecentFirst(CursorPagination):
    ordering = ("-last_seen", "-id")
    page_size = 50


class VarianceSerializer(serializers.ModelSerializer):
    shopify_ids = serializers.SerializerMethodField()
    netsuite_ids = serializers.SerializerMethodField()
    shopify_url = serializers.SerializerMethodField()
    netsuite_urls = serializers.SerializerMethodField()
    timeline_url = serializers.SerializerMethodField()

    class Meta:
        model = Variance
        fields = [
            "id",
            "connector",
            "kind",
            "record",
            "shopify_order_id",
            "shopify_order_name",
            "shopify_ids",
            "netsuite_type",
            "netsuite_ids",
            "expected",
            "actual",
            "line_kind",
            "line",
            "expected_quantity",
            "actual_quantity",
            "detail",
            "first_seen",
            "last_seen",
            "resolved_at",
            "shopify_url",
            "netsuite_urls",
            "timeline_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_shopify_ids(self, obj) -> list[str]:
        return obj.shopify_id_list

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_netsuite_ids(self, obj) -> list[str]:
        return obj.netsuite_id_list

    def get_shopify_url(self, obj) -> str:
        return shopify_order_url(obj.connector, obj.shopify_order_id)

    @extend_schema_field(serializers.ListField(child=serializers.URLField()))
    def get_netsuite_urls(self, obj) -> list[str]:
        return [netsuite_record_url(obj.connector, i) for i in obj.netsuite_id_list]

    @extend_schema_field(OpenApiTypes.STR)
    def get_timeline_url(self, obj) -> str | None:
        pk = self.context.get("timelines", {}).get(obj.pk)
        return reverse("transactions:timeline", args=[pk]) if pk else None


FILTERS = [
    OpenApiParameter("connector", OpenApiTypes.INT),
    OpenApiParameter(
        "kind", OpenApiTypes.STR, description="One of: " + ", ".join(Variance.Kind.values)
    ),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "resolved", "all"]),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
]


class VarianceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [VariancePermission]
    pagination_class = RecentFirst
    serializer_class = VarianceSerializer

    def get_queryset(self):
        form, qs = listing.filtered(self.request.query_params)
        if self.request.query_params and not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        return qs

    @extend_schema(parameters=FILTERS)
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "timelines": listing.timelines(page)}
        data = VarianceSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)
