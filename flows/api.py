"""REST API for flow runs: POST /api/v1/flows/{flow}/runs/, GET /api/v1/flow-runs/{id}/."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from connector.models import Connector
from connector.permissions import RUN_FLOWS, VIEW_FLOW_RUNS

from . import engine
from .models import FlowRun, Trigger
from .registry import FLOWS


class FlowRunSerializer(serializers.ModelSerializer):
    flow_label = serializers.CharField(read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    transaction_ids = serializers.SerializerMethodField()

    class Meta:
        model = FlowRun
        fields = [
            "id",
            "connector",
            "flow",
            "flow_label",
            "trigger",
            "lane",
            "scope",
            "requested_by",
            "status",
            "run_again",
            "total",
            "seen",
            "posted",
            "skipped",
            "failed",
            "skip_reasons",
            "summary",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "transaction_ids",
        ]
        read_only_fields = fields

    def get_transaction_ids(self, run) -> list[int]:
        return list(run.transactions.values_list("pk", flat=True)[:1000])


class FlowRunRequestSerializer(serializers.Serializer):
    connector = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    full = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A full resync instead of the delta (flows that offer it: inventory).",
    )


class CanRunFlows(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.has_perm(
            VIEW_FLOW_RUNS if request.method in permissions.SAFE_METHODS else RUN_FLOWS
        )


class FlowRunCreate(APIView):
    """Start a flow for a connector: 202 with the run (or the active run it joined)."""

    permission_classes = [CanRunFlows]

    @extend_schema(
        request=FlowRunRequestSerializer,
        responses={202: FlowRunSerializer},
    )
    def post(self, request, flow: str):
        if flow not in FLOWS:
            return Response({"flow": "Unknown flow."}, status=status.HTTP_404_NOT_FOUND)
        # A list, a string or a missing id is a 400 (the serializer wants an object).
        body = FlowRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        connector = get_object_or_404(
            Connector.objects.select_related("options"), pk=body.validated_data["connector"]
        )
        full = body.validated_data["full"]
        if full and not FLOWS[flow].full_resync:
            return Response(
                {"full": "This flow has no full resync."}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            run, _created = engine.request_run(
                connector, flow, Trigger.API, user=request.user, scope=["full"] if full else ()
            )
        except engine.FlowNotRunnable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(FlowRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class FlowRunDetail(APIView):
    permission_classes = [CanRunFlows]

    @extend_schema(responses=FlowRunSerializer)
    def get(self, request, pk: int):
        return Response(FlowRunSerializer(get_object_or_404(FlowRun, pk=pk)).data)
