"""REST API of the exception queue (/api/v1/edit-reviews/): the page's list and its three
decisions, through the same verbs (edit_reviews.py) and the same permissions."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from connector.audit import acting

from . import edit_queue, edit_reviews
from .models import EditReview
from .permissions import POST, VIEW
from .serializers import (
    EditReviewDismissSerializer,
    EditReviewFilterSerializer,
    EditReviewSerializer,
)


class EditReviewPermission(permissions.BasePermission):
    """Reading: view_transaction; apply, dismiss, adjust: post_transaction (as on the page)."""

    DECISIONS = ("apply", "dismiss", "adjust")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.has_perm(POST if getattr(view, "action", None) in self.DECISIONS else VIEW)


class QueueOrder(CursorPagination):
    # The queue's order, oldest first; a cursor, so no COUNT over the history.
    ordering = ("created_at", "id")
    page_size = 50


# {"detail": the verb's words}, or {field: [messages]} for a bad body: nothing was done.
REFUSED = OpenApiResponse(OpenApiTypes.OBJECT, description="Refused: nothing was done.")
DECIDED = {200: EditReviewSerializer, 400: REFUSED}


class EditReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [EditReviewPermission]
    serializer_class = EditReviewSerializer
    pagination_class = QueueOrder

    def get_queryset(self):
        qs = EditReview.objects.select_related("transaction", "resolved_by")
        if self.action != "list":
            return qs
        query = EditReviewFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        state = query.validated_data.get("state")
        if state == "decided":
            qs = qs.filter(state__in=edit_queue.DECIDED_STATES)
        elif state:
            qs = qs.filter(state=state)
        if query.validated_data.get("connector"):
            qs = qs.filter(connector_id=query.validated_data["connector"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=[*EditReview.State.values, "decided"],
                description="A state, or `decided` (applied, dismissed, adjusted, superseded).",
            ),
            OpenApiParameter("connector", OpenApiTypes.INT),
        ],
        description="Order edits the connector did not apply by itself, oldest first, 50 a "
        "page (`next` / `previous` carry a cursor).",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _decided(self, request, verb, *args) -> Response:
        review = self.get_object()
        try:
            with acting(request.user):
                verb(request.user, review.pk, *args)
        except edit_reviews.ReviewError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(EditReviewSerializer(self.get_object()).data)

    @extend_schema(
        request=None,
        responses=DECIDED,
        description="Apply the edit to the sales order anyway, past the fulfilment lock. The "
        "review says `applying` until the flow has finished (NetSuite may still refuse, e.g. "
        "fewer units than already fulfilled: the order's edit row shows the error).",
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        return self._decided(request, edit_reviews.apply_anyway)

    @extend_schema(
        request=EditReviewDismissSerializer,
        responses=DECIDED,
        description="Dismiss the edit with a reason (a few words, required): nothing is "
        "written; the order's edit row is Ignored with the reason.",
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        body = EditReviewDismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._decided(request, edit_reviews.dismiss, body.validated_data["reason"])

    @extend_schema(
        request=None,
        responses=DECIDED,
        description="Create a NetSuite credit memo for what the edit removed; the sales "
        "order stays as it is. Refused when the edit removes nothing.",
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        return self._decided(request, edit_reviews.create_adjustment)
